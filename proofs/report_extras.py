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


def sections(base, threats: Sequence[str], max_moves: int) -> list[tuple[str, str, str]]:
    out = []
    mutate = _module("proofs.mutate")
    if mutate is not None:
        sec = _hook(mutate, base, threats, max_moves)
        if sec is None and hasattr(mutate, "run_mutate"):
            rep = mutate.run_mutate(threats=tuple(threats), max_moves=max_moves)
            sec = mutation_section(rep, getattr(mutate, "NO_ATTACK", {}))
        if sec:
            out.append(sec)
    lattice = _module("proofs.lattice")
    if lattice is not None:
        sec = _hook(lattice, base, threats, max_moves)
        if sec:
            out.append(sec)
    return out


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
    return "Control-necessity matrix", "\n".join(md), "\n".join(html)
