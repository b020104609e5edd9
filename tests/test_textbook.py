"""The engines on textbook protocols: Lowe's attack on Needham-Schroeder
public key must be found, and Lowe's fix must be proved within the bound."""
import pytest

from ppverify.proofs.analyses.check import explore_verdicts
from ppverify.proofs.core.system import replay_actions
from ppverify.proofs.core.verdicts import Proved, Violated
from ppverify.proofs.engines.textbook import PROPERTIES, Textbook
from ppverify.protocol.world import Deliver, Inject


def _check(lowe: bool):
    return {r.property: r for r in explore_verdicts(Textbook(lowe), tuple(PROPERTIES), "network", {},
                                                     max_states=50_000, max_moves=2)}


def test_lowe_attack_on_nspk():
    res = _check(lowe=False)
    for prop in ("responder-secrecy", "responder-agreement"):
        v = res[prop].verdict
        assert isinstance(v, Violated), prop
        texts = [s.text for s in v.trace.steps]
        # a talks to i; i re-encrypts a's first message for b, posing as a
        assert texts[0] == "user -> a: start (picks i)"
        assert texts[1] == "adversary -> b as a: msg1"
        assert len(texts) == 4
    assert "b.n" in res["responder-secrecy"].verdict.trace.explanation
    # the initiator's guarantees survive: a only completes with whom it chose
    for prop in ("initiator-secrecy", "initiator-agreement"):
        assert isinstance(res[prop].verdict, Proved) and res[prop].verdict.exhaustive, prop


def test_nsl_is_proved_within_the_bound():
    res = _check(lowe=True)
    for prop, r in res.items():
        assert isinstance(r.verdict, Proved), prop
        assert r.verdict.exhaustive and r.partner_reached, prop


def test_nsl_blocks_the_replayed_attack():
    """The NSPK attack's actions do not apply to NSL: a rejects b's answer."""
    nspk = _check(lowe=False)["responder-secrecy"].verdict.trace
    system = Textbook(lowe=True)
    w = system.initial()
    start = next(a for a in system.actions(w) if isinstance(a, Deliver) and a.choice == "i")
    w, _, _ = system.step(w, start)
    inj = next(a for a in system.actions(w) if isinstance(a, Inject) and a.msg.dst == "b"
               and "a.n" in repr(a.msg.payload))
    w, _, _ = system.step(w, inj)
    to_a = next(a for a in system.actions(w) if isinstance(a, Deliver) and a.msg.dst == "a")
    _, _, rej = system.step(w, to_a)
    assert rej is not None and "wrong responder" in rej.reason
    assert len(nspk.steps) == 4


def test_injections_must_be_derivable():
    system = Textbook(lowe=False)
    w = system.initial()
    forged = next(a for a in system.actions(w) if isinstance(a, Inject))
    # the same message with b's nonce the adversary never saw is not derivable
    from ppverify.models.terms import App, Atom
    body = App("tup", (Atom("b.n", "nonce"), forged.msg.payload.args[2].args[1]))
    bad = Inject(type(forged.msg)(forged.msg.src, forged.msg.dst, forged.msg.kind,
                                  App("hpke", forged.msg.payload.args[:2] + (body, forged.msg.payload.args[3]))))
    with pytest.raises(ValueError, match="not derivable"):
        replay_actions(system, [bad])
