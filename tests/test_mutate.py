"""Mutation analysis on a cheap subset (threat model `cdn`, every mutation;
the full run is tests/test_mutate_full.py): the subset matches the cdn cells
of the pinned matrices (manifest/mutate-*.json), the sound skip, the reasons
for silent mutations as data, and `mutate --expect` exits 1 on drift."""
import json
from pathlib import Path

import pytest

from ppverify.proofs.analyses import expected as ex
from ppverify.proofs.analyses import mutate as mu
from ppverify.proofs.analyses.changes import Change
from ppverify.proofs.analyses.check import check_threat
from ppverify.proofs.cli.main import main
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
from ppverify.proofs.render.necessity import mutate_details_text, mutate_matrix_text, mutation_label
from ppverify.protocol.controls import CONTROLS, PARAMETERS, scenario

MANIFEST = Path(__file__).resolve().parents[1] / "manifest"
PINNED = {b: ex.load(str(MANIFEST / f"mutate-{b}.json")) for b in mu.BASELINES}
REASONS = ex.load_reasons(str(MANIFEST / "defence-in-depth.json"))


def _cells_under(e: ex.Expected, threat: str) -> set:
    return {(m, p) for m, ps in e.cells.items() for p, ts in ps.items() if threat in ts}


@pytest.fixture(scope="module")
def cdn_report():
    s = PINNED["published"].search
    return mu.run_mutate(threats=("cdn",), jobs=1, max_states=s["max_states"])


def test_cdn_matrix_is_the_pinned_cdn_column(cdn_report):
    got = {(m, p) for (m, p), attacks in cdn_report.cells().items()}
    pinned = _cells_under(PINNED["published"], "cdn")
    assert got == pinned, (
        f"the control-necessity matrix under cdn changed: new {sorted(got - pinned)}, gone {sorted(pinned - got)}; "
        "if intended, re-pin with `ppverify mutate --expect manifest/mutate-published.json --update-expect`")


def test_every_attack_is_stopped_by_the_control(cdn_report):
    """The mutant's trace must fail on the baseline: the control is what stops that very trace."""
    for attacks in cdn_report.attacks.values():
        for a in attacks:
            assert a.stopped_on_baseline, f"{a.property} trace also runs with every control on"
            assert a.kept is not None and a.coverage is not None, "each cell says how it was searched"


def test_baseline_violations_are_not_cells(cdn_report):
    assert not any(p == "key-consistency" for (_, p) in cdn_report.cells()), \
        "key-consistency already fails in the published design under cdn; no control can 'stop' it"


def test_mutations_cover_every_control_and_parameter_value():
    names = {m.name for m in mu.mutations()}
    assert set(CONTROLS) <= names
    assert {f"{p}={v}" for p, vs in PARAMETERS.items() for v in vs} - names == {
        "binder=client-random", "credential-scheme=voprf"}, "defaults are the baseline, not mutations"
    hardened = Change(set_params=("binder=exporter",))
    assert "binder=client-random" in {m.name for m in mu.mutations(hardened)}, \
        "against a hardened baseline the published value is a mutation"
    assert mu.by_name("binder=client-random", hardened).over(hardened) == Change(), "back to the published design"


def test_reasons_are_data_for_real_mutations():
    names = {m.name for b in PINNED.values() for m in mu.mutations(ex.parse_change(b.change))}
    assert REASONS and set(REASONS) <= names, f"reasons for unknown mutations: {set(REASONS) - names}"
    for n, r in REASONS.items():
        assert r.kind in ex.REASON_KINDS and r.text.endswith(".") and len(r.text) > 40, n


def test_every_mutation_silent_in_the_hardened_baseline_has_a_reason_and_gaps_are_in_the_readme():
    silent = set(PINNED["hardened"].silent)
    assert silent - set(REASONS) == set(), f"no reason written for {sorted(silent - set(REASONS))}"
    assert set(REASONS) <= silent | set(PINNED["published"].silent), "a reason for a mutation that stops attacks"
    readme = (MANIFEST.parent / "README.md").read_text()
    for n, r in REASONS.items():
        if r.kind == "modelling-gap":
            assert f"`{n}`" in readme, f"the modelling gap {n} must be listed in the README"


