"""Attacks replayed with real cryptography: the adversary's injections are
built from the bytes it holds, and the replay ends with the leaked bytes, the
link, or the breaking event. Representative attacks of every kind (the cdn
subset of `ppverify mutate` is replayed in full in test_mutate.py)."""
import functools
import json
import re

import pytest

from ppverify.models.terms import App, Atom, const
from ppverify.proofs.analyses.check import check_threat
from ppverify.proofs.cli.main import main
from ppverify.proofs.render.explain import mermaid, steps_text
from ppverify.proofs.replay.concrete import replay_concrete
from ppverify.proofs.replay.holdings import Holdings, NotHeld
from ppverify.proofs.pp.model import symbolic_model
from ppverify.proofs.replay.symbolic import trace_from_json
from ppverify.proofs.core.serial import TraceFormatError
from ppverify.proofs.core.verdicts import Violated
from ppverify.protocol.concrete import ConcreteCrypto
from ppverify.protocol.controls import scenario

CASES = [
    # (threat, disabled, set, property, what the evidence must show)
    ("network", [], [], "request-secrecy", b"Standup moved to 10:00"),        # the binder finding
    ("network", [], [], "response-secrecy", b"Summary of 2 messages"),
    ("relay", ["ohttp-encapsulation"], [], "request-secrecy", b"Dana: the Lisbon offsite"),
    ("cvm-compromise-after", ["erasure-at-teardown"], [], "forward-secrecy", b"Standup"),
    ("meta-insider", ["ra-tls"], [], "request-secrecy", b"Standup"),   # the gateway reads it
    ("meta-insider", ["credential-blinding"], [], "credential-unlinkability", "+15550000001"),
    # the link is the adversary's own message (a per-client issuer key) seen with the identity
    ("meta-insider", ["issuer-key-consistency"], [], "client-unlinkability", "pk(adv.cred)"),
    ("cdn", [], [], "key-consistency", "keys("),
    ("chat-member", ["advanced-chat-privacy"], [], "chat-privacy-respected", "Grandma's surgery"),
    ("none", ["data-minimization"], [], "data-minimization", "+15550000001"),
]


@functools.lru_cache(maxsize=None)
def _found(threat, disabled, params, prop, max_states):
    (r,) = check_threat(scenario(threat, list(disabled), list(params)), (prop,), max_states=max_states)
    return r


def _trace(threat, disabled, params, prop, max_states=6000):
    r = _found(threat, tuple(disabled), tuple(params), prop, max_states)
    assert isinstance(r.verdict, Violated), f"{prop} under {threat} with {disabled} off: {r.verdict}"
    return r.verdict.trace


@pytest.mark.parametrize("threat,disabled,params,prop,shown", CASES)
def test_attack_replays_with_real_bytes(threat, disabled, params, prop, shown):
    trace = _trace(threat, disabled, params, prop)
    rep = replay_concrete(trace)
    if isinstance(shown, bytes):
        assert any(shown in v for v in rep.leaked.values()), \
            f"{prop}: the adversary should hold {shown!r}; holds {sorted(rep.leaked)}"
    else:
        assert shown in "\n".join(rep.evidence), f"{prop}: evidence lacks {shown!r}: {rep.evidence}"
    assert len(rep.steps) >= len(trace.steps)


def test_active_attack_builds_its_injections_from_held_bytes():
    rep = replay_concrete(_trace("network", [], [], "request-secrecy"))
    assert rep.injected >= 1, "the binder attack injects a server hello with the adversary's key share"


def test_holdings_never_invent_a_secret():
    c = ConcreteCrypto()
    h = Holdings(c)
    key, msg = Atom("k", "key"), Atom("m", "data")
    with pytest.raises(NotHeld):
        h.value(App("aead", (key, const("x"), const("ad"))))
    assert h.value(const("ad")) == b"ad"
    kb = c.fresh("k", "key")
    ct = c.aead_seal(kb, b"secret", b"ad")
    h.add([(App("aead", (key, msg, const("ad"))), ct)])
    assert msg not in h.held, "a ciphertext must not open without its key"
    h.add([(key, kb)])
    assert h.held[msg] == b"secret", "a key learned later opens what was seen earlier"


def test_concrete_replay_rejects_a_trace_that_does_not_break_the_property():
    t = _trace("cdn", [], [], "key-consistency")
    j = t.to_json()
    j["property"] = "request-secrecy"
    with pytest.raises(Exception) as exc:
        replay_concrete(trace_from_json(j))
    assert "does not violate" in str(exc.value)


def test_stale_and_malformed_traces_are_clear_errors(tmp_path, capsys):
    t = _trace("cdn", [], [], "key-consistency").to_json()
    stale = dict(t, version=0)
    broken = dict(t, steps=[{"number": 1}])
    for bad, msg in ((stale, "re-run the check"), (broken, "malformed trace")):
        p = tmp_path / "t.json"
        p.write_text(json.dumps(bad))
        assert main(["replay", str(p)]) == 2
        assert msg in capsys.readouterr().err
    with pytest.raises(TraceFormatError):
        trace_from_json([])


def test_cli_replay_runs_concretely_and_explain_draws_the_attack(tmp_path, capsys):
    p = tmp_path / "t.json"
    p.write_text(json.dumps(_trace("cdn", [], [], "key-consistency").to_json()))
    assert main(["replay", str(p)]) == 1
    out = capsys.readouterr().out
    assert "replayed on the symbolic model" in out and "Replayed with real cryptography" in out
    assert main(["explain", "--property", "user-consent", "--threat", "none", "--disable", "user-opt-in"]) == 1
    out = capsys.readouterr().out
    assert "sequenceDiagram" in out and "background trigger" in out and "released its request" in out
    assert main(["explain", "--property", "user-consent", "--threat", "none"]) == 0
    assert "nothing to explain" in capsys.readouterr().out


def test_mermaid_draws_adversary_moves_from_its_own_lane():
    t = _trace("network", [], [], "request-secrecy")
    m = mermaid(t, symbolic_model(scenario("network")).roles)
    assert m.startswith("sequenceDiagram") and "actor adversary" in m
    assert re.search(r"adversary-\)gateway: \d+\. tls-server-hello as orch1", m), "the key-share substitution"
    assert "request-secrecy violated" in m
    assert steps_text(t).count("\n") >= len(t.steps)
