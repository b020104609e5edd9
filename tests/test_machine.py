"""Machine outputs of `ppverify check`: JSON against the repo's schema, SARIF
against the official SARIF 2.1.0 schema, JUnit structure. Small scenarios only."""
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from ppverify.proofs.analyses.check import check_threat
from ppverify.proofs.cli.main import main
from ppverify.proofs.core.verdicts import Coverage, Inconclusive, Result
from ppverify.proofs.render import junit, sarif
from ppverify.proofs.render.json import results_json
from ppverify.protocol.controls import scenario

ROOT = Path(__file__).resolve().parent.parent
RESULT_SCHEMA = json.loads((ROOT / "schema/check-result.schema.json").read_text())
SARIF_SCHEMA = json.loads((ROOT / "schema/sarif-schema-2.1.0.json").read_text())


@pytest.fixture(scope="module")
def results():
    """A proved and a violated cell (cdn), a what-if with a control off, and
    an inconclusive cell (built, not searched: vacuity has its own test)."""
    rs = check_threat(scenario("cdn"), ("key-consistency", "request-secrecy"))
    rs += check_threat(scenario("chat-member", ["advanced-chat-privacy"]), ("chat-privacy-respected",))
    base = rs[1]
    rs.append(Result("response-secrecy", base.threat, base.scenario,
                     Inconclusive("explore", "vacuous: the honest session never completes", 7,
                                  Coverage.of(base.scenario, 2, 0))))
    rs.append(Result("forward-secrecy", base.threat, base.scenario,
                     Inconclusive("explore", "no attack within 23 steps: state limit 20,000", 9,
                                  Coverage.of(base.scenario, 2, 23), bounded=True)))
    return rs


def test_cli_json_validates_against_the_schema(capsys):
    assert main(["check", "--quiet", "--threat", "cdn", "--format", "json",
                 "--property", "key-consistency", "--property", "request-secrecy"]) == 1
    out = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator(RESULT_SCHEMA).validate(out)
    assert {c["verdict"] for c in out["results"]} == {"proved", "violated"}


def test_schema_accepts_inconclusive_and_rejects_broken_output(results):
    doc = json.loads(results_json(results))
    v = jsonschema.Draft202012Validator(RESULT_SCHEMA)
    v.validate(doc)
    bad = json.loads(results_json(results))
    bad["results"][0]["verdict"] = "maybe"
    assert not v.is_valid(bad), "an unknown verdict kind must not validate"
    bad = json.loads(results_json(results))
    violated = next(c for c in bad["results"] if c["verdict"] == "violated")
    violated["trace"] = None
    assert not v.is_valid(bad), "a violated cell without its trace must not validate"
    bad = json.loads(results_json(results))
    del bad["version"]
    assert not v.is_valid(bad), "output without its version must not validate"
    doc = json.loads(results_json(results))
    assert {c["coverage"]["depth"] for c in doc["results"]} >= {"any", 0, 23}
    bad = json.loads(results_json(results))
    next(c for c in bad["results"] if c["verdict"] == "proved")["coverage"]["depth"] = 23
    assert not v.is_valid(bad), "a proof covers every run of its scenario: its depth is \"any\""
    bad = json.loads(results_json(results))
    del bad["results"][0]["coverage"]
    assert not v.is_valid(bad), "every result says what it covers"


def test_sarif_validates_against_the_official_schema(results):
    doc = sarif.to_sarif(results)
    validator = jsonschema.Draft7Validator(SARIF_SCHEMA)
    validator.validate(doc)
    broken = json.loads(json.dumps(doc))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert not validator.is_valid(broken), "the vendored schema must reject an invalid level"


def _line(uri: str, n: int) -> str:
    return (ROOT / uri).read_text().splitlines()[n - 1]


