"""`ppverify mutate` and `ppverify lattice` timings. Prints figures: wall time,
CPU time of this process and its workers (the figure that does not depend on
what else the machine runs), the machine's load, checks run and skipped,
attacks found, per baseline and for both together (the target: both baselines,
the hardened one's derivation included, in 30 s with 2 jobs on 2 cores).

    python bench/bench_mutate.py                 # both baselines, 2 jobs, the default state limits
    python bench/bench_mutate.py --each          # also each baseline alone
    python bench/bench_mutate.py --lattice       # also the full lattice at its default state limit
"""
import os
import resource
import sys
import time

from machine import describe
from ppverify.proofs.analyses.lattice import run_lattice
from ppverify.proofs.analyses.mutate import BASELINES, run_baselines

TARGET = 30.0


def _cpu() -> float:
    """User + system seconds of this process and of its finished workers."""
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def _load() -> str:
    return "load %.2f %.2f %.2f" % os.getloadavg()


def bench_mutate(names, jobs: int) -> float:
    before = _load()
    t, c = time.perf_counter(), _cpu()
    reps = run_baselines(names, jobs=jobs)
    dt, cpu = time.perf_counter() - t, _cpu() - c
    for rep in reps:
        attacks = sum(len(a) for a in rep.attacks.values())
        unconfirmed = sum(1 for a in rep.attacks.values() for s in a if not s.stopped_on_baseline)
        derived = f", derived {rep.change.label}" if rep.derivation is not None else ""
        print(f"  {rep.name}{derived}: {rep.seconds:6.1f}s, {rep.ran} mutant checks, {len(rep.skipped)} skipped, "
              f"{attacks} attacks ({unconfirmed} also run on the baseline), {len(rep.silent())} mutations "
              f"break nothing", flush=True)
    print(f"mutate {'+'.join(names)} jobs={jobs} (mutants {reps[0].max_states}, baselines "
          f"{reps[0].baseline_states} states): {dt:7.1f}s wall, {cpu:7.1f}s CPU (target {TARGET:.0f}s wall: "
          f"{'met' if dt <= TARGET else 'missed'}); {before} before, {_load()} after", flush=True)
    return dt


def bench_lattice(jobs: int) -> None:
    before = _load()
    t = time.perf_counter()
    rep = run_lattice(jobs=jobs)
    dt = time.perf_counter() - t
    print(f"lattice max_states={rep.max_states:6d} jobs={jobs}: {dt:7.1f}s wall (target 120 s: "
          f"{'met' if dt <= 120 else 'missed'}), {rep.explored} coalitions explored, {rep.saved_coalitions} never "
          f"explored, {rep.saved} verdicts carried, {rep.unbounded} asked of the unbounded engine, "
          f"{rep.every_size()} verdicts proved for every size, {len(rep.inconclusive())} coalitions with an "
          f"inconclusive cell (target 0); {before} before, {_load()} after", flush=True)


if __name__ == "__main__":
    print(describe(), flush=True)
    bench_mutate(BASELINES, 2)
    if "--each" in sys.argv:
        for name in BASELINES:
            bench_mutate((name,), 2)
    if "--lattice" in sys.argv:
        bench_lattice(2)
