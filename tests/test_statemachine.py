"""The protocol under a hypothesis-driven adversary, on real cryptography,
checked against the symbolic engine in both directions.

`ProtocolMachine` draws a scenario (threat model, disabled controls, binder,
clients and sessions) and then runs it: every rule is an action the world
itself enables (`Model.invocations`, `Model.deliveries`) or an adversary move
of the drawn threat model (`protocol.adversary`: the up-front handshakes with
the CVMs; injections of derivable messages, whose bytes are computed with
real cryptography; replays of messages it saw, byte for byte; drops).
Corruption is part of the drawn threat model (`Setup.corrupt`): a corrupt
party's deviations are the injections made in its name; a `meta-insider` also
runs the unpublished, revoked, debug and misconfigured images of
`protocol.setup`, which the load balancer may pick. Every step runs on both
backends in lockstep (`twin`), which also checks conformance.

Invariant (forward): a concrete breach (`breaches`: plaintext, an identity
link or a consent breach in what the adversary's parties hold) happens only
if the symbolic world on the same path has the property violated and
`check_threat` reports it violated for the scenario (verdicts are cached per
scenario and property, computed only when a breach needs one).
Reverse: `test_symbolic_violations_reach_concretely` replays symbolic
counterexamples on real cryptography and asserts the concrete breach.
"""
from __future__ import annotations

import functools
import sys
import itertools
from types import SimpleNamespace

import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, precondition,
                                 rule, run_state_machine_as_test)

from breaches import PROPERTIES, breaches
from conftest import PROFILE, budget, steps
from ppverify.models.scenario import Bounds
from ppverify.proofs.analyses.check import check_threat
from ppverify.proofs.properties.catalogue import BY_NAME, Facts
from ppverify.proofs.core.serial import action_from_json
from ppverify.proofs.core.verdicts import Inconclusive, Proved, Violated
from ppverify.proofs.replay.lockstep import ConcreteReplayError
from ppverify.protocol import attestation
from ppverify.protocol.adversary import Cut, injections, prefetches
from ppverify.protocol.concrete import ConcreteCrypto
from ppverify.protocol.controls import scenario
from ppverify.protocol.messages import Out
from ppverify.protocol.parties import client as client_mod
from ppverify.protocol.setup import build
from ppverify.protocol.world import Inject, Invoke
from twin import Twin

MAX_MOVES = 2            # check_threat's default bound, so its verdicts cover these runs
VERDICT_STATES = 20_000  # as `ppverify check`
CANDIDATES = 400         # injection candidates considered per adversary move

THREATS = ("none", "network", "relay", "cdn", "ledger", "chat-member", "cvm-compromise-after",
           "meta-insider")
# Controls whose absence the SPEC what-ifs expose.
CONTROL_MENU = ("ra-tls", "ledger-inclusion", "third-party-relay", "credential-blinding",
                "user-opt-in", "log-filtering", "attestation-binding", "ohttp-encapsulation",
                "erasure-at-teardown", "gpu-confidential-mode", "no-remote-access")
BINDERS = ("client-random", "client-random+server-key", "exporter")


@functools.lru_cache(maxsize=None)
def verdict(sc, prop: str):
    """The symbolic engine's verdict on one property of a scenario (cached)."""
    (result,) = check_threat(sc, (prop,), max_states=VERDICT_STATES, max_moves=MAX_MOVES)
    return result.verdict


scenarios = st.builds(
    lambda threat, disabled, binder, clients, sessions: scenario(
        threat, disabled, [f"binder={binder}"], Bounds(clients, sessions, 1)),
    st.sampled_from(THREATS),
    st.lists(st.sampled_from(CONTROL_MENU), max_size=2 if PROFILE == "deep" else 1, unique=True),
    st.sampled_from(BINDERS),
    st.integers(1, 2),
    st.integers(1, 2 if PROFILE == "deep" else 1),
)


