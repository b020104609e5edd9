"""Fuzzing every receive path, beyond `test_rejection` (which corrupts each
delivery of the honest run of two scenarios): here every handler of every
party, in scenarios that reach the other paths (the images a meta-insider
launches, the gateway serving its own key config, no GPU encryption, no
OHTTP, RSA blind signatures, two clients with two sessions each), gets
  random      random bytes and random well-formed tuples, in several states
  reordered   two fields of the (nested) tuple payload swapped
  replayed    a message delivered again later, byte for byte
  crossed     a message of another session (same kind) on this session's connection
Every input goes through `Model.step`: the receiver rejects with its typed
`Reject` (no other exception escapes), the world is unchanged but for the
consumed message, and neither the rejection nor any log record carries
plaintext. Inputs a receiver need not authenticate (`test_rejection.LENIENT`)
may also be accepted; a replay or crossed message accepted by any other
receiver fails the test.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import budget
from ppverify.models.scenario import Bounds
from ppverify.models.terms import const, tup
from ppverify.proofs.pp.model import symbolic_model
from ppverify.protocol.concrete import encode_tuple
from ppverify.protocol.controls import scenario
from ppverify.protocol.messages import Msg, Reject
from ppverify.protocol.setup import CHATS, DRAFT
from ppverify.protocol.simulate import concrete_model
from ppverify.protocol.world import Deliver, Invoke, Model, World
from test_deduction import terms
from test_rejection import LENIENT, Case, _encode, _leaks, _tree

# name -> (threat, disabled, parameters, bounds, the load balancer's pick)
SCENARIOS = {
    "two-clients": ("none", [], [], Bounds(2, 2, 1), "orch1"),
    "evil-image": ("meta-insider", [], [], Bounds(1, 1, 1), "orch-evil"),
    "revoked-image": ("meta-insider", ["revocation-check"], [], Bounds(1, 1, 1), "orch-revoked"),
    "config-image": ("meta-insider", ["measured-configuration"], [], Bounds(1, 1, 1), "orch-config"),
    "gateway-config": ("none", ["third-party-key-config", "third-party-relay"], [], Bounds(1, 2, 1), "orch1"),
    "bare": ("none", ["gpu-confidential-mode", "ohttp-encapsulation", "response-authentication"], [],
             Bounds(1, 1, 1), "orch1"),
    "rsa-blind": ("none", [], ["credential-scheme=rsa-blind", "binder=exporter"], Bounds(1, 1, 1), "orch1"),
}


@functools.lru_cache(maxsize=None)
def run(name: str) -> tuple[tuple[Case, ...], World]:
    """The honest run of a scenario (first in, first out; the given pick at
    the load balancer), every delivery with the world before it, and the end."""
    threat, disabled, params, bounds, pick = SCENARIOS[name]
    model = concrete_model(scenario(threat, disabled, params, bounds), 1, {**CHATS, **DRAFT})
    w, cases = model.initial(), []
    for chat in ("work", "draft"):
        for client in sorted(p for p, d in model.setup.parties.items() if d.role == "client"):
            if model.invocations(w):
                w, _, _ = model.step(w, Invoke(client, chat))
            while w.inflight:
                ds = model.deliveries(w)
                action = next((d for d in ds if d.choice in ("", pick)), ds[0])
                cases.append(Case(name, len(cases), w, action, model))
                w, _, _ = model.step(w, action)
    return tuple(cases), w


def all_cases() -> list[Case]:
    return [c for name in SCENARIOS for c in run(name)[0]]


def attempt(model: Model, w: World, msg: Msg, choice: str, what: str, may_accept: bool, caplog) -> str:
    """Deliver `msg` in world `w` through `Model.step`; check the outcome."""
    w = w.replace(inflight=w.inflight | {msg})
    caplog.clear()
    try:
        w2, out, rej = model.step(w, Deliver(msg, choice))
    except Exception as exc:  # noqa: BLE001 -- the point: nothing but Reject escapes
        pytest.fail(f"{what}: {type(exc).__name__} escaped instead of Reject: {exc}")
    for rec in caplog.records:
        assert not _leaks(rec.getMessage()), f"{what}: plaintext in log {rec.getMessage()!r}"
    if rej is None:
        assert may_accept, f"{what}: accepted by {msg.dst}, which must reject it"
        attempt.last = (w2, out)
        return "accept"
    assert isinstance(rej, Reject) and rej.party == msg.dst, (what, rej)
    assert not _leaks(rej.reason) and not _leaks(str(rej)), f"{what}: plaintext in {rej.reason!r}"
    assert w2.states == w.states and w2.events == w.events and w2.obs == w.obs, what
    assert w2.inflight == w.inflight - {msg}, what
    return "reject"


# --- every handler of every party, random input, in several states ------------------

@functools.lru_cache(maxsize=None)
def handler_targets() -> list[tuple]:
    """(scenario, world, party, kind, choice) for every handler of every party,
    at the start, the middle and the end of each honest run."""
    out = []
    for name in SCENARIOS:
        cases, end = run(name)
        model = cases[0].model
        worlds = [model.initial(), cases[len(cases) // 2].world, end]
        for p, d in sorted(model.setup.parties.items()):
            for kind in sorted(d.handlers):
                for w in worlds:
                    choice = ""
                    if kind in d.choosing:
                        choice = d.choices(w.state(p), Msg("x", p, kind, b""), model.env, p)[0]
                    out.append((name, w, p, kind, choice))
    return out


def _random_tuple(draw_bytes):
    return st.recursive(draw_bytes, lambda kids: st.lists(kids, max_size=6).map(
        lambda xs: encode_tuple(*xs)), max_leaves=10)


@settings(max_examples=budget(60), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_handler_random_input(data, caplog):
    name, w, party, kind, choice = data.draw(st.sampled_from(handler_targets()))
    model = run(name)[0][0].model
    role = model.roles[party]
    leaves = st.one_of(st.binary(max_size=80), st.sampled_from(
        [b"", kind.encode(), b"client-hello", b"server-hello", b"\x54\x00\x00\x00\x01"]))
    payload = data.draw(st.one_of(st.binary(max_size=300), _random_tuple(leaves)))
    src = data.draw(st.sampled_from(sorted(model.setup.parties)))
    conn = data.draw(st.sampled_from(["", "route1", "client1.s1.r1", "orch1.p1", "adv.x"]))
    msg = Msg(src, party, kind, payload, conn)
    attempt(model, w, msg, choice, f"{name}:{party}:{kind} <- {payload[:40]!r}",
            (role, kind) in LENIENT, caplog)


# --- re-ordered fields ---------------------------------------------------------------------

def _lists(tree, path=()):
    if isinstance(tree, list):
        if len(tree) >= 2:
            yield path
        for i, t in enumerate(tree):
            yield from _lists(t, path + (i,))


def _swap(tree, path, i, j):
    if not path:
        out = list(tree)
        out[i], out[j] = out[j], out[i]
        return out
    out = list(tree)
    out[path[0]] = _swap(tree[path[0]], path[1:], i, j)
    return out


@settings(max_examples=budget(60), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_reordered_fields_rejected(data, caplog):
    case = data.draw(st.sampled_from([c for c in all_cases() if list(_lists(_tree(c.msg.payload)))]))
    tree = _tree(case.msg.payload)
    path = data.draw(st.sampled_from(list(_lists(tree))))
    node = tree
    for k in path:
        node = node[k]
    i, j = data.draw(st.sampled_from([(i, j) for i in range(len(node)) for j in range(i + 1, len(node))]))
    if _encode(node[i]) == _encode(node[j]):
        return  # swapping equal fields changes nothing
    bad = _encode(_swap(tree, path, i, j))
    # a swap that only moves the unauthenticated leading label (see test_rejection)
    label_only = path == () and 0 in (i, j) and case.model.roles[case.msg.dst] != "client"
    attempt(case.model, case.world, replace(case.msg, payload=bad), case.action.choice,
            f"{case}: swap fields {i},{j} at {path}", case.lenient or label_only or unauthenticated(case),
            caplog)


# --- replayed and cross-session messages -------------------------------------------------------

# A replay these receivers accept is passed on, and must die one hop later.
REPLAY_FORWARDERS = {
    ("gateway", "ohttp-req2"): "the gateway forwards the record again; the CVM's ended session refuses it",
    ("gpu", "gpu-task"): "the GPU is a stateless accelerator; the predictor's ended session refuses the result",
}


def unauthenticated(case: Case) -> bool:
    """Content that a switched-off control leaves unprotected: without
    gpu-confidential-mode the bounce buffer is plain (a re-ordered task is
    still a task); without ohttp-encapsulation the gateway forwards the client
    hello it cannot check (the CVM or the client refuses it later)."""
    at = (case.model.roles[case.msg.dst], case.msg.kind)
    on = case.model.env.on
    return ((at in (("gpu", "gpu-task"), ("cvm", "gpu-result")) and not on("gpu-confidential-mode"))
            or (at in (("gateway", "ohttp-req1"), ("gateway", "ohttp-req2"))
                and not on("ohttp-encapsulation")))


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_replayed_messages_rejected(name, caplog):
    """Every message delivered once is delivered again at the end of the run."""
    cases, end = run(name)
    outcomes = {}
    for case in cases:
        what = f"{case}: replayed after the run"
        forwarder = (case.model.roles[case.msg.dst], case.msg.kind) in REPLAY_FORWARDERS
        outcomes[str(case)] = attempt(case.model, end, case.msg, case.action.choice, what,
                                      case.lenient or forwarder, caplog)
        if outcomes[str(case)] == "accept" and forwarder:
            w2, out = attempt.last
            for m in out.sends:
                lenient = (case.model.roles[m.dst], m.kind) in LENIENT
                assert attempt(case.model, w2, m, "", f"{what}, forwarded to {m.dst}", lenient,
                               caplog) == "reject" or lenient
    assert "reject" in outcomes.values()


def _session_of(conn: str) -> str:
    """'client1.s2' of 'client1.s2.r1'; '' when the connection names no session."""
    parts = conn.split(".")
    return ".".join(parts[:2]) if len(parts) >= 3 and parts[1].startswith("s") else ""


@pytest.mark.parametrize("name", ["two-clients", "gateway-config"])
def test_cross_session_messages_rejected(name, caplog):
    """A client's message of session B, relabelled with session A's connection,
    delivered where A's message was expected."""
    cases, _ = run(name)
    tried = 0
    for case in cases:
        mine = _session_of(case.msg.conn)
        if not mine or case.model.roles[case.msg.dst] != "client":
            continue
        for other in cases:
            theirs = _session_of(other.msg.conn)
            if theirs and theirs != mine and other.msg.kind == case.msg.kind \
                    and other.msg.payload != case.msg.payload:
                bad = replace(case.msg, payload=other.msg.payload)
                attempt(case.model, case.world, bad, case.action.choice,
                        f"{case}: payload of {other}", case.lenient, caplog)
                tried += 1
                break
    assert tried >= 4, tried


