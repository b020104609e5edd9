"""Run the checks of a scenario: one exploration per threat model, one verdict
per property, every counterexample replayed before it is reported."""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable, Iterable, Optional

from ppverify.models.scenario import Scenario
from ppverify.models.terms import Atom
from ppverify.proofs.core.encodings import Never, bounded
from ppverify.proofs.core.serial import action_to_json
from ppverify.proofs.core.system import SmtSystem, replay_actions
from ppverify.proofs.core.verdicts import (ANY, Coverage, Inconclusive, Kind, Proved, Result, Trace, TraceStep,
                                           Violated, standing, Standing)
from ppverify.proofs.engines.explore import explore
from ppverify.proofs.engines.ground import ground
from ppverify.proofs.engines.horn import horn_verdicts
from ppverify.proofs.engines.horn.engine import GROUNDING_FAILED
from ppverify.proofs.analyses.auto import BUDGETS, RANK, Budget, StepBudget, per_engine, settle
from ppverify.proofs.pp.abstraction import horn_system
from ppverify.proofs.analyses.monotone import smaller_violations
from ppverify.proofs.engines.smt import BmcResult, Completion, CyclicKnowledge, bmc, invariant_proofs
from ppverify.proofs.pp.model import symbolic_model
from ppverify.proofs.pp.system import PPSystem
from ppverify.proofs.replay.symbolic import ReplayError, replay_trace
from ppverify.protocol.world import Inject, Invoke


def _learned(before, after) -> tuple[str, ...]:
    if before is None or after is None or before is after:
        return ()
    new = after.known - before.known
    secret = sorted(repr(t) for t in new if isinstance(t, Atom) and t.kind not in ("const",))
    return tuple(secret[:8])


def build_trace(system, path: list, prop: str, why: str, threat: str, scenario: dict) -> Trace:
    """Number the actions of `path` in the model's vocabulary, with what the
    adversary newly derived at each step."""
    steps = []
    w = system.initial()
    for i, a in enumerate(path, 1):
        w2, _, _ = system.step(w, a)
        actor = "adversary" if isinstance(a, Inject) else (a.client if isinstance(a, Invoke) else a.msg.src)
        steps.append(TraceStep(i, actor, str(a), action_to_json(a), _learned(w.knowledge, w2.knowledge)))
        w = w2
    return Trace(prop, threat, scenario, tuple(steps), why)


def replay_path(system, path: list, prop: str) -> str:
    """A counterexample must replay on the model, or it is an internal error.
    Returns why the property fails on the replay."""
    try:
        _, why = replay_actions(system, path, prop)
    except ValueError as e:
        raise ReplayError(f"counterexample for {prop} does not replay: {e}") from None
    if not why:
        raise ReplayError(f"counterexample for {prop} does not violate it on replay")
    return why


def _cut(system, path: list, prop: str) -> list:
    """The path up to the step where `prop` first fails (a round decoded into
    steps may go on after it); the whole path if it never does (replay says so)."""
    mon, w = system.monitor(prop), system.initial()
    for n, a in enumerate(path, 1):
        w2, out, _ = system.step(w, a)
        if mon(w, w2, out):
            return path[:n]
        w = w2
    return path


