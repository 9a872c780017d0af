"""The log: its journal file, the TinyDB storage over it, and the repository API."""

from retro.store.repository import Repository

__all__ = ["Repository"]
