"""Graphviz DOT: the system diagram (laid out by `dot` for the HTML report
when Graphviz is installed, see `proofs.render.svg`) and a trace's sequence
(participants as nodes, numbered messages as edges, notes attached), for
`dot -Tsvg` or any Graphviz viewer."""
from __future__ import annotations

from ppverify.proofs.analyses.report import SystemView, boundary_groups
from ppverify.proofs.render.base import Renderer
from ppverify.proofs.render.diagrams import BLUE, COLUMNS, INK, PURPLE, RED, Arrow, Note, Sequence

FONT_SIZE = 14   # readable at 100% zoom


def _q(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def system_dot(view: SystemView) -> str:
    roles = dict(view.parties)
    out = ["graph system {", f"  rankdir=LR; fontname=Helvetica; node [shape=box, style=rounded, "
           f"fontname=Helvetica, fontsize={FONT_SIZE}]; edge [fontname=Helvetica, fontsize={FONT_SIZE}];"]
    for key, title, members in boundary_groups(view):
        out.append(f'  subgraph cluster_{key} {{ label="{title}"; style=dashed; fontsize={FONT_SIZE};')
        out += [f'    "{p}" [label="{p}' + (f'\\n{roles[p]}' if roles[p] != p else "") + '"];' for p in members]
        out.append("  }")
    dot_style = {"hop": "solid", "network": "dashed", "datacenter": "bold"}
    colour = {"hop": INK, "network": RED, "datacenter": PURPLE}
    col = {r: i for i, (_, rs) in enumerate(COLUMNS) for r in rs}
    for c in view.channels:
        a, b = sorted((c.a, c.b), key=lambda p: col.get(roles[p], len(COLUMNS)))  # dot ranks a before b
        out.append(f'  "{a}" -- "{b}" [label="{", ".join(c.kinds)}", style={dot_style[c.cls]}, '
                   f'color="{colour[c.cls]}", fontcolor="{colour[c.cls]}"];')
    for a, b, text in view.tunnels:
        out.append(f'  "{a}" -- "{b}" [label="{text}", style=dotted, color="{BLUE}", '
                   f'fontcolor="{BLUE}", constraint=false, penwidth=2];')
    out.append("}")
    return "\n".join(out)


def sequence_dot(seq: Sequence) -> str:
    """Participants left to right in the sequence's order; arrow `n` is an edge
    labelled `n. label` (dashed and red when injected); a note is a note-shaped
    node tied to its participant."""
    out = ["digraph sequence {", f"  rankdir=LR; fontname=Helvetica; node [shape=box, style=rounded, "
           f"fontname=Helvetica, fontsize={FONT_SIZE}]; edge [fontname=Helvetica, fontsize={FONT_SIZE}];"]
    out += [f"  {_q(p)}" + (f" [color={_q(RED)}, fontcolor={_q(RED)}];" if p == "adversary" else ";")
            for p in seq.participants]
    for k, it in enumerate(seq.items):
        match it:
            case Arrow(number, src, dst, label, injected):
                style = f", style=dashed, color={_q(RED)}, fontcolor={_q(RED)}" if injected else ""
                out.append(f"  {_q(src)} -> {_q(dst)} [label={_q(f'{number}. {label}')}{style}];")
            case Note(_, over, text, alert):
                colour = RED if alert else "#f9a825"
                out.append(f"  note{k} [shape=note, style=filled, fillcolor={_q('#ffcdd2' if alert else '#fff8e1')}, "
                           f"color={_q(colour)}, label={_q(text)}];")
                out.append(f"  note{k} -> {_q(over)} [style=dotted, arrowhead=none];")
            case _:
                raise TypeError(f"not a sequence item: {it!r}")
    out.append("}")
    return "\n".join(out)


FORMAT: Renderer[Sequence] = Renderer("dot", "Graphviz DOT of a sequence", sequence_dot)