def explore_verdicts(system, props: tuple[str, ...], threat: str, desc: dict, max_states: int,
                     max_moves: int, progress=None, replay=None, smaller=None) -> list[Result]:
    """Explore `system` and turn what was found into one `Result` per property.
    A proof needs an exhaustive search that itself completed the honest
    session; a cut search is depth-bounded. When it is cut, `smaller(missing)`
    (a `monotone.smaller_violations`) supplies the attacks of smaller bounds,
    replayed here; `replay(trace)` re-checks a trace through its saved form."""
    start = time.perf_counter()
    ex = explore(system, props, max_states=max_states, progress=progress, max_moves=max_moves)
    partner = ex.partner is not None
    n = ex.stats["states"]
    found = {p: ([a for _, a in ex.path(f.node)] + [f.action], "") for p, f in ex.violations.items()}
    missing = tuple(p for p in props if p not in found)
    if smaller is not None and missing and not ex.exhaustive:
        for p, c in smaller(missing).items():
            found[p] = (_cut(system, c.path, p), c.level.label())
    elapsed = time.perf_counter() - start
    depth = ANY if ex.exhaustive else ex.depth
    coverage = Coverage.of(desc, max_moves, depth)
    limit = f"state limit {max_states:,}"
    results = []
    for p in props:
        extra = {"states": n, "transitions": ex.stats["transitions"]}
        if p in found:
            path, where = found[p]
            why = replay_path(system, path, p)
            trace = build_trace(system, path, p, why, threat, desc)
            if replay is not None:
                replay(trace)
            verdict = Violated("explore", trace, n, coverage)
            if where:
                extra["found_with"] = where
        elif ex.budget_hit:
            verdict = Inconclusive("explore", "injection candidates truncated (budget); not a proof", n, coverage)
        elif not ex.exhaustive:
            vacuous = "" if partner else "; the honest session did not complete within them either"
            verdict = Inconclusive("explore", f"no attack within {ex.depth} steps: {limit} (<= {max_moves} "
                                   f"adversary injections){vacuous}; not a proof", n, coverage, bounded=True)
        elif not partner:
            verdict = Inconclusive("explore", "vacuous: the honest session never completes", n, coverage)
        else:
            note = f"exhaustive for the scenario's bounds and <= {max_moves} adversary injections"
            verdict = Proved("explore", ex.depth, True, n, note, coverage)
        results.append(Result(p, threat, desc, verdict, partner, elapsed, extra))
    return results


def _completions(system, g) -> tuple:
    """The transitions that may complete an honest session, each with the
    events of which one it needs beside its own (the replay confirms)."""
    every = frozenset(g.events)   # over-approximates what happened before
    out = []
    for t in g.transitions:
        if not system.completed(t.before, t.after.replace(events=every), t.out):
            continue
        own = frozenset(g.events[e] for e in t.events)
        needs = () if system.completed(t.before, t.after.replace(events=own), t.out) else \
            (k for k, e in enumerate(g.events) if system.completed(t.before, t.after.replace(events=own | {e}), t.out))
        out.append(Completion(t.id, frozenset(needs)))
    return tuple(out)


def _completes(system, path: list) -> bool:
    """Does this run, replayed on the model, complete an honest session?"""
    w = system.initial()
    for a in path:
        w2, out, rej = system.step(w, a)
        if rej is None and system.completed(w, w2, out):
            return True
        w = w2
    return False


# (transitions + terms) x bound: about 840 MB at 153,000 (2 clients x 2 sessions x 2 CVMs, 8 rounds),
# 3.9 GB at 419,000 (meta-insider, 40 steps)
UNROLL_BUDGET = 200_000