def test_sarif_points_at_the_monitor_and_the_disabled_control(results):
    run = sarif.to_sarif(results)["runs"][0]
    by_rule = {f["ruleId"]: f for f in run["results"]}
    assert set(by_rule) == {"key-consistency", "chat-privacy-respected", "response-secrecy", "forward-secrecy"}, \
        "every violated or inconclusive cell is a finding; proved cells are not"
    kc = by_rule["key-consistency"]
    loc = kc["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "proofs/properties/catalogue.py"
    assert _line("proofs/properties/catalogue.py", loc["region"]["startLine"]).startswith("def key_consistency")
    entry = kc["relatedLocations"][0]["physicalLocation"]["region"]["startLine"]
    assert '"key-consistency"' in _line("proofs/properties/catalogue.py", entry)
    assert kc["level"] == "error" and kc["codeFlows"][0]["threadFlows"][0]["locations"]
    acp = by_rule["chat-privacy-respected"]
    # decorated monitor: the line is its `def`, not the decorator's wrapper
    monitor = acp["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert _line("proofs/properties/catalogue.py", monitor).startswith("def chat_privacy_respected")
    ctrl = acp["locations"][1]["physicalLocation"]
    assert ctrl["artifactLocation"]["uri"] == "protocol/controls.py"
    assert '"advanced-chat-privacy"' in _line("protocol/controls.py", ctrl["region"]["startLine"])
    assert by_rule["response-secrecy"]["kind"] == "open" and by_rule["response-secrecy"]["level"] == "none"
    cut = by_rule["forward-secrecy"]   # depth-bounded: a warning that it is not proved
    assert cut["level"] == "warning" and cut["message"]["text"].startswith("Not proved: no attack within 23 steps")


def test_every_property_has_a_source_line():
    from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
    lines = sarif.property_lines()
    assert set(lines) == set(PROPERTY_NAMES)
    for name, (monitor, entry) in lines.items():
        assert _line("proofs/properties/catalogue.py", monitor).startswith("def "), name


def test_sarif_marks_changed_parameters():
    (r,) = check_threat(scenario("cdn", [], ["binder=exporter"]), ("key-consistency",))
    (f,) = sarif.to_sarif([r])["runs"][0]["results"]
    texts = [x["message"]["text"] for x in f["relatedLocations"]]
    assert "parameter binder=exporter" in texts
    line = f["relatedLocations"][-1]["physicalLocation"]["region"]["startLine"]
    assert '"binder"' in _line("protocol/controls.py", line)


def test_junit_one_case_per_cell(results):
    root = ET.fromstring(junit.to_junit(results))
    cases = root.findall(".//testcase")
    assert len(cases) == len(results)
    assert root.get("tests") == "5" and root.get("failures") == "2" and root.get("errors") == "2"
    by = {(c.get("classname"), c.get("name")): c for c in cases}
    kc = by[("ppverify.cdn", "key-consistency")].find("failure")
    assert kc is not None and "adversary" in kc.text, "a violation carries its trace"
    assert by[("ppverify.cdn", "request-secrecy")].find("failure") is None
    inc = by[("ppverify.cdn", "response-secrecy")]
    assert inc.find("error") is not None and inc.find("skipped") is None, "inconclusive is never a pass"
    assert ("ppverify.chat-member.no-advanced-chat-privacy", "chat-privacy-respected") in by
    cut = by[("ppverify.cdn", "forward-secrecy")].find("error")
    assert cut is not None and cut.get("type") == "depth-bounded", "a cut search is not a passing test"


def test_junit_cases_carry_their_times_and_comma_free_class_names(results):
    cases = ET.fromstring(junit.to_junit(results)).findall(".//testcase")
    times = {(r.threat, bool(r.scenario["disabled"]), r.property): f"{r.seconds:.3f}" for r in results}
    for case in cases:
        cls = case.get("classname")
        assert "," not in cls, "CI tools split class names at commas"
        assert case.get("time") == times[(cls.split(".")[1], cls.count(".") > 1, case.get("name"))], \
            "a test case's time is its check's"
    assert any(float(c.get("time")) > 0 for c in cases), "real runs take time"


def test_sarif_messages_start_with_the_finding_not_the_rule_id(results):
    for f in sarif.to_sarif(results)["runs"][0]["results"]:
        text = f["message"]["text"]
        assert not text.startswith(f["ruleId"]), f"the message starts with its rule id: {text!r}"
    kc = next(f for f in sarif.to_sarif(results)["runs"][0]["results"] if f["ruleId"] == "key-consistency")
    assert kc["message"]["text"].startswith(kc["codeFlows"][0]["message"]["text"]), \
        "a violation's message opens with the trace's explanation"


def test_cli_junit_and_sarif(capsys, tmp_path):
    out = tmp_path / "r.sarif"
    assert main(["check", "--quiet", "--threat", "cdn", "--property", "key-consistency",
                 "--format", "sarif", "--output", str(out)]) == 1
    jsonschema.Draft7Validator(SARIF_SCHEMA).validate(json.loads(out.read_text()))
    assert main(["check", "--quiet", "--threat", "cdn", "--property", "request-secrecy",
                 "--format", "junit"]) == 0
    assert ET.fromstring(capsys.readouterr().out.split("\n", 1)[1]).get("failures") == "0"
