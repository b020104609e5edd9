"""The command line's exit codes, in one place, and its one error type.

0 every verdict proved (or: the command did what it was asked), 1 some
property violated (or, with --expect, some verdict drifted from its pin),
2 usage or model error, 3 inconclusive and nothing violated."""
from __future__ import annotations

import os
from typing import Iterable

from ppverify.proofs.core.verdicts import Inconclusive, Result, Violated

OK, VIOLATED, USAGE, INCONCLUSIVE = 0, 1, 2, 3
DRIFT = VIOLATED   # --expect: a verdict differs from its pin
INTERRUPTED = 130  # Ctrl-C or SIGTERM, as shells report a SIGINT


class Interrupted(KeyboardInterrupt):
    """SIGTERM, raised where the program is so that worker pools and open
    files are cleaned up on the way out, as for Ctrl-C."""


def interrupt_handler():
    """The CLI's SIGTERM handler, for the process installing it. A worker
    forked before its initializer replaced the handler (`analyses.pool`)
    inherits it: there it exits at once and quietly, as an initialized worker
    would, instead of printing an interrupt's traceback from inside
    multiprocessing (seen on a loaded machine)."""
    main = os.getpid()

    def handle(signum, frame):
        if os.getpid() != main:
            os._exit(128 + signum)
        raise Interrupted()
    return handle


class UsageError(Exception):
    """Bad options or input files; printed as `ppverify: error: ...`, exit 2."""


def for_results(results: Iterable[Result]) -> int:
    verdicts = [r.verdict for r in results]
    if any(isinstance(v, Violated) for v in verdicts):
        return VIOLATED
    return INCONCLUSIVE if any(isinstance(v, Inconclusive) for v in verdicts) else OK
