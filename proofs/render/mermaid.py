"""Mermaid: sequence diagrams and the system diagram as the text GitHub
renders in ```mermaid blocks (the Markdown report embeds them)."""
from __future__ import annotations

import re

from ppverify.proofs.analyses.report import SystemView, boundary_groups
from ppverify.proofs.render.base import Renderer
from ppverify.proofs.render.diagrams import Note, Sequence


def _mid(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _mtext(text: str) -> str:
    """Mermaid text: characters that end a statement or open markup as entity codes."""
    codes = {"#": "#35;", ";": "#59;", "<": "#lt;", ">": "#gt;", "\n": " "}
    return re.sub(r"[#;<>\n]", lambda m: codes[m.group()], text)  # one pass: codes stay intact


def sequence_mermaid(seq: Sequence) -> str:
    lines = ["sequenceDiagram"]
    for p in seq.participants:
        kind = "actor" if p == "adversary" else "participant"
        lines.append(f"    {kind} {_mid(p)} as {p}")
    for it in seq.items:
        if isinstance(it, Note):
            lines.append(f"    Note over {_mid(it.over)}: {_mtext(it.text)}")
        elif it.injected:
            lines += ["    rect rgb(255, 228, 225)",
                      f"    {_mid(it.src)}-){_mid(it.dst)}: {it.number}. {_mtext(it.label)}", "    end"]
        else:
            lines.append(f"    {_mid(it.src)}->>{_mid(it.dst)}: {it.number}. {_mtext(it.label)}")
    return "\n".join(lines)


def system_mermaid(view: SystemView) -> str:
    roles = dict(view.parties)
    lines = ["flowchart LR"]
    for key, label, members in boundary_groups(view):
        lines.append(f'    subgraph {key}["{_mtext(label)}"]')
        lines += [f'        {_mid(p)}["{p}' + (f"<br/>{roles[p]}" if roles[p] != p else "") + '"]'
                  for p in members]
        lines.append("    end")
    arrow = {"hop": "---", "network": "-.-", "datacenter": "==="}
    for c in view.channels:
        lines.append(f'    {_mid(c.a)} {arrow[c.cls]}|"{_mtext(", ".join(c.kinds))}"| {_mid(c.b)}')
    for a, b, label in view.tunnels:
        lines.append(f'    {_mid(a)} -.->|"{_mtext(label)}"| {_mid(b)}')
    return "\n".join(lines)


FORMAT: Renderer[Sequence] = Renderer("mermaid", "Mermaid sequence diagram", sequence_mermaid)
