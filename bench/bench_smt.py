"""SMT engine against the explorer: time against the unrolling bound and
against the number of sessions, over several z3 seeds, so the growth of cost
is visible. Prints figures; asserts nothing.

    python bench/bench_smt.py [THREAT]        (default: cdn)
    python bench/bench_smt.py --matrix        per threat model of the default matrix, both engines
    python bench/bench_smt.py --deep          scenarios the explorer does not finish (2 clients,
                                              2 CVMs): explorer at 20,000 states, SMT in rounds
"""
import resource
import sys
import time

from ppverify.models.scenario import Bounds
from ppverify.proofs.analyses.check import smt_verdicts
from ppverify.proofs.pp.model import symbolic_model
from ppverify.proofs.engines.explore import explore
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
from ppverify.proofs.pp.system import PPSystem
from ppverify.protocol.controls import scenario


def smt(threat: str, bounds: Bounds, bound: int, seed: int, timeout: float = 120.0,
        rounds: bool = False) -> str:
    system = PPSystem(symbolic_model(scenario(threat, bounds=bounds)))
    t = time.perf_counter()
    res = smt_verdicts(system, PROPERTY_NAMES, threat, {}, bound, 2, timeout=timeout, seed=seed, rounds=rounds)
    dt = time.perf_counter() - t
    kinds = [r.verdict.verdict for r in res]
    unbounded = sum(1 for r in res if r.verdict.verdict == "proved" and r.verdict.exhaustive)
    x = res[0].extra
    return (f"{dt:7.2f}s  ground {x.get('transitions', '-')} transitions, complete={x.get('complete')}, "
            f"{kinds.count('violated')} violated {kinds.count('proved')} proved ({unbounded} exhaustive "
            f"or unbounded) {kinds.count('inconclusive')} inconclusive")


def explorer(threat: str, bounds: Bounds, max_states: int = 20_000) -> str:
    m = symbolic_model(scenario(threat, bounds=bounds))
    t = time.perf_counter()
    ex = explore(PPSystem(m), PROPERTY_NAMES, max_states=max_states)
    return (f"{time.perf_counter() - t:7.2f}s  {ex.stats['states']} states, exhaustive={ex.exhaustive}, "
            f"depth {ex.depth}")


def matrix(bound: int = 40) -> None:
    from ppverify.protocol.controls import STATED_THREATS
    for threat in STATED_THREATS:
        print(f"  {threat:22s} explore {explorer(threat, Bounds())}", flush=True)
        print(f"  {threat:22s} smt     {smt(threat, Bounds(), bound, 0, timeout=600)}", flush=True)


def deep(timeout: float = 300.0) -> None:
    """Unbounded proofs come from the inductive invariant whatever the bound;
    a short bound keeps the unrolling (and its memory) small."""
    for (c, s, v), bounds in (((2, 1, 2), (8, 36)), ((2, 2, 2), (8,))):
        b = Bounds(clients=c, sessions=s, cvms=v)
        print(f"  cdn {c}x{s}x{v} explore {explorer('cdn', b)}", flush=True)
        for bound in bounds:
            print(f"  cdn {c}x{s}x{v} smt     {smt('cdn', b, bound, 0, timeout, rounds=True)} "
                  f"({bound} rounds, {timeout:.0f} s solver limit)", flush=True)


if __name__ == "__main__":
    if "--deep" in sys.argv:
        print("deeper than the explorer (clients x sessions x CVMs), seed 0:")
        deep()
        print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        sys.exit(0)
    if "--matrix" in sys.argv:
        print("default matrix, bound 40, seed 0:")
        matrix()
        print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        sys.exit(0)
    threat = sys.argv[1] if len(sys.argv) > 1 else "cdn"
    print(f"threat model {threat}")
    print("time against the bound (1 session):")
    for bound in (10, 20, 30, 40):
        for seed in (0, 1, 2):
            print(f"  smt bound {bound:3d} seed {seed}: {smt(threat, Bounds(), bound, seed)}", flush=True)
    print("time against sessions (bound 35 per session):")
    for sessions in (1, 2, 3):
        b = Bounds(sessions=sessions)
        print(f"  explore sessions {sessions}: {explorer(threat, b)}", flush=True)
        for seed in (0, 1):
            print(f"  smt     sessions {sessions} seed {seed}: {smt(threat, b, 35 * sessions, seed)}", flush=True)
            print(f"  smt in rounds, sessions {sessions} seed {seed}: {smt(threat, b, 35, seed, rounds=True)}",
                  flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MB")