@pytest.fixture
def caplog(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


# --- unknown kinds, and the symbolic backend's receive paths ------------------------------

@pytest.mark.parametrize("name", ["two-clients", "evil-image"])
def test_unknown_kind_rejected_by_every_party(name, caplog):
    cases, end = run(name)
    model = cases[0].model
    for party in sorted(model.setup.parties):
        msg = Msg("client1", party, "no-such-kind", b"\x00", "x")
        assert attempt(model, end, msg, "", f"{party}: unknown kind", False, caplog) == "reject"


@functools.lru_cache(maxsize=None)
def symbolic_targets() -> tuple:
    """(model, world, party, kind, choice) for every handler, symbolic backend,
    at the start and in the middle of the honest run of the meta-insider scenario."""
    model = symbolic_model(scenario("meta-insider"))
    w = model.initial()
    w, _, _ = model.step(w, Invoke("client1", "work"))
    worlds = [model.initial()]
    for i in range(40):
        ds = model.deliveries(w)
        if not ds:
            break
        w, _, _ = model.step(w, ds[0])
        if i in (6, 12, 18):
            worlds.append(w)
    out = []
    for p, d in sorted(model.setup.parties.items()):
        for kind in sorted(d.handlers):
            for w in worlds:
                ch = d.choices(w.state(p), Msg("x", p, kind, None), model.env, p)[0] \
                    if kind in d.choosing else ""
                out.append((model, w, p, kind, ch))
    return tuple(out)


@settings(max_examples=budget(60), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_symbolic_handlers_reject_junk_terms(data, caplog):
    """The same party code over terms: junk terms (and tuples of the receiver's
    own kind of shape) are rejected with Reject or accepted, nothing else."""
    model, w, party, kind, choice = data.draw(st.sampled_from(symbolic_targets()))
    junk = data.draw(st.one_of(terms, st.lists(terms, max_size=7).map(lambda xs: tup(const(kind), *xs))))
    msg = Msg("client1", party, kind, junk, data.draw(st.sampled_from(["", "route1", "client1.s1.r1"])))
    attempt(model, w, msg, choice, f"symbolic {party}:{kind} <- {junk!r}"[:200], True, caplog)
