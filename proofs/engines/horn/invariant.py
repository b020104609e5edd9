"""The fixpoint checked in z3 as an inductive invariant, and each property
checked against it.

The invariant is the set of abstract states whose facts all lie in the
fixpoint: each (unit, local state), message and known term outside it is
the constant False, each inside it a free Boolean. z3 answers three
questions, with its own Dolev-Yao encoding of derivability
(`smt.logic._derivable`) instead of the `Knowledge` class that built the
fixpoint:
- the initial state lies inside;
- closure: no grounded transition is enabled inside (its pre-state and
  consumed message inside, its slot's predecessor ready, its injected
  payload derivable) while it reaches a fact outside, and no analysis rule
  (a term inside, its key derivable) yields a term outside;
- exclusion, per property: no state inside violates it.
Monotone semantics make one step from the invariant the whole question: a
state inside stays inside, so every run of every length stays inside.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Optional, assert_never

import z3

from ppverify.models.theory import rules
from ppverify.proofs.core.encodings import (AfterSession, Claim, Correspondence, Count, Links, Local, Never,
                                            Secrecy, SmtEncoding, Unsettled)
from ppverify.proofs.engines.horn.fixpoint import Fixpoint
from ppverify.proofs.engines.smt.logic import _derivable, all_of, any_of, producers

SECONDS = 30.0


@dataclass(frozen=True)
class InvariantCheck:
    """What z3 said: the invariant holds (`closed`), or why not; per property
    whether a state inside violates it (True: a candidate), or None where
    the encoding is not one this engine settles (`unsettled[p]` says why)."""
    closed: bool
    why: str
    violated: dict
    unsettled: dict


def _variables(g) -> tuple[dict, list, dict]:
    """One z3 Boolean per fact of the grounding, made once: the reduced
    fixpoints of correspondence checks share them."""
    made = g.memo.get("z3-variables")
    if made is None:
        universe = set(g.kmax.known) | set(g.k0.known)
        made = g.memo["z3-variables"] = (
            {(u, s): z3.Bool(f"r_{u}_{s}") for u in g.parties for s in range(len(g.states[u]))},
            [z3.Bool(f"f_{m}") for m in range(len(g.messages))],
            {x: z3.Bool(f"k_{i}") for i, x in enumerate(sorted(universe, key=repr))})
    return made


class _Inv:
    """The invariant's variables: one Boolean per fact inside, False outside."""

    def __init__(self, fix: Fixpoint, drop: frozenset):
        g = fix.g
        false = z3.BoolVal(False)
        self.fix = fix
        # the facts inside, as sets (`outside` asks them; z3's is_false is slow to ask)
        self.reached = frozenset(s for s in fix.reached if s not in drop)
        self.flying = frozenset(m for m in fix.flying if ("msg", m) not in drop)
        self.terms = frozenset(x for x in fix.terms if ("term", x) not in drop)
        r, f, k = _variables(g)
        self.r = {key: (v if key in self.reached else false) for key, v in r.items()}
        self.f = [v if m in self.flying else false for m, v in enumerate(f)]
        self.k = {x: (v if x in self.terms else false) for x, v in k.items()}
        self.memo: dict = {}

    def D(self, x):
        return _derivable(self.k, self.memo, x)

    def enabled(self, t):
        g = self.fix.g
        parts = [self.r[(t.party, t.pre)]]
        if t.consumes is not None:
            parts.append(self.f[t.consumes])
        if t.after_unit is not None:
            parts.append(any_of(self.r[(t.after_unit, s)] for s in sorted(g.ready.get(t.after_unit, ()))))
        if t.inject is not None:
            parts.append(self.D(t.inject))
        return all_of(parts)

    def outside(self, t) -> bool:
        """Does `t` reach a fact outside the invariant?"""
        return ((t.party, t.post) not in self.reached or any(m not in self.flying for m in t.sends)
                or any(x not in self.terms for x in t.learned))

    def may_fire(self, t) -> bool:
        """Is `enabled(t)` other than the constant False? (Its pre-state and
        consumed message are facts; one outside makes the conjunction False,
        so leaving `t` out of a disjunction changes no formula's meaning.)"""
        return (t.party, t.pre) in self.reached and (t.consumes is None or t.consumes in self.flying)


def solver(seconds: float):
    s = z3.Solver()
    s.set("timeout", int(seconds * 1000))

    def sat(q) -> Optional[bool]:
        r = s.check(q)
        return None if r == z3.unknown else r == z3.sat
    return s, sat


@lru_cache(maxsize=4)
def _producers(universe: frozenset) -> dict:
    """`producers`, once per universe: the reduced fixpoints of correspondence
    checks share their grounding's."""
    return producers(universe)


def analysis_exits(k: dict, inside: frozenset, memo: dict) -> list:
    """The analysis steps out of a term set: a rule's result outside `inside`
    from a parent inside (`k`: each term of the universe as a z3 Boolean)
    whose key is derivable."""
    return [z3.And(k[p], _derivable(k, memo, key) if key is not None else z3.BoolVal(True))
            for child, rules in _producers(frozenset(k)).items() if child not in inside for p, key in rules]


