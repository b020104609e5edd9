"""The report's sections from the other analyses, when the bundle was
gathered with them (`ppverify report --extras`): the control-necessity
matrices against both baselines (`proofs.analyses.mutate`), with how the
hardened baseline was derived, and the threat-lattice summary
(`proofs.analyses.lattice`), each as Markdown and HTML."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

from ppverify.proofs.analyses.hardened import Derivation
from ppverify.proofs.analyses.lattice import LatticeReport
from ppverify.proofs.analyses.mutate import MutateReport, Stopped
from ppverify.proofs.analyses.report import Bundle
from ppverify.proofs.render.base import COVERAGE_LEGEND, coverage_word, depth_bounded
from ppverify.proofs.render.necessity import baseline_title, mutation_label, silent_reason, with_cut

MUTATION, LATTICE = "Control-necessity matrix", "Threat lattice"
# how the baseline keeps a cell: Markdown's marks (as its matrix), and HTML's (as html.py's, which render in
# a browser without an emoji font)
KEPT = {"proved": "✅", "bounded": "⚠️ ≤{depth}"}
KEPT_HTML = {"proved": "✔", "bounded": "? ≤{depth}"}


@dataclass(frozen=True)
class Section:
    title: str
    markdown: str
    html: str


def sections(bundle: Bundle) -> list[Section]:
    """The sections after the property matrix: the lattice."""
    return [lattice_section(bundle.lattice)] if bundle.lattice is not None else []


def necessity_sections(bundle: Bundle) -> list[Section]:
    """The control-necessity matrices, one per baseline (published first), that follow the findings."""
    hardened = next((r for r in bundle.mutations if r.name == "hardened"), None)
    return [mutation_section(r, bundle.reasons, hardened if r.name == "published" else None)
            for r in bundle.mutations]


def skipped(bundle: Bundle) -> tuple[str, ...]:
    """Titles of the sections left out because the bundle was gathered without them."""
    return ("Control-necessity matrices (both baselines)", LATTICE) if bundle.extras_skipped else ()


def lattice_section(rep: LatticeReport) -> Section:
    intro = (f"Over the coalitions of {', '.join(rep.actors)} ({2 ** len(rep.actors)} threat models, "
             f"state limit {rep.max_states:,}): {rep.explored} explored, {rep.saved} verdicts carried by "
             f"monotonicity, {rep.seconds:.0f} s. (bounded) = proved within the state limit only. "
             f"{len(rep.inconclusive())} coalitions have a cell neither proved nor violated (inconclusive, "
             "never a pass): where no coalition breaks a property, no attack was found; it is not proved everywhere.")
    rows = []
    for p in rep.properties:
        bad = ", ".join(rep.name(c) for c in rep.minimal_breaking(p)) or "none"
        good = ", ".join(rep.name(c) + ("" if ex else " (bounded)") for c, ex in rep.maximal_holding(p)) or "none"
        rows.append((p, bad, good, str(sum(map(len, rep.why_inconclusive(p).values())))))
    md = [intro, "", "| property | weakest coalitions that break it | strongest coalitions it survives | "
          "coalitions left inconclusive |", "|---|---|---|---|"] + [
          f"| `{p}` | {bad} | {good} | {n} |" for p, bad, good, n in rows]
    html = [f"<p>{escape(intro)}</p><table><thead><tr><th>property</th><th>weakest coalitions that break it"
            "</th><th>strongest coalitions it survives</th><th>coalitions left inconclusive</th></tr></thead><tbody>"]
    breaks = {"none": "<td>"}
    html += [f"<tr><th><code>{escape(p)}</code></th>{breaks.get(bad, '<td class=violated>')}"
             f"{escape(bad)}</td><td>{escape(good)}</td><td>{n}</td></tr>" for p, bad, good, n in rows]
    html.append("</tbody></table>")
    first = rep.gave_up_first()
    if first:
        lead = ("Where the unbounded engine gives up (a cost rule, never a verdict; the smallest such "
                "coalitions, each with the inconclusive coalitions that contain it):")
        items = [f"{rep.name(c)}: {why}; {n} inconclusive" for c, why, n in first]
        md += ["", lead] + [f"- `{rep.name(c)}`: {why}; {n} inconclusive" for c, why, n in first]
        html.append(f"<p>{escape(lead)}</p><ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>")
    if getattr(rep, "breaches", None):
        md += ["", "Monotonicity breaches: " + "; ".join(rep.breaches)]
        html.append("<p><strong>Monotonicity breaches:</strong> " + escape("; ".join(rep.breaches)) + "</p>")
    return Section(LATTICE, "\n".join(md), "\n".join(html))


def cell_word(a: Stopped, marks: dict = KEPT) -> str:
    """One attack of a cell: threat, how the baseline keeps the cell, length, the search's coverage."""
    mark = (marks["bounded"].format(depth=a.kept.coverage.depth) if depth_bounded(a.kept)
            else marks["proved"] if a.kept is not None else "?")
    return f"{a.threat} {mark} {a.steps} steps [{coverage_word(a.coverage)}]"


