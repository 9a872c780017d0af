"""Several real app processes on one log, each driven by ``live_driver.py``.

A test starts them with the ``live`` fixture (conftest.py) and talks to each through a
:class:`Driven`: every answer is awaited with a time limit, so a hung app fails the test
instead of hanging the run, and whatever is still running at the end is killed.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, NoReturn

DRIVER = Path(__file__).with_name("live_driver.py")
ROOT = DRIVER.parent.parent
START_SECONDS = 60.0  # until an app process is up: generous, for busy machines
ANSWER_SECONDS = 30.0  # for an answer, beyond the wait the command itself asks for


class DriverError(AssertionError):
    """A driven app failed, hung or answered no."""


def driver_command(log: Path, team: str, start: str, *, name: str | None = None,
                   size: str = "110x36", extra: Sequence[str] = ()) -> list[str]:  # fmt: skip
    """The command line of one driven app (``extra``: more of the driver's options)."""
    named = ["--name", name] if name else []
    return [sys.executable, str(DRIVER), "--log", str(log), "--team", team, "--start", start,
            *named, "--size", size, *extra]  # fmt: skip


def driver_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a driven app: ``env`` (default: this process's), with this
    checkout's ``retro`` first on the path."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


class Driven:
    """One app process under ``live_driver.py``."""

    def __init__(self, command: Sequence[str], env: dict[str, str], errors: Path) -> None:
        self.command = list(command)
        self.errors = errors  # the process's stderr (a file: a full pipe would block it)
        with open(errors, "wb") as stream:
            self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=stream, env=env, text=True)  # fmt: skip
        self._answers: queue.Queue[str] = queue.Queue()
        assert self.proc.stdout is not None
        threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True).start()
        ready = self._answer(START_SECONDS)
        if not ready.get("ready"):
            self.fail(f"did not start: {ready}")
        self.pid: int = ready["pid"]

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._answers.put(line)
        self._answers.put("")  # the end of the output: the process has gone

    def _answer(self, timeout: float) -> dict[str, Any]:
        try:
            line = self._answers.get(timeout=timeout)
        except queue.Empty:
            self.fail(f"no answer within {timeout:g} s")
        if not line:
            self.proc.wait(10)
            self.fail(f"ended (exit status {self.proc.returncode})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def fail(self, why: str) -> NoReturn:
        """Kill the process and fail, saying why and what it wrote on stderr."""
        self.kill()
        tail = self.errors.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise DriverError(f"{' '.join(self.command[1:])}: {why}\n{tail}")

    def send(self, command: dict[str, Any], seconds: float = 0.0) -> dict[str, Any]:
        """Send one command and return its answer (``seconds``: how long it may take)."""
        if self.proc.poll() is not None:
            self.fail(f"has ended (exit status {self.proc.returncode})")
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(command) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            self.fail("stopped reading its commands")
        return self._answer(seconds + ANSWER_SECONDS)

    def ask(self, command: dict[str, Any], seconds: float = 0.0) -> dict[str, Any]:
        """:meth:`send`, failing when the answer is not ok."""
        answer = self.send(command, seconds)
        if not answer.get("ok"):
            shown = answer.pop("text", "")
            raise DriverError(f"{command} failed: {answer}\non the screen:\n{shown}")
        return answer

    def press(self, *keys: str) -> None:
        self.ask({"press": list(keys)})

    def type(self, text: str) -> None:
        self.ask({"type": text})

    def wait(self, *texts: str, timeout: float = 10.0) -> float:
        """Until the screen shows every one of ``texts``; when it did (``time.time()``)."""
        at: float = self.ask({"wait": list(texts), "timeout": timeout}, timeout)["at"]
        return at

    def wait_not(self, *texts: str, timeout: float = 10.0) -> float:
        """Until the screen shows none of ``texts``; when it did (``time.time()``)."""
        at: float = self.ask({"wait_not": list(texts), "timeout": timeout}, timeout)["at"]
        return at

    def text(self) -> str:
        """What the screen shows, line by line."""
        shown: str = self.ask({"text": True})["text"]
        return shown

    def peak_bytes(self) -> int:
        """The process's peak resident memory so far, in bytes."""
        peak: int = self.ask({"peak": True})["bytes"]
        return peak

    def quit(self, timeout: float = ANSWER_SECONDS) -> int:
        """Leave the app and wait for the process to end; its exit status."""
        self.ask({"quit": True})
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.fail(f"did not end within {timeout:g} s of quitting")

    def kill(self) -> None:
        """Stop the process at once (SIGKILL), as a closed terminal or a crash would."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()

    @property
    def running(self) -> bool:
        return self.proc.poll() is None


class Apps:
    """The app processes of one test, on one log; :meth:`close` kills those still running."""

    def __init__(self, log: Path, team: str, folder: Path) -> None:
        self.log, self.team, self.folder = log, team, folder
        self.started: list[Driven] = []

    def start(self, start: str, *, name: str | None = None, size: str = "110x36",
              extra: Sequence[str] = (), env: dict[str, str] | None = None) -> Driven:  # fmt: skip
        """Start an app (``start``: run, home, join...) on the log and wait until it runs."""
        command = driver_command(self.log, self.team, start, name=name, size=size, extra=extra)
        errors = self.folder / f"app-{len(self.started)}.err"
        driven = Driven(command, driver_env(env), errors)
        self.started.append(driven)
        return driven

    def close(self) -> None:
        for driven in self.started:
            driven.kill()
