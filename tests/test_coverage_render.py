"""Every renderer states each cell's strength and coverage (clients, sessions,
CVMs, injections, depth: a number or "any"), so a reader tells at a glance a
proof for every size from a proof for the scenario from no proof. Built
results (no check runs): one cell of each strength."""
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import jsonschema

import report_fixtures as fx
from ppverify.proofs.core.verdicts import ANY, Coverage, Inconclusive, Proved, Result, Standing, Violated, standing
from ppverify.proofs.render import html, junit, markdown, sarif
from ppverify.proofs.render.base import WORDS, Checked, coverage_text
from ppverify.proofs.render.text import check_text

ROOT = Path(__file__).resolve().parent.parent
SARIF_SCHEMA = json.loads((ROOT / "schema/sarif-schema-2.1.0.json").read_text())
SC = fx.SCENARIO
EVERY, SCEN, CUT = Coverage(ANY, ANY, ANY, ANY, ANY), Coverage(1, 1, 1, 2, ANY), Coverage(1, 1, 1, 2, 23)
RESULTS = (
    Result("request-secrecy", "cdn", SC, Proved("horn", "unbounded", True, 40, "fixpoint", EVERY), True, 0.5),
    Result("response-secrecy", "cdn", SC, Proved("explore", 21, True, 113, "exhaustive", SCEN), True, 0.5),
    Result("attested-peer", "cdn", SC, Inconclusive("explore", "no attack within 23 steps: cut", 90, CUT,
                                                   bounded=True), True, 0.5),
    Result("token-single-use", "cdn", SC, Inconclusive("horn", "token counting", 40, SCEN), True, 0.5),
    Result("key-consistency", "cdn", SC, Violated("explore", fx.TRACE, 113, SCEN), True, 0.5))
RESULTS = tuple(replace(r, extra=fx.EXTRA) for r in RESULTS)   # the bundle's search table reads them
BY = {r.property: r for r in RESULTS}


def test_the_fixture_has_one_cell_of_each_strength():
    assert sorted(standing(r.verdict) for r in RESULTS) == sorted(Standing)


def test_text_matrix_legend_and_coverage_per_strength():
    out = check_text(Checked.of(RESULTS))
    rows = {ln.split()[0]: ln.split()[1] for ln in out.split("\n\n")[0].splitlines()[1:] if ln.strip()}
    assert rows == {"request-secrecy": "ok*", "response-secrecy": "ok", "attested-peer": "<=23",
                    "token-single-use": "??", "key-consistency": "VIOLATED"}
    for s in Standing:
        assert re.search(rf"^ *{re.escape(WORDS[s].format(depth='N'))} = ", out, re.M), s
    assert re.search(r"^coverage = runs of up to these many clients", out, re.M)
    bounds = out.split("bounds and search:\n")[1]
    for word, cov in (("ok*", EVERY), ("ok", SCEN), ("<=23", CUT), ("??", SCEN), ("VIOLATED", SCEN)):
        assert re.search(rf"^    {re.escape(word)} +1 cell\(s\): {re.escape(coverage_text(cov))}$", bounds, re.M), word
    assert "clients any, sessions any, CVMs any, injections any, depth any" in bounds


def _keys(md: str) -> dict[str, str]:
    return dict(re.findall(r"^- <sup>(c\d+)</sup> (.+)$", md, re.M))


def _md_cells(md: str) -> dict[str, str]:
    return {m[0]: m[1] for m in re.findall(r"^\| `([a-z-]+)` \| (.+) \|$", md, re.M) if m[0] in BY}


def _check_markdown_cells(md: str) -> None:
    keys, cells = _keys(md), _md_cells(md)
    assert set(cells) == set(BY)
    for p, text in cells.items():
        v = BY[p].verdict
        assert text.startswith(markdown.MARK[standing(v)].format(depth=23)), (p, text)
        (key,) = re.findall(r"<sup>(c\d+)</sup>", text)
        assert keys[key] == coverage_text(v.coverage), (p, key)


def test_markdown_marks_each_strength_apart_and_keys_each_cell_to_its_coverage():
    assert len({m.split()[0] for m in markdown.MARK.values()}) == len(Standing), "one symbol per strength"
    md = markdown.check_markdown(Checked.of(RESULTS))
    _check_markdown_cells(md)
    for s in Standing:
        assert f"- {markdown.MARK[s].format(depth='N')}: " in md, s
    assert "| `request-secrecy` | ✅ **proved, every size** <sup>c1</sup> |" in md


