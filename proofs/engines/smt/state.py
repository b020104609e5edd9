"""The state of step j as z3 variables, and the static layout they are
indexed by: transitions grouped by party, the relaxed reachability levels
(`_levels`) that leave out what cannot exist yet, and the bit widths."""
from __future__ import annotations

import z3

from ppverify.models.terms import members
from ppverify.proofs.engines.grounded import Ground
from ppverify.proofs.engines.smt.logic import _derivable, producers


def _levels(g: Ground, trans: list) -> tuple[list, dict, set, set]:
    """A relaxed reachability pass (every transition whose inputs could exist
    fires at once, as in a planning graph): the earliest step each transition
    can be taken at, None if never, and the earliest state at which each term
    can be known. Both are lower bounds for every run, so the encoding leaves
    out transitions and knowledge bits before their time, losing no run.
    Also returns the (unit, state) pairs and messages the pass reached: with
    the terms that got a level, an over-approximation of every reachable state
    (see `invariant_proofs`)."""
    reached = {(u, 0) for u in g.parties}
    started = {u for u in g.parties if g.initial[u] in g.ready.get(u, ())}   # may start their next slot
    flying = set(g.in_flight)
    k = g.k0
    earliest: list = [None] * len(trans)
    level = {x: 0 for x in k.known}
    # Each level asks only the transitions one of whose inputs is new (a
    # transition whose inputs all existed a level before fired then), and,
    # when the knowledge grew, those whose inputs all exist but their
    # injection was not derivable (`blocked`): the same levels as asking
    # every pending transition, without rescanning them.
    waits: dict = {}
    for i, t in enumerate(trans):
        waits.setdefault(("state", t.party, t.pre), []).append(i)
        if t.consumes is not None:
            waits.setdefault(("msg", t.consumes), []).append(i)
        if t.after_unit is not None:
            waits.setdefault(("unit", t.after_unit), []).append(i)
    blocked: set = set()
    asked = range(len(trans))
    j = 0
    while True:
        now = []
        for i in asked:
            t = trans[i]
            if earliest[i] is None and (t.party, t.pre) in reached and (t.consumes is None or t.consumes in flying) \
                    and (t.after_unit is None or t.after_unit in started):
                if t.inject is None or k.derivable(t.inject):
                    now.append(i)
                else:
                    blocked.add(i)
        if not now:
            break
        new: set = set()
        for i in now:
            t = trans[i]
            earliest[i] = j
            blocked.discard(i)
            if (t.party, t.post) not in reached:
                reached.add((t.party, t.post))
                new.update(waits.get(("state", t.party, t.post), ()))
            if t.post in g.ready.get(t.party, ()) and t.party not in started:
                started.add(t.party)
                new.update(waits.get(("unit", t.party), ()))
            for m in t.sends:
                if m not in flying:
                    flying.add(m)
                    new.update(waits.get(("msg", m), ()))
        k2 = k.add(list(dict.fromkeys(x for i in now for x in trans[i].learned)))
        if k2 is not k:
            for x in members(k2.known.bits & ~k.known.bits):
                level[x] = j + 1
            new |= blocked
        k = k2
        asked = sorted(new)
        j += 1
    return earliest, level, reached, flying


class Layout:
    """What the unrolling is indexed by. With `free` (one step from any state
    of the relaxed reachable set), every transition and term is encoded from
    the start; the relaxed set itself (`reached`, `flying`, `relaxed`,
    `relaxed_terms`) is kept either way."""

    def __init__(self, g: Ground, free: bool):
        self.g = g
        self.terms = sorted(g.kmax.known, key=repr)
        self.producers = producers(g.kmax.known)
        # transitions grouped by party, so "a transition of p" is a range test
        order = sorted(g.transitions, key=lambda t: (g.parties.index(t.party), t.id))
        self.trans = order
        self.enc = {t.id: i for i, t in enumerate(order)}
        self.range: dict = {}
        for i, t in enumerate(order):
            lo, hi = self.range.get(t.party, (i, i + 1))
            self.range[t.party] = (min(lo, i), i + 1)
        self.learners: dict = {}
        for t in order:
            for x in t.learned:
                self.learners.setdefault(x, []).append(self.enc[t.id])
        earliest, k_level, self.reached, self.flying = _levels(g, order)
        self.relaxed_terms = set(k_level)
        self.relaxed = [i for i, e in enumerate(earliest) if e is not None]
        if free:
            earliest = [0] * len(order)
            k_level = {x: 0 for x in g.kmax.known}
        self.earliest, self.k_level = earliest, k_level
        self.STOP = len(order)            # sel value of a step not taken (the run ended)
        self.SW = (self.STOP + 1).bit_length()
        self.LW = max(len(v) for v in g.states.values()).bit_length() + 1


class Vars:
    """Per state j: each unit's local state, one bit per message in flight,
    one per event a property reads, the injection count, one per term the
    adversary may know (`k[j][x]`; the constant False before its level) and
    one per wire term a property records (`wb`)."""

    def __init__(self, layout: Layout, events_used: set, wire_terms: list):
        self.layout, self.events_used, self.wire_terms = layout, events_used, wire_terms
        self.loc: list = []
        self.fly: list = []
        self.moves: list = []
        self.ev: list = []
        self.k: list[dict] = []
        self.wb: list = []
        self._d: list[dict] = []   # derivability memo per state

    def new_state(self, j: int) -> None:
        """The variables of state j (constraints are the steps' and the start's)."""
        lay, g = self.layout, self.layout.g
        self.loc.append({p: z3.BitVec(f"loc_{p}_{j}", lay.LW) for p in g.parties})
        self.fly.append([z3.Bool(f"fly_{m}_{j}") for m in range(len(g.messages))])
        self.moves.append(z3.BitVec(f"moves_{j}", 8))
        self.ev.append({e: z3.Bool(f"ev_{e}_{j}") for e in self.events_used})
        never = z3.BoolVal(False)
        self.k.append({x: z3.Bool(f"k_{i}_{j}") if lay.k_level.get(x, j + 1) <= j else never
                       for i, x in enumerate(lay.terms)})
        self._d.append({})
        self.wb.append({x: z3.Bool(f"wire_{i}_{j}") for i, x in enumerate(self.wire_terms)})

    def D(self, j: int, x):
        """x is derivable at state j: known, or built from derivable parts."""
        return _derivable(self.k[j], self._d[j], x)

    def start(self, s) -> None:
        """State 0 is the initial state of the grounded system."""
        g = self.layout.g
        for b in self.wb[0].values():
            s.add(z3.Not(b))
        for x, b in self.k[0].items():
            s.add(b if x in g.k0.known else z3.Not(b))
        for p in g.parties:
            s.add(self.loc[0][p] == g.initial[p])
        for m, b in enumerate(self.fly[0]):
            s.add(b if m in g.in_flight else z3.Not(b))
        s.add(self.moves[0] == 0)
        for b in self.ev[0].values():
            s.add(z3.Not(b))
