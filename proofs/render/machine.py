"""Machine renderers for CI: JUnit XML and SARIF 2.1.0, pure functions of
`Result`s (DESIGN principle 7; the JSON form is `render.results_json`).

JUnit: one `testsuite` per scenario (threat model plus disabled controls and
parameters), one `testcase` per property in it. Proved is a pass; Violated is
a `failure` whose text is the replayed trace; Inconclusive is an `error` with
its reason, never `skipped`: the check ran and did not establish the property,
and CI consumers treat skipped as green (STYLE 4: unknown is never a pass).

SARIF: one rule per property; one result per finding (Violated: kind `fail`,
level `error`; Inconclusive: kind `open`, level `none`, as SARIF requires for
every kind but `fail`). Each result points at the property's monitor in
`proofs/properties.py`, then at every control the scenario disabled in
`protocol/controls.py`; related locations give the `Property` entry and any
parameter set away from its default. Lines are found by parsing those files,
so they follow the code.
"""
from __future__ import annotations

import ast
import functools
import xml.etree.ElementTree as ET
from importlib import metadata
from pathlib import Path
from typing import Iterable, Optional

import ppverify.proofs.properties.catalogue as properties_mod
import ppverify.protocol.controls as controls_mod
from ppverify.proofs.render.text import trace_text
from ppverify.proofs.core.verdicts import Inconclusive, Proved, Result, Violated
from ppverify.protocol.controls import DEFAULTS

SARIF_SCHEMA_URI = "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"
# the folder holding models/, protocol/ and proofs/: the repo in a checkout, ppverify/ in a wheel
ROOT = Path(properties_mod.__file__).resolve().parents[2]


def tool_version() -> str:
    try:
        return metadata.version("ppverify")
    except metadata.PackageNotFoundError:
        return "0.0.0+unknown"


def scenario_label(r: Result) -> str:
    """The scenario as the command-line options that reproduce it."""
    sc = r.scenario
    parts = [f"--threat {r.threat}"]
    parts += [f"--disable {c}" for c in sc.get("disabled", [])]
    parts += [f"--set {k}={v}" for k, v in sorted(sc.get("parameters", {}).items()) if DEFAULTS.get(k) != v]
    for k, v in sorted(sc.get("bounds", {}).items()):
        if v != 1:
            parts.append(f"--{k} {v}")
    return " ".join(parts)


def scenario_id(r: Result) -> str:
    """A compact name for the scenario: `meta-insider,no-ra-tls,binder=exporter`."""
    label = scenario_label(r).split(" ")
    return ",".join([r.threat] + [("no-" if opt == "--disable" else "" if opt == "--set" else opt[2:] + "=") + val
                                  for opt, val in zip(label[2::2], label[3::2])])


# --- JUnit ------------------------------------------------------------------------
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
            suite.append(_testcase(label, r))
        totals["tests"] += len(rs)
        totals["failures"] += failures
        totals["errors"] += errors
    for k, v in totals.items():
        root.set(k, str(v))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _testcase(label: str, r: Result) -> ET.Element:
    case = ET.Element("testcase", classname=f"ppverify.{scenario_id(r)}", name=r.property, time="0")
    v = r.verdict
    props = ET.SubElement(case, "properties")
    for name, value in (("verdict", v.verdict), ("engine", v.engine), ("states", v.states),
                        ("bound", v.bound if isinstance(v, Proved) else None),
                        ("partner_reached", r.partner_reached)):
        if value is not None:
            ET.SubElement(props, "property", name=name, value=str(value))
    if isinstance(v, Violated):
        f = ET.SubElement(case, "failure", type="violated", message=v.trace.explanation)
        f.text = trace_text(v.trace)
    elif isinstance(v, Inconclusive):
        e = ET.SubElement(case, "error", type="inconclusive", message=v.reason)
        e.text = f"inconclusive ({v.engine}): {v.reason}; this is not a pass"
    return case


# --- source lines -------------------------------------------------------------------
def _rel(path: str) -> str:
    return Path(path).resolve().relative_to(ROOT).as_posix()


@functools.lru_cache(maxsize=None)
def _tree(path: str) -> ast.Module:
    return ast.parse(Path(path).read_text(), filename=path)


