"""Verdicts of the explicit-state checker: honest baselines, the what-ifs of
the symbolic-semantics issue, vacuity, replay and bad input."""
import json

import pytest

from ppverify.models.scenario import Bounds
from ppverify.proofs.analyses.check import check_threat
from ppverify.proofs.cli.main import main
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
from ppverify.proofs.replay.symbolic import ReplayError, replay_trace, trace_from_json
from ppverify.proofs.core.serial import TraceFormatError
from ppverify.proofs.core.verdicts import Inconclusive, Proved, Violated
from ppverify.protocol.controls import scenario


def verdicts(sc, props=PROPERTY_NAMES):
    return {r.property: r for r in check_threat(sc, props)}


@pytest.mark.parametrize("threat", ["none", "chat-member", "relay", "ledger", "cvm-compromise-after"])
def test_published_design_holds_without_active_datacenter_attacker(threat):
    res = verdicts(scenario(threat))
    for name, r in res.items():
        assert isinstance(r.verdict, Proved), f"{name} under {threat}: {r.verdict}"
        assert r.partner_reached, f"{name} proved without the honest run being reached"
        assert r.verdict.exhaustive, f"{threat}: search should finish for one session"


def test_every_proved_cell_has_its_partner():
    for r in check_threat(scenario("cdn"), PROPERTY_NAMES):
        if isinstance(r.verdict, Proved):
            assert r.partner_reached


def test_unreachable_partner_makes_proofs_vacuous(monkeypatch):
    """If the honest run cannot complete, nothing may be reported proved (the
    search itself must complete it: no honest run computed apart stands in)."""
    monkeypatch.setattr("ppverify.proofs.pp.system.completed", lambda *a: False)
    res = check_threat(scenario("none"), ("request-secrecy",))
    assert isinstance(res[0].verdict, Inconclusive) and "vacuous" in res[0].verdict.reason


WHAT_IFS = [
    # (threat, disabled, property violated, where the counterexample must point)
    ("meta-insider", ["ledger-inclusion"], "request-secrecy", "orch-evil"),
    ("meta-insider", ["ra-tls"], "request-secrecy", "gateway"),
    ("meta-insider", ["third-party-relay"], "client-unlinkability", "addr.client1"),
    ("meta-insider", ["credential-blinding"], "credential-unlinkability", "id.client1"),
    ("none", ["user-opt-in"], "user-consent", "background trigger"),
    ("chat-member", ["advanced-chat-privacy"], "chat-privacy-respected", "family"),
]


@pytest.mark.parametrize("threat,disabled,prop,marker", WHAT_IFS)
def test_what_if_is_violated_and_replays(threat, disabled, prop, marker):
    (r,) = check_threat(scenario(threat, disabled), (prop,))
    assert isinstance(r.verdict, Violated), f"{prop} should fail with {disabled} off under {threat}"
    trace = r.verdict.trace
    text = json.dumps(trace.to_json())
    assert marker in text, f"trace does not show {marker!r}: {trace.explanation}"
    # the saved form replays on a fresh model
    _, _, why = replay_trace(trace_from_json(json.loads(text)))
    assert why


def test_same_property_holds_with_the_control_on():
    (r,) = check_threat(scenario("chat-member"), ("chat-privacy-respected",))
    assert isinstance(r.verdict, Proved)


def test_binder_finding_and_its_fix():
    """The default binder leaves the server key share unbound: an attacker on
    the gateway-CVM path substitutes it. Binding the share closes it."""
    (bad,) = check_threat(scenario("network"), ("request-secrecy",))
    assert isinstance(bad.verdict, Violated)
    assert '"atom": "adv.dh"' in json.dumps(bad.verdict.trace.to_json())
    (good,) = check_threat(scenario("network", [], ["binder=client-random+server-key"]),
                           ("request-secrecy",))
    assert isinstance(good.verdict, Proved), good.verdict


def test_tampered_trace_does_not_replay():
    (r,) = check_threat(scenario("cdn"), ("key-consistency",))
    j = r.verdict.trace.to_json()
    j["steps"] = j["steps"][:-1]  # drop the violating step
    with pytest.raises(ReplayError):
        replay_trace(trace_from_json(j))
    with pytest.raises(TraceFormatError):
        trace_from_json({"version": 99})


