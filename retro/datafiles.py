"""Data files people may add: TOML files shipped with retro and the user's own, read safely.

Themes and retro formats are both such files: a folder of ``*.toml`` shipped with retro
and one of the user's beside the config file. A file that cannot be used is skipped and
described in a message (never raised), a user file replaces a shipped one of the same
name, and a second user file with a name already taken is skipped. Files are read with a
size limit and never block (a named pipe is refused).
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from retro.present.sanitize import clean

T = TypeVar("T")

NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
"""The name of a theme or a format: 1 to 40 lowercase letters, digits or hyphens."""


class DataFileError(Exception):
    """A data file cannot be used; the message names the file and what is wrong."""


def show(value: object, *, quote: bool = True) -> str:
    """A short, printable rendering of a value from a file."""
    text = repr(value) if quote else str(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return clean(text)


def suggest(key: str, known: Iterable[str]) -> str:
    """A "did you mean" hint for a misspelt name, or nothing."""
    if len(key) > 60:
        return ""
    close = difflib.get_close_matches(key, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_keys(
    data: Mapping[str, Any], known: Iterable[str], where: str, error: type[DataFileError]
) -> None:
    """Raise ``error`` for the first key of ``data`` that is not ``known``."""
    allowed = list(known)
    for key in data:
        if key not in allowed:
            raise error(f"{where}: unknown key {show(key)}{suggest(key, allowed)}")


def check_name(data: Mapping[str, Any], where: str, error: type[DataFileError]) -> str:
    """The file's ``name``, which must match :data:`NAME`."""
    name = data.get("name")
    if not isinstance(name, str):
        raise error(f"{where}: 'name' is required and must be a string")
    if not NAME.fullmatch(name):
        raise error(
            f"{where}: the name {show(name)} must be 1 to 40 lowercase letters, digits "
            "or hyphens, starting with a letter or digit"
        )
    return name


@dataclass(frozen=True)
class DataFiles(Generic[T]):
    """One family of data files (themes, formats): how each is checked and named.

    ``parse`` builds a value from a parsed file (``where`` names the file in its messages)
    and raises ``error``; ``what`` names one file's contents in messages ("theme").
    """

    what: str
    parse: Callable[[Mapping[str, Any], str], T]
    name_of: Callable[[T], str]
    error: type[DataFileError] = DataFileError
    max_bytes: int = 64 * 1024
    max_user: int = 100

    def read_limited(self, path: Path) -> bytes:
        """The bytes of a regular file no bigger than the limit (never blocks on a FIFO)."""
        where, most = clean(str(path)), self.max_bytes
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(path, flags)
        except OSError as err:
            raise self.error(f"{where}: cannot be read: {err.strerror}") from err
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise self.error(f"{where}: is not a regular file")
            if info.st_size > most:
                raise self.error(f"{where}: is {info.st_size} bytes; {self._limit()}")
            chunks: list[bytes] = []
            size = 0
            while size <= most and (chunk := os.read(fd, most + 1 - size)):
                chunks.append(chunk)
                size += len(chunk)
            content = b"".join(chunks)
        except OSError as err:
            raise self.error(f"{where}: cannot be read: {err.strerror}") from err
        finally:
            os.close(fd)
        if len(content) > most:
            raise self.error(f"{where}: {self._limit()}")
        return content

    def _limit(self) -> str:
        return f"a {self.what} file may be at most {self.max_bytes // 1024} KiB"

    def read_toml(self, path: Path) -> dict[str, Any]:
        """The parsed TOML of one file (raises ``error`` when it is not UTF-8 TOML)."""
        where = clean(str(path))
        content = self.read_limited(path)
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as err:
            raise self.error(f"{where}: is not UTF-8 text (byte {err.start})") from err
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise self.error(f"{where}: is not valid TOML: {clean(str(err))}") from err

    def load_file(self, path: Path) -> T:
        """Read and check one file (raises ``error`` when it cannot be used)."""
        return self.parse(self.read_toml(path), clean(str(path)))

    def files(self, folder: Path) -> tuple[list[Path], list[str]]:
        """The ``*.toml`` files of a folder, sorted, and what could not be listed."""
        try:
            names = sorted(
                entry.name
                for entry in os.scandir(folder)
                if entry.name.endswith(".toml") and not entry.name.startswith(".")
            )
        except FileNotFoundError:
            return [], []
        except OSError as err:
            return [], [f"{clean(str(folder))}: cannot list the {self.what}s: {err.strerror}"]
        return [folder / name for name in names], []

    def _each(self, paths: list[Path], label: str, messages: list[str]) -> Iterator[tuple[Path, T]]:
        """Each file's value; a file that cannot be used is described in ``messages``."""
        for path in paths:
            try:
                yield path, self.load_file(path)
            except self.error as err:
                messages.append(f"skipped {label}: {err}")

    def load_all(self, builtin_dir: Path, user_dir: Path) -> tuple[dict[str, T], list[str]]:
        """The shipped files' values, then the user's (which may add to them or replace one
        by name), by name; and messages about the files skipped. Nothing is raised."""
        found: dict[str, T] = {}
        messages: list[str] = []
        builtin_files, problems = self.files(builtin_dir)
        messages += problems
        for _path, value in self._each(builtin_files, f"a built-in {self.what}", messages):
            found[self.name_of(value)] = value
        user_files, problems = self.files(user_dir)
        messages += problems
        if len(user_files) > self.max_user:
            messages.append(
                f"{clean(str(user_files[0].parent))}: only the first {self.max_user} "
                f"of {len(user_files)} {self.what} files were read"
            )
            user_files = user_files[: self.max_user]
        origin: dict[str, Path] = {}
        for path, value in self._each(user_files, f"a {self.what}", messages):
            name = self.name_of(value)
            if name in origin:
                messages.append(
                    f"skipped a {self.what}: {clean(str(path))}: the name {name!r} is already "
                    f"used by {clean(origin[name].name)}"
                )
                continue
            origin[name] = path
            found[name] = value
        return found, messages
