"""What the commands of one invocation share: settings, the log, errors, warnings."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import click

from retro.config import Settings
from retro.errors import EXIT_DAMAGED, RetroError
from retro.present.sanitize import clean

if TYPE_CHECKING:
    from retro.store import Repository

F = TypeVar("F", bound=Callable[..., Any])
Start = Literal["home", "checkin", "run", "join"]  # where the app opens
PROGRESS_BYTES = 20 * 1024 * 1024  # a progress bar when reading more than this


class AppContext:
    """Shared by the commands of one invocation: settings and the repository, made on demand.

    The date parser (dateutil) and TinyDB are imported only when a command needs them.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._repo: Repository | None = None

    def now(self) -> datetime:
        return self.settings.clock()

    def repo(self) -> Repository:
        """The log's repository (TinyDB is imported only now: a check-in does without)."""
        if self._repo is None:
            from retro.store import Repository

            self._repo = Repository(
                self.settings.log,
                author=self.settings.author,
                team=self.settings.team,
                clock=self.settings.clock,
            )
        return self._repo

    def warn_direction(self, label: str, value: date | str, *, forward: bool) -> None:
        """Warn on stderr when a date lies on the wrong side of today (it is kept)."""
        from retro import dates

        message = dates.direction_warning(label, value, self.now(), forward=forward)
        if message:
            warn(f"warning: {message}")


def app_context(ctx: click.Context) -> AppContext:
    """The invocation's :class:`AppContext` (made by the root group)."""
    app: AppContext = ctx.find_root().obj
    return app


def warn(message: str) -> None:
    """A line on stderr, made safe."""
    click.echo(f"retro: {clean(message)}", err=True)


def report_damage(repo: Repository) -> int:
    """Warn about skipped lines; return the exit code that says so."""
    problems = repo.problems
    for problem in problems[:5]:
        warn(f"warning: {repo.path}: {problem} (skipped)")
    if len(problems) > 5:
        warn(f"warning: {len(problems) - 5} more damaged lines skipped")
    if repo.incomplete_tail:
        warn(f"warning: {repo.path}: the last line is incomplete (skipped)")
    if problems or repo.incomplete_tail:
        warn("run `retro verify` for the full report, `retro compact` to set damaged lines aside")
        return EXIT_DAMAGED
    return 0


def handle_errors(func: F) -> F:
    """Turn expected failures into one clear line on stderr and an exit code, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RetroError as err:
            warn(str(err))
            sys.exit(err.exit_code)
        except KeyboardInterrupt:
            warn("interrupted")
            sys.exit(130)
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except OSError as err:
            warn(f"{err.filename or ''}: {err.strerror or err}".lstrip(": "))
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def need_terminal() -> None:
    """Stop with a usage error unless the app has a terminal (or a browser, through
    ``retro serve``) to run in."""
    served = bool(os.environ.get("TEXTUAL_DRIVER"))
    if not served and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise click.UsageError("the app needs a terminal; use the commands for scripts")


def open_app(
    ctx: click.Context,
    *,
    start: Start,
    sprint: str = "current",
    fmt: str | None = None,
    settings: Settings | None = None,
    name: str | None = None,
    ask_name: bool = False,
) -> None:
    """Run the Textual app (imported only now: the other commands never load it).

    A browser's tab (``retro serve``) runs it with Textual's web driver, which talks over
    pipes, not a terminal.
    """
    need_terminal()
    settings = settings or app_context(ctx).settings
    settings.check()  # a broken config fails here, before the screen is taken over
    settings.prepare_log_folder()
    from retro.tui.app import RetroApp

    app = RetroApp(settings, start=start, sprint=sprint, fmt=fmt, name=name, ask_name=ask_name)
    app.run()
    if app.return_code:
        ctx.exit(app.return_code)


@contextmanager
def progress_bar(paths: Sequence[Path], label: str = "merging") -> Iterator[Callable[[int], None]]:
    """A bar on stderr while ``paths`` are read: shown for large inputs, in a terminal only."""
    total = sum(path.stat().st_size for path in paths if path.is_file())
    shown = total >= PROGRESS_BYTES and sys.stderr.isatty()
    with click.progressbar(length=total, label=label, file=sys.stderr, hidden=not shown) as bar:
        yield bar.update


def emit_chunks(chunks: Iterable[bytes], output: Path | None) -> None:
    """Write ``chunks`` to ``output`` atomically, or to stdout, as they come."""
    if output is None:
        out = sys.stdout.buffer
        for chunk in chunks:
            out.write(chunk)
        out.flush()
    else:
        from retro.fsio import write_atomically

        write_atomically(output, chunks)
        click.echo(f"Wrote {output}", err=True)
