"""No verdict stronger than its search (issue 14): a cut search is
depth-bounded, never proved; a proof's partner comes from the search that
proved; verdicts are monotone in every bound."""
import json

from hypothesis import given, settings, strategies as st

from conftest import budget
from ppverify.models.scenario import Bounds
from ppverify.proofs.analyses.check import check_threat
from ppverify.proofs.cli.main import main
from ppverify.proofs.core.verdicts import ANY, Inconclusive, Proved, Standing, Violated, standing
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
from ppverify.proofs.replay.symbolic import replay_trace, trace_from_json
from ppverify.protocol.controls import scenario

META_FINDINGS = {"forward-secrecy", "response-integrity", "published-code"}


def test_a_cut_search_is_depth_bounded_never_proved():
    """meta-insider at the default limit: every cell not refuted says how deep
    the search went, and none is proved."""
    res = check_threat(scenario("meta-insider"), PROPERTY_NAMES)
    for r in res:
        assert not isinstance(r.verdict, Proved), f"{r.property}: a cut search proved it"
        if not isinstance(r.verdict, Violated):
            v = r.verdict
            assert standing(v) == Standing.DEPTH_BOUNDED and isinstance(v.coverage.depth, int)
            assert v.reason.startswith(f"no attack within {v.coverage.depth} steps: state limit 20,000")
    assert META_FINDINGS <= {r.property for r in res if isinstance(r.verdict, Violated)}


def test_exhaustive_proofs_cover_the_scenario():
    for r in check_threat(scenario("cdn", (), (), Bounds(1, 1, 1)), PROPERTY_NAMES):
        if isinstance(r.verdict, Proved):
            c = r.verdict.coverage
            assert (c.clients, c.sessions, c.cvms, c.injections, c.depth) == (1, 1, 1, 2, ANY)
            assert r.partner_reached


def test_tiny_state_limit_is_never_proved(capsys):
    """The partner is reached by the proving search, or nothing is proved: no
    honest run computed apart stands in (it used to print 19 proved, exit 0)."""
    res = check_threat(scenario("cdn"), PROPERTY_NAMES, max_states=1)
    assert all(isinstance(r.verdict, Inconclusive) for r in res)
    assert not any(r.partner_reached for r in res)
    assert main(["check", "--quiet", "--threat", "cdn", "--max-states", "1"]) == 3


def _replays(v: Violated) -> None:
    _, _, why = replay_trace(trace_from_json(json.loads(json.dumps(v.trace.to_json()))))
    assert why


def test_more_injections_keep_the_attacks():
    """Every attack with 2 injections is a run with 3: raising --max-moves once
    turned these three into proofs."""
    res = {r.property: r.verdict for r in check_threat(scenario("meta-insider"), PROPERTY_NAMES, max_moves=3)}
    for p in META_FINDINGS:
        assert isinstance(res[p], Violated), f"{p} with --max-moves 3: {res[p]}"
        _replays(res[p])


def test_more_sessions_keep_the_attacks():
    sc = scenario("meta-insider", (), (), Bounds(sessions=2))
    res = {r.property: r.verdict for r in check_threat(sc, PROPERTY_NAMES)}
    for p in META_FINDINGS:
        assert isinstance(res[p], Violated), f"{p} with --sessions 2: {res[p]}"
        assert res[p].trace.scenario["bounds"]["sessions"] == 2, "carried up into the requested scenario"
        _replays(res[p])


# --- monotone in every bound -----------------------------------------------------------
CHEAP = ("cdn", "relay", "ledger", "chat-member", "cvm-compromise-after")
CONTROLS = ("ra-tls", "ledger-inclusion", "measured-configuration", "advanced-chat-privacy",
            "ephemeral-session-keys", "third-party-relay")
SETS = ((), ("binder=client-random+server-key",), ("binder=exporter",))
SIZES = ("clients", "sessions", "cvms")


@st.composite
def bound_pairs(draw):
    """A scenario and two bounds, the second at least the first in each."""
    threat = draw(st.sampled_from(CHEAP))
    disabled = tuple(draw(st.sets(st.sampled_from(CONTROLS), max_size=1)))
    params = draw(st.sampled_from(SETS))
    small = {k: draw(st.integers(1, 2)) for k in SIZES} | {"max_moves": draw(st.integers(0, 2)),
                                                          "max_states": draw(st.integers(20, 1500))}
    grow = draw(st.sampled_from(SIZES + ("max_moves", "max_states")))
    large = dict(small)
    large[grow] += draw(st.integers(1, 400)) if grow == "max_states" else 1
    return threat, disabled, params, small, large


def _violated(threat, disabled, params, b) -> set:
    sc = scenario(threat, disabled, params, Bounds(b["clients"], b["sessions"], b["cvms"]))
    return {r.property for r in check_threat(sc, PROPERTY_NAMES, max_states=b["max_states"],
                                             max_moves=b["max_moves"]) if isinstance(r.verdict, Violated)}


@settings(max_examples=budget(25))
@given(bound_pairs())
def test_raising_a_bound_never_removes_a_violation(case):
    threat, disabled, params, small, large = case
    lost = _violated(threat, disabled, params, small) - _violated(threat, disabled, params, large)
    assert not lost, f"violated at {small}, not at {large}: {sorted(lost)}"


def test_a_scenario_proof_stops_at_its_scenario():
    """cvm-compromise-after: with one client, request-secrecy is proved for
    the scenario, never for every size. With two clients on one CVM, the
    compromise at client1's teardown seizes client2's live session: its
    messages leak, with no injection, in real cryptography too. (No control
    stops this: the compromise falls inside client2's session.)"""
    from ppverify.proofs.replay.concrete import replay_concrete
    (one,) = check_threat(scenario("cvm-compromise-after"), ("request-secrecy",), engine="auto")
    assert standing(one.verdict) == Standing.SCENARIO, one.verdict
    (two,) = check_threat(scenario("cvm-compromise-after", (), (), Bounds(2, 1, 1)), ("request-secrecy",))
    assert isinstance(two.verdict, Violated), two.verdict
    rep = replay_concrete(two.verdict.trace)
    assert {"msg.client2.m1", "msg.client2.m2"} <= {str(k) for k in rep.leaked} and rep.injected == 0
