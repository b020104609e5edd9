"""`ppverify mutate` and `ppverify lattice` timings. Prints figures: wall time,
CPU time of this process and its workers (the figure that does not depend on
what else the machine runs), checks run and skipped, attacks found, per state
limit and number of jobs.

    python bench/bench_mutate.py                 # mutate at 2000 and 5000 (the default) states, 2 jobs
                                                 # (the published design at 20,000 either way)
    python bench/bench_mutate.py --lattice       # also the full lattice at 2000 states
"""
import resource
import sys
import time

from ppverify.proofs.analyses.lattice import run_lattice
from ppverify.proofs.analyses.mutate import run_mutate


def _cpu() -> float:
    """User + system seconds of this process and of its finished workers."""
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def bench_mutate(max_states: int, jobs: int) -> None:
    t, c = time.perf_counter(), _cpu()
    rep = run_mutate(max_states=max_states, jobs=jobs)
    dt, cpu = time.perf_counter() - t, _cpu() - c
    attacks = sum(len(a) for a in rep.attacks.values())
    unconfirmed = sum(1 for a in rep.attacks.values() for s in a if not s.stopped_on_baseline)
    print(f"mutate max_states={max_states:6d} (published design {rep.baseline_states}) jobs={jobs}: "
          f"{dt:7.1f}s wall, {cpu:7.1f}s CPU, {rep.ran} checks run, "
          f"{len(rep.skipped)} skipped, {attacks} attacks ({unconfirmed} also run on the published design), "
          f"{len(rep.silent())} mutations break nothing", flush=True)


def bench_lattice(max_states: int, jobs: int) -> None:
    t = time.perf_counter()
    rep = run_lattice(max_states=max_states, jobs=jobs)
    dt = time.perf_counter() - t
    print(f"lattice max_states={max_states:6d} jobs={jobs}: {dt:7.1f}s wall, {rep.explored} coalitions "
          f"explored, {rep.saved_coalitions} never explored, {rep.saved} verdicts carried", flush=True)


if __name__ == "__main__":
    for n in (2000, 5000):
        bench_mutate(n, 2)
    if "--lattice" in sys.argv:
        bench_lattice(2000, 2)