def smt_verdicts(system: SmtSystem, props: tuple[str, ...], threat: str, desc: dict, bound: int, max_moves: int,
                 timeout: Optional[float] = None, seed: int = 0, progress=None,
                 replay=None, ground_limit: int = 50_000, rounds: bool = False,
                 max_transitions: int = 25_000) -> list[Result]:
    """Ground `system`, run bounded model checking in z3 to `bound` steps (or
    rounds: independent moves of different parties at once) and turn the
    outcome into one `Result` per property (engine "smt"). Proofs (inductive
    invariant, no encoding can fail, or z3 proved the unrolling complete) need
    z3's own honest run within the unrolling; a bounded unrolling that is
    neither complete nor inductive is depth-bounded, not a proof."""
    start = time.perf_counter()
    stats: dict = {}
    try:
        g = ground(system, max_moves, ground_limit, max_transitions)
        encodings = bounded(system.refine({p: system.smt_encoding(p) for p in props}, g))
        done = _completions(system, g)
        inductive = set() if g.truncated else invariant_proofs(
            g, {p: e for p, e in encodings.items() if not isinstance(e, Never)}, max_moves, timeout)
        per_step = len(g.transitions) + len(g.kmax.known)
        settled = inductive | {p for p, e in encodings.items() if e is None or isinstance(e, Never)}
        unroll = dict(partner=done, confirm=lambda path: _completes(system, path), rounds=rounds)
        if per_step * bound > UNROLL_BUDGET:   # z3 would need gigabytes
            fits = UNROLL_BUDGET // per_step
            why = (f"unrolling not attempted: {len(g.transitions)} transitions and {len(g.kmax.known)} "
                   f"terms over {bound} steps exceed the budget ({per_step * bound:,} > {UNROLL_BUDGET:,}); "
                   "a lower --bound fits")
            # the invariant's proofs still need an honest run, within what the budget unrolls
            run = bmc(g, encodings, fits, max_moves, timeout, seed, skip=frozenset(props), **unroll).run \
                if fits and settled else None
            res = BmcResult({}, bound, False, why, run)
        else:
            res = bmc(g, encodings, bound, max_moves, timeout, seed, progress=progress,
                      skip=frozenset(inductive), **unroll)
    except (RuntimeError, CyclicKnowledge) as e:  # grounding limit, or knowledge not encodable
        return [Result(p, threat, desc, Inconclusive("smt", f"not encoded: {e}", 0, Coverage.of(desc, max_moves, 0)), False,
                       time.perf_counter() - start, {}) for p in props]
    stats.update(g.stats)
    found, depth, complete, unknown = res.found, res.depth, res.complete, res.unknown
    partner = res.run is not None
    elapsed = time.perf_counter() - start
    stats.update(depth=depth, complete=complete)
    proved, searched = Coverage.of(desc, max_moves, ANY), Coverage.of(desc, max_moves, depth)
    results = []
    for p in props:
        if encodings[p] is None:
            verdict = Inconclusive("smt", "not encoded in z3 for this scenario (link facts with a Meta-side "
                                   "coalition or identity sightings); the explorer's verdict stands", 0, searched)
        elif p in found:
            path = _cut(system, found[p].path, p)
            why = replay_path(system, path, p)
            trace = build_trace(system, path, p, why, threat, desc)
            if replay is not None:
                replay(trace)
            verdict = Violated("smt", trace, len(path), searched)
        elif partner and isinstance(encodings[p], Never) and not g.truncated:
            verdict = Proved("smt", "unbounded", True, depth,
                             "unbounded: cannot fail under this threat model in any run (the link needs a "
                             "Meta-side coalition, or a message seen with a client's identity, and the grounded "
                             "system has none)", proved)
        elif partner and p in inductive:
            verdict = Proved("smt", "unbounded", True, depth,
                             "unbounded: an inductive invariant (the relaxed reachable set, checked by z3) "
                             f"excludes every violation, in runs of any length (<= {max_moves} adversary "
                             "injections)", proved)
        elif unknown:
            verdict = Inconclusive("smt", unknown, depth, searched)
        elif not partner:
            verdict = Inconclusive("smt", f"vacuous: z3 found no honest session completing within the {depth} "
                                   "steps it unrolled", depth, searched)
        elif g.truncated:
            verdict = Inconclusive("smt", "injection candidates truncated (budget) while grounding; not a proof", depth,
                                   searched)
        elif complete:
            verdict = Proved("smt", depth, True, depth, "complete: z3 proved every run of the scenario ends in "
                             f"fewer than {depth} steps (<= {max_moves} adversary injections)", proved)
        else:
            within = (f"{depth} rounds (a round: moves of different parties at once, so this covers "
                      f"every run of up to {depth} steps and longer ones)" if rounds else f"{depth} steps")
            verdict = Inconclusive("smt", f"no attack within {within}: bounded unrolling (<= {max_moves} "
                                   "adversary injections), neither complete nor inductive (the relaxed "
                                   "invariant mixes states of sessions that never coexist); not a proof",
                                   depth, searched, bounded=True)
        results.append(Result(p, threat, desc, verdict, partner, elapsed, dict(stats)))
    return results


