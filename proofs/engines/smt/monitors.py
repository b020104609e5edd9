"""The properties on the grounded system: which transitions are bad outright,
which need justifying events, which terms must stay secret, and per step the
formula "the property fails at this step" (`Monitors.bad`). Encodings are
matched exhaustively: one the engine does not know raises."""
from __future__ import annotations

from typing import Optional, assert_never

import z3

from ppverify.models.deduction import Knowledge
from ppverify.proofs.core.encodings import (AfterSession, Claim, Correspondence, Count, Links, Local, Never,
                                            Secrecy, Unsettled)
from ppverify.proofs.engines.smt.logic import any_of, _count, _derivable, producers
from ppverify.proofs.engines.smt.state import Layout, Vars


def _unsettled(p: str) -> ValueError:
    return ValueError(f"{p}: an encoding the SMT engine does not read reached it (Unsettled: the system's refine "
                      "settles it; Links: `core.encodings.bounded` drops it)")


class AfterClosure:
    """forward-secrecy's second closure: everything the adversary could know
    once the session's secrets are handed over. Empty without such a property."""

    def __init__(self, layout: Layout, spec: Optional[AfterSession]):
        g, trans = layout.g, layout.trans
        self.spec = spec
        self.wired: dict = {}
        self.wire_terms: list = []
        self.state_terms: dict = {}
        self.past: dict = {}
        self.terms: list = []
        self.producers: dict = {}
        self.triggers: list = []
        self._bits: dict = {}      # state j -> its after-knowledge bits
        if spec is None:
            return
        for i, t in enumerate(trans):
            for x in spec.wire(t):
                self.wired.setdefault(x, []).append(i)
        self.wire_terms = sorted(self.wired, key=repr)
        self.state_terms = {(p, si): spec.state_terms(g.party(p), st) for p in g.parties
                            for si, st in enumerate(g.states[p])}
        self.past = {(p, si): spec.past(g.party(p), st) for p in g.parties
                     for si, st in enumerate(g.states[p])}
        extra = list(spec.extra) + self.wire_terms + [x for xs in self.state_terms.values() for x in xs]
        self.terms = sorted(Knowledge.of(list(g.kmax.known) + extra).known, key=repr)
        self.producers = producers(frozenset(self.terms))
        self.triggers = [i for i, t in enumerate(trans) if spec.trigger(t)]

    def knowledge(self, j: int, v: Vars, s) -> dict:
        """Knowledge at state j if the session's remaining secrets were handed over."""
        if j in self._bits:
            return self._bits[j]
        bits = {x: z3.Bool(f"after_{i}_{j}") for i, x in enumerate(self.terms)}
        memo: dict = {}
        holds: dict = {}
        for (p, si), xs in self.state_terms.items():
            for x in xs:
                holds.setdefault(x, []).append(v.loc[j][p] == si)
        static = set(self.spec.extra)
        for x, b in bits.items():
            given = [v.k[j][x]] if x in v.k[j] else []
            if x in static:
                given.append(z3.BoolVal(True))
            if x in v.wb[j]:
                given.append(v.wb[j][x])
            given += holds.get(x, [])
            via = [z3.And(bits[q], _derivable(bits, memo, key) if key is not None else True)
                   for q, key in self.producers.get(x, [])]
            s.add(b == any_of(given + via))
        self._bits[j] = bits
        return bits


