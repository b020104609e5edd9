"""The unbounded engine beside the bounded ones, with the issue's targets.

1. Per design (the published binder and each other binder value) and threat
   model of the stated trust model: the horn engine's CPU time (grounding of
   `pp.abstraction`'s system, fixpoint, z3 checks, correspondences), its
   cells proved for every size and its candidates, and its peak memory;
   beside it the explorer's CPU time and proofs (the default check's search)
   and, with --smt, the SMT engine's. Then per property (published and
   handshake-key, network and meta-insider): the horn engine's own time for
   it beside the explorer's (and the SMT engine's) search of it alone.
2. The default matrix (19 properties x 7 threat models) on the unbounded
   engine, with 2 worker processes: wall time and the largest peak memory
   (target 5 s and 500 MB).
3. The four-property question under meta-insider with binder=handshake-key
   (request-secrecy, response-secrecy, evidence-freshness, response-integrity):
   CPU time in the process (target 1 s).
4. Growth: the horn system is the same for every number of clients, sessions
   and CVMs (its size is printed once); the explorer's states at 1 and 2
   sessions beside it. What it does grow with is the images and chips it
   keeps apart: meta-insider's launched orchestrators added one image at a
   time, then moved to chips of their own.
5. With --limits only: where the grounding stops (`docs/horn.md`, "Where the
   grounding stops"), for the coalitions of its table, at the abstraction's
   injection budget: its outcome and reason (the unit and its largest family
   of transitions, or the pattern cut), CPU time and peak memory.
Each measurement runs in a fresh process. Prints figures and the machine's
load; asserts nothing.

    python bench/bench_horn.py                 # everything
    python bench/bench_horn.py --quick         # published and handshake-key only, no growth
    python bench/bench_horn.py --smt           # also the SMT engine (slow)
    python bench/bench_horn.py --limits        # only where the grounding stops (about 3 minutes)
"""
import argparse
import multiprocessing
import resource
import time

from machine import describe
from ppverify.models.scenario import Bounds
from ppverify.proofs.analyses.check import check_threat
from ppverify.proofs.core.verdicts import ANY, Proved, Standing, Violated, standing
from ppverify.proofs.engines.horn.engine import Candidate, Settled, horn_outcomes
from ppverify.proofs.pp.abstraction import horn_system
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
from ppverify.protocol import setup
from ppverify.protocol.controls import DEFAULTS, PARAMETERS, STATED_THREATS, scenario

FOUR = ("request-secrecy", "response-secrecy", "evidence-freshness", "response-integrity")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _peak() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _horn(args):
    sc, props = args
    c0 = _cpu()
    system, coverage, _ = horn_system(sc)
    outcomes, stats = horn_outcomes(system, props)
    return (_cpu() - c0, sum(isinstance(o, Settled) for o in outcomes.values()),
            sum(isinstance(o, Candidate) for o in outcomes.values()), _peak(), stats.get("transitions"),
            "any" if coverage.sessions == ANY else "scen.")


def _bounded(args):
    sc, engine, props = args
    c0 = _cpu()
    res = check_threat(sc, props, engine=engine)
    return (_cpu() - c0, sum(isinstance(r.verdict, Proved) and standing(r.verdict) != Standing.DEPTH_BOUNDED
                             for r in res), sum(isinstance(r.verdict, Violated) for r in res))


def _fresh(fn, arg):
    with multiprocessing.get_context("fork").Pool(1) as pool:
        return pool.apply(fn, (arg,))


def table(designs, smt: bool) -> None:
    # proved: the cells horn proves, for every size ("any") or, where the abstraction does not apply
    # (cvm-compromise-after), for every run of the scenario ("scen.")
    print(f"{'design':<34}{'threat':<22}{'horn s':>8}{'proved':>7}{'for':>6}{'cand':>5}{'MB':>6}{'explore s':>10}"
          f"{'proved':>7}" + (f"{'smt s':>8}{'proved':>7}" if smt else ""))
    for design in designs:
        for t in STATED_THREATS:
            sc = scenario(t, [], [design] if design != "published" else [])
            hs, hp, hc, hm, _, scope = _fresh(_horn, (sc, PROPERTY_NAMES))
            es, ep, _ = _fresh(_bounded, (sc, "explore", PROPERTY_NAMES))
            line = f"{design:<34}{t:<22}{hs:>8.2f}{hp:>7}{scope:>6}{hc:>5}{hm:>6.0f}{es:>10.2f}{ep:>7}"
            if smt:
                ss, sp, _ = _fresh(_bounded, (sc, "smt", PROPERTY_NAMES))
                line += f"{ss:>8.2f}{sp:>7}"
            print(line, flush=True)


def _horn_each(sc):
    c0 = _cpu()
    outcomes, stats = horn_outcomes(horn_system(sc)[0], PROPERTY_NAMES)
    own = stats.get("property_seconds", {})
    return _cpu() - c0 - sum(own.values()), {p: (type(o).__name__, own.get(p, 0.0)) for p, o in outcomes.items()}


def per_property(designs, smt: bool) -> None:
    """Per threat model and property: the unbounded engine's own time for the property (its shared
    fixpoint and invariant check are printed once per threat model), beside the explorer's (and the SMT
    engine's) search of that property alone."""
    for design in designs:
        for t in ("network", "meta-insider"):
            sc = scenario(t, [], [design] if design != "published" else [])
            shared, each = _fresh(_horn_each, sc)
            print(f"{design}, {t}: horn's fixpoint and invariant check {shared:.2f} s CPU, shared by all")
            print(f"  {'property':<28}{'horn':>10}{'own s':>7}{'explore s':>10}{'proved':>7}"
                  + (f"{'smt s':>8}{'proved':>7}" if smt else ""))
            for p in PROPERTY_NAMES:
                kind, own = each[p]
                es, ep, ev = _fresh(_bounded, (sc, "explore", (p,)))
                line = f"  {p:<28}{kind:>10}{own:>7.2f}{es:>10.2f}{'yes' if ep else 'viol.' if ev else 'no':>7}"
                if smt:
                    ss, sp, sv = _fresh(_bounded, (sc, "smt", (p,)))
                    line += f"{ss:>8.2f}{'yes' if sp else 'viol.' if sv else 'no':>7}"
                print(line, flush=True)


