"""Files shipped with retro: themes, formats and sample data, from a wheel or a checkout."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent
_PACKAGES = {"formats": "format_files"}  # retro.formats is the module that reads them


def resource_dir(name: str) -> Path:
    """The folder of ``themes``, ``formats`` or ``sample_data``.

    In a wheel they are the packages ``retro.themes``, ``retro.format_files`` and
    ``retro.sample_data``; in a checkout they sit beside the ``retro`` package.
    """
    try:
        spec = importlib.util.find_spec(f"retro.{_PACKAGES.get(name, name)}")
    except ModuleNotFoundError:
        spec = None
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return _CHECKOUT / name


def sample_logs() -> list[Path]:
    """The sample team logs, sorted by name."""
    return sorted(resource_dir("sample_data").glob("*.jsonl"))
