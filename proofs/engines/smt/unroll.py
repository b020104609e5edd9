"""The unrolling: a grounded system's states and steps in one solver, with
each property's per-step violation, and the relaxed reachable region that
an unrolling from a free start (`free`) begins in."""
from __future__ import annotations

from functools import cached_property
from typing import Optional

import z3

from ppverify.proofs.engines.grounded import Ground
from ppverify.proofs.engines.smt.logic import all_of, any_of, _Recorded
from ppverify.proofs.engines.smt.monitors import Monitors
from ppverify.proofs.engines.smt.state import Layout, Vars
from ppverify.proofs.engines.smt.step import Steps


class Region:
    """The relaxed reachable set as constraints on a state: each unit in a
    reached local state, only reached messages in flight, only terms with a
    level known; with `events`, the events that must precede that local state
    or message have happened (see `invariant_proofs`)."""

    def __init__(self, layout: Layout, events_used: set, v: Vars, events: bool):
        self.layout, self.events_used, self.v, self.with_events = layout, events_used, v, events

    @cached_property
    def must(self) -> tuple[dict, dict]:
        """Events (of those properties read) that happened before every
        reachable arrival in a local state, or sending of a message: a
        greatest fixpoint over the relaxed reachable transitions."""
        lay = self.layout
        top = frozenset(self.events_used)
        at = {(u, 0): frozenset() for u in lay.g.parties}
        sent = {m: frozenset() for m in lay.g.in_flight}
        changed = True
        while changed:
            changed = False
            for i in lay.relaxed:
                t = lay.trans[i]
                before = at.get((t.party, t.pre), top)
                if t.consumes is not None:
                    before = before | sent.get(t.consumes, top)
                after = before | (top & set(t.events))
                for key, table in [((t.party, t.post), at)] + [(m, sent) for m in t.sends]:
                    new = table.get(key, top) & after
                    if new != table.get(key):
                        table[key], changed = new, True
        return at, sent

    def events_follow(self) -> bool:
        """The event part of the invariant is inductive: on every step from a
        reached local state (consuming a reached message), the events that must
        precede where it goes (local state, messages sent) are among those
        before it plus its own. Checked on every such transition, not only the
        relaxed ones, with what is missing counted as nothing."""
        lay = self.layout
        at, sent = self.must
        used = set(self.events_used)
        for t in lay.trans:
            if (t.party, t.pre) not in lay.reached or (t.consumes is not None and t.consumes not in lay.flying):
                continue
            have = at.get((t.party, t.pre), frozenset()) | (used & set(t.events))
            if t.consumes is not None:
                have |= sent.get(t.consumes, frozenset())
            need = [at.get((t.party, t.post), frozenset())] if (t.party, t.post) in lay.reached else []
            need += [sent.get(m, frozenset()) for m in t.sends if m in lay.flying]
            if any(not n <= have for n in need):
                return False
        return True

    def inside(self, j: int) -> z3.BoolRef:
        return all_of(self.inside_parts(j))

    def inside_parts(self, j: int, events: Optional[bool] = None) -> list:
        """State j lies in the region, as a list of conjuncts (`events`: only
        the event part, False: without it, None: both, if this region has it)."""
        lay, v = self.layout, self.v
        g = lay.g
        c = []
        if events is not True:
            c += [any_of(v.loc[j][p] == si for si in range(len(g.states[p])) if (p, si) in lay.reached)
                  for p in g.parties]
            c += [z3.Not(b) for m, b in enumerate(v.fly[j]) if m not in lay.flying]
            c += [z3.Not(b) for x, b in v.k[j].items() if x not in lay.relaxed_terms]
        if not self.with_events or events is False:
            return c
        at, sent = self.must
        c += [z3.Implies(v.loc[j][p] == si, all_of(v.ev[j][e] for e in sorted(es)))
              for (p, si), es in at.items() if es and (p, si) in lay.reached]
        c += [z3.Implies(v.fly[j][m], all_of(v.ev[j][e] for e in sorted(es)))
              for m, es in sent.items() if es and m in lay.flying]
        return c


class Encoding:
    """The unrolling of `g` with the properties of `encodings` (prop ->
    `core.encodings.SmtEncoding`, None: not encoded). With `free`, state 0 is
    any state inside the relaxed reachable region (not the initial one) and
    every transition and term is encoded from the start: one step of it
    checks the region is inductive."""

    def __init__(self, g: Ground, encodings: dict, max_moves: int, seed: int = 0, rounds: bool = False,
                 free: bool = False, events: bool = True, track: frozenset = frozenset()):
        self.g, self.max_moves, self.rounds, self.free = g, max_moves, rounds, free
        # Everything is Boolean or a bit-vector: z3's finite-domain solver
        # (bit-blasting into its SAT core) is an order of magnitude faster here.
        self.s = _Recorded(z3.SolverFor("QF_FD"))
        self.s.set("random_seed", seed)
        self.layout = Layout(g, free)
        self.monitors = Monitors(self.layout, encodings)
        self.props = self.monitors.props
        self.monitors.events_used |= track   # events the honest run's search reads
        self.vars = Vars(self.layout, self.monitors.events_used, self.monitors.after.wire_terms)
        self.region = Region(self.layout, self.monitors.events_used, self.vars, events)
        self.steps = Steps(self.layout, self.vars, self.s, max_moves, rounds, self.monitors.after.wired)
        self.vars.new_state(0)
        if free:
            self.s.add(self.region.inside(0))
            self.s.add(z3.ULE(self.vars.moves[0], max_moves))
        else:
            self.vars.start(self.s)

    def add_step(self) -> list:
        """Encode one more step; returns, per property of `props`, "it fails at this step"."""
        j = len(self.steps.taken)
        is_t = self.steps.add()
        return [self.monitors.bad(p, j, is_t, self.vars, self.s) for p in self.props]

    def path(self, model, prop: Optional[str] = None, upto: Optional[int] = None) -> list:
        """The run in `model`, as actions. A round is laid out so that what
        `prop` checks fails as it did in the round: a transition whose events
        lack justification goes before the others (it did not wait for them),
        a redemption before issuances, an answer (forward-secrecy) last."""
        first, last = self.monitors.first(prop), self.monitors.last(prop)
        out = []
        for j, is_t in enumerate(self.steps.taken[:upto]):
            if z3.is_true(model.eval(self.steps.stop[j], model_completion=True)):
                break
            now = [i for i, b in enumerate(is_t) if not z3.is_false(b)
                   and z3.is_true(model.eval(b, model_completion=True))]
            now.sort(key=lambda i: (i in last, i not in first, i))
            out += [self.layout.trans[i].action for i in now]
        return out

