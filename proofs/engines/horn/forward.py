"""Forward secrecy on the fixpoint: the compromise as a second phase.

The property (an `AfterSession` encoding) says: when a session ends (a
`trigger` transition), what the adversary knows, plus the recorded wire
traffic, the compromised `extra` keys and what the parties' states still
hold (`state_terms`), yields no secret of a finished session (`past`).

At any such moment of any run, each of those sets lies inside its
fixpoint counterpart: the adversary's knowledge inside the fixpoint's
terms, the wire inside every transition's wire, the states inside the
reached states, the finished sessions' secrets inside those of the reached
states (renaming maps a run of any size into the fixpoint, and commutes
with derivation). So one second closure, of everything the fixpoint holds
with the compromise added, bounds every moment of every run: a secret
outside it is safe everywhere. z3 then checks that closure independently:
with its own derivability encoding, no analysis step leads out of it and
no past secret is derivable from it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import z3

from ppverify.models.deduction import Knowledge
from ppverify.models.theory import rules
from ppverify.proofs.core.encodings import AfterSession
from ppverify.proofs.engines.horn.fixpoint import Fixpoint
from ppverify.proofs.engines.horn.invariant import analysis_exits, solver
from ppverify.proofs.engines.smt.logic import _derivable, any_of


@dataclass(frozen=True)
class Verdict:
    violated: Optional[bool]   # True: a candidate; False: proved; None: unsettled (`why`)
    why: str = ""
    terms: int = 0             # terms of the second closure


def second_closure(fix: Fixpoint, enc: AfterSession) -> tuple[Knowledge, list]:
    """Everything the fixpoint holds with the compromise added, closed; and
    the secrets of every finished session the fixpoint reaches."""
    g = fix.g
    reached = sorted(fix.reached)
    held = [x for u, si in reached for x in enc.state_terms(g.party(u), g.states[u][si])]
    wire = [x for i in fix.fired for x in enc.wire(g.transitions[i])]
    after = Knowledge.of(sorted(set(fix.terms) | set(enc.extra) | set(wire) | set(held), key=repr))
    past = sorted({x for u, si in reached for x in enc.past(g.party(u), g.states[u][si])}, key=repr)
    return after, past


def settle(fix: Fixpoint, enc: AfterSession, seconds: float) -> Verdict:
    if not any(enc.trigger(fix.g.transitions[i]) for i in fix.fired):
        return Verdict(False)   # no session ends (vacuity is the engine's partner check)
    after, past = second_closure(fix, enc)
    leaked = [x for x in past if after.derivable(x)]
    if leaked:
        return Verdict(True, f"the second closure yields {leaked[0]!r}", len(after.known))
    why = confirm(frozenset(after.known), past, seconds)
    return Verdict(None, why, len(after.known)) if why else Verdict(False, "", len(after.known))


def confirm(inside: frozenset, past: list, seconds: float) -> str:
    """z3's word on a second closure `inside`: closed under analysis, no past
    secret derivable from it ("" if so, else why not)."""
    universe = inside | {r for x in inside for _, parts in rules(x) for r in parts}   # where analysis leads
    k = {x: z3.BoolVal(x in inside) for x in universe}
    memo: dict = {}
    s, sat = solver(seconds)
    leaving = analysis_exits(k, inside, memo) + [_derivable(k, memo, x) for x in past]
    answer = sat(any_of(leaving))
    if answer is None:
        return f"z3 gave up on the second closure ({s.reason_unknown()})"
    return "z3 finds the second closure not closed, or a past secret derivable" if answer else ""
