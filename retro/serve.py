"""The app in browsers: textual-serve, behind a secret token.

Each browser tab gets its own process running the command given (``retro join`` on the
team's log): the browser sends keys and sizes, never a command. Without the token, the
page, its websocket and downloads are refused (403); only textual-serve's own scripts,
styles and fonts (the same for everyone, nothing of the log) are served to anyone.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

TOKEN_BYTES = 32  # 256 bits: the link is the only key to the room
MAX_SESSIONS = 40  # browser tabs served at once (each is a process)
MAX_COLUMNS, MAX_ROWS = 1000, 400  # the largest screen a tab may ask its process to draw


def new_token() -> str:
    """A fresh secret for a link (URL-safe)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_loopback(host: str) -> bool:
    """True when ``host`` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class TokenServer(Server):
    """textual-serve refusing the page, its websocket and downloads without the token."""

    def __init__(self, command: str, *, token: str, **options: Any) -> None:
        super().__init__(command, **options)
        self.token = token
        self.sessions = 0

    def link(self) -> str:
        """The address to share: the page, with its token."""
        return f"{self.public_url}/?token={self.token}"

    def allowed(self, request: web.Request) -> bool:
        given = request.match_info.get("token") or request.query.get("token", "")
        return hmac.compare_digest(given.encode(), self.token.encode())

    @web.middleware
    async def guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/static/") or self.allowed(request):
            return await handler(request)
        raise web.HTTPForbidden(text="retro: this link needs its token\n")

    @staticmethod
    async def private(request: web.Request, response: web.StreamResponse) -> None:
        """Keep the token out of referrers and caches."""
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.router.add_get("/ws/{token}", self.handle_websocket, name="session")
        app.middlewares.append(self.guard)
        app.on_response_prepare.append(self.private)
        return app

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        """textual-serve's page, its websocket address carrying the token in its path (the
        page adds the terminal's size as a query of its own)."""
        page = Server.handle_index.__wrapped__  # type: ignore[attr-defined]  # the undecorated page
        context: dict[str, Any] = await page(self, request)
        path = request.app.router["session"].url_for(token=self.token)
        scheme = "wss" if self.public_url.startswith("https") else "ws"
        context["app_websocket_url"] = f"{scheme}:{self.public_url.split(':', 1)[1]}{path}"
        return context

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One browser tab: its own process, up to :data:`MAX_SESSIONS` at once."""
        if self.sessions >= MAX_SESSIONS:
            raise web.HTTPServiceUnavailable(text="retro: too many people in the room\n")
        sizes = (to_int(request.query.get(key, "1"), 1) for key in ("width", "height"))
        if any(size > most for size, most in zip(sizes, (MAX_COLUMNS, MAX_ROWS), strict=True)):
            raise web.HTTPBadRequest(text="retro: a screen that large is not drawn\n")
        self.sessions += 1
        try:
            return await super().handle_websocket(request)
        finally:
            self.sessions -= 1

    async def _process_messages(self, websocket: web.WebSocketResponse,
                                app_service: AppService) -> None:  # fmt: skip
        """The tab's messages, its resizes held to :data:`MAX_COLUMNS` × :data:`MAX_ROWS`
        (a page could ask its process to draw a screen of any size)."""
        resize = app_service.set_terminal_size

        async def held(width: Any, height: Any) -> None:
            await resize(min(to_int(str(width), 80), MAX_COLUMNS),
                         min(to_int(str(height), 24), MAX_ROWS))  # fmt: skip

        app_service.set_terminal_size = held  # type: ignore[method-assign]
        await super()._process_messages(websocket, app_service)

    def initialize_logging(self) -> None:
        """Warnings only: the access log would print every link, token and all."""
        logging.basicConfig(level=logging.WARNING, format="retro serve: %(message)s")
        logging.getLogger("aiohttp.access").setLevel(logging.ERROR)

    async def on_startup(self, app: web.Application) -> None:
        """Print nothing: the command prints the link."""