def test_unread_control_skip_is_sound():
    """measured-configuration is only read when meta-insider launches CVMs:
    under cdn it is skipped, and indeed the mutant gives the baseline's verdicts."""
    rep = mu.run_mutate(threats=("cdn",), muts=[mu.by_name("measured-configuration")], jobs=1)
    assert ("measured-configuration", "cdn") in rep.skipped
    base = {r.property: r.verdict.verdict for r in check_threat(scenario("cdn"), PROPERTY_NAMES)}
    mut = {r.property: r.verdict.verdict
           for r in check_threat(scenario("cdn", ["measured-configuration"]), PROPERTY_NAMES)}
    assert base == mut


def test_unknown_mutation_names_the_valid_ones():
    with pytest.raises(ValueError, match="valid choices: credential-blinding"):
        mu.by_name("ra-tsl")


def test_rendering_flags_silent_controls(cdn_report):
    text = mutate_details_text(cdn_report, REASONS)
    for n, attacks in cdn_report.attacks.items():
        if not attacks:
            assert f"{mutation_label(n)}: no attack in this model" in text
    assert "control-necessity matrix against the published baseline" in mutate_matrix_text(cdn_report)
    assert "forward-secrecy: cdn 22 steps (1/1/1/2/any; baseline ok)" in text, "threat, length, coverage"


def test_expect_exits_1_on_drift_and_0_once_repinned(tmp_path, capsys):
    """A pinned cdn-only matrix (its file names the threat models and search, so this is cheap)."""
    pub = PINNED["published"]
    small = ex.Expected("published", pub.search, ("cdn",), pub.mutations, (), {
        m: {p: {"cdn": v["cdn"]} for p, v in ps.items() if "cdn" in v} for m, ps in pub.cells.items()},
        (), {})
    small = ex.Expected(**{**small.__dict__, "cells": {m: ps for m, ps in small.cells.items() if ps},
                           "silent": tuple(m for m in pub.mutations if not any(
                               "cdn" in ts for ts in pub.cells.get(m, {}).values()))})
    path = tmp_path / "mutate-cdn.json"
    path.write_text(ex.dumps(small))
    argv = ["mutate", "--quiet", "--jobs", "1", "--expect", str(path)]
    assert main(argv) == 0, capsys.readouterr().err
    drifted = json.loads(path.read_text())
    drifted["cells"]["ra-tls"]["forward-secrecy"]["cdn"]["steps"] = 21
    path.write_text(json.dumps(drifted))
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "ra-tls / forward-secrecy: pinned cdn (21 steps, baseline proved), now cdn (22 steps" in err
    assert main(argv + ["--update-expect"]) == 0
    assert main(argv) == 0 and json.loads(path.read_text())["cells"] == small.cells


def test_every_attack_found_replays_with_real_cryptography(cdn_report):
    """All attacks of the subset run with real bytes and end with evidence:
    leaked plaintext for secrecy, the breaking event otherwise."""
    from ppverify.proofs.replay.concrete import replay_concrete
    n = 0
    for attacks in cdn_report.attacks.values():
        for a in attacks:
            rep = replay_concrete(a.trace)
            assert rep.evidence, f"{a.property}: concrete replay shows nothing"
            if a.property in ("request-secrecy", "response-secrecy", "forward-secrecy"):
                assert any(b"Standup" in v or b"Summary" in v for v in rep.leaked.values()), \
                    f"{a.property}: no plaintext bytes in the adversary's hands"
            n += 1
    assert n >= len(_cells_under(PINNED["published"], "cdn"))


def test_the_engine_is_a_parameter(capsys):
    """`--engine` reaches every check: the baseline's and the mutants' (the CLI), the derivation's
    (asked of a recorder that answers every ask with one explorer run, so no horn search runs there)."""
    from concurrent.futures import Future
    from ppverify.proofs.analyses.checks import Ask, Checks, Search, answer
    from ppverify.proofs.analyses.hardened import derive
    assert main(["mutate", "--quiet", "--jobs", "1", "--threat", "cdn", "--mutation", "ra-tls", "--engine", "horn",
                 "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["baselines"][0]["engine"] == "horn"
    canned = answer(Ask(Change(), "cdn", ("request-secrecy",), Search.of()))

    class Recorder(Checks):
        def submit(self, ask):
            self.memo[ask] = fut = Future()
            fut.set_result(canned)
            return fut
    with Recorder(1) as checks:
        derive(checks, ("cdn",), ("request-secrecy",), Search.of(engine="horn"))
    assert len(checks.memo) == 6 and {a.search.engine for a in checks.memo} == {"horn"}, \
        "the design and its five binder values, each asked of the engine given"
