"""Conformance of the two backends: every concrete run maps step by step onto
a symbolic trace that the symbolic world accepts, with the same message
shapes.

The schedule is driven from the concrete side: at each step hypothesis picks
one of the actions the concrete world enables (an invocation, or the delivery
of any message in flight, with any routing choice), for random controls,
parameters, clients and sessions. Each concrete action is mapped to the
symbolic one (the delivered message is the symbolic twin of the concrete one
the step that sent it produced); both worlds must accept or reject alike and
send the same messages (src, dst, kind, conn) with the same payload tuple
structure. The symbolic actions are then written as a JSON trace
(`proofs.serial`) and replayed on a fresh symbolic world, which must enable
every step and reach the same outcome.
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import budget
from ppverify.models.scenario import Bounds
from ppverify.proofs.core.serial import action_from_json, action_to_json
from ppverify.protocol.concrete import ConcreteCrypto
from ppverify.protocol.controls import BINDERS, CONTROLS, scenario
from ppverify.protocol.messages import Env
from ppverify.protocol.setup import CHATS, DRAFT, build
from ppverify.protocol.symbolic import SymbolicCrypto
from ppverify.protocol.world import Deliver, Invoke, Model
from twin import cshape, shape

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
    s, c = SymbolicCrypto(), ConcreteCrypto(seed=seed, credential_scheme=sc.param("credential-scheme"))
    ss, cs = build(s, sc, CHAT_SET), build(c, sc, CHAT_SET)
    return Model(ss, Env(s, sc, ss.static), True), Model(cs, Env(c, sc, cs.static), False)


def run(sc, seed: int, pick) -> tuple[list[dict], list]:
    """Run a concrete schedule chosen by `pick`; return the symbolic trace
    (as JSON) and the outcome of every step."""
    sym, con = models(sc, seed)
    ws, wc = sym.initial(), con.initial()
    twin_of: dict = {}   # concrete message -> the symbolic one sent at the same point
    trace, outcomes = [], []
    for _ in range(200):
        options = con.invocations(wc) + con.deliveries(wc)
        if not options:
            break
        ca = pick(options)
        sa = ca if isinstance(ca, Invoke) else Deliver(twin_of[ca.msg], ca.choice)
        wc, co, crej = con.step(wc, ca)
        ws, so, srej = sym.step(ws, sa)
        assert (crej is None) == (srej is None), (
            f"{ca}: concrete {crej and crej.reason}, symbolic {srej and srej.reason}")
        key = [(m.src, m.dst, m.kind, m.conn) for m in so.sends]
        assert key == [(m.src, m.dst, m.kind, m.conn) for m in co.sends], (sa, so.sends, co.sends)
        for sm, cm in zip(so.sends, co.sends):
            assert cshape(cm.payload, shape(sm.payload)) == shape(sm.payload), (sa, sm)
            twin_of[cm] = sm
        assert [e.name for e in so.events] == [e.name for e in co.events], sa
        assert len(so.learned) == len(co.learned), sa
        trace.append(action_to_json(sa))
        outcomes.append(srej.reason if srej else None)
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
