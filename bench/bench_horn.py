"""The horn engine's time beside the explorer's, per threat model and design
(the published binder and binder=handshake-key), with what each settled.
Horn: the unbounded grounding, its fixpoint and the z3 invariant check
(candidates not confirmed here); explore: the default check's search.
Each measurement runs in a fresh process (term tables start cold for both).
Prints figures and the machine's load; asserts nothing.
Run: python bench/bench_horn.py [THREAT ...]"""
import multiprocessing
import os
import resource
import sys
import time

from ppverify.proofs.analyses.check import check_threat
from ppverify.proofs.core.verdicts import Proved, Violated
from ppverify.proofs.engines.horn.engine import Candidate, Settled, horn_outcomes
from ppverify.proofs.pp.model import symbolic_model
from ppverify.proofs.pp.system import PPSystem
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
from ppverify.protocol.controls import STATED_THREATS, scenario


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _horn(sc):
    c0 = _cpu()
    outcomes, _ = horn_outcomes(PPSystem(symbolic_model(sc)), PROPERTY_NAMES)
    return (_cpu() - c0, sum(isinstance(o, Settled) for o in outcomes.values()),
            sum(isinstance(o, Candidate) for o in outcomes.values()), _peak())


def _explore(sc):
    c0 = _cpu()
    ex = check_threat(sc, PROPERTY_NAMES)
    return (_cpu() - c0, sum(isinstance(r.verdict, Proved) for r in ex),
            sum(isinstance(r.verdict, Violated) for r in ex), _peak())


def _peak() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _fresh(fn, sc):
    with multiprocessing.get_context("fork").Pool(1) as pool:
        return pool.apply(fn, (sc,))


def main(threats) -> None:
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'design':<22}{'threat':<22}{'horn s':>8}{'proved':>8}{'cand.':>7}{'explore s':>11}{'proved':>8}"
          f"{'violated':>9}")
    for design, params in (("published", []), ("binder=handshake-key", ["binder=handshake-key"])):
        for t in threats:
            sc = scenario(t, [], params)
            hs, hp, hc, hm = _fresh(_horn, sc)
            es, ep, ev, em = _fresh(_explore, sc)
            print(f"{design:<22}{t:<22}{hs:>8.2f}{hp:>8}{hc:>7}{es:>11.2f}{ep:>8}{ev:>9}"
                  f"   peak MB horn {hm:.0f} explore {em:.0f}", flush=True)
    print("CPU seconds per threat model, each in its own process")


if __name__ == "__main__":
    start = time.perf_counter()
    main(tuple(sys.argv[1:]) or STATED_THREATS)
    print(f"wall {time.perf_counter() - start:.1f}s")
