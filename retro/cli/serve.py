"""``retro serve``: the team's live retro in browsers, one participant process per tab."""

from __future__ import annotations

import errno
import shlex
import socket
import sys
from pathlib import Path

import click

from retro.cli.context import app_context, handle_errors, warn
from retro.errors import RetroError


def _check_port(host: str, port: int) -> None:
    """Fail in one line when the address cannot be served (before anything is printed)."""
    try:
        with socket.create_server((host, port), reuse_port=False):
            pass
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise RetroError(f"port {port} is in use: choose another with --port") from err
        raise RetroError(f"cannot serve on {host}:{port}: {err.strerror}") from err


def tab_command(log: Path, team: str) -> list[str]:
    """The command each browser tab runs: a participant of ``team``'s retro on ``log``."""
    return [sys.executable, "-m", "retro", "--log", str(log.resolve()), "--team", team,
            "join", "--browser"]  # fmt: skip


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on (this machine only, unless told otherwise).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
              help="The port to listen on.")
@click.option("--public-url", metavar="URL",
              help="The address people reach it by (e.g. https://… behind a TLS proxy).")
@click.pass_context
@handle_errors
def serve(ctx: click.Context, host: str, port: int, public_url: str | None) -> None:
    """Serve the team's retro to browsers: prints a link, with its secret token, to share."""
    from retro.serve import TokenServer, is_loopback, new_token

    settings = app_context(ctx).settings
    _check_port(host, port)
    command = shlex.join(tab_command(settings.log, settings.team))
    shown_host = socket.getfqdn() if host in ("0.0.0.0", "::") else host
    shown_host = f"[{shown_host}]" if ":" in shown_host else shown_host  # an IPv6 address
    server = TokenServer(command, token=new_token(), host=host, port=port,
                         title=f"retro · {settings.team}",
                         public_url=public_url or f"http://{shown_host}:{port}")  # fmt: skip
    if not is_loopback(host):
        warn(f"warning: serving on {host}, reachable from other machines without TLS; "
             "prefer an SSH tunnel or a TLS proxy (see the README)")  # fmt: skip
    click.echo(server.link())
    warn("Share the link like a password: whoever has it joins the retro. Ctrl+C stops.")
    server.serve()