def _closure(inv: _Inv, transitions, s, sat) -> str:
    """Why the invariant is not one for `transitions` ("" if it is)."""
    g = inv.fix.g
    initial = [inv.r[(u, g.initial[u])] for u in g.parties] + [inv.f[m] for m in g.in_flight] + \
        [inv.k[x] for x in g.k0.known]
    if any(z3.is_false(b) for b in initial):
        return "the initial state lies outside the invariant"
    leaving = [inv.enabled(t) for t in transitions if inv.may_fire(t) and inv.outside(t)]
    leaving += analysis_exits(inv.k, inv.terms, inv.memo)
    answer = sat(any_of(leaving))
    if answer is None:
        return f"z3 gave up on the closure check ({s.reason_unknown()})"
    return "not closed: a step from inside the invariant leaves it" if answer else ""


def excludes(fix: Fixpoint, transitions: list, events: frozenset, seconds: float = SECONDS) -> str:
    """Is `fix` an inductive invariant of the system cut to `transitions`,
    in which no transition that emits one of `events` is ever enabled?
    ("" if so, else why not.)"""
    inv = _Inv(fix, frozenset())
    s, sat = solver(seconds)
    why = _closure(inv, transitions, s, sat)
    if why:
        return why
    answer = sat(any_of(inv.enabled(t) for t in transitions if events & set(t.events) and inv.may_fire(t)))
    if answer is None:
        return f"z3 gave up ({s.reason_unknown()})"
    return "an event it should exclude is enabled inside it" if answer else ""


def check(fix: Fixpoint, encodings: dict, drop: frozenset = frozenset(),
          seconds: float = SECONDS) -> InvariantCheck:
    """Check the fixpoint (less the facts in `drop`: ("msg", i), ("term", x)
    or (unit, state), for the test that a corrupted invariant is rejected)
    and every property's encoding against it."""
    inv = _Inv(fix, drop)
    s, sat = solver(seconds)
    why = _closure(inv, fix.g.transitions, s, sat)
    if why:
        return InvariantCheck(False, why, {}, {})
    violated, unsettled = {}, {}
    for p, e in encodings.items():
        bad, why = _bad(inv, e)
        if bad is None:
            unsettled[p] = why
            continue
        answer = sat(bad)
        if answer is None:
            unsettled[p] = f"z3 gave up ({s.reason_unknown()})"
        else:
            violated[p] = answer
    return InvariantCheck(True, "", violated, unsettled)


def _bad(inv: _Inv, e: Optional[SmtEncoding]):
    """A state inside the invariant violates `e` (None, why: not settled here)."""
    g = inv.fix.g
    match e:
        case None:
            return None, "not encoded for this scenario"
        case Never():
            return z3.BoolVal(False), ""
        case Secrecy(terms, derivable):
            return any_of(inv.D(x) if derivable else inv.k.get(x, z3.BoolVal(False)) for x in terms), ""
        case Claim(party, claims):
            return any_of(z3.And(inv.r[(u, si)], inv.D(x)) for u in g.parties if g.party(u) == party
                          for si, st in enumerate(g.states[u]) if (x := claims(st)) is not None), ""
        case Local(bad):
            return any_of(inv.enabled(t) for t in g.transitions if bad(t.before, t.after, t.out)), ""
        case Correspondence():
            return None, "a correspondence: settled apart (`correspond`), not on the invariant alone"
        case AfterSession():
            return None, "forward secrecy: a second phase, settled apart (`forward`)"
        case Count():
            return None, "token counting: settled apart (`count`), not on the invariant alone"
        case Links(sessions):
            return _linked(inv, sessions), ""
        case Unsettled():
            return None, "unsettled link fact"
        case _:
            assert_never(e)


def _linked(inv: _Inv, sessions):
    """Some sighting inside the invariant opens, with keys derivable inside
    it, to a handle of a session some local state inside it holds, with the
    metas that show that session's client."""
    g = inv.fix.g
    holders: dict = {}   # (meta, handle) -> the local states of sessions it links
    for u, si in inv.reached:
        for shown, hs in sessions(u, g.states[u][si]):
            for meta in shown:
                for h in hs:
                    holders.setdefault((meta, h), []).append(inv.r[(u, si)])
    metas = {m for m, _ in holders}
    sighted: dict = {}   # (meta, payload) -> the transitions that sight it
    for t in g.transitions:
        if inv.may_fire(t):
            for meta, payload in t.after.sightings:
                if meta in metas:
                    sighted.setdefault((meta, payload), []).append(t)
    bad = []
    for (meta, payload), ts in sighted.items():
        opened = _opened(inv, payload)
        hits = [z3.And(c, any_of(holders[(meta, h)])) for h, c in opened.items() if (meta, h) in holders]
        if hits:
            bad.append(z3.And(any_of(inv.enabled(t) for t in ts), any_of(hits)))
    return any_of(bad)


def _opened(inv: _Inv, payload) -> dict:
    """Each part analysis can take out of `payload`, with the z3 condition
    (its keys derivable inside the invariant) under which it does: the
    monitor's `links.parts`, stated over the invariant's knowledge."""
    parents: dict = {}   # part -> [(the term it is taken from, the key needed or None)]
    order, stack, seen = [], [payload], {payload}   # (`order`: every part, payload first)
    while stack:
        t = stack.pop()
        order.append(t)
        for key, got in rules(t):
            for x in got:
                parents.setdefault(x, []).append((t, key))
                if x not in seen:
                    seen.add(x)
                    stack.append(x)
    cond: dict = {}

    def of(x):   # (analysis yields smaller terms: no cycle)
        hit = cond.get(x)
        if hit is None:
            hit = cond[x] = z3.BoolVal(True) if x is payload else any_of(
                z3.And(of(t), inv.D(key)) if key is not None else of(t) for t, key in parents.get(x, ()))
        return hit
    return {x: of(x) for x in order}
