"""The unbounded engine (`proofs.engines.horn`): proofs for any number of
sessions on the textbook protocols, candidates confirmed as real attacks, a
corrupted invariant rejected by z3, and soundness against the explorer."""
import json

from hypothesis import given, settings, strategies as st

from ppverify.proofs.analyses.check import check_threat, explore_verdicts
from ppverify.proofs.cli.main import main
from ppverify.proofs.core.verdicts import ANY, Coverage, Inconclusive, Proved, Standing, Violated, standing
from ppverify.proofs.engines.horn import check, horn_outcomes, horn_verdicts, saturate
from ppverify.proofs.engines.horn.engine import Candidate, Settled
from ppverify.proofs.engines.horn.refine import PeerRefined
from ppverify.proofs.engines.textbook import PROPERTIES, Textbook
from ppverify.proofs.pp.model import symbolic_model
from ppverify.proofs.pp.system import PPSystem
from ppverify.protocol.controls import scenario
from tests.conftest import budget

SECRECY = ("responder-secrecy", "initiator-secrecy")
SESSIONS = Coverage(1, ANY, 1, ANY, ANY)


def _textbook(lowe: bool, system=None):
    confirm = (lambda ps: explore_verdicts(Textbook(lowe), ps, "network", {}, max_states=50_000, max_moves=2))
    system = system if system is not None else PeerRefined(Textbook(lowe))
    return {r.property: r for r in horn_verdicts(system, tuple(PROPERTIES), "network", {}, SESSIONS, confirm,
                                                 "any number of sessions of a and b")}


def test_nspk_candidates_are_confirmed_as_lowes_attack():
    res = _textbook(lowe=False)
    for p in ("responder-secrecy", "responder-agreement"):
        v = res[p].verdict
        assert isinstance(v, Violated), p
        texts = [s.text for s in v.trace.steps]
        assert texts[0] == "user -> a: start (picks i)" and texts[1] == "adversary -> b as a: msg1"
    for p in ("initiator-secrecy", "initiator-agreement"):
        assert isinstance(res[p].verdict, Proved), p


def test_nsl_all_four_properties_are_proved_for_any_number_of_sessions():
    res = _textbook(lowe=True)
    for p in PROPERTIES:
        v = res[p].verdict
        assert isinstance(v, Proved) and v.engine == "horn", p
        assert v.coverage.sessions == ANY and v.coverage.injections == ANY and v.coverage.depth == ANY


def test_merged_nonces_lose_precision_not_soundness():
    """Without the peer refinement b's nonce with i is b's nonce with a: NSL's
    secrecy becomes a candidate the explorer cannot confirm, so inconclusive."""
    outcomes, _ = horn_outcomes(Textbook(lowe=True), SECRECY)
    assert all(isinstance(outcomes[p], Candidate) for p in SECRECY)
    res = _textbook(lowe=True, system=Textbook(lowe=True))
    for p in SECRECY:
        v = res[p].verdict
        assert isinstance(v, Inconclusive) and v.reason.startswith("candidate not confirmed"), p


def test_a_corrupted_invariant_is_rejected():
    system = PeerRefined(Textbook(lowe=True))
    fix = saturate(system)
    enc = {p: system.smt_encoding(p) for p in SECRECY}
    assert check(fix, enc).closed
    g = fix.g
    initial = {(u, g.initial[u]) for u in g.parties}
    drops = ([s for s in sorted(fix.reached) if s not in initial]
             + [("msg", m) for m in sorted(fix.flying) if m not in g.in_flight]
             + [("term", x) for x in sorted(fix.terms, key=repr) if x not in g.k0.known])
    assert len(drops) > 20
    for d in drops:
        assert not check(fix, enc, drop=frozenset({d})).closed, d


def test_fixed_binder_secrecy_proved_for_every_run_of_the_scenario():
    sc = scenario("network", [], ["binder=handshake-key"])
    res = {r.property: r.verdict for r in check_threat(sc, ("request-secrecy", "response-secrecy"), engine="horn")}
    for v in res.values():
        # any length; injections only as many as the adversary's fresh-value supply is argued for
        assert isinstance(v, Proved) and v.coverage == Coverage(1, 1, 1, 2, ANY)
        assert standing(v) == Standing.SCENARIO   # sessions not abstracted on Private Processing: not every size


THREATS = ("network", "cdn", "relay", "ledger", "chat-member", "relay+cdn", "none")
CONTROLS = ("ra-tls", "attestation-binding", "ledger-inclusion", "revocation-check", "ohttp-encapsulation",
            "advanced-chat-privacy", "data-minimization")
PROPS = ("request-secrecy", "response-secrecy", "genuine-tee", "published-code", "no-split-view",
         "revocation-respected", "key-consistency", "release-after-attestation", "chat-privacy-respected",
         "data-minimization")


@settings(max_examples=budget(8), deadline=None)
@given(st.sampled_from(THREATS), st.lists(st.sampled_from(CONTROLS), max_size=1, unique=True),
       st.sampled_from(((), ("binder=handshake-key",))))
def test_horn_never_proves_what_the_explorer_refutes(threat, disabled, params):
    sc = scenario(threat, disabled, list(params))
    outcomes, _ = horn_outcomes(PPSystem(symbolic_model(sc)), PROPS)
    for r in check_threat(sc, PROPS, max_states=3000):
        if isinstance(r.verdict, Violated):
            assert not isinstance(outcomes[r.property], Settled), (r.property, threat, disabled, params)


def test_cli_engine_horn(capsys):
    code = main(["check", "--quiet", "--engine", "horn", "--threat", "network", "--set", "binder=handshake-key",
                 "--property", "request-secrecy", "--property", "token-single-use", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    cells = {c["property"]: c for c in out["results"]}
    assert cells["request-secrecy"]["verdict"] == "proved" and cells["request-secrecy"]["engine"] == "horn"
    assert cells["request-secrecy"]["coverage"]["depth"] == "any" and cells["request-secrecy"]["coverage"]["injections"] == 2
    assert cells["token-single-use"]["verdict"] == "inconclusive"
    assert "token counting" in cells["token-single-use"]["reason"]
    assert code == 3
