"""The grounding's shortcuts against the plain grounding: a unit state's
transitions computed from only the messages and knowledge that are new
since it was last expanded, skipping actions that agree with a refused one
on what the refusal read (`Reject.reads`), are exactly those computed from
all of them, every action stepped; on drawn scenarios of the bounded
engines and on the unbounded engine's abstraction. And each refusal's
`reads` is checked directly: every other message agreeing on those fields
is refused in that state too; and each handler marked `opens` (it only
ever adds a session) is checked to leave every started slot alone."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ppverify.proofs.engines.ground import ground
from ppverify.proofs.engines.horn.fixpoint import UNBOUNDED_MOVES
from ppverify.proofs.engines.textbook import Textbook
from ppverify.proofs.pp.abstraction import AbstractPP
from ppverify.proofs.pp.model import symbolic_model
from ppverify.proofs.pp.system import PPSystem
from ppverify.protocol.controls import CONTROLS, PARAMETERS, scenario
from ppverify.protocol.world import Deliver

from tests.conftest import budget


def _signature(g) -> tuple:
    """The grounding as plain values: states, messages, events and knowledge
    by value, each transition by what it connects."""
    trans = sorted((t.party, repr(g.states[t.party][t.pre]), repr(g.states[t.party][t.post]), repr(t.action),
                    tuple(sorted(repr(g.messages[i]) for i in t.sends)),
                    tuple(sorted(repr(g.events[i]) for i in t.events)), tuple(map(repr, t.learned)), t.move,
                    t.after_unit) for t in g.transitions)
    return trans, sorted(map(repr, g.kmax.known)), g.truncated, {u: len(s) for u, s in g.states.items()}


def _same(make, moves: int, max_transitions: int = 6_000) -> int:
    full = ground(make(), moves, 200_000, max_transitions, reference=True)
    fast = ground(make(), moves, 200_000, max_transitions)
    assert _signature(fast) == _signature(full)
    return len(fast.transitions)


def test_the_textbook_grounding_is_the_full_one():
    assert _same(lambda: Textbook(lowe=False), 2) > 0


@pytest.mark.parametrize("threat", ["ledger", "chat-member"])
def test_the_abstraction_grounding_is_the_full_one(threat):
    """The unbounded engine's system, with injections unbounded."""
    assert _same(lambda: AbstractPP(scenario(threat)), UNBOUNDED_MOVES, 25_000) > 100   # (ledger: 134)


scenarios = st.builds(
    lambda threat, disabled, param: scenario(threat, disabled, param),
    st.sampled_from(("cdn", "relay", "ledger", "chat-member", "network")),
    st.lists(st.sampled_from(CONTROLS), max_size=2, unique=True),
    st.sampled_from([()] + [(f"{n}={v}",) for n, vs in PARAMETERS.items() for v in vs]))


@settings(max_examples=budget(6), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sc=scenarios, moves=st.integers(1, 2))
def test_a_drawn_scenario_grounds_the_same(sc, moves):
    try:
        _same(lambda: PPSystem(symbolic_model(sc)), moves)
    except RuntimeError:   # past the transition limit: both raise it (checked here)
        with pytest.raises(RuntimeError):
            ground(PPSystem(symbolic_model(sc)), moves, 200_000, 6_000)


def _refusals_hold(system, moves: int) -> int:
    """Every refusal with `reads`, re-asked of every other message of the
    grounding to that party agreeing on those fields, with every routing
    choice the model offers for it: refused too."""
    g = ground(system, moves, 200_000, 25_000, reference=True)
    blank = system.initial()
    checked = 0
    by_party: dict = {}
    for m in g.messages:
        by_party.setdefault(m.dst, []).append(m)
    for u in g.parties:
        p = g.party(u)
        for st in g.states[u]:
            w = blank.replace(states=tuple((q, st if q == p else s) for q, s in blank.states))
            for m in by_party.get(p, ()):
                _, _, rej = system.step(w, Deliver(m))
                if rej is None or not rej.reads:
                    continue
                for other in by_party[p]:
                    if other is not m and all(getattr(other, f) == getattr(m, f) for f in rej.reads):
                        for d in system.model.deliveries(w.replace(inflight=frozenset({other})), p):
                            assert system.step(w, d)[2] is not None, (rej.reason, m, d)
                            checked += 1
    return checked


@pytest.mark.parametrize("threat", ["network", "relay"])
def test_a_refusal_reads_only_what_it_says(threat):
    """On the scenario's grounding (meta-free threats, whose slots compose): the claim the shortcut rests on."""
    assert _refusals_hold(PPSystem(symbolic_model(scenario(threat))), 1) > 100


def _openings_hold(system, moves: int) -> int:
    """Every message whose handler is marked `opens`, delivered to a slot
    already started (any state of a slot unit but its initial one), with
    every routing choice: refused, or it adds another slot and leaves this
    one as it was. The claim the grounding skips those steps on."""
    g = ground(system, moves, 200_000, 25_000, reference=True)
    blank = system.initial()
    checked = 0
    for u in g.parties:
        p = g.party(u)
        if u == p:
            continue
        key = next(k for k in system.slots(p) if f"{p}#{k}" == u)
        for st in g.states[u][1:]:
            w = blank.replace(states=tuple((q, st if q == p else s) for q, s in blank.states))
            for m in g.messages:
                if m.dst != p or not system.opens(m):
                    continue
                for d in system.model.deliveries(w.replace(inflight=frozenset({m})), p):
                    w2, _, rej = system.step(w, d)
                    if rej is None:
                        post = w2.state(p)
                        assert system.slot_of(p, key, post) == system.slot_of(p, key, st), (u, d)
                        assert system.slot_state(p, key, system.slot_of(p, key, post)) != post, (u, d)
                    checked += 1
    return checked


@pytest.mark.parametrize("make", [lambda: PPSystem(symbolic_model(scenario("network"))),
                                  lambda: AbstractPP(scenario("ledger"))], ids=["network", "abstract-ledger"])
def test_an_opening_handler_never_changes_a_started_slot(make):
    assert _openings_hold(make(), 1) > 50   # (abstract-ledger, one client: 72)
