"""``retro serve``: the page, its websocket and downloads only with the link's token."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiohttp import WSServerHandshakeError
from aiohttp.test_utils import TestClient, TestServer

from retro.serve import TokenServer, is_loopback, new_token

STAND_IN = f"{sys.executable} -c 'import sys; sys.stdin.read()'"  # a process per tab


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def client_of(server: TokenServer) -> TestClient:
    client = TestClient(TestServer(await server._make_app()))
    await client.start_server()
    return client


async def test_without_the_token_everything_is_refused() -> None:
    token = new_token()
    client = await client_of(TokenServer(STAND_IN, token=token, public_url="http://x:1"))
    try:
        for path in ("/", "/?token=wrong", f"/?token={token[:-1]}", "/ws", "/ws/wrong",
                     "/download/anything", f"/download/x?token={token}x"):  # fmt: skip
            response = await client.get(path)
            assert response.status == 403, path
            assert token not in await response.text()
        with pytest.raises(WSServerHandshakeError) as refused:
            await client.ws_connect("/ws/wrong?width=80&height=24")
        assert refused.value.status == 403
    finally:
        await client.close()


async def test_with_the_token_the_page_and_its_websocket_open() -> None:
    token = new_token()
    client = await client_of(TokenServer(STAND_IN, token=token, public_url="http://x:1"))
    try:
        page = await client.get(f"/?token={token}")
        assert page.status == 200
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert page.headers["Cache-Control"] == "no-store"
        assert f"ws://x:1/ws/{token}" in await page.text()
        socket_ = await client.ws_connect(f"/ws/{token}?width=80&height=24")
        await socket_.close()
        assert (await client.get("/static/css/xterm.css")).status != 403  # the same for all
    finally:
        await client.close()


async def test_a_tab_cannot_ask_for_a_screen_of_any_size() -> None:
    """A page could ask its process to draw a huge screen: refused at the start, held to
    the most on a resize."""
    token = new_token()
    client = await client_of(TokenServer(STAND_IN, token=token, public_url="http://x:1"))
    try:
        with pytest.raises(WSServerHandshakeError) as refused:
            await client.ws_connect(f"/ws/{token}?width=100000&height=24")
        assert refused.value.status == 400
        socket_ = await client.ws_connect(f"/ws/{token}?width=1000&height=400")  # the most
        await socket_.send_json(["resize", {"width": 100000, "height": "x"}])  # held, no harm
        await socket_.send_json(["ping", "still here"])
        assert (await socket_.receive_json(timeout=10)) == ["pong", "still here"]
        await socket_.close()
    finally:
        await client.close()


def test_a_link_carries_at_least_128_bits() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100 and all(len(token) >= 43 for token in tokens)  # 32 bytes
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")


def serve(tmp_path: Path, *options: str) -> subprocess.Popen[str]:
    env = {**os.environ, "RETRO_LOG": str(tmp_path / "log.jsonl")}
    return subprocess.Popen([sys.executable, "-m", "retro", "serve", *options], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def test_serve_prints_the_link_and_warns_off_this_machine(tmp_path: Path) -> None:
    port = free_port()
    started = serve(tmp_path, "--host", "0.0.0.0", "--port", str(port))
    try:
        assert started.stdout is not None
        link = started.stdout.readline().strip()
        assert f":{port}/?token=" in link and len(link.split("token=")[1]) >= 43
    finally:
        started.terminate()
        _, errors = started.communicate(timeout=10)
    assert "reachable from other machines" in errors and "Traceback" not in errors


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        began = time.monotonic()
        done = serve(tmp_path, "--port", str(port))
        out, errors = done.communicate(timeout=30)
    assert done.returncode == 1 and out == "" and time.monotonic() - began < 30
    assert errors.strip() == f"retro: port {port} is in use: choose another with --port"
