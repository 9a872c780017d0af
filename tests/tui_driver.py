"""Run the real app in this process, start a retro, record two outputs, then wait to be killed.

Used by the resume-after-kill test: ``python tests/tui_driver.py CONFIG``.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from retro.config import Settings
from retro.tui.app import RetroApp


async def main(config: Path) -> None:
    app = RetroApp(Settings(config_file=config), poll=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("s")
        await pilot.pause(0.3)
        await pilot.press("pagedown")
        await pilot.pause(0.3)
        for text in ("Shipped one-click refunds", "Shipped the dispute dashboard"):
            await pilot.press(*[("space" if ch == " " else ch) for ch in text])
            await pilot.press("enter")
            await pilot.pause(0.1)
        await pilot.press("pagedown")
        await pilot.pause(0.3)
        await pilot.press(*"half typed")  # not saved: nothing was submitted
        print("READY", type(app.screen).__name__, flush=True)
        await asyncio.sleep(120)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