class ProtocolMachine(RuleBasedStateMachine):
    @initialize(sc=scenarios, seed=st.integers(0, 3))
    def setup(self, sc, seed):
        self.start(sc, seed)

    def start(self, sc, seed):
        self.twin = Twin(sc, seed)
        self.facts = Facts(self.twin.sym)
        self.monitors = {p: BY_NAME[p].monitor for p in PROPERTIES}
        self.on_path: dict[str, str] = {}   # symbolic violations on this very path
        self.checked: set[str] = set()

    # --- the world's own actions (rules apply only when they can act) -------------
    def _can_invoke(self) -> bool:
        return bool(self.twin.sym.invocations(self.twin.ws))

    def _in_flight(self) -> bool:
        return bool(self.twin.ws.inflight)

    @precondition(_can_invoke)
    @rule(data=st.data())
    def invoke(self, data):
        options = self.twin.sym.invocations(self.twin.ws)
        self._do(data.draw(st.sampled_from(options), label="invoke"))

    @precondition(_in_flight)
    @rule(data=st.data(), n=st.integers(1, 8))
    def deliver_some(self, data, n):
        self.deliver(data, n)

    def deliver(self, data, n):
        """Deliver up to n messages, each picked among those in flight."""
        for _ in range(n):
            options = self.twin.sym.deliveries(self.twin.ws)
            if not options:
                return
            self._do(data.draw(st.sampled_from(options), label="deliver"))

    @precondition(lambda self: not (self._can_invoke() or self._in_flight()))
    @rule()
    def quiescent(self):
        """Every session ended or stuck: nothing but the adversary can act."""

    @precondition(_in_flight)
    @rule(data=st.data())
    def settle(self, data):
        """Deliver until nothing is in flight (each message and choice drawn)."""
        self.deliver(data, 60)

    # --- the adversary's moves -------------------------------------------------------
    def _active(self) -> bool:
        return bool(self.twin.sc.threat.actors)

    @precondition(lambda self: self._active() and prefetches(self.twin.sym, self.twin.ws))
    @rule()
    def handshake_with_cvms(self):
        """The adversary opens a handshake with each CVM it reaches (its own randomness)."""
        for msg in prefetches(self.twin.sym, self.twin.ws):
            self._do(Inject(msg))

    @precondition(lambda self: self._active() and self.twin.ws.moves < MAX_MOVES)
    @rule(data=st.data())
    def inject(self, data):
        """Inject a message the adversary derives (its bytes computed for real)."""
        tw = self.twin
        cands = [m for m, _ in itertools.islice(injections(tw.sym, tw.ws), CANDIDATES) if not isinstance(m, Cut)]
        if not cands:
            return
        msg = data.draw(st.sampled_from(cands), label="inject")
        d = tw.sym.setup.parties[msg.dst]
        chs = d.choices(tw.ws.state(msg.dst), msg, tw.sym.env, msg.dst) if msg.kind in d.choosing else ("",)
        self._do(Inject(msg, data.draw(st.sampled_from(chs), label="choice")))

    @precondition(lambda self: self._active() and self.twin.ws.moves < MAX_MOVES)
    @rule(data=st.data())
    def replay(self, data):
        """Re-send a message the adversary saw, byte for byte."""
        options = self.twin.replays()
        if options:
            self._do(data.draw(st.sampled_from(options), label="replay"))

    @precondition(lambda self: self._active() and self._in_flight())
    @rule(data=st.data())
    def drop(self, data):
        """Drop a message on a link the adversary sees or a corrupt party holds."""
        tw = self.twin
        options = sorted((m for m in tw.paired if tw.sym.adversary_sees(m)), key=repr)
        if options:
            tw.drop(data.draw(st.sampled_from(options), label="drop"))

    def _do(self, action):
        tw = self.twin
        before = tw.ws
        done = tw.step(action)
        if done.rejected is None:
            # the symbolic monitors on the same path (forward direction, part 1)
            out = Out(done.sout.sends, tuple(tw.ws.events - before.events), done.sout.learned)
            for p, mon in self.monitors.items():
                if p not in self.on_path:
                    why = mon(self.facts, before, tw.ws, out)
                    if why:
                        self.on_path[p] = why

    # --- the invariant ------------------------------------------------------------------
    @invariant()
    def no_unexplained_breach(self):
        if not hasattr(self, "twin"):
            return
        for prop, why in breaches(self.twin).items():
            if prop in self.checked:
                continue
            assert prop in self.on_path, (
                f"concrete breach of {prop} ({why}) but the symbolic world on the same path "
                f"has no violation; scenario {self.twin.sc.threat} {self.twin.sc.describe()}")
            v = verdict(self.twin.sc, prop)
            # A bounded verdict (state limit, injection budget) may miss a path
            # the symbolic world itself just confirmed; an exhaustive one may not.
            bounded = isinstance(v, Inconclusive) or (isinstance(v, Proved) and not v.exhaustive)
            assert isinstance(v, Violated) or bounded, (
                f"concrete breach of {prop} ({why}); check_threat says {v}")
            self.checked.add(prop)


TestProtocolMachine = ProtocolMachine.TestCase
TestProtocolMachine.settings = settings(max_examples=budget(40), stateful_step_count=steps(20),
                                        deadline=None)


# --- reverse direction: symbolic counterexamples reach on real cryptography -----------

REVERSE = [
    ("network", [], "request-secrecy"),
    ("network", [], "response-secrecy"),
    ("meta-insider", ["ledger-inclusion"], "request-secrecy"),
    ("meta-insider", ["ra-tls"], "request-secrecy"),
    ("meta-insider", ["third-party-relay"], "client-unlinkability"),
    ("meta-insider", ["credential-blinding"], "credential-unlinkability"),
    ("none", ["user-opt-in"], "user-consent"),
]


