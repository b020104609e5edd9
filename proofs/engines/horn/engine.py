"""The horn engine's verdicts: a proof where the z3-checked invariant
excludes the violation, a candidate (to confirm) where a state inside it
violates the property, and an open cell, with its reason, for everything
else. A candidate is never reported raw: `horn_verdicts` asks `confirm`
(a bounded search on a concrete scenario) for a trace that replays."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Union, assert_never

from ppverify.proofs.core.encodings import AfterSession, Correspondence, Count
from ppverify.proofs.core.system import SmtSystem
from ppverify.proofs.core.verdicts import Coverage, Inconclusive, Proved, Result, Violated
from ppverify.proofs.engines.ground import Truncated
from ppverify.proofs.engines.horn import count, forward
from ppverify.proofs.engines.horn.correspond import settle
from ppverify.proofs.engines.horn.fixpoint import LIMITS, Fixpoint, Limits, saturate
from ppverify.proofs.engines.horn.invariant import SECONDS, check
from ppverify.proofs.engines.smt.logic import CyclicKnowledge

OPEN = "not settled by the unbounded engine: "
GROUNDING_FAILED = OPEN + "grounding failed"   # (a cost rule, `fixpoint.saturate`: never a verdict)
TRUNCATED = OPEN + "injection candidates truncated (budget) while grounding"
UNCONFIRMED = "candidate not confirmed"   # a violation inside the fixpoint no bounded search replayed


@dataclass(frozen=True)
class Settled:
    """The invariant holds and excludes every violation."""


@dataclass(frozen=True)
class Candidate:
    """A state inside the invariant violates the property."""


@dataclass(frozen=True)
class Open:
    reason: str


Outcome = Union[Settled, Candidate, Open]


def horn_outcomes(system: SmtSystem, props: tuple, limits: Limits = LIMITS) -> tuple[dict, dict]:
    """Per property, what the fixpoint and its z3 check say; and statistics
    (`partner`: the fixpoint fires a transition completing an honest session;
    without one a proof would be vacuous)."""
    start = time.perf_counter()
    try:
        fix = saturate(system, limits)
    except Truncated as e:
        return {p: Open(f"{TRUNCATED} ({e})") for p in props}, {}
    except RuntimeError as e:
        return {p: Open(f"{GROUNDING_FAILED} ({e})") for p in props}, {}
    stats = dict(fix.stats)
    encodings = system.refine({p: system.smt_encoding(p) for p in props}, fix.g)
    try:
        inv = check(fix, encodings)
    except CyclicKnowledge as e:
        return {p: Open(OPEN + f"knowledge not encodable ({e})") for p in props}, stats
    stats.update(facts=fix.facts(), seconds=time.perf_counter() - start, partner=_partner(system, fix))
    if not inv.closed:
        return {p: Open(OPEN + f"the fixpoint failed its z3 check ({inv.why})") for p in props}, stats
    out: dict = {}
    own: dict = {}   # property -> seconds of its own checks, beyond the fixpoint and invariant all share
    for p in props:
        enc = encodings[p]
        began = time.perf_counter()
        if isinstance(enc, AfterSession):
            try:
                f = forward.settle(fix, enc, SECONDS)
            except CyclicKnowledge as e:
                f = forward.Verdict(None, f"knowledge not encodable ({e})")
            stats["after_terms"] = f.terms
            violated, why = f.violated, f.why
        elif isinstance(enc, (Correspondence, Count)):
            c = (settle if isinstance(enc, Correspondence) else count.settle)(system, fix, enc, SECONDS)
            stats["reduced_checks"] = stats.get("reduced_checks", 0) + c.checks
            violated, why = c.violated, c.why
        else:
            violated, why = inv.violated.get(p), inv.unsettled.get(p, "")
        out[p] = Open(OPEN + why) if violated is None else Candidate() if violated else \
            Settled() if stats["partner"] else Open(OPEN + "vacuous: no honest session completes in the fixpoint")
        own[p] = time.perf_counter() - began
    stats["property_seconds"] = own
    return out, stats


def _partner(system: SmtSystem, fix: Fixpoint) -> bool:
    """Does some transition the fixpoint fires complete an honest session?"""
    g = fix.g
    every = frozenset(g.events)
    return any(system.completed(t.before, t.after.replace(events=every), t.out)
               for t in (g.transitions[i] for i in fix.fired))


def horn_verdicts(system: SmtSystem, props: tuple, threat: str, desc: dict, coverage: Coverage,
                  confirm: Callable[[tuple], list], covers: str, limits: Limits = LIMITS) -> list[Result]:
    """One `Result` per property. `coverage` is what a proof covers (`covers`
    says it in words); `confirm(props)` runs a bounded search on candidates
    and returns its Results, whose violations (replayed) are kept."""
    start = time.perf_counter()
    outcomes, stats = horn_outcomes(system, props, limits)
    candidates = tuple(p for p in props if isinstance(outcomes[p], Candidate))
    confirmed = {r.property: r for r in confirm(candidates)} if candidates else {}
    elapsed = time.perf_counter() - start
    facts = stats.get("facts")
    results = []
    for p in props:
        o = outcomes[p]
        match o:
            case Settled():
                v = Proved("horn", "unbounded", True, facts,
                           f"unbounded: the monotone fixpoint ({facts} facts), checked by z3 as an inductive "
                           f"invariant, excludes every violation; covers {covers}", coverage)
            case Candidate():
                r = confirmed.get(p)
                if r is not None and isinstance(r.verdict, Violated):
                    results.append(Result(p, threat, desc, r.verdict, r.partner_reached, elapsed,
                                          dict(stats, confirmed_by=r.verdict.engine)))
                    continue
                v = Inconclusive("horn", f"{UNCONFIRMED}: the fixpoint contains a violation but the "
                                 "bounded search found no trace that replays (the abstraction may "
                                 "over-approximate)", facts, coverage)
            case Open(reason):
                v = Inconclusive("horn", reason, facts, coverage)
            case _:
                assert_never(o)
        results.append(Result(p, threat, desc, v, bool(stats.get("partner")), elapsed, dict(stats)))
    return results
