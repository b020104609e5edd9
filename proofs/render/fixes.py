"""The fixes of a check's findings (`proofs.analyses.remediation`) in every
form that shows them: the `fix:` section of `check`'s text, the
`remediation` object of its JSON, and the findings summary that leads the
report (Markdown and HTML). Pure functions of a `Remediation`."""
from __future__ import annotations

from html import escape
from typing import Sequence

from ppverify.proofs.analyses.remediation import Cell, Finding, Remediation, Trial
from ppverify.proofs.core.verdicts import Standing


def cells_text(cells: Sequence[Cell]) -> str:
    """`a, b under network; c under meta-insider`."""
    by: dict[str, list[str]] = {}
    for p, t in cells:
        by.setdefault(t, []).append(p)
    return "; ".join(f"{', '.join(ps)} under {t}" for t, ps in by.items())


def after_text(f: Finding, trial: Trial) -> str:
    """The finding's cells after the change, by strength:
    `5 proved (network); 6 no attack within 30 steps, not proved (meta-insider)`."""
    parts = []
    for s, cells in f.after(trial).items():
        threats = ", ".join(dict.fromkeys(t for _, t in cells))
        match s:
            case Standing.EVERY_SIZE | Standing.SCENARIO:
                what = "proved" + (" for every size" if s == Standing.EVERY_SIZE else "")
            case Standing.DEPTH_BOUNDED:
                depths = sorted({trial.verdict(c).coverage.depth for c in cells})
                what = f"no attack within {'/'.join(map(str, depths))} steps, not proved"
            case Standing.OPEN:
                what = "inconclusive"
            case Standing.VIOLATED:
                what = "STILL VIOLATED"
        parts.append(f"{len(cells)} {what} ({threats})")
    return "; ".join(parts)


def evidence_word(f: Finding, trial: Trial) -> str:
    return "proved" if f.proved_by(trial) else "not violated, not all proved"


def _tried(rem: Remediation) -> str:
    rest = len(rem.trials) - rem.checked
    return (f"{len(rem.trials)} single changes tried, each other parameter value and each switched-off control "
            f"back on: {rem.checked} checked again in full" + (f", under the other {rest} every attack's trace "
                                                                 "still replays" if rest else ""))


def fixes_text(rem: Remediation) -> str:
    """`check`'s `fix:` section."""
    if not rem.findings:
        return ""
    lines = [f"fix: {_tried(rem)}"]
    for i, f in enumerate(rem.findings, 1):
        lines.append(f"  finding {i}: {len(f.cells)} cell(s): {cells_text(f.cells)}")
        lines.append(f"    cause: {f.cause}")
        if f.fixes:
            first, rest = f.fixes[0], f.fixes[1:]
            lines.append(f"    fix: {first.change.options()}" + (
                f" (or {', '.join(t.change.options() for t in rest)})" if rest else ""))
            for t in f.fixes:
                lines.append(f"    after {t.change.label}: {after_text(f, t)}; breaks nothing else")
        for t in f.breaking:
            lines.append(f"    not a fix: {t.change.label} stops it but breaks {cells_text(t.regressions)}")
    return "\n".join(lines)


def _cell_json(cell: Cell) -> dict:
    return {"property": cell[0], "threat": cell[1]}


def remediation_json(rem: Remediation) -> dict:
    def after(f: Finding, t: Trial) -> list:
        out = []
        for c in f.cells:
            v = t.verdict(c)
            out.append({**_cell_json(c), "verdict": v.verdict.value,
                        "coverage": v.coverage.to_json() if v.coverage is not None else None})
        return out
    return {"design": list(rem.base.parts), "threats": list(rem.threats),
            "tried": [{"change": list(t.change.parts), "checked": t.checked,
                       "still_runs": [_cell_json(c) for c in t.still],
                       "regressions": [_cell_json(c) for c in t.regressions]} for t in rem.trials],
            "findings": [{"cells": [_cell_json(c) for c in f.cells], "cause": f.cause, "explanation": f.explanation,
                          "fixes": [{"change": list(t.change.parts), "options": t.change.options(),
                                     "proved": f.proved_by(t), "after": after(f, t)} for t in f.fixes],
                          "breaking": [{"change": list(t.change.parts),
                                        "regressions": [_cell_json(c) for c in t.regressions]} for t in f.breaking]}
                         for f in rem.findings]}


def summary_rows(rem: Remediation) -> list[dict]:
    """One row per finding, the summary that leads the report."""
    rows = []
    for i, f in enumerate(rem.findings, 1):
        fix = " or ".join(f"`{t.change.options()}`" for t in f.fixes) if f.fixes else "none found"
        evidence = (f"after `{f.fixes[0].change.options()}`: {after_text(f, f.fixes[0])}; breaks nothing else"
                    if f.fixes else "the same attack replays under every change tried")
        rows.append({"n": i, "cells": cells_text(f.cells), "count": len(f.cells), "cause": f.cause,
                     "fix": fix, "evidence": evidence,
                     "breaking": "; ".join(f"`{t.change.label}` stops it but breaks {cells_text(t.regressions)}"
                                           for t in f.breaking)})
    return rows


def _intro(rem: Remediation) -> str:
    return (f"{len(rem.findings)} finding(s) from {sum(len(f.cells) for f in rem.findings)} violated cell(s); "
            f"fixes computed by the tool: {_tried(rem)}. Evidence: the finding's cells checked again after the "
            "fix; a cell with no attack within N steps (the search cut there) holds that far, it is not proved.")


def summary_markdown(rem: Remediation) -> str:
    if not rem.findings:
        return "No property was violated in this run: nothing to fix."
    out = [_intro(rem), ""]
    for r in summary_rows(rem):
        out += [f"{r['n']}. **{r['count']} cell(s): {r['cells']}**",
                f"   - root cause: {r['cause']}", f"   - fix: {r['fix']}", f"   - evidence: {r['evidence']}"]
        if r["breaking"]:
            out.append(f"   - not a fix: {r['breaking']}")
    return "\n".join(out)


def summary_html(rem: Remediation, inline) -> str:
    """`inline`: the report's Markdown-to-HTML of one line (code spans, bold)."""
    if not rem.findings:
        return "<p>No property was violated in this run: nothing to fix.</p>"
    out = [f"<p>{escape(_intro(rem))}</p><ol class='findings'>"]
    for r in summary_rows(rem):
        items = [("root cause", r["cause"]), ("fix", r["fix"]), ("evidence", r["evidence"])]
        items += [("not a fix", r["breaking"])] if r["breaking"] else []
        out.append(f"<li><strong>{r['count']} cell(s): {escape(r['cells'])}</strong><ul>"
                   + "".join(f"<li>{k}: {inline(v)}</li>" for k, v in items) + "</ul></li>")
    return "\n".join(out + ["</ol>"])
