"""The transition relation: one step (interleaved: one transition) or one
round (independent moves of different units at once) from state j to j+1.
Dolev-Yao deduction is the equation
  k[j+1][x] = k[j][x] or a transition taught x at step j
              or some analysis rule yields x from a parent p and a key:
                 k[j+1][p] and derivable(j+1, key)
which has exactly one solution, the closure, when no term depends on itself
through these rules (`logic.producers` checks the graph is acyclic)."""
from __future__ import annotations

import z3

from ppverify.proofs.engines.smt.logic import all_of, any_of, _count
from ppverify.proofs.engines.smt.state import Layout, Vars


class Steps:
    """The steps encoded so far: `taken[j][i]` (transition i at step j),
    `stop[j]` (no transition at step j: the run has ended), and the selector
    variables z3 chooses (`sel[j]` interleaved, `selectors[j]` either way)."""

    def __init__(self, layout: Layout, v: Vars, s, max_moves: int, rounds: bool, wired: dict):
        self.layout, self.v, self.s = layout, v, s
        self.max_moves, self.rounds, self.wired = max_moves, rounds, wired
        self.sel: list = []
        self.selectors: list = []
        self.stop: list = []
        self.taken: list = []

    def add(self) -> list:
        """Encode step j = len(taken), from state j to state j+1; returns `is_t`."""
        lay, v, s = self.layout, self.v, self.s
        g, j = lay.g, len(self.taken)
        v.new_state(j + 1)
        L0, L1 = v.loc[j], v.loc[j + 1]
        now = [i for i, e in enumerate(lay.earliest) if e is not None and e <= j]
        is_t = [z3.BoolVal(False)] * len(lay.trans)
        idle = self._select(j, now, is_t)
        sends: dict = {}
        takes: dict = {}
        emits: dict = {}
        moving = []
        for i in now:
            t = lay.trans[i]
            guard = [L0[t.party] == t.pre, L1[t.party] == t.post]
            if t.consumes is not None:
                guard.append(v.fly[j][t.consumes])
                takes.setdefault(t.consumes, []).append(is_t[i])
            if t.inject is not None:
                guard.append(v.D(j, t.inject))
            if t.after_unit is not None:   # slots start in order
                guard.append(any_of(L0[t.after_unit] == r for r in sorted(g.ready[t.after_unit])))
            if t.move:
                moving.append(is_t[i])
            for m in t.sends:
                sends.setdefault(m, []).append(is_t[i])
            for e in t.events:
                if e in v.events_used:
                    emits.setdefault(e, []).append(is_t[i])
            s.add(z3.Implies(is_t[i], z3.And(guard)))
        for p in g.parties:
            s.add(z3.Implies(idle[p], L1[p] == L0[p]))
        if self.rounds:   # a message is taken by one transition; moves add up
            for ts in takes.values():
                if len(ts) > 1:
                    s.add(z3.AtMost(*ts, 1))
            s.add(v.moves[j + 1] == v.moves[j] + _count(moving))
        else:
            step = z3.If(any_of(moving), z3.BitVecVal(1, 8), z3.BitVecVal(0, 8))
            s.add(v.moves[j + 1] == v.moves[j] + step)
        s.add(z3.ULE(v.moves[j + 1], self.max_moves))
        for m in range(len(g.messages)):
            sent = any_of(sends.get(m, []))
            taken = any_of(takes.get(m, []))
            s.add(v.fly[j + 1][m] == z3.Or(sent, z3.And(v.fly[j][m], z3.Not(taken))))
        for e in v.events_used:
            s.add(v.ev[j + 1][e] == z3.Or(v.ev[j][e], any_of(emits.get(e, []))))
        for x, b in v.wb[j + 1].items():
            s.add(b == any_of([v.wb[j][x], *(is_t[i] for i in self.wired.get(x, []))]))
        K0, K1 = v.k[j], v.k[j + 1]
        for x in lay.terms:
            if lay.k_level.get(x, j + 2) > j + 1:
                continue   # cannot be known yet: K1[x] is the constant False
            taught = [is_t[i] for i in lay.learners.get(x, [])]
            via = [z3.And(K1[p], v.D(j + 1, key) if key is not None else True)
                   for p, key in lay.producers.get(x, [])]
            s.add(K1[x] == any_of([K0[x], *taught, *via]))
        self.taken.append(is_t)
        return is_t

    def _select(self, j: int, now: list, is_t: list) -> dict:
        """The choice at step j. Interleaved: one transition (`sel`, STOP when
        none). In rounds: one per unit (each unit's selector, idle when none),
        so independent moves of different parties happen at once. Fills
        `is_t`; returns unit -> "idle at step j"."""
        s, lay = self.s, self.layout
        g = lay.g
        if not self.rounds:
            sel = z3.BitVec(f"sel_{j}", lay.SW)
            self.sel.append(sel)
            self.selectors.append([sel])
            s.add(z3.ULE(sel, lay.STOP))
            for i in now:
                is_t[i] = sel == i
            s.add(any_of([is_t[i] for i in now] + [sel == lay.STOP]))
            stop = sel == lay.STOP
            idle = {p: z3.Not(z3.And(z3.UGE(sel, lo), z3.ULT(sel, hi)))
                    for p, (lo, hi) in ((p, lay.range.get(p, (0, 0))) for p in g.parties)}
        else:
            idle, vs = {}, []
            for p in g.parties:
                lo, hi = lay.range.get(p, (0, 0))
                sv = z3.BitVec(f"sel_{p}_{j}", max(1, (hi - lo).bit_length()))
                vs.append(sv)
                mine = [i for i in now if lo <= i < hi]
                for i in mine:
                    is_t[i] = sv == i - lo
                idle[p] = sv == hi - lo
                s.add(any_of([is_t[i] for i in mine] + [idle[p]]))
            self.selectors.append(vs)
            stop = all_of(idle.values())
        if j > 0:
            s.add(z3.Implies(self.stop[j - 1], stop))
        self.stop.append(stop)
        return idle
