"""The bundle as Markdown that renders on GitHub (Mermaid diagrams in fenced
blocks). Pure functions of a `Bundle` / `Trace`: no check runs here."""
from __future__ import annotations

from typing import Callable, Optional, Sequence

from ppverify.proofs.analyses.report import CHANNEL_CLASSES, Bundle
from ppverify.proofs.core.verdicts import Kind, Standing, Trace, Violated
from ppverify.proofs.properties.catalogue import BY_NAME
from ppverify.proofs.render import extras
from ppverify.proofs.render.base import (COVERAGE_MEANING, MEANING, Checked, Renderer, coverage_keys, coverage_text,
                                         strength_word)
from ppverify.proofs.render.diagrams import sequence_from_actions, trace_sequence
from ppverify.proofs.render.fixes import summary_markdown
from ppverify.proofs.render.mermaid import sequence_mermaid, system_mermaid
from ppverify.proofs.render.queries import (attack_numbers, counts, guarantees, step_parts, threat_rows,
                                            trace_file)
from ppverify.proofs.render.queries import assumptions as shipped
from ppverify.proofs.render.text import bounds_text

HONEST_MISSING = ("The honest session does not complete in this scenario, so nothing can be proved "
                  "here: every cell that is not violated is inconclusive (vacuous).")
MARK = {Standing.EVERY_SIZE: "✅ **proved, every size**", Standing.SCENARIO: "☑️ proved, this scenario",
        Standing.DEPTH_BOUNDED: "⚠️ no attack within {depth} steps", Standing.OPEN: "❔ inconclusive",
        Standing.VIOLATED: "❌ **violated**"}


def _mermaid(text: str) -> str:
    return f"```mermaid\n{text}\n```"


def scenario_line(sc: dict) -> str:
    params = ", ".join(f"`{k}={v}`" for k, v in sc.get("parameters", {}).items())
    disabled = ", ".join(f"`{c}`" for c in sc.get("disabled", [])) or "none (the published design)"
    b = sc.get("bounds", {})
    return (f"controls disabled: {disabled}; parameters: {params}; bounds: {b.get('clients')} client(s), "
            f"{b.get('sessions')} session(s) per client, {b.get('cvms')} honest orchestrator CVM(s)")


def step_markdown(step) -> str:
    p = step_parts(step)
    if p["invoke"]:
        return f"{step.number}. **{p['actor']}**: {p['what']}"
    pick = f" (picks `{p['choice']}`)" if p["choice"] else ""
    who = (f"**adversary**, posing as **{p['src']}**," if p["injected"] else f"**{p['src']}**")
    line = f"{step.number}. {who} → **{p['dst']}**: `{p['kind']}`{pick}, carrying `{p['payload']}`"
    if p["learned"]:
        line += "\n   — the adversary now knows " + ", ".join(f"`{x}`" for x in p["learned"])
    return line


def trace_markdown(trace: Trace, roles: dict, replay: str | None = None) -> str:
    """One attack: statement, numbered causal steps, sequence diagram, replay evidence."""
    prop = BY_NAME.get(trace.property)
    out = [f"**Property** `{trace.property}`" + (f": {prop.statement}." if prop else ""),
           f"**Threat model** `{trace.threat}`; {scenario_line(trace.scenario)}.", "",
           *[step_markdown(s) for s in trace.steps], "",
           f"**Outcome:** {trace.explanation}.", "", _mermaid(sequence_mermaid(trace_sequence(trace, roles)))]
    if replay is not None:
        out += ["", f"**Replay evidence:** re-run on the symbolic model before this report was written; "
                f"the last step violates the property again ({replay}). Saved as "
                f"[`{trace_file(trace)}`]({trace_file(trace)}); re-run it with "
                f"`ppverify replay {trace_file(trace)}`."]
    return "\n".join(out)


def matrix_rows(results, properties, threats, link: Callable[[str, str], str] = lambda p, t: "") -> list[str]:
    """The property x threat-model table: each cell's mark and the key of its
    coverage (listed by `legend_markdown`), then `link(property, threat)`."""
    by: dict = {}
    for r in results:
        by.setdefault((r.property, r.threat), r)
    keys = coverage_keys(results)
    rows = ["| property | " + " | ".join(f"`{t}`" for t in threats) + " |", "|---|" + "---|" * len(threats)]
    for p in properties:
        cells = [f"{strength_word(by[(p, t)].verdict, MARK)} <sup>{keys[by[(p, t)].verdict.coverage]}</sup>"
                 + link(p, t) if (p, t) in by else "–" for t in threats]
        rows.append(f"| `{p}` | " + " | ".join(cells) + " |")
    return rows


def legend_markdown(results) -> list[str]:
    """Each strength's mark and meaning, and each coverage key of the table."""
    return [*[f"- {MARK[s].format(depth='N')}: {MEANING[s]}" for s in Standing], "",
            f"**Coverage** of each cell (its <sup>key</sup>): {COVERAGE_MEANING}.", "",
            *[f"- <sup>{k}</sup> {coverage_text(c)}" for c, k in coverage_keys(results).items()]]


def matrix_markdown(bundle: Bundle) -> str:
    nums = attack_numbers(bundle)
    link = lambda p, t: f" ([attack {nums[(p, t)]}](#attack-{nums[(p, t)]}))" if (p, t) in nums else ""  # noqa: E731
    return "\n".join(matrix_rows(bundle.results, bundle.info.properties, bundle.info.threats, link))