class EngineDisagreement(RuntimeError):
    """The explorer and the SMT engine gave opposite definite verdicts."""


ENGINES = ("auto", "explore", "smt", "both", "horn")
# The default of `ppverify check` and its pinned verdicts: the unbounded engine first, so a cell it
# proves is proved for every size; the explorer decides what it leaves and confirms its candidates.
DEFAULT_ENGINE = "auto"


def _horn(sc: Scenario, props: tuple, threat: str, desc: dict, confirm: Callable,
          budget: Optional[Budget] = None) -> list[Result]:
    """The unbounded engine on the system `pp.abstraction` gives for `sc`
    (within `budget`, if given; else within its own limits), with what its proofs cover."""
    system, coverage, covers = horn_system(sc)
    if budget is None:
        return horn_verdicts(system, props, threat, desc, coverage, confirm, covers)
    return [replace(r, extra=dict(r.extra, horn_budget=budget.name))
            for r in horn_verdicts(StepBudget(system, budget.steps, budget.actions), props, threat, desc,
                                   coverage, confirm, covers, budget.limits)]


def _confirm_growing(sc: Scenario, confirm: Callable, max_states: int, max_moves: int) -> Callable:
    """`confirm` on the scenario, then, for candidates it does not confirm, the
    explorer on the scenario with one more client and with one more session
    (an attack that needs two concurrent sessions), each replayed on its own
    model; a violation found there is reported with the larger scenario."""
    def run(ps: tuple) -> list[Result]:
        found = {r.property: r for r in confirm(ps)}
        for bigger in (replace(sc.bounds, clients=sc.bounds.clients + 1),
                       replace(sc.bounds, sessions=sc.bounds.sessions + 1)):
            left = tuple(p for p in ps if p not in found or not isinstance(found[p].verdict, Violated))
            if not left:
                break
            big = replace(sc, bounds=bigger)
            for r in explore_verdicts(PPSystem(symbolic_model(big)), left, str(big.threat), big.describe(),
                                      max_states, max_moves, None, replay_trace):
                if isinstance(r.verdict, Violated):
                    found[r.property] = r
        return list(found.values())
    return run


def _explored(sc: Scenario, model, props: tuple, threat: str, desc: dict, max_states: int, max_moves: int,
              progress: Optional[Callable]) -> list[Result]:
    """The default bounded path: the explorer, and when it is cut the attacks of smaller bounds."""
    return explore_verdicts(PPSystem(model), props, threat, desc, max_states, max_moves, progress, replay_trace,
                            lambda missing: smaller_violations(sc, missing, max_states, max_moves))


