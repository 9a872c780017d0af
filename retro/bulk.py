"""Building many objects at once, without the cyclic garbage collector in the way."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused(*, freeze: bool = False) -> Iterator[None]:
    """Hold off cyclic garbage collection while a log's events are built.

    Events are trees of dicts and lists with no cycles, so reference counting frees
    them; left on, the collector would traverse every one of them again and again
    as their number grows (a fifth of the time of reading a large log). Reference
    counting goes on as usual; the collector resumes on leaving, unless it was off.

    With ``freeze``, everything alive on leaving is moved out of the collector's
    sight for good (:func:`gc.freeze`): a process that keeps a large log in memory
    then never stops to traverse it again.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()