def derivation_markdown(d: Derivation) -> list[str]:
    rows = [f"| {'**' if c is d.chosen else ''}{c.change.label if c.change.parts else 'no change'}"
            f"{'**' if c is d.chosen else ''} | {len(c.violated)} | {len(c.unproved)} | {c.proved} | "
            f"{', '.join(c.reused) or '–'} |" for c in d.candidates]
    return [f"The hardened baseline is derived over {', '.join(d.threats)}: each candidate checked, every "
            f"property under each threat model. Chosen: {d.why()}. Rule: {d.rule}.", "",
            "| candidate | violated | not proved | proved | verdicts reused (parameter never read) |",
            "|---|---|---|---|---|", *rows]


def mutation_section(rep: MutateReport, reasons: dict, other: MutateReport | None = None) -> Section:
    """Rows: mutations that let an attack through; columns: the properties some mutation breaks;
    cells: each attack's threat model, how the baseline keeps the cell, its length and coverage."""
    cells: dict = {}
    for m, attacks in rep.attacks.items():
        for a in attacks:
            cells.setdefault((m, a.property), []).append(a)
    props = [p for p in rep.properties if any(k[1] == p for k in cells)]
    rows = [m for m, a in rep.attacks.items() if a]
    silent = [m for m, a in rep.attacks.items() if not a]
    title = f"{MUTATION}: {baseline_title(rep)}"
    intro = (f"Each control of {baseline_title(rep)} switched off (or a parameter set) under "
             f"{', '.join(rep.threats)}: a cell lists the threat models under which the baseline keeps the "
             f"property and the mutant breaks it, each as: threat model, how the baseline keeps the cell "
             f"(✅ proved for every run of the scenario, ⚠️ ≤N no attack within N steps), the attack's length "
             f"and [{COVERAGE_LEGEND}] ({rep.engine}, a control's mutants' state limit {rep.max_states:,}, the "
             f"baseline's and a parameter's mutants' {rep.baseline_states:,}; {rep.ran} checks, {rep.seconds:.0f} s).")
    md = [intro, ""] + (derivation_markdown(rep.derivation) + [""] if rep.derivation is not None else [])
    md += ["| mutation | " + " | ".join(f"`{p}`" for p in props) + " |", "|---|" + "---|" * len(props)]
    for m in rows:
        md.append(f"| `{mutation_label(m)}` | " + " | ".join(
            "<br>".join(cell_word(a) for a in cells.get((m, p), [])) or "·" for p in props) + " |")
    html = [f"<p>{escape(intro.replace('✅', KEPT_HTML['proved']).replace('⚠️ ≤N', '? ≤N'))}</p>"]
    if rep.derivation is not None:
        d = rep.derivation
        html.append(f"<p>{escape(derivation_markdown(d)[0])}</p><table><thead><tr><th>candidate</th><th>violated"
                    "</th><th>not proved</th><th>proved</th><th>verdicts reused</th></tr></thead><tbody>" + "".join(
                        f"<tr><th>{'<strong>' if c is d.chosen else ''}{escape(c.change.label)}"
                        f"{'</strong>' if c is d.chosen else ''}</th><td>{len(c.violated)}</td>"
                        f"<td>{len(c.unproved)}</td><td>{c.proved}</td><td>{escape(', '.join(c.reused))}</td></tr>"
                        for c in d.candidates) + "</tbody></table>")
    html.append("<table><thead><tr><th>mutation</th>"
                + "".join(f"<th><code>{escape(p)}</code></th>" for p in props) + "</tr></thead><tbody>")
    for m in rows:
        tds = "".join(f"<td class='stops'>{'<br>'.join(escape(cell_word(a, KEPT_HTML)) for a in cells[(m, p)])}</td>"
                      if (m, p) in cells else "<td></td>" for p in props)
        html.append(f"<tr><th><code>{escape(mutation_label(m))}</code></th>{tds}</tr>")
    html.append("</tbody></table>")
    if silent:
        none = f"Mutations that break nothing against {baseline_title(rep)} under {', '.join(rep.threats)}:"
        md += ["", none, ""]
        html.append(f"<p>{escape(none)}</p><ul>")
        for m in silent:
            kind, why = silent_reason(m, rep, reasons, other)
            why = with_cut(why, rep, m)
            md.append(f"- `{mutation_label(m)}` ({kind}): {why}")
            html.append(f"<li><code>{escape(mutation_label(m))}</code> ({escape(kind)}): {escape(why)}</li>")
        html.append("</ul>")
    return Section(title, "\n".join(md), "\n".join(html))