def test_bundle_markdown_and_html_key_each_cell_to_its_coverage():
    b = replace(fx.bundle(), results=RESULTS)
    b = replace(b, info=replace(b.info, threats=("cdn",), properties=tuple(BY)))
    _check_markdown_cells(markdown.bundle_markdown(b, fx.ASSUMPTIONS))
    cells = _html_cells(html.bundle_html(b, fx.ASSUMPTIONS))
    assert set(cells) == set(BY)
    for p, (cls, title) in cells.items():
        v = BY[p].verdict
        assert cls == html.CLASS[standing(v)]
        assert title == f"{standing(v).value} ({v.engine}); coverage: {coverage_text(v.coverage)}", p
    assert len(set(html.CLASS.values())) == len(set(html.SYMBOL.values())) == len(Standing)


class _Cells(HTMLParser):
    """The matrix's verdict cells: property -> (class, title)."""
    def __init__(self):
        super().__init__()
        self.row, self.cells, self.code = None, {}, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "code" and self.row is None:
            self.code = True
        if tag == "td" and self.row and a.get("class") in html.CLASS.values():
            self.cells[self.row] = (a.get("class"), a.get("title"))

    def handle_data(self, data):
        if self.code and data in BY:
            self.row = data
        self.code = False

    def handle_endtag(self, tag):
        if tag == "tr":
            self.row = None


def _html_cells(page: str) -> dict:
    matrix = page.split("<h2 id='matrix'>")[1].split("</table>")[0]
    parser = _Cells()
    parser.feed(matrix)
    return parser.cells


def test_junit_states_strength_and_coverage_in_every_testcase():
    root = ET.fromstring(junit.to_junit(RESULTS))
    cases = {c.get("name"): c for c in root.findall(".//testcase")}
    assert set(cases) == set(BY)
    for p, case in cases.items():
        v = BY[p].verdict
        props = {x.get("name"): x.get("value") for x in case.find("properties")}
        assert props["strength"] == standing(v).value
        assert {k: props[f"coverage.{k}"] for k in v.coverage.to_json()} == \
            {k: str(x) for k, x in v.coverage.to_json().items()}, p
        outcome = case.find("failure") if case.find("failure") is not None else case.find("error")
        if outcome is not None:
            assert outcome.get("message").startswith(standing(v).value + ": "), p
            assert coverage_text(v.coverage) in outcome.text, p
        else:
            assert case.find("system-out").text == \
                f"{standing(v).value} ({v.engine}), coverage: {coverage_text(v.coverage)}"


def test_sarif_bags_carry_strength_and_coverage_and_validate():
    doc = sarif.to_sarif(RESULTS)
    jsonschema.Draft7Validator(SARIF_SCHEMA).validate(doc)
    run = doc["runs"][0]
    assert {f["ruleId"] for f in run["results"]} == {"attested-peer", "token-single-use", "key-consistency"}
    for f in run["results"]:
        v = BY[f["ruleId"]].verdict
        assert f["properties"]["strength"] == standing(v).value
        assert f["properties"]["coverage"] == v.coverage.to_json()
    proofs = {x["property"]: x for x in run["properties"]["proofs"]}
    assert set(proofs) == {"request-secrecy", "response-secrecy"}
    assert proofs["request-secrecy"]["strength"] == Standing.EVERY_SIZE.value
    assert set(proofs["request-secrecy"]["coverage"].values()) == {"any"}
    assert proofs["response-secrecy"]["coverage"] == SCEN.to_json()
    assert run["properties"]["strengths"] == {s.value: 1 for s in Standing}


def test_an_honest_run_is_reached_where_any_cell_of_the_threat_model_reached_one():
    """Under auto the first cell may be a violation from an explorer search cut before the honest
    session completes, while the unbounded engine's proofs beside it reached one."""
    first = replace(RESULTS[-1], partner_reached=False)
    text = check_text(Checked.of((first,) + RESULTS[:-1]))
    assert "honest run reached: True" in text
    alone = check_text(Checked.of((first,)))
    assert "honest run reached: False" in alone
