"""The claim every unbounded proof on Private Processing rests on: every
run of a larger scenario (more clients, sessions, orchestrators, injections),
renamed by `pp.renaming`, stays inside the fixpoint of `pp.abstraction`'s
finite system (its states, messages, knowledge, events and sightings). Runs are random walks (deliveries favoured, so sessions
complete and overlap); each fact of each world they pass is checked."""
from __future__ import annotations

import random

import pytest

from ppverify.models.deduction import Knowledge
from ppverify.models.scenario import Bounds
from ppverify.proofs.core.system import BudgetHit
from ppverify.proofs.engines.horn.fixpoint import saturate
from ppverify.proofs.pp.renaming import Renaming
from ppverify.proofs.pp.abstraction import AbstractPP
from ppverify.proofs.pp.model import symbolic_model
from ppverify.proofs.pp.system import PPSystem
from ppverify.protocol.controls import scenario
from ppverify.protocol.world import Deliver

LARGER = Bounds(clients=3, sessions=2, cvms=2)


class Inside:
    """The fixpoint's facts, as sets of values."""

    def __init__(self, system: AbstractPP):
        fix = saturate(system)
        g = fix.g
        self.system = system
        self.states = {(u, g.states[u][i]) for u, i in fix.reached}
        self.messages = {g.messages[i] for i in fix.flying}
        self.knowledge = Knowledge(fix.terms)
        self.events = {g.events[j] for i in fix.fired for j in g.transitions[i].events}
        self.sightings = {x for i in fix.fired for x in g.transitions[i].after.sightings}   # (the link facts')

    def outside(self, w, h: Renaming) -> list[str]:
        out = []
        for p, st in w.states:
            out += [f"state {u}: {s}" for u, s in h.local_states(self.system, p, st) if (u, s) not in self.states]
        out += [f"message {m}" for m in (h.value(m) for m in w.inflight) if m not in self.messages]
        out += [f"event {e}" for e in (h.event(e) for e in w.events) if e not in self.events]
        out += [f"term {t}" for t in (h.term(t) for t in w.knowledge.known) if not self.knowledge.derivable(t)]
        out += [f"sighting {x}" for x in ((h.term(m), h.term(p)) for m, p in w.sightings) if x not in self.sightings]
        return out


def walks(system: PPSystem, n: int, steps: int, moves: int, seed: int):
    rng = random.Random(seed)
    for _ in range(n):
        w = system.initial()
        yield w, None
        for _ in range(steps):
            acts = [a for a in system.enabled(w, moves) if not isinstance(a, BudgetHit)]
            if not acts:
                break
            ds = [a for a in acts if isinstance(a, Deliver)]
            a = rng.choice(ds if ds and rng.random() < 0.75 else acts)
            w2, out, rej = system.step(w, a)
            if rej is None:
                w = w2
                yield w, a


@pytest.mark.parametrize("threat,params,disabled,runs", [
    ("network", [], [], 8),
    ("ledger", ["binder=handshake-key"], ["single-use-tokens"], 8),
    ("meta-insider", ["binder=handshake-key"], [], 12),   # sessions complete later there
    # a teardown seizes the whole CVM: the sessions live beside it too (`engines.ground`, `exposes`)
    ("cvm-compromise-after", [], [], 8),
    ("cvm-compromise-after+network", [], ["erasure-at-teardown"], 8),
])
def test_larger_runs_stay_inside_the_fixpoint(threat, params, disabled, runs):
    inside = Inside(AbstractPP(scenario(threat, disabled, params)))
    concrete = PPSystem(symbolic_model(scenario(threat, disabled, params, bounds=LARGER)))
    seen, answered, sighted = 0, set(), set()
    # the first sessions as slot 0, and a later choice (client1's second, orch1's second)
    for w, a in walks(concrete, runs, 90, 4, seed=7):
        seen += 1
        if a is None:   # a new run: its own renamings
            hs = (Renaming(), Renaming({"client1": 1, "orch1": 1, "pred1": 1}))
        if isinstance(a, Deliver) and a.msg.dst == "gateway" and a.msg.kind == "ohttp-req1":
            for h in hs:   # (the gateway's routes are renamed by the session that opened them)
                h.opened(len(w.state("gateway").routes) - 1, a.msg.conn)
        bad = [x for h in hs for x in inside.outside(w, h)]
        assert not bad, f"a fact of a {LARGER} run, renamed, is outside the fixpoint: {bad[:5]}"
        answered |= {(e.name, e.party, e.args[0]) for e in w.events if e.name in ("answer", "accept")}
        sighted |= w.sightings
    # the walks are not vacuous: a session completes, a second session and a second client accept
    # (and, where Meta is the adversary, it sights messages of more than one client)
    assert threat != "meta-insider" or len({m for m, _ in sighted}) > 1
    assert seen > 200 and {("accept", "client1", 1), ("accept", "client2", 0)} <= answered
    assert {("answer", "client1", 0), ("answer", "client1", 1)} & answered
