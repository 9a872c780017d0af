"""Work done in another process while this one goes on.

For a part of a command that needs a core of its own and nothing of what the command does
meanwhile: the alike decisions of a large merge are found while the merge is written.
The other process is a fork (it sees this one's memory as it was, and its open files);
its result comes back pickled through a pipe. Where there is no fork, or the other
process fails, the work is done here when its result is asked for. A fork holds what
this one held (its files, and the locks on them) until it is done; this one waits for
it before it leaves, so that is never after the command ends.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def aside(work: Callable[[], T]) -> Callable[[], T]:
    """Start ``work`` in another process; return what waits for its result."""
    if not hasattr(os, "fork"):
        return work
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the other process: do the work, hand it over, leave at once
        code = 1
        try:
            os.close(read_end)
            data = pickle.dumps(work())
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)

    def result() -> T:
        with os.fdopen(read_end, "rb") as stream:
            data = stream.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not data:
            return work()
        found: T = pickle.loads(data)  # noqa: S301 - from our own process, through our own pipe
        return found

    return result
