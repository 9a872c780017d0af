"""The file system's sharp edges in one place: atomic writes, side files that never follow
symlinks, locks.

Logs travel through shared folders and repositories, so anything found beside one may
have been put there by someone else. Retro therefore never writes *through* a name it
did not choose to follow: side files (rejected lines, exported summaries, temp files)
are opened relative to their folder with ``O_NOFOLLOW``, new ones with ``O_EXCL``, and
checked once open (a regular file, the very one the folder names, linked once). A log
itself may be a symbolic link: an atomic rewrite then replaces the link's target,
keeping the link, so that later writes keep going where every reader looks.

Every failure is a :class:`~retro.errors.LogError` naming the file, never a bare
``OSError``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import NamedTuple, Protocol

from retro.errors import LogError

_SIDE_FLAGS = os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
_TEMP_TRIES = 8
MAX_NAME_BYTES = 120  # well under every file system's 255-byte limit on a name


def failure(path: Path | str, err: OSError) -> LogError:
    """One clear line for an OS error met while writing ``path``."""
    if err.errno == errno.ELOOP:
        reason = "it is a symbolic link, and retro does not write through links beside a log"
    else:
        reason = err.strerror or str(err)
    return LogError(f"cannot write {path}: {reason}")


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data``: a short write is continued, a failed one raises."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def fsync_dir(folder: Path | str) -> None:
    """Make the entries of ``folder`` (a rename, a new file) durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _folder(path: Path) -> Iterator[tuple[int, str]]:
    """The open folder of ``path`` and the name in it: everything below happens in there."""
    name = path.name
    if not name or name in (".", ".."):
        raise IsADirectoryError(errno.EISDIR, "not a file name", str(path))
    dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield dfd, name
    finally:
        os.close(dfd)


