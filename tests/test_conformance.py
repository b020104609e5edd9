"""Conformance of the two backends: every concrete run maps step by step onto
a symbolic trace that the symbolic world accepts, with the same message
shapes.

The schedule is driven from the concrete side: at each step hypothesis picks
one of the actions the concrete world enables (an invocation, or the delivery
of any message in flight, with any routing choice), for random controls,
parameters, clients and sessions. Each concrete action is mapped to the
symbolic one (the delivered message is the symbolic twin of the concrete one
the step that sent it produced), and both run in lockstep
(`proofs.replay.lockstep`): both worlds must accept or reject alike, send the
same messages (src, dst, kind, conn) with the same payload tuple structure,
emit the same events and learn as many values. The symbolic actions are then
written as a JSON trace (`proofs.core.serial`) and replayed on a fresh
symbolic world, which must enable every step and reach the same outcome.
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import budget
from ppverify.models.scenario import Bounds
from ppverify.proofs.core.serial import action_from_json, action_to_json
from ppverify.proofs.replay.holdings import Values
from ppverify.proofs.replay.lockstep import Lockstep
from ppverify.protocol.controls import BINDERS, CONTROLS, scenario
from ppverify.protocol.messages import Env
from ppverify.protocol.setup import CHATS, DRAFT, build
from ppverify.protocol.simulate import concrete_model
from ppverify.protocol.symbolic import SymbolicCrypto
from ppverify.protocol.world import Deliver, Invoke, Model

CHAT_SET = {**CHATS, **DRAFT}

scenarios = st.builds(
    lambda disabled, binder, scheme, clients, sessions: scenario(
        "none", disabled, [f"binder={binder}", f"credential-scheme={scheme}"],
        Bounds(clients, sessions, 1)),
    st.lists(st.sampled_from(CONTROLS), max_size=3, unique=True),
    st.sampled_from(BINDERS),
    st.sampled_from(("voprf", "rsa-blind")),
    st.integers(1, 2),
    st.integers(1, 2),
)


def models(sc, seed: int) -> tuple[Model, Model]:
    s = SymbolicCrypto()
    ss = build(s, sc, CHAT_SET)
    return Model(ss, Env(s, sc, ss.static), True), concrete_model(sc, seed, CHAT_SET)


def run(sc, seed: int, pick) -> tuple[list[dict], list]:
    """Run a concrete schedule chosen by `pick` in lockstep (which checks the
    two sides conform at every step); return the symbolic trace (as JSON)
    and the outcome of every step."""
    sym, con = models(sc, seed)
    ls = Lockstep(sym, con, Values(con.env.crypto))
    twin_of: dict = {}   # concrete message -> the symbolic one sent at the same point
    trace, outcomes = [], []
    for _ in range(200):
        options = con.invocations(ls.wc) + con.deliveries(ls.wc)
        if not options:
            break
        ca = pick(options)
        sa = ca if isinstance(ca, Invoke) else Deliver(twin_of[ca.msg], ca.choice)
        done = ls.step(sa, ca)
        twin_of.update((cm, sm) for sm, cm in done.sends)
        trace.append(action_to_json(sa))
        outcomes.append(done.rejected)
    ws, wc = ls.ws, ls.wc
    assert {p for p, _ in ws.states} == {p for p, _ in wc.states}
    for p, st_ in wc.states:  # same phases everywhere at the end
        if con.roles[p] == "client":
            assert [s.phase for s in st_.sessions] == [s.phase for s in ws.state(p).sessions], p
    return trace, outcomes, wc


@settings(max_examples=budget(15))
@given(sc=scenarios, seed=st.integers(0, 5), data=st.data())
def test_concrete_runs_map_onto_accepted_symbolic_traces(sc, seed, data):
    trace, outcomes, _ = run(sc, seed, lambda options: data.draw(st.sampled_from(options)))
    sym, _ = models(sc, seed)
    w = sym.initial()
    for j, expected in zip(trace, outcomes):
        a = action_from_json(j, w.inflight)  # a delivery must name a message in flight
        w, _, rej = sym.step(w, a)
        assert (rej.reason if rej else None) == expected, j


def test_published_design_first_in_first_out():
    """The schedule `simulate` uses, both sessions of both chats: every step accepted."""
    sc = scenario("none", [], [], Bounds(2, 2, 1))
    _, outcomes, wc = run(sc, 0, lambda options: options[0])
    assert outcomes and all(o is None for o in outcomes), outcomes
    for client in ("client1", "client2"):
        assert [s.phase for s in wc.state(client).sessions] == ["done", "done"]