def check_threat(sc: Scenario, properties: Iterable[str], max_states: int = 20_000,
                 progress: Optional[Callable] = None, max_moves: int = 2, engine: str = "explore",
                 bound: int = 40, timeout: Optional[float] = None, seed: int = 0,
                 rounds: bool = False, budgets: tuple[Budget, ...] = BUDGETS) -> list[Result]:
    """One verdict per property under `sc`, from the explorer, the SMT engine,
    both (`both` raises EngineDisagreement when one proves what the other
    refutes), the unbounded engine, or `auto` (see `auto_verdicts`)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; valid: {', '.join(ENGINES)}")
    if engine == "auto":
        return auto_verdicts(sc, tuple(properties), max_states, max_moves, progress, budgets)
    model = symbolic_model(sc)
    props, threat, desc = tuple(properties), str(sc.threat), sc.describe()
    if engine == "horn":   # candidates are confirmed by the explorer on the scenario
        return _horn(sc, props, threat, desc, _confirm_growing(sc, lambda ps: explore_verdicts(
            PPSystem(model), ps, threat, desc, max_states, max_moves, None, replay_trace), max_states, max_moves))
    ex = sm = None
    if engine in ("explore", "both"):
        ex = _explored(sc, model, props, threat, desc, max_states, max_moves, progress)
    if engine in ("smt", "both"):
        sm = smt_verdicts(PPSystem(model), props, threat, desc, bound, max_moves, timeout, seed,
                          replay=replay_trace, rounds=rounds)
    if ex is None or sm is None:
        return ex or sm
    return [combine(a, b) for a, b in zip(ex, sm)]


def auto_verdicts(sc: Scenario, props: tuple[str, ...], max_states: int, max_moves: int,
                  progress: Optional[Callable] = None, budgets: tuple[Budget, ...] = BUDGETS) -> list[Result]:
    """The unbounded engine first (within the first of `budgets`); the
    explorer, as the default path runs it (smaller bounds included), for every
    cell it leaves neither proved nor violated and to confirm its candidates;
    then the unbounded engine again, within the next budget, for the cells whose
    grounding gave up and which the explorer found no attack on;
    `auto.settle` keeps the stronger verdict per cell, or raises UnsoundProof."""
    start = time.perf_counter()
    model = symbolic_model(sc)
    threat, desc = str(sc.threat), sc.describe()
    bounded: dict[str, Result] = {}

    def explored(ps: tuple = ()) -> list[Result]:
        # one search monitors every property: run it once, for all, so a horn proof is cross-checked
        if not bounded:
            bounded.update((r.property, r)
                           for r in _explored(sc, model, props, threat, desc, max_states, max_moves, progress))
        return [bounded[p] for p in ps]
    first = _horn(sc, props, threat, desc, explored, budgets[0])
    if not all(isinstance(r.verdict, (Proved, Violated)) for r in first):
        explored()
    for budget in budgets[1:]:
        again = tuple(r.property for r in first if _gave_up(r) and not isinstance(bounded[r.property].verdict,
                                                                                   Violated))
        if not again:
            break
        deeper = {r.property: r for r in _horn(sc, again, threat, desc, explored, budget)}
        first = [deeper.get(r.property, r) for r in first]
    seconds = time.perf_counter() - start
    return [replace(settle(r, bounded.get(r.property)), seconds=seconds) for r in first]


def _gave_up(r: Result) -> bool:
    """The unbounded engine's grounding gave up on this cell (a larger budget may settle it)."""
    return isinstance(r.verdict, Inconclusive) and r.verdict.reason.startswith(GROUNDING_FAILED)


def combine(a: Result, b: Result) -> Result:
    """Both engines' verdicts on one property: a disagreement (a proof and an
    attack, or an attack within the depth where the other found none) is an
    error; otherwise the stronger verdict stands (an attack deeper than a
    depth-bounded search, a proof over a depth-bounded search, the deeper of
    two depth-bounded ones)."""
    va, vb = a.verdict.verdict, b.verdict.verdict
    if {va, vb} == {Kind.PROVED, Kind.VIOLATED}:
        raise EngineDisagreement(f"{a.property} under {a.threat}: explorer says {va}, smt says {vb}")
    for cut, refutation in ((a.verdict, b.verdict), (b.verdict, a.verdict)):
        if (standing(cut) == Standing.DEPTH_BOUNDED and isinstance(refutation, Violated)
                and len(refutation.trace.steps) <= cut.coverage.depth):
            raise EngineDisagreement(f"{a.property} under {a.threat}: explorer says {va}, smt says {vb}, "
                                     f"within the {cut.coverage.depth} steps searched")
    sa, sb = standing(a.verdict), standing(b.verdict)
    pick = b if RANK.index(sb) > RANK.index(sa) else a
    if sa == sb == Standing.DEPTH_BOUNDED and b.verdict.coverage.depth > a.verdict.coverage.depth:
        pick = b
    extra = dict(pick.extra, **per_engine((("explore", a), ("smt", b))))
    return Result(pick.property, pick.threat, pick.scenario, pick.verdict,
                  a.partner_reached or b.partner_reached, a.seconds + b.seconds, extra)
