"""The default `check`'s cost per threat model: the `auto` engine (horn first,
within its step budget, then the explorer for what it leaves) beside the
explorer alone, with how many cells each settled and how many got stronger.
Each measurement runs in a fresh process (term tables start cold for both).
Prints CPU seconds, peak memory and the machine's load; asserts nothing.
Run: python bench/bench_auto.py [THREAT ...]"""
import multiprocessing
import os
import resource
import sys
import time

from ppverify.proofs.analyses.check import check_threat
from ppverify.proofs.core.verdicts import standing
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
from ppverify.protocol.controls import STATED_THREATS, scenario

ORDER = ("inconclusive", "no attack within a depth; not proved", "proved for every run of its scenario",
         "proved for every run of every size", "violated")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _run(threat: str, engine: str):
    c0 = _cpu()
    rs = check_threat(scenario(threat), PROPERTY_NAMES, engine=engine)
    horn = sum(r.verdict.engine == "horn" for r in rs)
    return (_cpu() - c0, [standing(r.verdict).value for r in rs], horn,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _fresh(threat: str, engine: str):
    with multiprocessing.get_context("fork").Pool(1) as pool:
        return pool.apply(_run, (threat, engine))


def main(threats) -> None:
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'threat':<22}{'explore s':>10}{'auto s':>8}{'horn cells':>11}{'stronger':>9}{'weaker':>7}"
          f"{'peak MB explore':>16}{'auto':>6}")
    total = [0.0, 0.0]
    for t in threats:
        es, ev, _, em = _fresh(t, "explore")
        as_, av, horn, am = _fresh(t, "auto")
        up = sum(ORDER.index(a) > ORDER.index(e) for a, e in zip(av, ev))
        down = sum(ORDER.index(a) < ORDER.index(e) for a, e in zip(av, ev))
        total[0] += es
        total[1] += as_
        print(f"{t:<22}{es:>10.2f}{as_:>8.2f}{horn:>11}{up:>9}{down:>7}{em:>16.0f}{am:>6.0f}", flush=True)
    print(f"{'total':<22}{total[0]:>10.2f}{total[1]:>8.2f}")
    print("CPU seconds per threat model, each in its own process; horn cells: verdicts the unbounded engine "
          "gave; stronger/weaker: cells whose strength auto changed against the explorer alone")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    start = time.perf_counter()
    main(tuple(sys.argv[1:]) or STATED_THREATS)
    print(f"wall {time.perf_counter() - start:.1f}s")
