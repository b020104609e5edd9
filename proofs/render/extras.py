"""Report sections from other commands, included only when their modules
exist: the control-necessity matrix (`proofs.mutate`) and the lattice summary
(`proofs.lattice`). A module may offer `report_section(scenario, threats,
max_moves) -> (title, markdown, html)`; for `proofs.mutate` without one, its
`run_mutate` report is adapted here. Anything else is left out, never faked."""
from __future__ import annotations

import importlib
import inspect
from html import escape
from typing import Optional, Sequence

from ppverify.protocol.controls import ACTORS


def _module(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _hook(mod, base, threats, max_moves) -> Optional[tuple[str, str, str]]:
    hook = getattr(mod, "report_section", None)
    if not callable(hook):
        return None
    kw = {"threats": tuple(threats), "max_moves": max_moves}
    params = inspect.signature(hook).parameters
    return hook(base, **{k: v for k, v in kw.items() if k in params})


TITLES = {"ppverify.proofs.analyses.mutate": "Control-necessity matrix", "ppverify.proofs.analyses.lattice": "Threat lattice"}


def available() -> tuple[str, ...]:
    """Titles of the sections whose modules exist."""
    return tuple(t for m, t in TITLES.items() if _module(m) is not None)


def sections(base, threats: Sequence[str], max_moves: int) -> list[tuple[str, str, str]]:
    out = []
    mutate = _module("ppverify.proofs.analyses.mutate")
    if mutate is not None:
        sec = _hook(mutate, base, threats, max_moves)
        if sec is None and hasattr(mutate, "run_mutate"):
            rep = mutate.run_mutate(threats=tuple(threats), max_moves=max_moves)
            sec = mutation_section(rep, getattr(mutate, "NO_ATTACK", {}))
        if sec:
            out.append(sec)
    lattice = _module("ppverify.proofs.analyses.lattice")
    if lattice is not None:
        sec = _hook(lattice, base, threats, max_moves)
        if sec is None and hasattr(lattice, "run_lattice"):
            # the lattice over the actors of the report's threat models
            actors = tuple(a for a in ACTORS if any(a in t.split("+") for t in threats))
            sec = lattice_section(lattice.run_lattice(actors, max_moves=max_moves)) if actors else None
        if sec:
            out.append(sec)
    return out


def lattice_section(rep) -> tuple[str, str, str]:
    """`rep`: a LatticeReport (minimal_breaking / maximal_holding per property)."""
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
    return TITLES["ppverify.proofs.analyses.lattice"], "\n".join(md), "\n".join(html)


def _label(name: str) -> str:
    return name if "=" in name else f"{name} off"


def mutation_section(rep, no_attack: dict) -> tuple[str, str, str]:
    """`rep`: a MutateReport (attacks: mutation -> [Stopped(property, threat,
    trace, stopped_on_baseline)]). Rows: mutations that let an attack through;
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
        md.append(f"| `{_label(m)}` | " + " | ".join(", ".join(cells.get((m, p), [])) or "·" for p in props) + " |")
    html = [f"<p>{escape(intro)}</p><table><thead><tr><th>mutation</th>"
            + "".join(f"<th><code>{escape(p)}</code></th>" for p in props) + "</tr></thead><tbody>"]
    for m in rows:
        tds = "".join(f"<td class='stops'>{escape(', '.join(cells[(m, p)]))}</td>" if (m, p) in cells
                      else "<td></td>" for p in props)
        html.append(f"<tr><th><code>{escape(_label(m))}</code></th>{tds}</tr>")
    html.append("</tbody></table>")
    if silent:
        none = f"Mutations that break nothing under {', '.join(rep.threats)}:"
        md += ["", none, ""]
        html.append(f"<p>{escape(none)}</p><ul>")
        for m in silent:
            kind, why = no_attack.get(m, ("unexplained", "no explanation recorded"))
            md.append(f"- `{_label(m)}` ({kind}): {why}")
            html.append(f"<li><code>{escape(_label(m))}</code> ({escape(kind)}): {escape(why)}</li>")
        html.append("</ul>")
    return TITLES["ppverify.proofs.analyses.mutate"], "\n".join(md), "\n".join(html)
