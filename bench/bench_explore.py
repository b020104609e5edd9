"""Explicit-state explorer: per threat model of the default scenario (all the
catalogue's monitors, 20,000 states), the states, transitions, states per
second (best of N runs: other work shares the machine), bytes per state
(peak traced memory / states, in a separate traced run) and the peak RSS of a
fresh process; then the default `ppverify check`'s wall time and peak RSS.
Prints figures and the machine's load.

    python bench/bench_explore.py                      # every stated threat, then the default check
    python bench/bench_explore.py meta-insider         # some threats only
    python bench/bench_explore.py --runs 1 --no-check  # quicker
    python bench/bench_explore.py --sessions           # also network at 1 and 2 sessions
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc

from ppverify.models.scenario import Bounds
from ppverify.proofs.engines.explore import explore
from ppverify.proofs.pp.model import symbolic_model
from ppverify.proofs.pp.system import PPSystem
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
from ppverify.protocol.controls import STATED_THREATS, scenario


def one(threat: str, sessions: int, max_states: int, traced: bool) -> dict:
    """One exploration in this (fresh) process: a run's figures."""
    bounds = Bounds() if sessions == 0 else Bounds(sessions=sessions)
    if traced:
        tracemalloc.start()
    t = time.perf_counter()
    m = symbolic_model(scenario(threat, bounds=bounds))
    ex = explore(PPSystem(m), PROPERTY_NAMES, max_states=max_states)
    dt = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    return {"states": ex.stats["states"], "transitions": ex.stats["transitions"], "seconds": dt,
            "exhaustive": ex.exhaustive, "depth": ex.depth, "traced_peak": peak,
            "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


def _child(threat: str, sessions: int, max_states: int, traced: bool) -> dict:
    """`one` in a fresh process, so that memos and peak RSS start from nothing."""
    cmd = [sys.executable, __file__, "--one", threat, "--sessions-of", str(sessions),
           "--max-states", str(max_states)] + (["--traced"] if traced else [])
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def bench(threat: str, sessions: int, max_states: int, runs: int) -> None:
    timed = [_child(threat, sessions, max_states, False) for _ in range(runs)]
    best = min(timed, key=lambda r: r["seconds"])
    mem = _child(threat, sessions, max_states, True)
    n = best["states"]
    label = threat + (f" sessions={sessions}" if sessions else "")
    print(f"{label:>32}: {n:6d} states {best['transitions']:7d} transitions {best['seconds']:7.2f}s "
          f"{n / best['seconds']:7.0f} states/s {mem['traced_peak'] / n:7.0f} B/state (traced) "
          f"peak RSS {best['rss_kb'] / 1024:6.1f} MB exhaustive={best['exhaustive']} depth={best['depth']}",
          flush=True)


def default_check(runs: int) -> None:
    """`ppverify check` (every stated threat, the default scenario): best wall time, peak RSS."""
    out = os.path.join(tempfile.mkdtemp(), "check.json")
    best = None
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "ppverify.proofs.cli.main", "check", "--format",
                                 "json", "--output", out], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        dt = time.perf_counter() - t
        if best is None or dt < best[0]:
            best = (dt, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
    print(f"{'default check':>32}: {best[0]:7.2f}s wall (best of {runs}), peak RSS {best[1] / 1024:6.1f} MB, "
          f"exit {best[2]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("threats", nargs="*")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--max-states", type=int, default=20_000)
    ap.add_argument("--no-check", action="store_true")
    ap.add_argument("--sessions", action="store_true")
    ap.add_argument("--one")
    ap.add_argument("--sessions-of", type=int, default=0)
    ap.add_argument("--traced", action="store_true")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.sessions_of, args.max_states, args.traced)))
        return
    print("load:", os.getloadavg(), flush=True)
    for th in args.threats or list(STATED_THREATS):
        bench(th, 0, args.max_states, args.runs)
    if args.sessions:
        for s in (1, 2):
            bench("network", s, args.max_states, args.runs)
    if not args.no_check:
        default_check(args.runs)
    print("load:", os.getloadavg())


if __name__ == "__main__":
    main()
