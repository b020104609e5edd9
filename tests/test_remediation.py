"""Remediation: the fixes of a check's findings are computed from verdicts
checked here. Grouping on made-up trials (cells with the same fixes are one
finding, a change that breaks something else is no fix), and real runs: a
control switched off is fixed by switching it back on, the CDN's key
consistency has no fix, and the text and JSON of `check` show both."""
import json
from pathlib import Path

import jsonschema

import report_fixtures as fx
from ppverify.proofs.analyses.changes import Change
from ppverify.proofs.analyses.checks import Checks, Search, full
from ppverify.proofs.analyses.remediation import Trial, group, remediate
from ppverify.proofs.cli.main import main
from ppverify.proofs.core.verdicts import ANY, Coverage, Inconclusive, Proved, Standing, Violated
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "schema/check-result.schema.json").read_text())
EVERY, CUT = Coverage.of(fx.SCENARIO, 2, ANY), Coverage.of(fx.SCENARIO, 2, 30)
PROOF = Proved("explore", 10, True, 5, "exhaustive", EVERY)
BOUNDED = Inconclusive("explore", "no attack within 30 steps", 5, CUT, bounded=True)
BROKEN = Violated("explore", fx.TRACE, 5, EVERY)
A, B, C, D = ("request-secrecy", "network"), ("attested-peer", "network"), ("request-secrecy", "meta-insider"), \
    ("key-consistency", "cdn")
STRONG, EXPORTER, WEAK = (Change(set_params=(f"binder={v}",)) for v in ("client-random+server-key", "exporter", "server-key"))


def test_cells_with_the_same_fixes_are_one_finding():
    trials = [Trial(WEAK, (D,), ((A, PROOF), (B, PROOF), (C, BOUNDED), (D, BROKEN)), (("evidence-freshness", "network"),), True),
              Trial(STRONG, (D,), ((A, PROOF), (B, PROOF), (C, BOUNDED), (D, BROKEN)), (), True),
              Trial(EXPORTER, (D,), ((A, PROOF), (B, PROOF), (C, PROOF), (D, BROKEN)), (), True),
              Trial(Change(set_params=("credential-scheme=rsa-blind",)), (A, B, C, D))]
    findings = group(Change(), {c: fx.TRACE for c in (A, B, C, D)}, trials)
    assert [f.cells for f in findings] == [(A, B, C), (D,)]
    binder, cdn = findings
    assert [t.change for t in binder.fixes] == [EXPORTER, STRONG], "strongest evidence first: exporter proves C"
    assert binder.proved_by(binder.fixes[0]) and not binder.proved_by(binder.fixes[1])
    assert [t.change for t in binder.breaking] == [WEAK], "server-key stops them but breaks freshness: no fix"
    assert binder.cause.startswith("binder=client-random"), binder.cause
    assert not cdn.fixes and not cdn.breaking and "no single change" in cdn.cause


def test_cells_with_different_fixes_are_different_findings():
    trials = [Trial(STRONG, (), ((A, PROOF), (C, BROKEN)), (), True),
              Trial(EXPORTER, (), ((A, PROOF), (C, PROOF)), (), True)]
    findings = group(Change(), {A: fx.TRACE, C: fx.TRACE}, trials)
    assert [(f.cells, [t.change for t in f.fixes]) for f in findings] == [((A,), [STRONG, EXPORTER]), ((C,), [EXPORTER])]


def test_a_control_switched_off_is_fixed_by_switching_it_on():
    design, search = Change(disable=("ra-tls",)), Search.of(20_000)
    with Checks(1) as checks:
        results = [r for a in checks.get(full(design, ("cdn",), PROPERTY_NAMES, search)) for r in a.results]
        rem = remediate(checks, results, search, design)
    cells = {(r.property, r.threat) for r in results if isinstance(r.verdict, Violated)}
    assert ("key-consistency", "cdn") in cells and len(cells) == 4
    (ra, cdn) = rem.findings
    assert set(ra.cells) == cells - {("key-consistency", "cdn")}
    assert [t.change for t in ra.fixes] == [Change(enable=("ra-tls",))]
    assert ra.proved_by(ra.fixes[0]), "every cell it broke is proved again, by the check itself"
    assert ra.cause == "switched off: ra-tls; every fix switches one back on"
    assert cdn.cells == (("key-consistency", "cdn"),) and not cdn.fixes
    by = {t.change: t for t in rem.trials}
    assert not by[Change(set_params=("credential-scheme=rsa-blind",))].checked, "every attack replays: not searched"
    binders = [t for t in rem.trials if t.change.touched == {"binder"}]
    assert binders and all(t.checked and not any(t.fixes(c) for c in ra.cells) for t in binders), \
        "a binder changes the traces' terms, so it is checked in full, and the attacks are found again"


def test_the_fixes_are_checked_with_the_checks_engine():
    """The candidate designs are checked with the check's own search: on auto the fix's cells
    are proved for every size, on the explorer for its scenario; the trials agree otherwise."""
    design = Change(disable=("ra-tls",))
    found = {}
    for engine in ("explore", "auto"):
        search = Search.of(20_000, engine=engine)
        with Checks(1) as checks:
            results = [r for a in checks.get(full(design, ("cdn",), PROPERTY_NAMES, search)) for r in a.results]
            found[engine] = remediate(checks, results, search, design)
    (ra, _), (ra2, _) = found["explore"].findings, found["auto"].findings
    assert set(ra.after(ra.fixes[0])) == {Standing.SCENARIO}, "the explorer proves them for its scenario"
    assert ra2.fixes[0].change == ra.fixes[0].change and set(ra2.after(ra2.fixes[0])) == {Standing.EVERY_SIZE}
    assert [t.change for t in found["auto"].trials] == [t.change for t in found["explore"].trials]


def test_check_prints_and_exports_the_fixes(capsys):
    argv = ["check", "--quiet", "--threat", "cdn", "--disable", "ra-tls"]
    assert main(argv) == 1
    out = capsys.readouterr().out
    fix = out.split("\nfix: ")[1]
    assert "fix: without --disable ra-tls" in fix and "breaks nothing else" in fix
    assert "key-consistency under cdn\n    cause: no single change" in fix
    assert main(argv + ["--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    (ra, cdn) = doc["remediation"]["findings"]
    assert ra["fixes"][0]["change"] == ["ra-tls on"] and ra["fixes"][0]["proved"]
    assert {c["verdict"] for c in ra["fixes"][0]["after"]} == {"proved"}
    assert main(argv + ["--no-fix"]) == 1
    assert "\nfix: " not in capsys.readouterr().out
