"""SARIF 2.1.0 for CI, a pure function of `Result`s (DESIGN principle 7).

One rule per property; one result per finding (Violated: kind `fail`, level
`error`; a depth-bounded cell, no attack within N steps where the search was
cut: kind `fail`, level `warning`, saying it is not proved (SARIF allows a
level other than `none` only with kind `fail`: the check failed to establish
the property); other Inconclusive: kind `open`, level `none`). A result's message starts with the finding's own sentence,
not the rule id (summaries such as sarif-tools' show its first words). Each
result points at the property's monitor in `proofs/properties/catalogue.py`,
then at every control the scenario disabled in `protocol/controls.py`;
related locations give the `Property` entry and any parameter set away from
its default. Lines are found by parsing those files, so they follow the code.
Each result's property bag gives its strength and coverage; proofs, which are
no findings, are listed with theirs in the run's property bag.
"""
from __future__ import annotations

import ast
import functools
import json
from pathlib import Path
from typing import Iterable, Optional

import ppverify.proofs.properties.catalogue as properties_mod
import ppverify.protocol.controls as controls_mod
from ppverify.proofs.core.verdicts import Inconclusive, Proved, Result, Standing, Violated, standing
from ppverify.proofs.render.base import Checked, Renderer, scenario_label, tool_version
from ppverify.protocol.controls import DEFAULTS

SARIF_SCHEMA_URI = "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"
# the folder holding models/, protocol/ and proofs/: the repo in a checkout, ppverify/ in a wheel
ROOT = Path(properties_mod.__file__).resolve().parents[2]


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
    # proofs are no findings: their strength and coverage go to the run's property bag
    run = {"tool": {"driver": {"name": "ppverify", "version": tool_version(), "rules": rules}},
           "results": findings,
           "properties": {"checked": len(results),
                          "proved": sum(isinstance(r.verdict, Proved) for r in results),
                          "strengths": {s.value: sum(standing(r.verdict) == s for r in results) for s in Standing},
                          "proofs": [{"property": r.property, **_bag(r)} for r in results
                                     if isinstance(r.verdict, Proved)]}}
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _bag(r: Result) -> dict:
    """A cell's SARIF property bag: where, by which engine, how strong, what it covers."""
    v = r.verdict
    return {"threat": r.threat, "scenario": r.scenario, "engine": v.engine, "states": v.states,
            "strength": standing(v).value, "coverage": v.coverage.to_json() if v.coverage is not None else None}


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
           "properties": _bag(r)}
    if isinstance(v, Violated):
        t = v.trace
        out.update(kind="fail", level="error",
                   message={"text": f"{t.explanation} ({r.property} violated under {label})"})
        flow = [{"location": {"message": {"text": f"{s.number}. {s.text}"}},
                 **({"state": {"adversary learns": {"text": ", ".join(s.learned)}}} if s.learned else {})}
                for s in t.steps]
        out["codeFlows"] = [{"message": {"text": t.explanation}, "threadFlows": [{"locations": flow}]}]
    elif isinstance(v, Inconclusive) and v.bounded:
        out.update(kind="fail", level="warning",
                   message={"text": f"Not proved: no attack within {v.coverage.depth} steps, where the search "
                                     f"was cut ({v.reason}); not a pass ({r.property} depth-bounded under {label})"})
    elif isinstance(v, Inconclusive):
        out.update(kind="open", level="none",
                   message={"text": f"Not established, and not a pass: {v.reason} ({r.property} inconclusive "
                                     f"under {label})"})
    else:
        raise ValueError(f"a proved cell is not a SARIF finding: {r.property} under {label}")
    return out


FORMAT: Renderer[Checked] = Renderer("sarif", "SARIF 2.1.0: findings pointing at the model's lines",
                                     lambda c: json.dumps(to_sarif(c.results), indent=2))