@pytest.mark.parametrize("threat,disabled,prop", REVERSE)
def test_symbolic_violations_reach_concretely(threat, disabled, prop):
    sc = scenario(threat, disabled)
    v = verdict(sc, prop)
    assert isinstance(v, Violated), f"{prop} under {threat} -{disabled}: expected a violation, got {v}"
    tw = Twin(sc)
    for step in v.trace.steps:
        reason = tw.step(action_from_json(step.action, tw.ws.inflight)).rejected
        assert reason is None, f"step {step.number} rejected on replay: {reason}"
    found = breaches(tw)
    if prop not in found:
        # The symbolic theory reads m out of blind(pk, m, r) once r is known;
        # with real VOPRF blinding factor 1 the element is H(m), which the
        # adversary can only match against m once it sees m redeemed. So the
        # concrete breach may need the honest rest of the session.
        while tw.ws.inflight:
            tw.step(tw.sym.deliveries(tw.ws)[0])
        found = breaches(tw)
    assert prop in found, f"symbolic {prop} violation not reached on real cryptography: {found}"


def test_invariant_accepts_an_explained_breach_and_refuses_an_unexplained_one(monkeypatch):
    """The machine's invariant on a run that breaches: the network's key-share
    substitution (symbolic counterexample, replayed through the machine)."""
    sc = scenario("network")
    v = verdict(sc, "request-secrecy")
    m = ProtocolMachine()
    m.start(sc, 0)
    for step in v.trace.steps:
        m._do(action_from_json(step.action, m.twin.ws.inflight))
    assert "request-secrecy" in breaches(m.twin) and "request-secrecy" in m.on_path
    m.no_unexplained_breach()  # explained: the engine reports the violation
    m.checked.clear()
    exhaustive = Proved("explore", 30, True, 100, "pretend")
    monkeypatch.setattr(sys.modules[__name__], "verdict", lambda sc, prop: exhaustive)
    with pytest.raises(AssertionError, match="check_threat says"):
        m.no_unexplained_breach()
    m.checked.clear()
    m.on_path.clear()
    with pytest.raises(AssertionError, match="same path"):
        m.no_unexplained_breach()


@pytest.mark.parametrize("threat", ["none", "relay", "cdn", "ledger", "chat-member"])
def test_no_breach_on_the_honest_run(threat):
    """Honest schedule to completion: the detectors stay quiet where nothing leaks."""
    tw = Twin(scenario(threat))
    tw.step(Invoke("client1", "work"))
    while tw.ws.inflight:
        tw.step(tw.sym.deliveries(tw.ws)[0])
    assert all(s.phase == "done" for s in tw.wc.state("client1").sessions)
    assert breaches(tw) == {}


def test_concrete_setup_with_an_adversary():
    """Regression: building a concrete scenario with any threat actor raised
    CryptoError (the adversary's HPKE and credential keys were given ECDSA
    public keys); now each key uses its own scheme."""
    for t in ("network", "meta-insider", "hw-vendor"):
        for scheme in ("voprf", "rsa-blind"):
            s = build(ConcreteCrypto(credential_scheme=scheme), scenario(t, [], [f"credential-scheme={scheme}"]))
            assert s.adversary


# --- a deliberate bug must make the machine fail ---------------------------------------

class MetaInsiderRun(ProtocolMachine):
    """The machine on one scenario (a meta-insider, published design), with the
    world's own actions only: the load balancer may still route to any CVM
    Meta launched, the unpublished image included."""
    handshake_with_cvms = inject = replay = drop = None

    @initialize(seed=st.just(0))
    def setup(self, seed):
        self.start(scenario("meta-insider"), seed)


def _skip_client_ledger_check(monkeypatch):
    """The bug: the client skips its ledger-inclusion check on real bytes (an
    implementation bug the model does not have). Only the client's view of
    `protocol.attestation` is patched; CVMs still check their peers."""
    real = attestation.failed_checks

    def broken(c, on, pins, view, ev, expected_rd):
        failed = real(c, on, pins, view, ev, expected_rd)
        return [f for f in failed if f != "ledger-inclusion"] if isinstance(c, ConcreteCrypto) else failed

    monkeypatch.setattr(client_mod, "att", SimpleNamespace(**{**vars(attestation), "failed_checks": broken}))


def _run_meta_insider(examples: int):
    run_state_machine_as_test(MetaInsiderRun, settings=settings(
        max_examples=examples, stateful_step_count=4, deadline=None, database=None,
        derandomize=True, phases=[Phase.generate]))


def test_machine_catches_a_skipped_ledger_check(monkeypatch):
    """The load balancer routes to the unpublished image; the broken client
    accepts its evidence where the model rejects it. The machine stops there
    (conformance), before the evil image logs the request to the host."""
    _skip_client_ledger_check(monkeypatch)
    with pytest.raises(ConcreteReplayError, match=r"client1: ohttp-resp1: symbolic rejects: "
                                                  r"attestation: ledger-inclusion, concrete accepts"):
        _run_meta_insider(budget(150))


def test_machine_passes_on_the_unbroken_design():
    """The same kind of runs without the bug pass, so the failure above is the bug's."""
    _run_meta_insider(budget(8))
