"""The grounding's incremental expansion against a full one: a unit state's
transitions computed from only the messages and knowledge that are new
since it was last expanded are exactly those computed from all of them,
on drawn scenarios of the bounded engines and on the unbounded engine's
abstraction."""
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
    full = ground(make(), moves, 200_000, max_transitions, incremental=False)
    fast = ground(make(), moves, 200_000, max_transitions)
    assert _signature(fast) == _signature(full)
    return len(fast.transitions)


def test_the_textbook_grounding_is_the_full_one():
    assert _same(lambda: Textbook(lowe=False), 2) > 0


@pytest.mark.parametrize("threat", ["ledger", "chat-member"])
def test_the_abstraction_grounding_is_the_full_one(threat):
    """The unbounded engine's system, with injections unbounded."""
    assert _same(lambda: AbstractPP(scenario(threat)), UNBOUNDED_MOVES, 25_000) > 1_000


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