class Monitors:
    """Each encoded property grounded on the layout's transitions."""

    def __init__(self, layout: Layout, encodings: dict):
        self.layout, self.encodings = layout, encodings
        self.props = [p for p, enc in encodings.items() if enc is not None]
        afters = [encodings[p] for p in self.props if isinstance(encodings[p], AfterSession)]
        self.after = AfterClosure(layout, afters[-1] if afters else None)
        self.events_used: set = set()
        self.local_bad: dict = {p: [] for p in self.props}
        self.needs: dict = {p: [] for p in self.props}   # (transition index, singles, pairs)
        self.redeemers: dict = {p: [] for p in self.props}   # transitions emitting a redemption
        ev = layout.g.events
        for p in self.props:
            match encodings[p]:
                case Local(bad):
                    self.local_bad[p] = [i for i, t in enumerate(layout.trans) if bad(t.before, t.after, t.out)]
                case Correspondence(name, holds):
                    for i, t in enumerate(layout.trans):
                        self._justify(p, i, t, name, holds)
                case Count(local, redeems, issues, _):
                    self.local_bad[p] = [i for i, t in enumerate(layout.trans) if local(t.out)]
                    self.events_used.update(k for k, e in enumerate(ev) if redeems(e) or issues(e))
                    self.redeemers[p] = [i for i, t in enumerate(layout.trans)
                                         if any(redeems(ev[e]) for e in t.events)]
                case Never() | Secrecy() | Claim() | AfterSession():
                    pass
                case Unsettled() | Links():
                    raise _unsettled(p)
                case other:
                    assert_never(other)

    def _justify(self, p: str, i: int, t, name: str, holds) -> None:
        """The events that would justify each `name` event of transition i
        that its own events do not: single events, else pairs of them."""
        ev = self.layout.g.events
        own = [ev[e] for e in t.events]
        for e in t.out.events:
            if e.name != name or holds(e, own):
                continue
            singles = [k for k, x in enumerate(ev) if holds(e, own + [x])]
            pairs = [(a, b) for a in range(len(ev)) for b in range(a + 1, len(ev))
                     if a not in singles and b not in singles
                     and holds(e, own + [ev[a], ev[b]])] if len(ev) <= 400 else []
            self.needs[p].append((i, singles, pairs))
            self.events_used.update(singles)
            self.events_used.update(x for pr in pairs for x in pr)

    def bad(self, p: str, j: int, is_t: list, v: Vars, s) -> z3.BoolRef:
        """`p` fails on the step from state j to j+1 (`is_t[i]`: transition i taken)."""
        after = j + 1
        terms = []
        match self.encodings[p]:
            case Never():   # settled on the grounded system (see the system's refine)
                return z3.BoolVal(False)
            case AfterSession():
                if not self.after.triggers:
                    return z3.BoolVal(False)
                bits = self.after.knowledge(after, v, s)
                leaked = [z3.And(v.loc[after][c] == si, bits[x]) for (c, si), xs in self.after.past.items()
                          for x in xs if x in bits]
                return z3.And(any_of(is_t[i] for i in self.after.triggers), any_of(leaked))
            case Secrecy(secrets, derivable):
                for x in secrets:
                    if derivable:
                        terms.append(v.D(after, x))
                    elif x in v.k[after]:
                        terms.append(v.k[after][x])
            case Claim(party, claims):
                for si, st in enumerate(self.layout.g.states[party]):
                    x = claims(st)
                    if x is not None and x in v.k[after]:
                        terms.append(z3.And(v.loc[after][party] == si, v.k[after][x]))
            case Correspondence():
                # justified by events before the step: the transition's own events
                # never justify it (see _justify), and in a round the
                # others may as well have come after it
                ev = v.ev[j]
                for i, singles, pairs in self.needs[p]:
                    ok = [ev[e] for e in singles] + [z3.And(ev[a], ev[b]) for a, b in pairs]
                    terms.append(z3.And(is_t[i], z3.Not(any_of(ok))))
            case Count(_, redeems, issues, active):
                if active:
                    terms += self._overdrawn(p, j, is_t, v, redeems, issues)
            case Local():
                pass
            case Unsettled() | Links():
                raise _unsettled(p)
            case other:
                assert_never(other)
        terms += [is_t[i] for i in self.local_bad.get(p, [])]
        return any_of(terms)

    def _overdrawn(self, p: str, j: int, is_t: list, v: Vars, redeems, issues) -> list:
        """A redemption at step j leaves more distinct tokens redeemed than issued."""
        ev = self.layout.g.events
        by_token: dict = {}
        for k, e in enumerate(ev):
            if redeems(e):
                by_token.setdefault(e.args[0], []).append(v.ev[j + 1][k])
        redeemed = _count(any_of(bs) for bs in by_token.values())
        # issuances before the step (in a round, redemptions go first)
        issued = _count(v.ev[j][k] for k, e in enumerate(ev) if issues(e))
        new_redeem = [is_t[i] for i in self.redeemers[p]]
        if new_redeem and by_token:
            return [z3.And(any_of(new_redeem), z3.UGT(redeemed, issued))]
        return []

    def first(self, p: Optional[str]) -> set:
        """Transitions laid out first in a round when `p` fails there (they did not wait)."""
        match self.encodings[p] if p else None:
            case Correspondence():
                return {i for i, _, _ in self.needs[p]}
            case Count():
                return set(self.redeemers[p])
            case None | Never() | Local() | Secrecy() | Claim() | AfterSession():
                return set()
            case Unsettled() | Links():
                raise _unsettled(p)
            case other:
                assert_never(other)

    def last(self, p: Optional[str]) -> set:
        """Transitions laid out last in a round when `p` fails there (the answer of forward-secrecy)."""
        return set(self.after.triggers) if p and isinstance(self.encodings[p], AfterSession) else set()
