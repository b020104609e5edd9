"""Renderers: pure functions from results to text. Checkers never print."""
from __future__ import annotations

import json

from ppverify.proofs.core.verdicts import Proved, Result, Trace, Violated

SYMBOL = {"proved": "ok", "violated": "VIOLATED", "inconclusive": "??"}


def matrix_text(results: list[Result], properties, threats) -> str:
    cell = {(r.property, r.threat): r for r in results}
    width = max(len(p) for p in properties) + 2
    cols = [max(len(t), 8) + 2 for t in threats]
    lines = ["property".ljust(width) + "".join(t.ljust(c) for t, c in zip(threats, cols))]
    for p in properties:
        row = p.ljust(width)
        for t, c in zip(threats, cols):
            r = cell.get((p, t))
            row += (SYMBOL[r.verdict.verdict] if r else "-").ljust(c)
        lines.append(row)
    lines.append("")
    lines.append("ok = proved within the bound below; VIOLATED = counterexample found and replayed; "
                 "?? = inconclusive (never a pass)")
    return "\n".join(lines)


def bounds_text(results: list[Result]) -> str:
    seen, lines = set(), []
    for r in results:
        if r.threat in seen:
            continue
        seen.add(r.threat)
        # the search's reach, from the proofs under this threat model (the first may be a violation);
        # the SMT engine's differ per property (inductive invariant, complete, bounded)
        notes: dict = {}
        for x in results:
            if x.threat == r.threat and isinstance(x.verdict, Proved) and x.verdict.note:
                notes.setdefault(x.verdict.note, []).append(x.property)
        how = "; ".join(n if len(notes) == 1 else f"{len(ps)} proofs {n}" for n, ps in notes.items())
        size = (f"{r.extra.get('states')} states" if r.extra.get("states") is not None
                else f"{r.extra.get('local_states', '?')} grounded local states")
        lines.append(f"  {r.threat}: {size}, {r.extra.get('transitions')} "
                     f"transitions, {r.seconds:.1f}s; honest run reached: {r.partner_reached}"
                     + (f"; {how}" if how else ""))
    return "bounds and search:\n" + "\n".join(lines)


def violations_text(results: list[Result]) -> str:
    out = []
    for r in results:
        if isinstance(r.verdict, Violated):
            out.append(trace_text(r.verdict.trace))
    return "\n\n".join(out)


def trace_text(t: Trace) -> str:
    lines = [f"{t.property} violated under threat model {t.threat}",
             f"  scenario: disabled={t.scenario.get('disabled')} parameters={t.scenario.get('parameters')}"]
    for s in t.steps:
        lines.append(f"  {s.number:>3}. {s.text}")
        if s.learned:
            lines.append(f"       adversary now knows: {', '.join(s.learned)}")
    lines.append(f"  => {t.explanation}")
    return "\n".join(lines)


def results_json(results: list[Result]) -> str:
    return json.dumps({"version": 1, "results": [r.to_json() for r in results]}, indent=2)
