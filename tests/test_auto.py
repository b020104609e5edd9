"""The `auto` engine (`ppverify check --engine auto`): the unbounded engine
first, the explorer for what it leaves and to confirm its candidates, the
stronger verdict per cell, and a proof against a replayed attack an error."""
import json

import pytest

from ppverify.proofs.analyses import check as check_mod
from ppverify.proofs.analyses.auto import DEEP, QUICK, RANK, Budget, StepBudget, UnsoundProof, settle
from ppverify.proofs.analyses.check import check_threat
from ppverify.proofs.cli.main import main
from ppverify.proofs.core.verdicts import (ANY, Coverage, Inconclusive, Proved, Result, Standing, Violated,
                                           standing)
from ppverify.proofs.engines.horn import horn_outcomes
from ppverify.proofs.engines.horn.engine import GROUNDING_FAILED, Open
from ppverify.proofs.pp.model import symbolic_model
from ppverify.proofs.pp.system import PPSystem
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
from ppverify.protocol.controls import scenario

SC = {"disabled": [], "parameters": {}, "bounds": {"clients": 1, "sessions": 1, "cvms": 1}}
EVERY = Coverage(ANY, ANY, ANY, ANY, ANY)


def _cell(verdict, **extra) -> Result:
    return Result("request-secrecy", "cdn", SC, verdict, True, 1.0, extra)


def test_the_bounded_engine_decides_what_horn_leaves_and_confirms_its_candidates():
    auto = {r.property: r for r in check_threat(scenario("cdn"), PROPERTY_NAMES, engine="auto")}
    explore = {r.property: r for r in check_threat(scenario("cdn"), PROPERTY_NAMES, engine="explore")}
    for p, r in auto.items():
        # never weaker than the explorer alone; where horn proves, for every size
        assert RANK.index(standing(r.verdict)) >= RANK.index(standing(explore[p].verdict)), p
        assert r.verdict.engine != "horn" or standing(r.verdict) in (Standing.EVERY_SIZE, Standing.VIOLATED), p
        assert set(r.extra["standings"]) == {"horn", "explore"}, p
    kc = auto["key-consistency"]   # a horn candidate, confirmed by the explorer's replayed trace
    assert isinstance(kc.verdict, Violated) and kc.extra["standings"]["horn"] == Standing.VIOLATED
    assert auto["token-single-use"].extra["standings"]["horn"] == Standing.EVERY_SIZE   # counted (`horn.count`)
    # tokens not single-use: horn's candidate (a replay) is not confirmed; the exhaustive search proves the cell
    tok = check_threat(scenario("cdn", ["single-use-tokens"]), ("token-single-use",), engine="auto")[0]
    assert isinstance(tok.verdict, Proved) and tok.verdict.engine == "explore"
    assert tok.extra["standings"] == {"horn": Standing.OPEN, "explore": Standing.SCENARIO}


def test_a_horn_proof_stands_where_the_explorer_is_cut():
    sc = scenario("network", ["single-use-tokens"], ["binder=handshake-key"])
    props = ("request-secrecy", "response-secrecy", "token-single-use")
    res = {r.property: r for r in check_threat(sc, props, engine="auto", max_states=500)}
    for p in ("request-secrecy", "response-secrecy"):
        v = res[p].verdict
        assert isinstance(v, Proved) and v.engine == "horn", p
        assert res[p].extra["standings"] == {"horn": Standing.EVERY_SIZE, "explore": Standing.DEPTH_BOUNDED}
    v = res["token-single-use"].verdict   # horn's replay candidate, unconfirmed: the explorer's cut search stands
    assert standing(v) == Standing.DEPTH_BOUNDED and v.engine == "explore"


def _fake_horn(proved: str):
    """A horn engine that proves `proved` for every size and leaves the rest open."""
    def fake(system, props, threat, desc, coverage, confirm, covers, limits=None):
        return [Result(p, threat, desc, Proved("horn", "unbounded", True, 1, "fake", EVERY) if p == proved
                       else Inconclusive("horn", "left open", 1, coverage), True, 0.0, {}) for p in props]
    return fake


def test_a_horn_proof_against_a_replayed_attack_is_a_soundness_bug(monkeypatch, capsys):
    monkeypatch.setattr(check_mod, "horn_verdicts", _fake_horn("key-consistency"))
    with pytest.raises(UnsoundProof, match="soundness bug: key-consistency under cdn") as e:
        check_threat(scenario("cdn"), ("key-consistency", "request-secrecy"), engine="auto")
    assert "horn proved it" in str(e.value) and "explore found an attack that replays" in str(e.value)
    assert main(["check", "--quiet", "--engine", "auto", "--threat", "cdn", "--property", "key-consistency",
                 "--property", "request-secrecy"]) == 2
    err = capsys.readouterr().err
    assert "internal error: soundness bug" in err and "horn proved it" in err and "replays" in err