def test_cli_bad_names_exit_2(capsys):
    assert main(["check", "--threat", "martians"]) == 2
    assert "network" in capsys.readouterr().err
    assert main(["check", "--disable", "nope"]) == 2
    assert "ra-tls" in capsys.readouterr().err
    assert main(["check", "--property", "nope"]) == 2
    assert main(["check", "--set", "binder=nope"]) == 2
    assert main(["check", "--rounds", "--threat", "cdn"]) == 2   # rounds belong to the SMT engine
    assert "--engine smt" in capsys.readouterr().err


def test_cli_json_fields(capsys):
    code = main(["check", "--quiet", "--threat", "cdn", "--format", "json",
                 "--property", "key-consistency", "--property", "request-secrecy"])
    assert code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["version"] == 1
    cells = {(c["property"], c["threat"]): c for c in out["results"]}
    assert cells[("key-consistency", "cdn")]["verdict"] == "violated"
    assert cells[("key-consistency", "cdn")]["trace"]["steps"]
    ok = cells[("request-secrecy", "cdn")]   # the default engine (auto): proved by the unbounded one
    assert ok["verdict"] == "proved" and ok["engine"] == "horn" and ok["bound"] == "unbounded"
    assert set(ok["coverage"].values()) == {"any"}
    for key in ("scenario", "reason", "trace"):
        assert key in ok
    assert main(["check", "--quiet", "--threat", "cdn", "--format", "json", "--engine", "explore",
                 "--property", "request-secrecy"]) == 0
    ok = json.loads(capsys.readouterr().out)["results"][0]
    assert ok["engine"] == "explore" and isinstance(ok["bound"], int) and ok["coverage"]["clients"] == 1


def test_cli_replay_file(tmp_path, capsys):
    (r,) = check_threat(scenario("cdn"), ("key-consistency",))
    f = tmp_path / "t.json"
    f.write_text(json.dumps(r.verdict.trace.to_json()))
    assert main(["replay", str(f)]) == 1
    f.write_text("{not json")
    assert main(["replay", str(f)]) == 2


def test_deterministic():
    a = [r.to_json() for r in check_threat(scenario("relay"), PROPERTY_NAMES)]
    b = [r.to_json() for r in check_threat(scenario("relay"), PROPERTY_NAMES)]
    assert a == b


@pytest.mark.parametrize("control", ["ephemeral-session-keys", "erasure-at-teardown"])
def test_forward_secrecy_needs_ephemeral_keys_and_erasure(control):
    (r,) = check_threat(scenario("none", [control]), ("forward-secrecy",))
    assert isinstance(r.verdict, Violated), f"without {control} a later compromise should reveal the request"


def test_forward_secrecy_ignores_live_sessions_of_other_clients():
    """Compromise 'after the session' must not count a session still running."""
    (r,) = check_threat(scenario("none", bounds=Bounds(clients=2)), ("forward-secrecy",))
    assert isinstance(r.verdict, Proved), r.verdict


def test_truncated_or_tampered_traces_are_usage_errors(tmp_path, capsys):
    """A trace file that does not replay is the user's to fix: exit 2 with
    the file and the failing step or field, never an internal error."""
    (r,) = check_threat(scenario("cdn"), ("key-consistency",))
    good = r.verdict.trace.to_json()
    truncated = dict(good, steps=good["steps"][:-1])
    tampered = json.loads(json.dumps(good))
    inject = next(s for s in tampered["steps"] if s["action"]["type"] == "inject")
    inject["action"]["src"] = "ledger"   # a link the cdn adversary does not control
    no_field = dict(good, steps=[{k: v for k, v in s.items() if k != "action"} for s in good["steps"]])
    cases = ((truncated, "does not violate key-consistency"),
             (tampered, f"step {inject['number']}:"),
             (no_field, "step 1 has no field 'action'"))
    for bad, message in cases:
        f = tmp_path / "t.json"
        f.write_text(json.dumps(bad))
        assert main(["replay", str(f)]) == 2
        err = capsys.readouterr().err
        assert "internal error" not in err and str(f) in err and message in err, err