@functools.lru_cache(maxsize=None)
def property_lines() -> dict[str, tuple[int, int]]:
    """property name -> (line of its monitor's `def`, line of its `Property(...)` entry)."""
    tree = _tree(properties_mod.__file__)
    defs = {n.name: n.lineno for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    out = {}
    for n in ast.walk(tree):
        if (isinstance(n, ast.Call) and getattr(n.func, "id", None) == "Property" and n.args
                and isinstance(n.args[0], ast.Constant)):
            monitor = n.args[-1]
            out[n.args[0].value] = (defs.get(getattr(monitor, "id", None), n.lineno), n.lineno)
    return out


@functools.lru_cache(maxsize=None)
def catalogue_lines() -> dict[str, int]:
    """control name or parameter name -> its line in protocol/controls.py."""
    out: dict[str, int] = {}
    for n in _tree(controls_mod.__file__).body:
        target = n.target if isinstance(n, ast.AnnAssign) else (n.targets[0] if isinstance(n, ast.Assign) else None)
        name = getattr(target, "id", None)
        if name == "CONTROLS":
            for c in ast.walk(n.value):
                if isinstance(c, ast.Constant) and isinstance(c.value, str):
                    out.setdefault(c.value, c.lineno)
        elif name == "PARAMETERS" and isinstance(n.value, ast.Dict):
            for k in n.value.keys:
                out.setdefault(f"parameter:{k.value}", k.lineno)
    return out


def _location(path: str, line: int, text: Optional[str] = None, ident: Optional[int] = None) -> dict:
    loc = {"physicalLocation": {"artifactLocation": {"uri": _rel(path)}, "region": {"startLine": line}}}
    if text:
        loc["message"] = {"text": text}
    if ident is not None:
        loc["id"] = ident
    return loc


# --- SARIF ---------------------------------------------------------------------------
def to_sarif(results: Iterable[Result]) -> dict:
    results = list(results)
    plines = property_lines()
    clines = catalogue_lines()
    rule_ids = sorted({r.property for r in results}, key=list(properties_mod.PROPERTY_NAMES).index)
    rules = []
    for name in rule_ids:
        p = properties_mod.BY_NAME[name]
        rules.append({"id": name, "name": name, "shortDescription": {"text": p.statement},
                      "fullDescription": {"text": p.encoding},
                      "defaultConfiguration": {"level": "error"}})
    findings = [_sarif_result(r, rule_ids.index(r.property), plines, clines)
                for r in results if not isinstance(r.verdict, Proved)]
    run = {"tool": {"driver": {"name": "ppverify", "version": tool_version(), "rules": rules}},
           "results": findings,
           "properties": {"checked": len(results),
                          "proved": sum(isinstance(r.verdict, Proved) for r in results)}}
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _sarif_result(r: Result, rule_index: int, plines, clines) -> dict:
    v = r.verdict
    props_file, controls_file = properties_mod.__file__, controls_mod.__file__
    monitor_line, entry_line = plines[r.property]
    label = scenario_label(r)
    locations = [_location(props_file, monitor_line, f"monitor of {r.property}")]
    for c in r.scenario.get("disabled", []):
        locations.append(_location(controls_file, clines[c], f"control {c} disabled in this scenario"))
    related = [_location(props_file, entry_line, f"statement and encoding of {r.property}", 0)]
    for k, val in sorted(r.scenario.get("parameters", {}).items()):
        if DEFAULTS.get(k) != val:
            related.append(_location(controls_file, clines[f"parameter:{k}"], f"parameter {k}={val}",
                                     len(related)))
    out = {"ruleId": r.property, "ruleIndex": rule_index, "locations": locations,
           "relatedLocations": related,
           "properties": {"threat": r.threat, "scenario": r.scenario, "engine": v.engine, "states": v.states}}
    if isinstance(v, Violated):
        t = v.trace
        out.update(kind="fail", level="error",
                   message={"text": f"{r.property} violated under {label}: {t.explanation}"})
        flow = [{"location": {"message": {"text": f"{s.number}. {s.text}"}},
                 **({"state": {"adversary learns": {"text": ", ".join(s.learned)}}} if s.learned else {})}
                for s in t.steps]
        out["codeFlows"] = [{"message": {"text": t.explanation}, "threadFlows": [{"locations": flow}]}]
    else:
        out.update(kind="open", level="none",
                   message={"text": f"{r.property} inconclusive under {label}: {v.reason} (not a pass)"})
    return out


def render(results: Iterable[Result], fmt: str) -> str:
    """`junit` or `sarif` as text."""
    if fmt == "junit":
        return to_junit(results)
    if fmt == "sarif":
        import json
        return json.dumps(to_sarif(results), indent=2)
    raise ValueError(f"unknown machine format {fmt!r}; valid choices: junit, sarif")
