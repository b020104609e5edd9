"""Run the checks of a scenario: one exploration per threat model, one verdict
per property, every counterexample replayed before it is reported."""
from __future__ import annotations

import time
from typing import Callable, Iterable, Optional

from ppverify.models.scenario import Scenario
from ppverify.models.terms import Atom
from ppverify.proofs.core.encodings import Never
from ppverify.proofs.core.serial import action_to_json
from ppverify.proofs.core.system import SmtSystem, replay_actions
from ppverify.proofs.core.verdicts import Inconclusive, Kind, Proved, Result, Trace, TraceStep, Violated
from ppverify.proofs.engines.explore import explore
from ppverify.proofs.engines.ground import ground
from ppverify.proofs.engines.smt import BmcResult, CyclicKnowledge, bmc, invariant_proofs
from ppverify.proofs.pp.model import honest_run, symbolic_model
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
                     max_moves: int, progress=None, partner_run=None, replay=None) -> list[Result]:
    """Explore `system` and turn what was found into one `Result` per property.
    `partner_run()` may supply an honest run when the search did not meet one;
    `replay(trace)` re-checks a trace through its saved form (PP traces)."""
    start = time.perf_counter()
    ex = explore(system, props, max_states=max_states, progress=progress, max_moves=max_moves)
    partner = ex.partner is not None or (partner_run is not None and partner_run() is not None)
    elapsed = time.perf_counter() - start
    n = ex.stats["states"]
    results = []
    for p in props:
        if p in ex.violations:
            found = ex.violations[p]
            path = [a for _, a in ex.path(found.node)] + [found.action]
            replay_path(system, path, p)
            trace = build_trace(system, path, p, found.why, threat, desc)
            if replay is not None:
                replay(trace)
            verdict = Violated("explore", trace, n)
        elif not partner:
            verdict = Inconclusive("explore", "vacuous: the honest session never completes", n)
        elif ex.budget_hit:
            verdict = Inconclusive("explore", "injection candidates truncated (budget); not a proof", n)
        else:
            note = (f"exhaustive for the scenario's bounds and <= {max_moves} adversary injections"
                    if ex.exhaustive else f"state limit {max_states} reached; all paths of up to "
                    f"{ex.depth} steps with <= {max_moves} adversary injections checked")
            verdict = Proved("explore", ex.depth, ex.exhaustive, n, note)
        results.append(Result(p, threat, desc, verdict, partner, elapsed,
                              {"states": n, "transitions": ex.stats["transitions"]}))
    return results


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
                 max_transitions: int = 25_000, honest: Optional[Callable] = None) -> list[Result]:
    """Ground `system`, run bounded model checking in z3 to `bound` steps (or
    rounds: independent moves of different parties at once) and turn the
    outcome into one `Result` per property (engine "smt"). A bounded proof
    needs an honest run within the bound (found by z3); an unbounded one any
    honest run of the model, z3's or else `honest()`'s, replayed."""
    start = time.perf_counter()
    stats: dict = {}
    if honest is None and isinstance(system, PPSystem):
        honest = lambda: honest_run(system.model)  # noqa: E731
    try:
        g = ground(system, max_moves, ground_limit, max_transitions)
        encodings = system.refine({p: system.smt_encoding(p) for p in props}, g)
        every = frozenset(g.events)  # over-approximates what happened before; the replay confirms
        done = tuple(t.id for t in g.transitions
                     if system.completed(t.before, t.after.replace(events=every), t.out))
        inductive = set() if g.truncated else invariant_proofs(
            g, {p: e for p, e in encodings.items() if not isinstance(e, Never)}, max_moves, timeout)
        size = (len(g.transitions) + len(g.kmax.known)) * bound
        settled = inductive | {p for p, e in encodings.items() if e is None or isinstance(e, Never)}
        if settled >= set(props) and honest is not None:   # nothing left to unroll for
            res = BmcResult({}, bound, False, None, None)
        elif size > UNROLL_BUDGET:   # z3 would need gigabytes; the invariant's proofs stand
            res = BmcResult({}, bound, False, (
                f"unrolling not attempted: {len(g.transitions)} transitions and {len(g.kmax.known)} "
                f"terms over {bound} steps exceed the budget ({size:,} > {UNROLL_BUDGET:,}); "
                f"a lower --bound fits"), None)
        else:
            res = bmc(g, encodings, bound, max_moves, timeout, seed, progress=progress, partner=done,
                      confirm=lambda path: _completes(system, path), rounds=rounds, skip=frozenset(inductive))
    except (RuntimeError, CyclicKnowledge) as e:  # grounding limit, or knowledge not encodable
        return [Result(p, threat, desc, Inconclusive("smt", f"not encoded: {e}", 0), False,
                       time.perf_counter() - start, {}) for p in props]
    stats.update(g.stats)
    found, depth, complete, unknown = res.found, res.depth, res.complete, res.unknown
    partner = res.run is not None
    # unbounded proofs need an honest run, not necessarily one within the bound
    anywhere = partner or (honest is not None and (h := honest()) is not None and _completes(system, h))
    elapsed = time.perf_counter() - start
    stats.update(depth=depth, complete=complete)
    results = []
    for p in props:
        if encodings[p] is None:
            verdict = Inconclusive("smt", "not encoded in z3 for this scenario (link facts with a Meta-side "
                                   "coalition or identity sightings); the explorer's verdict stands", 0)
        elif p in found:
            path = _cut(system, found[p].path, p)
            why = replay_path(system, path, p)
            trace = build_trace(system, path, p, why, threat, desc)
            if replay is not None:
                replay(trace)
            verdict = Violated("smt", trace, len(path))
        elif isinstance(encodings[p], Never) and anywhere and not g.truncated:
            verdict = Proved("smt", "unbounded", True, depth,
                             "unbounded: cannot fail under this threat model in any run (the link needs a "
                             "Meta-side coalition, or a message seen with a client's identity, and the grounded "
                             "system has none)")
        elif p in inductive and anywhere:
            verdict = Proved("smt", "unbounded", True, depth,
                             "unbounded: an inductive invariant (the relaxed reachable set, checked by z3) "
                             f"excludes every violation, in runs of any length (<= {max_moves} adversary injections)")
        elif unknown:
            verdict = Inconclusive("smt", unknown, depth)
        elif not partner:
            verdict = Inconclusive("smt", f"vacuous: no honest session completes within {bound} steps", depth)
        elif g.truncated:
            verdict = Inconclusive("smt", "injection candidates truncated (budget) while grounding; not a proof", depth)
        else:
            within = (f"{depth} rounds (a round: moves of different parties at once, so this covers "
                      f"every run of up to {depth} steps and longer ones)" if rounds else f"{depth} steps")
            note = (f"complete: z3 proved every run of the scenario ends in fewer than {depth} steps "
                    f"(<= {max_moves} adversary injections)" if complete else
                    f"bounded: no violation in runs of up to {within} (<= {max_moves} adversary injections); "
                    "not unbounded: the relaxed invariant does not exclude a violation (it mixes states of "
                    "sessions that never coexist)")
            verdict = Proved("smt", depth, complete, depth, note)
        unbounded = isinstance(verdict, Proved) and (p in inductive or isinstance(encodings[p], Never))
        results.append(Result(p, threat, desc, verdict, anywhere if unbounded else partner, elapsed, dict(stats)))
    return results


