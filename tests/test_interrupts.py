"""An interrupted parallel check ends its workers, and a worker whose parent
died exits: nothing keeps running after the command is gone."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# a long parallel check: two threat models, each far from its state limit
LONG = ["check", "--quiet", "--jobs", "2", "--threat", "meta-insider", "--threat", "network",
        "--max-states", "1000000", "--property", "request-secrecy"]
CODE = "import sys; from ppverify.proofs.cli.main import main; sys.exit(main(sys.argv[1:]))"


def _children(pid: int) -> set[int]:
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(stat.parent.name))
    return out


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for p in pids:
        try:
            state = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(p)
    return alive


def _wait_for(cond, seconds: float) -> bool:
    """Poll `cond` (a liveness wait, not a speed assertion)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


def _start():
    proc = subprocess.Popen([sys.executable, "-c", CODE, *LONG], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    workers: set[int] = set()

    def two_workers():
        workers.update(_children(proc.pid))
        return len(_alive(workers)) >= 2
    assert _wait_for(two_workers, 60), "the parallel check never started its workers"
    time.sleep(0.5)   # let them enter their searches
    return proc, workers


pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_ends_the_workers(sig):
    proc, workers = _start()
    proc.send_signal(sig)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr.read(), "an interrupt is not an internal error"
    assert _wait_for(lambda: not _alive(workers), 30), f"workers {sorted(_alive(workers))} outlived the command"


def test_workers_exit_when_the_parent_is_killed():
    proc, workers = _start()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert _wait_for(lambda: not _alive(workers), 30), f"workers {sorted(_alive(workers))} outlived their parent"
