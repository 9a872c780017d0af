"""The log: its journal file, the snapshot derived from it, and the repository API.

``Repository`` is imported on first use, so that a check-in (``store.writer``) never
loads TinyDB.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from retro.store.repository import Repository

__all__ = ["Repository"]


def __getattr__(name: str) -> Any:
    if name == "Repository":
        from retro.store.repository import Repository

        return Repository
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
