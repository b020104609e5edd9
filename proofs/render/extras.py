"""The report's sections from the other analyses, when the bundle was
gathered with them (`ppverify report --extras`): the control-necessity matrix
(`proofs.analyses.mutate`) and the threat-lattice summary
(`proofs.analyses.lattice`), each as Markdown and HTML."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

from ppverify.proofs.analyses.lattice import LatticeReport
from ppverify.proofs.analyses.mutate import NO_ATTACK, MutateReport
from ppverify.proofs.analyses.report import Bundle
from ppverify.proofs.render.text import mutation_label

MUTATION, LATTICE = "Control-necessity matrix", "Threat lattice"


@dataclass(frozen=True)
class Section:
    title: str
    markdown: str
    html: str


def sections(bundle: Bundle) -> list[Section]:
    out = [mutation_section(bundle.mutation)] if bundle.mutation is not None else []
    return out + ([lattice_section(bundle.lattice)] if bundle.lattice is not None else [])


def skipped(bundle: Bundle) -> tuple[str, ...]:
    """Titles of the sections left out because the bundle was gathered without them."""
    return (MUTATION, LATTICE) if bundle.extras_skipped else ()


def lattice_section(rep: LatticeReport) -> Section:
    intro = (f"Over the coalitions of {', '.join(rep.actors)} ({2 ** len(rep.actors)} threat models, "
             f"state limit {rep.max_states:,}): {rep.explored} explored, {rep.saved} verdicts carried by "
             f"monotonicity, {rep.seconds:.0f} s. (bounded) = proved within the state limit only.")
    rows = []
    for p in rep.properties:
        bad = ", ".join(rep.name(c) for c in rep.minimal_breaking(p)) or "none"
        good = ", ".join(rep.name(c) + ("" if ex else " (bounded)") for c, ex in rep.maximal_holding(p)) or "none"
        rows.append((p, bad, good))
    md = [intro, "", "| property | weakest coalitions that break it | strongest coalitions it survives |",
          "|---|---|---|"] + [f"| `{p}` | {bad} | {good} |" for p, bad, good in rows]
    html = [f"<p>{escape(intro)}</p><table><thead><tr><th>property</th><th>weakest coalitions that break it"
            "</th><th>strongest coalitions it survives</th></tr></thead><tbody>"]
    breaks = {"none": "<td>"}
    html += [f"<tr><th><code>{escape(p)}</code></th>{breaks.get(bad, '<td class=violated>')}"
             f"{escape(bad)}</td><td>{escape(good)}</td></tr>" for p, bad, good in rows]
    html.append("</tbody></table>")
    if getattr(rep, "breaches", None):
        md += ["", "Monotonicity breaches: " + "; ".join(rep.breaches)]
        html.append("<p><strong>Monotonicity breaches:</strong> " + escape("; ".join(rep.breaches)) + "</p>")
    return Section(LATTICE, "\n".join(md), "\n".join(html))


def mutation_section(rep: MutateReport, no_attack: dict = NO_ATTACK) -> Section:
    """Rows: mutations that let an attack through;
    columns: the properties some mutation breaks; cells: the threat models."""
    cells: dict = {}
    for m, attacks in rep.attacks.items():
        for a in attacks:
            cells.setdefault((m, a.property), []).append(a.threat)
    props = [p for p in rep.properties if any(k[1] == p for k in cells)]
    rows = [m for m, a in rep.attacks.items() if a]
    silent = [m for m, a in rep.attacks.items() if not a]
    intro = (f"Each control switched off (or parameter set) under {', '.join(rep.threats)}: a cell names the "
             f"threat models under which the published design keeps the property and the mutant breaks it "
             f"(state limit {rep.max_states:,}, {rep.ran} checks, {rep.seconds:.0f} s).")
    md = [intro, "", "| mutation | " + " | ".join(f"`{p}`" for p in props) + " |",
          "|---|" + "---|" * len(props)]
    for m in rows:
        md.append(f"| `{mutation_label(m)}` | " + " | ".join(", ".join(cells.get((m, p), [])) or "·" for p in props) + " |")
    html = [f"<p>{escape(intro)}</p><table><thead><tr><th>mutation</th>"
            + "".join(f"<th><code>{escape(p)}</code></th>" for p in props) + "</tr></thead><tbody>"]
    for m in rows:
        tds = "".join(f"<td class='stops'>{escape(', '.join(cells[(m, p)]))}</td>" if (m, p) in cells
                      else "<td></td>" for p in props)
        html.append(f"<tr><th><code>{escape(mutation_label(m))}</code></th>{tds}</tr>")
    html.append("</tbody></table>")
    if silent:
        none = f"Mutations that break nothing under {', '.join(rep.threats)}:"
        md += ["", none, ""]
        html.append(f"<p>{escape(none)}</p><ul>")
        for m in silent:
            kind, why = no_attack.get(m, ("unexplained", "no explanation recorded"))
            md.append(f"- `{mutation_label(m)}` ({kind}): {why}")
            html.append(f"<li><code>{escape(mutation_label(m))}</code> ({escape(kind)}): {escape(why)}</li>")
        html.append("</ul>")
    return Section(MUTATION, "\n".join(md), "\n".join(html))
