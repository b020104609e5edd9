"""The verdict manifest, `check --expect`/`--update-manifest`, the pytest
plugin that runs the pins, and `--jobs`. Small threat models only (cdn, relay)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ppverify.proofs.analyses import manifest as mf
from ppverify.proofs.cli.main import main
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
from ppverify.proofs.analyses.runner import Job, run_jobs
from ppverify.protocol.controls import STATED_THREATS, scenario

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "manifest" / "verdicts.json"


def _copy(tmp_path, edit=None) -> Path:
    data = json.loads(MANIFEST.read_text())
    if edit:
        edit(data)
    p = tmp_path / "verdicts.json"
    p.write_text(json.dumps(data, indent=2))
    return p


def _pins(data, label_threat, disabled=()):
    (s,) = [s for s in data["scenarios"] if s["threat"] == label_threat
            and tuple(s.get("disabled", ())) == tuple(disabled) and not s.get("set")]
    return s["pins"]


def test_manifest_pins_the_default_matrix_and_the_what_ifs():
    m = mf.load(MANIFEST)
    by = {(s.threat, s.disabled, s.set_params): s for s in m.scenarios}
    for t in STATED_THREATS:
        assert set(by[(t, (), ())].pins) == set(PROPERTY_NAMES), f"default matrix row {t} incomplete"
    from test_check import WHAT_IFS  # tests/ is on sys.path (pytest prepend mode)
    for threat, disabled, prop, _ in WHAT_IFS:
        pin = by[(threat, tuple(disabled), ())].pins[prop]
        assert pin.verdict == "violated", f"what-if {disabled} under {threat} should pin {prop} violated"
    for s in m.scenarios:
        for p, pin in s.pins.items():
            if pin.verdict in ("violated", "inconclusive"):   # why expected, or why not settled
                assert pin.reason and pin.reason != mf.UNREVIEWED, f"{p} under {s.label} needs a reason"


def test_expect_matches_then_names_a_changed_pin(tmp_path, capsys):
    same = _copy(tmp_path)
    assert main(["check", "--quiet", "--expect", str(same), "--threat", "cdn"]) == 0, capsys.readouterr().err
    capsys.readouterr()

    def flip(data):
        _pins(data, "cdn")["request-secrecy"] = {"verdict": "violated", "reason": "deliberately wrong pin"}
    changed = _copy(tmp_path, flip)
    assert main(["check", "--quiet", "--expect", str(changed), "--threat", "cdn"]) == 1
    err = capsys.readouterr().err
    assert "request-secrecy under --threat cdn: pinned violated, now proved" in err, err
    assert "--update-manifest" in err, "the drift message must say how to re-pin deliberately"


def test_update_manifest_repins_and_keeps_reasons(tmp_path, capsys):
    def flip(data):
        pins = _pins(data, "cdn")
        pins["request-secrecy"] = {"verdict": "violated", "reason": "deliberately wrong pin"}
    p = _copy(tmp_path, flip)
    kept = _pins(json.loads(p.read_text()), "cdn")["key-consistency"]["reason"]
    assert main(["check", "--quiet", "--expect", str(p), "--threat", "cdn", "--update-manifest"]) == 0
    pins = _pins(json.loads(p.read_text()), "cdn")
    assert pins["request-secrecy"] == {"verdict": "proved"}
    assert pins["key-consistency"] == {"verdict": "violated", "reason": kept}
    assert main(["check", "--quiet", "--expect", str(p), "--threat", "cdn"]) == 0
    # every other scenario untouched
    others = [s for s in json.loads(MANIFEST.read_text())["scenarios"] if s["threat"] != "cdn"]
    assert [s for s in json.loads(p.read_text())["scenarios"] if s["threat"] != "cdn"] == others


@pytest.mark.parametrize("edit,message", [
    (lambda d: _pins(d, "cdn").update({"key-consistency": {"verdict": "violated"}}), "needs a 'reason'"),
    (lambda d: _pins(d, "cdn").update({"nope": {"verdict": "proved"}}), "request-secrecy"),
    (lambda d: _pins(d, "cdn").update({"key-consistency": {"verdict": "fine"}}), "proved, violated"),
    (lambda d: d.update(version=7), '"version": 1'),
])
def test_bad_manifest_exits_2_naming_the_problem(tmp_path, capsys, edit, message):
    p = _copy(tmp_path, edit)
    assert main(["check", "--quiet", "--expect", str(p), "--threat", "cdn"]) == 2
    assert message in capsys.readouterr().err


def test_expect_usage_errors(tmp_path, capsys):
    assert main(["check", "--quiet", "--expect", str(MANIFEST), "--threat", "hw-vendor"]) == 2
    assert "pinned scenarios: --threat network" in capsys.readouterr().err
    assert main(["check", "--update-manifest"]) == 2
    with pytest.raises(SystemExit) as exit_:   # argparse's own usage error
        main(["check", "--jobs", "0", "--threat", "cdn"])
    assert exit_.value.code == 2
    missing = tmp_path / "new.json"
    assert main(["check", "--expect", str(missing), "--update-manifest", "--threat", "cdn"]) == 2
    assert not missing.exists(), "a partial run must not create a manifest with unchecked pins"


def test_jobs_give_the_same_results_as_a_serial_run():
    jobs = [Job(scenario(t), PROPERTY_NAMES) for t in ("cdn", "relay")]
    serial = [[r.to_json() for r in rs] for rs in run_jobs(jobs, workers=1)]
    parallel = [[r.to_json() for r in rs] for rs in run_jobs(jobs, workers=2)]
    assert parallel == serial
    assert [rs[0]["threat"] for rs in parallel] == ["cdn", "relay"], "results come back in job order"


def test_cli_jobs_same_json(capsys):
    args = ["check", "--quiet", "--threat", "cdn", "--threat", "relay", "--format", "json"]
    assert main(args + ["--jobs", "1"]) == 1
    one = capsys.readouterr().out
    assert main(args + ["--jobs", "2"]) == 1
    assert capsys.readouterr().out == one


def _pytest(tmp_path, manifest: Path, *extra):
    (tmp_path / "pytest.ini").write_text(f"[pytest]\nppverify_manifest = {manifest.name}\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}   # the plugin is this repo's, loaded by name here
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                           "-p", "tests.pinned", str(manifest), *extra],
                          cwd=tmp_path, capture_output=True, text=True, env=env)


def test_pytest_collects_pins_and_reports_drift(tmp_path):
    def keep(data):
        data["scenarios"] = [s for s in data["scenarios"] if s["threat"] in ("cdn", "meta-insider")
                             and not s.get("disabled")]
        _pins(data, "cdn")["request-secrecy"] = {"verdict": "violated", "reason": "deliberately wrong pin"}
    p = _copy(tmp_path, keep)
    res = _pytest(tmp_path, p)
    out = res.stdout
    assert res.returncode == 1, out
    n = len(PROPERTY_NAMES)
    assert f"1 failed, {n - 1} passed, {n} skipped" in out, out
    assert "request-secrecy under --threat cdn: pinned violated, now proved" in out
    assert "--pinned=all" in out, "skipped slow pins must say how to run them"
    listed = _pytest(tmp_path, p, "--collect-only", "--pinned=all")
    assert f"{2 * n} tests collected" in listed.stdout, listed.stdout
