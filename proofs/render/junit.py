"""JUnit XML for CI, a pure function of `Result`s (DESIGN principle 7).

One `testsuite` per scenario (threat model plus disabled controls and
parameters), one `testcase` per property in it, with the check's time and a
class name CI tools can group on: `ppverify.<threat>.<what-if>...` (dots
only, never commas, so the name is stable across tools). Proved is a pass;
Violated is a `failure` whose text is the replayed trace; Inconclusive is an
`error` with its reason, never `skipped`: the check ran and did not establish
the property, and CI consumers treat skipped as green (STYLE 4: unknown is
never a pass). A depth-bounded cell (no attack within N steps, the search cut
there) is such an error too, of type `depth-bounded`, so a cut search never
shows as a passing test. Every test case states its strength (a property,
and the message or, for a pass, its output) and its coverage (properties
`coverage.clients` ... `coverage.depth`, each a number or "any")."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Iterable

from ppverify.proofs.core.verdicts import Inconclusive, Proved, Result, Violated, standing
from ppverify.proofs.render.base import COVERAGE_FIELDS, Checked, Renderer, coverage_text, scenario_id, scenario_label
from ppverify.proofs.render.text import trace_text


def to_junit(results: Iterable[Result]) -> str:
    suites: dict[str, list[Result]] = {}
    for r in results:
        suites.setdefault(scenario_label(r), []).append(r)
    root = ET.Element("testsuites", name="ppverify check")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for label, rs in suites.items():
        failures = sum(isinstance(r.verdict, Violated) for r in rs)
        errors = sum(isinstance(r.verdict, Inconclusive) for r in rs)
        suite = ET.SubElement(root, "testsuite", name=label, tests=str(len(rs)), failures=str(failures),
                              errors=str(errors), skipped="0", time=f"{rs[0].seconds:.3f}")
        for r in rs:
            suite.append(_testcase(r))
        totals["tests"] += len(rs)
        totals["failures"] += failures
        totals["errors"] += errors
    for k, v in totals.items():
        root.set(k, str(v))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _testcase(r: Result) -> ET.Element:
    case = ET.Element("testcase", classname=f"ppverify.{scenario_id(r)}", name=r.property,
                      time=f"{r.seconds:.3f}")
    v = r.verdict
    strength, covers = standing(v).value, coverage_text(v.coverage)
    props = ET.SubElement(case, "properties")
    cov = v.coverage.to_json() if v.coverage is not None else {}
    for name, value in (("verdict", v.verdict), ("engine", v.engine), ("states", v.states),
                        ("bound", v.bound if isinstance(v, Proved) else None),
                        ("strength", strength),
                        *((f"coverage.{key}", cov.get(key)) for key, _ in COVERAGE_FIELDS),
                        ("partner_reached", r.partner_reached)):
        if value is not None:
            ET.SubElement(props, "property", name=name, value=str(value))
    if isinstance(v, Violated):
        f = ET.SubElement(case, "failure", type="violated", message=f"{strength}: {v.trace.explanation}")
        f.text = trace_text(v.trace) + f"\n(found by {v.engine}, coverage: {covers})"
    elif isinstance(v, Inconclusive) and v.bounded:
        e = ET.SubElement(case, "error", type="depth-bounded", message=f"{strength}: {v.reason}")
        e.text = (f"not proved ({v.engine}): no attack within {v.coverage.depth} steps, where the search was "
                  f"cut ({v.reason}); longer runs are unchecked, so this is not a pass (coverage: {covers})")
    elif isinstance(v, Inconclusive):
        e = ET.SubElement(case, "error", type="inconclusive", message=f"{strength}: {v.reason}")
        e.text = f"inconclusive ({v.engine}): {v.reason}; this is not a pass (coverage: {covers})"
    else:   # a pass carries no message element: its strength and coverage go to its output
        ET.SubElement(case, "system-out").text = f"{strength} ({v.engine}), coverage: {covers}"
    return case


FORMAT: Renderer[Checked] = Renderer("junit", "JUnit XML: one test case per property x scenario",
                                     lambda c: to_junit(c.results))