class EngineDisagreement(RuntimeError):
    """The explorer and the SMT engine gave opposite definite verdicts."""


ENGINES = ("explore", "smt", "both")


def check_threat(sc: Scenario, properties: Iterable[str], max_states: int = 20_000,
                 progress: Optional[Callable] = None, max_moves: int = 2, engine: str = "explore",
                 bound: int = 40, timeout: Optional[float] = None, seed: int = 0,
                 rounds: bool = False) -> list[Result]:
    """One verdict per property under `sc`, from the explorer, the SMT engine,
    or both (`both` raises EngineDisagreement when one proves what the other
    refutes)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; valid: {', '.join(ENGINES)}")
    model = symbolic_model(sc)
    props, threat, desc = tuple(properties), str(sc.threat), sc.describe()
    ex = sm = None
    if engine in ("explore", "both"):
        ex = explore_verdicts(PPSystem(model), props, threat, desc, max_states, max_moves, progress,
                              lambda: honest_run(model), replay_trace)
    if engine in ("smt", "both"):
        sm = smt_verdicts(PPSystem(model), props, threat, desc, bound, max_moves, timeout, seed,
                          replay=replay_trace, rounds=rounds)
    if ex is None or sm is None:
        return ex or sm
    return [combine(a, b) for a, b in zip(ex, sm)]


def combine(a: Result, b: Result) -> Result:
    """Both engines' verdicts on one property: a disagreement is an error; an
    inconclusive one defers to the definite one; two proofs keep the stronger."""
    va, vb = a.verdict.verdict, b.verdict.verdict
    pick = a
    if {va, vb} == {Kind.PROVED, Kind.VIOLATED}:
        proof, refutation = (a, b) if va == Kind.PROVED else (b, a)
        if proof.verdict.exhaustive or len(refutation.verdict.trace.steps) <= proof.verdict.bound:
            raise EngineDisagreement(f"{a.property} under {a.threat}: explorer says {va}, smt says {vb}")
        pick = refutation   # the attack lies deeper than the bounded proof reaches: no contradiction
    if va == Kind.INCONCLUSIVE and vb != Kind.INCONCLUSIVE:
        pick = b
    elif va == vb == Kind.PROVED and b.verdict.exhaustive and not a.verdict.exhaustive:
        pick = b
    extra = dict(pick.extra)
    extra["engines"] = {"explore": va, "smt": vb}
    return Result(pick.property, pick.threat, pick.scenario, pick.verdict,
                  a.partner_reached or b.partner_reached, a.seconds + b.seconds, extra)
