"""Correspondence on the fixpoint: events before knowledge, by removing the
witnesses and asking whether the checked event can still happen.

A correspondence says: whenever E(e) happens, earlier events W satisfy
`holds(e, W)`. Take a run that violates it: up to E(e), none of the events
`holds` would accept has happened. So that prefix is a run of the system
with every transition that emits such a witness removed, and its facts lie
in the least fixpoint of that smaller system. If E(e) is outside it (z3
checks the smaller fixpoint as an inductive invariant that excludes E), no
violating run exists: what the adversary can only learn after a witness
carries the witness as a precondition, as in ProVerif's clauses.

With names that stand for several sessions this is sound only where a
removed witness stands for witnesses alone: a grounded event f may be
removed for e only if `holds(mark(e), [mark(f)])`, where `mark` (the
system's) replaces every value its names do not determine uniquely by one
of its own, so the comparison holds for every concrete pair (e, f) stands
for. Each grounded E(e) the system marks `distinguished` is checked (a
system that merges sessions checks the session under check, to which every
concrete session can be renamed). Merging two sessions therefore never
proves what their difference would refute: their witnesses are not
removed, and E stays reachable (a candidate, or inconclusive).

Anchored correspondences (`Correspondence.anchor`, e.g. an answer needs the
session's accept and a response agreeing with it): a violating run either
has no anchor before E (every anchor of the session removed), or has the
session's one anchor a and no witness agreeing with it (those removed, and
the session's other anchors, which are then not its one; a must still be
reachable with E). Each case is checked apart.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ppverify.proofs.core.encodings import Correspondence
from ppverify.proofs.engines.horn.fixpoint import Fixpoint
from ppverify.proofs.engines.horn.invariant import excludes
from ppverify.proofs.engines.smt.state import _levels


@dataclass(frozen=True)
class Verdict:
    violated: Optional[bool]   # True: a candidate; False: proved; None: unsettled (`why`)
    why: str = ""
    checks: int = 0            # reduced fixpoints computed and checked in z3


def settle(system, fix: Fixpoint, enc: Correspondence, seconds: float) -> Verdict:
    g = fix.g
    fired = [g.transitions[i] for i in fix.fired]
    happened = sorted({j for t in fired for j in t.events})
    ev = g.events
    smaller: dict = {}   # removed -> the smaller system's fixpoint, shared by the events asked of it
    cases = []           # (removed, events that must all happen), in the order they are decided
    for removed, events in _each_case(system, enc, happened, ev):
        if removed not in smaller:
            smaller[removed] = _smaller(g, removed)
        cases.append((removed, events))
        if all(k in smaller[removed][2] for k in events):
            break   # a candidate: no later case is decided
    cleared = _cleared(smaller, cases, seconds)
    cache: dict = {}     # (removed, events) -> (status, why)
    for removed, events in cases:
        key = (removed, events)
        if key not in cache:
            cache[key] = (False, "") if removed in cleared and not all(k in smaller[removed][2] for k in events) \
                else _reachable(g, smaller[removed], events, seconds)
        status, why = cache[key]
        if status is not False:
            return Verdict(status, why, len(cache))
    return Verdict(False, "", len(cache))


def _cleared(smaller: dict, cases: list, seconds: float) -> frozenset:
    """The reduced systems z3 confirms to exclude, at once, every event their cases need and they do
    not have happen (one closure and one query per system, not per case): each such case is then
    excluded too, the query being a disjunction over them. A system z3 does not confirm is left to
    its cases one by one (`_reachable`)."""
    out = set()
    for removed, (kept, small, happen) in smaller.items():
        missing = frozenset(k for r, events in cases if r == removed for k in events if k not in happen)
        if missing and not excludes(small, kept, missing, seconds):
            out.add(removed)
    return frozenset(out)


def _each_case(system, enc: Correspondence, happened, ev):
    """(witnesses removed, events that must all happen) for each checked event E(e) that happened."""
    for j in happened:
        e = ev[j]
        if e.name != enc.event or enc.applies and not enc.applies(e) or not system.distinguished(e):
            continue
        for removed, needs in _cases(system, enc, e, system.mark(e), happened, ev):
            yield removed, (j,) + needs


def _cases(system, enc: Correspondence, e, me, happened, ev):
    """(witnesses removed, events that must happen too) per kind of violating run."""
    mark = system.mark
    if enc.anchor is None:
        yield frozenset(k for k in happened if enc.holds(e, [ev[k]]) and enc.holds(me, [mark(ev[k])])), ()
        return
    anchors = [k for k in happened if enc.anchor(e, ev[k])]
    yield frozenset(k for k in anchors if enc.anchor(me, mark(ev[k]))), ()
    for a in anchors:
        if not system.distinguished(ev[a]):
            continue
        ma = mark(ev[a])
        others = frozenset(anchors) - {a}   # the session's one anchor is a: the others never happen before E
        yield others | frozenset(k for k in happened if enc.holds(e, [ev[a], ev[k]])
                                 and enc.holds(me, [ma, mark(ev[k])])), (a,)


def _smaller(g, removed: frozenset):
    """The least fixpoint without the transitions that emit a `removed` event:
    the transitions kept, the fixpoint, and the events it has happen."""
    kept = [t for t in g.transitions if not removed & set(t.events)]
    earliest, level, reached, flying = _levels(g, kept)
    fired = [t for t, e in zip(kept, earliest) if e is not None]
    small = Fixpoint(g, frozenset(reached), frozenset(flying), frozenset(level), tuple(t.id for t in fired))
    return kept, small, frozenset(j for t in fired for j in t.events)


def _reachable(g, smaller, events: tuple, seconds: float):
    """Do all `events` happen in the smaller fixpoint (`_smaller`)? (True, why)
    or (False, ""); (None, why) if z3 does not confirm that the smaller
    fixpoint excludes them."""
    kept, small, happen = smaller
    if all(j in happen for j in events):
        return True, f"{g.events[events[0]]} happens without the witnesses it needs"
    missing = frozenset(j for j in events if j not in happen)
    why = excludes(small, kept, missing, seconds)
    return (None, f"z3 rejected a reduced fixpoint: {why}") if why else (False, "")