def _check_side(fd: int, dfd: int, name: str) -> None:
    """Refuse a side file that is not a regular file linked once under ``name`` in its folder."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EINVAL, "not a regular file")
    there = os.stat(name, dir_fd=dfd, follow_symlinks=False)
    if (there.st_dev, there.st_ino) != (info.st_dev, info.st_ino):
        raise OSError(errno.EAGAIN, "the file was replaced while being opened")
    if info.st_nlink != 1:
        raise OSError(errno.EMLINK, "it has other names (hard links); retro leaves it alone")


def side_file(path: Path, suffix: str) -> Path:
    """The file beside ``path`` that keeps what it set aside: ``team.jsonl.rejected``."""
    return path.with_name(path.name + suffix)


def append_side(path: Path, chunks: Iterable[bytes], *, follow_link: bool = False) -> None:
    """Append ``chunks`` to the side file ``path``, durably; never through a link.

    With ``follow_link`` (a file of the user's own, such as a dotfile), a link at
    ``path`` is resolved first and its target appended to, with the same checks.
    """
    try:
        with _folder(resolve_link(path) if follow_link else path) as (dfd, name):
            fd = os.open(name, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _SIDE_FLAGS, 0o644,
                         dir_fd=dfd)  # fmt: skip
            try:
                _check_side(fd, dfd, name)
                for chunk in chunks:
                    write_all(fd, chunk)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.fsync(dfd)
    except OSError as err:
        raise failure(path, err) from err


class Span(Protocol):
    """Where a line is in a file (a journal's ``Problem`` is one)."""

    offset: int
    size: int


def copy_lines(source: Path, spans: Iterable[Span], target: Path) -> None:
    """Append the lines at ``spans`` of ``source``, verbatim, to the side file ``target``."""

    def chunks() -> Iterator[bytes]:
        with open(source, "rb") as inp:
            for span in spans:
                inp.seek(span.offset)
                left = span.size
                while left:
                    chunk = inp.read(min(left, 1024 * 1024))
                    if not chunk:
                        break
                    yield chunk
                    left -= len(chunk)
                yield b"\n"

    append_side(target, chunks())


def _create_temp(dfd: int, name: str, mode: int) -> tuple[int, str]:
    """A new temp file beside ``name``: created here and now, never an existing name."""
    for _ in range(_TEMP_TRIES):
        tmp = f".{name[:MAX_NAME_BYTES]}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _SIDE_FLAGS
            return os.open(tmp, flags, mode, dir_fd=dfd), tmp
        except FileExistsError:
            continue
    raise OSError(errno.EEXIST, "no free name for a temp file")


def resolve_link(path: Path) -> Path:
    """The file a log's name stands for: ``path`` itself, or the target of its links."""
    return Path(os.path.realpath(path)) if os.path.islink(path) else path


def _gathered(chunks: Iterable[bytes], size: int = 1024 * 1024) -> Iterator[bytes]:
    """``chunks`` joined into writes of about ``size`` bytes: a log's lines, not one call each."""
    held: list[bytes] = []
    length = 0
    for chunk in chunks:
        held.append(chunk)
        length += len(chunk)
        if length >= size:
            yield b"".join(held)
            held.clear()
            length = 0
    if held:
        yield b"".join(held)


class Headed(NamedTuple):
    """What to write when the first bytes are known only once the rest is written (a hash of
    it): ``rest``, each chunk of it shown to ``see`` as it is written, then ``first()``, of
    ``first_size`` bytes, written before it."""

    first: Callable[[], bytes]
    first_size: int
    rest: Iterable[bytes]
    see: Callable[[bytes], object]


def write_atomically(path: Path, chunks: Iterable[bytes] | Headed, *,
                     follow_link: bool = False) -> None:  # fmt: skip
    """Replace ``path`` by ``chunks``: temp file, fsync, rename, folder fsync.

    A symbolic link at ``path`` is replaced by the new file, unless ``follow_link``
    (a log, a config file the user linked): then its target is rewritten and the
    link kept. The temp file is created beside the file replaced, never through a
    link. Raises :class:`LogError` on any failure, leaving ``path`` as it was.
    """
    headed = chunks if isinstance(chunks, Headed) else None
    lines = chunks.rest if isinstance(chunks, Headed) else chunks
    target = resolve_link(path) if follow_link else path
    try:
        with _folder(target) as (dfd, name):
            try:
                mode = os.stat(name, dir_fd=dfd, follow_symlinks=False).st_mode & 0o777
            except FileNotFoundError:
                mode = 0o644
            fd, tmp = _create_temp(dfd, name, mode)
            try:
                try:
                    if headed is not None:
                        os.lseek(fd, headed.first_size, os.SEEK_SET)
                    for chunk in _gathered(lines):
                        if headed is not None:
                            headed.see(chunk)
                        write_all(fd, chunk)
                    if headed is not None:
                        _write_first(fd, headed)
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.replace(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp, dir_fd=dfd)
                raise
            os.fsync(dfd)
    except OSError as err:
        raise failure(path, err) from err


def _write_first(fd: int, headed: Headed) -> None:
    first = headed.first()
    if len(first) != headed.first_size:
        raise ValueError(f"the first bytes are {len(first)} long, not {headed.first_size}")
    if os.pwrite(fd, first, 0) != len(first):
        raise OSError(errno.EIO, "the first bytes were not all written")


def open_regular(path: Path, flags: int, mode: int = 0o644) -> int:
    """Open ``path`` (links followed) without blocking; refuse what is not a regular file."""
    fd = os.open(path, flags | os.O_CLOEXEC | os.O_NONBLOCK, mode)
    kind = os.fstat(fd).st_mode
    if not stat.S_ISREG(kind):
        os.close(fd)
        if stat.S_ISDIR(kind):
            raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    return fd


def identity(info: os.stat_result) -> tuple[int, int]:
    """What tells one file from another while both exist: device and inode."""
    return info.st_dev, info.st_ino


@contextlib.contextmanager
def locked(path: Path, opener: Callable[[], int]) -> Iterator[int]:
    """Hold an exclusive ``flock`` on the file at ``path``, opened by ``opener``.

    Retries when the file was replaced (an atomic rewrite) while waiting for the
    lock, so that what is held is always the file the name stands for now.
    """
    while True:
        fd = opener()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                same = identity(os.stat(path)) == identity(os.fstat(fd))
            except FileNotFoundError:
                same = False
            if same:
                yield fd
                return
        finally:
            os.close(fd)


def _plain(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-._" else "-" for ch in text)


def safe_file_name(stem: str, suffix: str, *, most: int = MAX_NAME_BYTES) -> str:
    """A file name from free text: letters, digits and ``-._`` kept, others made ``-``.

    A stem too long for ``most`` bytes is cut and ends in a short hash of the whole,
    so that two long names cut alike still give two files.
    """
    safe, suffix = _plain(stem).lstrip("."), _plain(suffix)
    if len((safe + suffix).encode()) <= most:
        return safe + suffix
    tag = "-" + hashlib.sha256(stem.encode(errors="surrogatepass")).hexdigest()[:8]
    room = most - len((tag + suffix).encode())
    cut = safe.encode()[:room].decode(errors="ignore")
    return cut + tag + suffix