def matrix() -> None:
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        out = pool.map(_horn, [(scenario(t), PROPERTY_NAMES) for t in STATED_THREATS])
    wall = time.perf_counter() - start
    print(f"default matrix on the unbounded engine, 2 workers: {wall:.1f} s wall (target 5 s), "
          f"largest peak {max(o[3] for o in out):.0f} MB (target 500 MB), "
          f"{sum(o[1] for o in out if o[5] == 'any')} cells proved for every size, "
          f"{sum(o[1] for o in out if o[5] != 'any')} for every run of the scenario, "
          f"{sum(o[2] for o in out)} candidates")


def four() -> None:
    sc = scenario("meta-insider", [], ["binder=handshake-key"])
    s, proved, cand, mb, n, _ = _fresh(_horn, (sc, FOUR))
    print(f"meta-insider, binder=handshake-key, {', '.join(FOUR)}: {s:.2f} s CPU (target 1 s), "
          f"{proved} proved for every size, {cand} candidates, {n} grounded transitions, {mb:.0f} MB")


def _fleet(args):
    """`_horn` with the orchestrators a meta-insider launches replaced by `launched` (`setup.LAUNCHED`)."""
    launched, sc = args
    setup.LAUNCHED = launched   # (a forked worker: the parent's model is untouched)
    return _horn((sc, PROPERTY_NAMES))


def growth() -> None:
    _, _, _, _, n, _ = _fresh(_horn, (scenario("network", [], ["binder=handshake-key"]), PROPERTY_NAMES))
    print(f"horn system for every size (network, binder=handshake-key): {n} grounded transitions")
    for sessions in (1, 2):
        sc = scenario("network", [], ["binder=handshake-key"], bounds=Bounds(sessions=sessions))
        es, ep, _ = _fresh(_bounded, (sc, "explore", PROPERTY_NAMES))
        print(f"  explorer at {sessions} session(s): {es:.2f} s CPU, {ep} proved for that scenario")
    # Images and chips are what the abstraction keeps apart (CVMs of one image and chip are merged):
    # the launched orchestrators of meta-insider, added one image at a time, then each on a chip of its own.
    sc = scenario("meta-insider", [], ["binder=handshake-key"])
    full = setup.LAUNCHED
    print("growth under meta-insider, binder=handshake-key (honest orch-v2 and pred-v2, pred-evil, plus):")
    for k in range(len(full) + 1):
        s, proved, cand, mb, n, _ = _fresh(_fleet, (full[:k], sc))
        print(f"  {k} launched orchestrator image(s) on 1 chip: {s:.2f} s CPU, {n} transitions, "
              f"{proved} proved for every size, {cand} candidates, {mb:.0f} MB", flush=True)
    for k in range(2, len(full) + 1):
        fleet = tuple(x[:4] + (f"chip-{i + 1}" if i < k else "chip-a",) for i, x in enumerate(full))
        s, proved, cand, mb, n, _ = _fresh(_fleet, (fleet, sc))
        print(f"  {len(full)} launched images, {k} of them on chips of their own: {s:.2f} s CPU, {n} transitions, "
              f"{proved} proved for every size, {cand} candidates, {mb:.0f} MB", flush=True)


# (coalition, injection candidates per pattern: None for the abstraction's own), published design
LIMIT_RUNS = (("meta-insider+hw-vendor", None), ("relay+cdn", None), ("relay+cvm-compromise-after", None),
              ("network+relay+hw-vendor", None), ("network+relay+cdn+cvm-compromise-after", None))


def _limit(args):
    threat, budget = args
    c0 = _cpu()
    system = horn_system(scenario(threat))[0]
    if budget is not None:
        system.budget = budget
    outcomes, stats = horn_outcomes(system, PROPERTY_NAMES)
    reasons = sorted({o.reason for o in outcomes.values() if not isinstance(o, (Settled, Candidate))})
    return (_cpu() - c0, _peak(), system.budget, stats.get("transitions"),
            sum(isinstance(o, Settled) for o in outcomes.values()),
            sum(isinstance(o, Candidate) for o in outcomes.values()), reasons)


def limits() -> None:
    print("where the grounding stops (engine's own limits, every property):", flush=True)
    for threat, budget in LIMIT_RUNS:
        s, mb, used, n, settled, cand, reasons = _fresh(_limit, (threat, budget))
        got = f"{n:,} transitions, {settled} settled, {cand} candidates" if n is not None else "gives up"
        print(f"  {threat}, {used:,} candidates per pattern: {got}; {s:.1f} s CPU, {mb:.0f} MB"
              + "".join(f"\n    {r}" for r in reasons), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--smt", action="store_true")
    ap.add_argument("--limits", action="store_true", help="only where the grounding stops")
    a = ap.parse_args()
    print(describe())
    if a.limits:
        limits()
        return
    binders = [f"binder={v}" for v in PARAMETERS["binder"] if v != DEFAULTS["binder"]]
    table(["published", "binder=handshake-key"] if a.quick else ["published"] + binders, a.smt)
    if not a.quick:
        per_property(["published", "binder=handshake-key"], a.smt)
    matrix()
    four()
    if not a.quick:
        growth()


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"wall {time.perf_counter() - start:.1f}s")