def checked_markdown(bundle: Bundle) -> str:
    i, n = bundle.info, counts(bundle)
    lines = [f"- **Command:** `{i.command}`",
             f"- **Scenario:** {scenario_line(i.scenario)}",
             "- **Threat models:** " + ", ".join(f"`{t}`" for t in i.threats),
             f"- **Properties:** {len(i.properties)} (SPEC section 6)",
             "- **Engines:** " + ", ".join(f"`{e}`" for e in i.engines)
             + f"; state limit {i.max_states:,} per threat model, at most {i.max_moves} adversary "
               "injections per path",
             "- **Tools:** " + ", ".join(f"{k} {v}" for k, v in i.tools),
             f"- **Run:** started {i.started}, {i.seconds:.1f} s; {n[Kind.PROVED]} proved, "
             f"{n[Kind.VIOLATED]} violated, {n[Kind.INCONCLUSIVE]} inconclusive", "",
             "| threat model | searched | transitions | seconds | honest run reached | search |",
             "|---|---|---|---|---|---|"]
    for row in threat_rows(bundle):
        lines.append(f"| `{row['threat']}` | {row['size']} | {row['transitions'] or 0:,} | "
                     f"{row['seconds']:.1f} | {'yes' if row['partner'] else '**no**'} | {row['search']} |")
    return "\n".join(lines)


def _honest(bundle: Bundle, seq) -> list[str]:
    if not bundle.honest:
        return [HONEST_MISSING]
    return [f"Derived from the model's honest run ({len(bundle.honest)} steps, no adversary): the "
            "reachability partner a proof depends on (each proof's own search completed such a session).", "", _mermaid(sequence_mermaid(seq))]


def bundle_markdown(bundle: Bundle, assumptions: Optional[Sequence[tuple[str, str]]] = None) -> str:
    """`assumptions`: (title, Markdown) sections; by default the shipped ones."""
    attacks = bundle.attacks()
    honest = sequence_from_actions(bundle.honest, bundle.roles)
    yes, no = guarantees(bundle)
    out = ["# ppverify design review: WhatsApp Private Processing", "",
           "Generated from one run of the checks; the same data is in `index.html` (one self-contained "
           "page), `results.json`, and `traces/`.", ""]
    if bundle.remediation is not None:
        out += ["## Findings and their fixes", "", summary_markdown(bundle.remediation), ""]
    for extra in extras.necessity_sections(bundle):
        out += [f"## {extra.title}", "", extra.markdown, ""]
    if extras.skipped(bundle):
        out += [f"_{' and '.join(extras.skipped(bundle))}: not run for this bundle; `ppverify report --extras` adds "
                "them (several minutes)._", ""]
    out += ["## What was checked", "", checked_markdown(bundle), "",
           "## System", "", "Parties and trust boundaries (SPEC section 2); the channels are the links the "
           "honest session uses, classified by the model's visibility rules:", "",
           *[f"- **{k}**: {v}" for k, v in CHANNEL_CLASSES.items()], "",
           _mermaid(system_mermaid(bundle.system)), "",
           "## The honest session", "", *(_honest(bundle, honest)), "",
           "## Property × threat-model matrix", "", matrix_markdown(bundle), "",
           *legend_markdown(bundle.results), ""]
    for extra in extras.sections(bundle):
        out += [f"## {extra.title}", "", extra.markdown, ""]
    out += ["## Attacks", ""]
    if not attacks:
        out += ["No property was violated in this run.", ""]
    for i, t in enumerate(attacks, 1):
        out += [f'<a id="attack-{i}"></a>', "", f"### Attack {i}: `{t.property}` under `{t.threat}`", "",
                trace_markdown(t, bundle.roles, bundle.replays.get((t.property, t.threat))), ""]
    out += ["## Guarantees and limits of this run", "", "What is guaranteed:", "",
            *[f"- {x}" for x in yes], "", "What is not:", "", *[f"- {x}" for x in no], ""]
    for title, body in shipped() if assumptions is None else assumptions:
        out += [f"### {title}", "", body, ""]
    return "\n".join(out).rstrip() + "\n"


FORMAT: Renderer[Bundle] = Renderer("markdown", "the design review as Markdown (GitHub renders it)",
                                    bundle_markdown)


def check_markdown(c: Checked) -> str:
    """`check --format markdown`: the matrix as a GitHub table, the search's
    bounds, every attack as numbered steps (the report draws them too)."""
    out = ["## Verdicts", "", *matrix_rows(c.results, c.properties, c.threats), "", *legend_markdown(c.results),
           "", "```", bounds_text(list(c.results)), "```"]
    for r in c.results:
        if isinstance(r.verdict, Violated):
            tr = r.verdict.trace
            out += ["", f"## `{tr.property}` violated under `{tr.threat}`", "",
                    f"{scenario_line(tr.scenario)}.", "", *[step_markdown(s) for s in tr.steps], "",
                    f"**Outcome:** {tr.explanation}."]
    return "\n".join(out)


CHECK_FORMAT: Renderer[Checked] = Renderer("markdown", "the matrix, the bounds and every attack as GitHub Markdown",
                                           check_markdown)
