"""Worker processes that end with their parent.

`check --jobs`, `mutate` and `lattice` fan scenarios out to processes. An
interrupt (Ctrl-C, SIGTERM) in the parent must end them too, and a worker
whose parent died (killed with SIGKILL, say) must not run on for minutes:

- workers ignore SIGINT, so Ctrl-C reaches the parent only, which then
  terminates them (`workers` below, on any exception leaving the block),
  and die quietly of SIGTERM;
- on Linux a worker asks the kernel for SIGTERM when its parent dies
  (`PR_SET_PDEATHSIG`); elsewhere, and as a second line, a watchdog thread
  exits the worker once its parent's pid changes.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Iterator

_PR_SET_PDEATHSIG = 1
_WATCH_SECONDS = 1.0


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_WATCH_SECONDS)
    os._exit(1)   # the parent is gone: nobody will read this worker's result


def _init_worker(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)   # a forked worker inherits the CLI's handler
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))
    if os.getppid() != parent:   # died before the request above took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


@contextlib.contextmanager
def workers(n: int) -> Iterator[ProcessPoolExecutor]:
    """A process pool of `n` workers. Leaving the block normally waits for
    them; leaving it by an exception (an interrupt included) cancels what is
    queued and terminates the workers before the exception goes on."""
    pool = ProcessPoolExecutor(max_workers=n, initializer=_init_worker, initargs=(os.getpid(),))
    try:
        yield pool
    except BaseException:
        terminate(pool)
        raise
    pool.shutdown(wait=True)


def terminate(pool: ProcessPoolExecutor) -> None:
    """Cancel queued work and end every worker now."""
    procs = list((getattr(pool, "_processes", None) or {}).values())  # the executor keeps no public handle
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        with contextlib.suppress(Exception):
            p.terminate()
    for p in procs:
        with contextlib.suppress(Exception):
            p.join(timeout=5)