def test_a_fake_every_size_proof_that_the_explorer_confirms_is_kept(monkeypatch):
    monkeypatch.setattr(check_mod, "horn_verdicts", _fake_horn("request-secrecy"))
    res = {r.property: r for r in check_threat(scenario("cdn"), ("request-secrecy", "key-consistency"),
                                               engine="auto")}
    v = res["request-secrecy"].verdict
    assert isinstance(v, Proved) and standing(v) == Standing.EVERY_SIZE and v.engine == "horn"
    assert isinstance(res["key-consistency"].verdict, Violated)


def test_settle_keeps_the_stronger_the_bounded_on_a_tie_and_never_picks_a_side():
    scen, every = Coverage(1, 1, 1, 2, ANY), EVERY
    proof = lambda engine, cov: Proved(engine, "unbounded", True, 1, engine, cov)  # noqa: E731
    assert settle(_cell(proof("horn", scen)), _cell(proof("explore", scen))).verdict.engine == "explore"
    assert settle(_cell(proof("horn", every)), _cell(proof("explore", scen))).verdict.engine == "horn"
    cut = Inconclusive("explore", "cut", 5, Coverage(1, 1, 1, 2, 9), bounded=True)
    assert settle(_cell(proof("horn", scen)), _cell(cut)).verdict.engine == "horn"
    assert settle(_cell(Inconclusive("horn", "open")), _cell(cut)).verdict is cut
    alone = settle(_cell(proof("horn", scen)), None)
    assert alone.extra["standings"] == {"horn": Standing.SCENARIO}
    assert set(RANK) == set(Standing) and len(RANK) == len(Standing)   # every strength is ranked
    (r,) = check_threat(scenario("cdn"), ("key-consistency",), engine="explore")
    for first, bounded in ((_cell(proof("horn", scen)), r), (r, _cell(proof("smt", scen)))):
        with pytest.raises(UnsoundProof, match="soundness bug"):
            settle(first, bounded)


def test_the_step_budget_leaves_cells_open_and_the_explorer_decides():
    outcomes, _ = horn_outcomes(StepBudget(PPSystem(symbolic_model(scenario("cdn"))), 10), PROPERTY_NAMES)
    assert all(isinstance(o, Open) and "budget of 10 model steps" in o.reason for o in outcomes.values())
    tiny = Budget("tiny", 10, QUICK.actions, QUICK.limits)
    cut = check_threat(scenario("cdn"), PROPERTY_NAMES, engine="auto", budgets=(tiny,))
    explore = check_threat(scenario("cdn"), PROPERTY_NAMES, engine="explore")
    assert [r.verdict.verdict for r in cut] == [r.verdict.verdict for r in explore]
    assert all(r.extra["standings"]["horn"] == Standing.OPEN for r in cut)


def test_the_deep_budget_asks_only_what_the_quick_one_gave_up_on_and_the_explorer_did_not_break(monkeypatch):
    asked = []

    def fake(system, props, threat, desc, coverage, confirm, covers, limits):
        asked.append((limits, props))
        gave_up = Inconclusive("horn", GROUNDING_FAILED + " (cut)", 1, coverage)
        return [Result(p, threat, desc, gave_up if limits == QUICK.limits else
                       Proved("horn", "unbounded", True, 1, "fake", EVERY), True, 0.0, {}) for p in props]
    monkeypatch.setattr(check_mod, "horn_verdicts", fake)
    cells = {r.property: r for r in check_threat(scenario("cdn"), ("key-consistency", "request-secrecy"),
                                                 engine="auto")}
    # key-consistency is the CDN finding: the explorer's attack stands, and only the other cell is asked again
    assert asked == [(QUICK.limits, ("key-consistency", "request-secrecy")), (DEEP.limits, ("request-secrecy",))]
    assert isinstance(cells["key-consistency"].verdict, Violated) and cells["key-consistency"].extra["horn_budget"] == "quick"
    assert standing(cells["request-secrecy"].verdict) == Standing.EVERY_SIZE
    assert cells["request-secrecy"].extra["horn_budget"] == "deep"


def test_auto_from_the_cli(capsys):
    assert main(["check", "--quiet", "--engine", "auto", "--threat", "cdn", "--property", "request-secrecy",
                 "--format", "json"]) == 0
    (c,) = json.loads(capsys.readouterr().out)["results"]
    # horn settles it alone, so the explorer never ran: the unbounded engine was asked first
    assert c["verdict"] == "proved" and c["engine"] == "horn" and c["coverage"]["depth"] == "any"
