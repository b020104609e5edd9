"""The adapter that makes the Private Processing model an engine
`SmtSystem` (`core.system`): where a run starts, which actions are enabled
and how one is applied (the model's), each property's monitor (the
catalogue's); the slot algebra (`pp.slots`) and the SMT encodings
(`pp.encodings`) are their own parts, reached through the protocol's hooks.
The explorer walks `actions` (which may prune interleavings that commute);
the SMT engine grounds `enabled` (every action).
"""
from __future__ import annotations

from typing import Iterator, Optional

from ppverify.models.indexes import exhausted_in
from ppverify.proofs.core.encodings import SmtEncoding
from ppverify.proofs.core.system import BUDGET_HIT, BudgetHit, Monitor
from ppverify.proofs.pp.encodings import Encodings
from ppverify.proofs.pp.slots import Slots
from ppverify.proofs.properties.catalogue import BY_NAME, Facts, completed
from ppverify.proofs.properties.watch import watch
from ppverify.protocol.adversary import Cut, expectations, injections, prefetches
from ppverify.protocol.visibility import terms_in
from ppverify.protocol.world import Inject, Model, World


class PPSystem:
    """Private Processing under one scenario (a symbolic `Model`)."""
    name = "private-processing"
    budget = 4000   # injection candidates per receiver pattern before a search reports a truncation

    def __init__(self, model: Model):
        self.model, self.facts = model, Facts(model)
        self.slotting = Slots(model, self.facts)
        self.encodings = Encodings(model, self.facts)

    def initial(self) -> World:
        return self.model.initial()

    def step(self, w: World, action):
        return self.model.step(w, action)

    def monitor(self, prop: str) -> Monitor:
        mon, facts = BY_NAME[prop].monitor, self.facts
        return lambda w0, w, out: mon(facts, w0, w, out)

    def watch(self, props: tuple[str, ...]):
        """Each monitor only on the transitions it can fire on (`properties.watch`)."""
        return watch(self.facts, [BY_NAME[p] for p in props])

    def completed(self, w0: World, w: World, out) -> bool:
        return completed(self.facts, w0, w, out)

    def may_inject(self, w: World, action) -> Optional[str]:
        m = action.msg
        if not self.model.adversary_injects(m.src, m.dst):
            return f"the adversary controls no link {m.src}->{m.dst}"
        if not w.knowledge.derivable(m.payload):
            return "the injected message is not derivable"
        return None

    def _injections(self, w: World, expected, max_moves: int, offered: Optional[dict] = None) -> Iterator:
        model = self.model
        if w.moves >= max_moves:
            return
        budget_hit, cut = False, None
        for msg, hit in injections(model, w, expected, self.budget, offered):
            budget_hit |= hit
            if isinstance(msg, Cut):
                cut = cut or msg
                continue
            d = model.setup.parties[msg.dst]
            if msg.kind in d.choosing:
                for ch in d.choices(w.state(msg.dst), msg, model.env, msg.dst):
                    yield Inject(msg, ch)
            else:
                yield Inject(msg)
        if budget_hit:
            yield BudgetHit(str(cut or ""))

    def actions(self, w: World, max_moves: int = 2) -> Iterator:
        """Enabled actions with two canonical choices: the adversary's up-front
        handshakes come first, and an invisible delivery to a party the
        adversary cannot currently reach is explored alone."""
        model = self.model
        if not any(e.name in ("consent", "auto-invoke") for e in w.events):
            pre = prefetches(model, w)
            if pre:
                yield Inject(pre[0])
                return
        # Why an invisible delivery `a` (`Model.invisible`) may be explored alone:
        # a message the adversary neither reads nor forges, to an honest
        # non-gateway party p with no other message in flight, no routing
        # choice, and (checked here) no injection the adversary could make to p.
        # - a stays enabled until taken: only p consumes it and nothing drops it.
        # - a is independent of every other enabled action b: b is no delivery
        #   or injection to p (p has one message, none reaches it), and no
        #   invocation of p (a client with a message in flight is mid-session,
        #   and sessions run one after another, `client.can_invoke`; a message
        #   for an ended session is rejected without changing p). So b leaves
        #   p's state and the message alone, a's effect is the same before or
        #   after b, and the effects compose: party states of different parties,
        #   unions of messages, events, sightings and wire, and the knowledge
        #   closure of a union of observations, which does not depend on order.
        #   b stays enabled after a: knowledge only grows, other parties'
        #   states are untouched, and a is no injection (the move bound).
        # - monitors: each interleaving with b before a has a reduced twin
        #   reaching the same world after both. A monitor that fires on b before
        #   a fires on b after a too, if it is monotone in what a adds (knowledge,
        #   wire, events, p's progress): the assumption the differential test
        #   checks. Routing choices, whose monitors read the knowledge at that
        #   very moment, are excluded by `invisible`.
        # The differential test (tests/test_reductions.py) checks the verdicts
        # against the unreduced stream. `expectations(model, w, p)` are the
        # entries whose receiver is p, so the others are computed only when needed.
        deliveries = model.deliveries(w)
        for d in deliveries:
            p = d.msg.dst
            if model.invisible(w, d.msg) and not any(True for _ in expectations(model, w, p)):
                yield d
                return
        yield from model.invocations(w)
        yield from deliveries
        yield from self._injections(w, None, max_moves)  # None: expectations computed there, if moves remain
        if w.moves < max_moves and exhausted_in(w.knowledge):
            yield BUDGET_HIT  # a fresh value may be wanted that the supply lacks

    def enabled(self, w: World, max_moves: int = 2, party: Optional[str] = None,
                offered: Optional[dict] = None) -> Iterator:
        """Every enabled action (of `party` only, if given), unreduced; with
        `offered`, less the injections it says were offered (`SmtSystem`)."""
        model = self.model
        yield from (Inject(m) for m in prefetches(model, w, party))
        yield from model.invocations(w, party)
        yield from model.deliveries(w, party)
        yield from self._injections(w, list(expectations(model, w, party)), max_moves, offered)

    # --- the SMT engine's hooks: slots (pp.slots) and encodings (pp.encodings) ---------
    def slots(self, party: str) -> tuple:
        return self.slotting.slots(party)

    def slot_ordered(self, party: str) -> bool:
        return self.slotting.slot_ordered(party)

    def slot_ready(self, party: str, entry) -> bool:
        return self.slotting.slot_ready(party, entry)

    def slot_state(self, party: str, key, entry):
        return self.slotting.slot_state(party, key, entry)

    def slot_of(self, party: str, key, st):
        return self.slotting.slot_of(party, key, st)

    def slot_compose(self, party: str, entries: dict):
        return self.slotting.slot_compose(party, entries)

    def check_slots(self, g) -> None:
        self.slotting.check_slots(g)

    def opens(self, msg) -> bool:
        return self.model.opens(msg)

    def slot_admits(self, party: str, key, msg) -> bool:
        return self.slotting.slot_admits(party, key, msg)

    def depends(self, party: str, key=None, st=None) -> tuple[str, ...]:
        return self.slotting.depends(party, key, st)

    def exposes(self, party: str, out) -> bool:
        """A teardown under cvm-compromise-after seizes the whole CVM (`Visibility.glimpse`)."""
        return "cvm-compromise-after" in self.model.threat and any(e.name == "teardown" for e in out.events)

    def held(self, state) -> list:
        return terms_in(state)

    def smt_encoding(self, prop: str) -> Optional[SmtEncoding]:
        return self.encodings.smt_encoding(prop, self.monitor(prop))

    def refine(self, encodings: dict, g) -> dict:
        return self.encodings.refine(encodings, g)

    # --- the unbounded engine's hooks: a scenario's names are its own (no renaming) ----
    def distinguished(self, e) -> bool:
        return True

    def mark(self, e):
        return e
