"""Inline SVG for the HTML report, so it opens offline with no JavaScript:
sequence diagrams (`proofs.render.diagrams` data) and the system diagram,
laid out by Graphviz when its `dot` binary is installed, else by the built-in
layout (`proofs.render.system_layout`). Sequence widths are estimated, not
measured: labels use a 12px sans-serif font at about 7px a character."""
from __future__ import annotations

import shutil
import subprocess
import textwrap
from html import escape

from ppverify.proofs.analyses.report import SystemView
from ppverify.proofs.render.base import Renderer
from ppverify.proofs.render.diagrams import GREY, INK, RED, Arrow, Note, Sequence
from ppverify.proofs.render.dot import system_dot
from ppverify.proofs.render.system_layout import system_svg_own

CHAR_W, FONT = 7.0, "font-family='Helvetica, Arial, sans-serif'"


def _w(text: str) -> float:
    return len(text) * CHAR_W


def _text(x, y, s, anchor="middle", extra="") -> str:
    size = "" if "font-size=" in extra else "font-size='12' "  # an attribute may appear once
    return f"<text x='{x:.0f}' y='{y:.0f}' text-anchor='{anchor}' {FONT} {size}{extra}>{escape(s)}</text>"


def _svg(width, height, body, label) -> str:
    return (f"<svg xmlns='http://www.w3.org/2000/svg' role='img' aria-label='{escape(label)}' "
            f"width='{width:.0f}' height='{height:.0f}' viewBox='0 0 {width:.0f} {height:.0f}' "
            "style='max-width:100%;height:auto'>"
            "<defs><marker id='ah' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='7' markerHeight='7' "
            "orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' fill='context-stroke'/></marker></defs>"
            + "".join(body) + "</svg>")


# --- sequence diagrams --------------------------------------------------------

def _note_lines(note: Note) -> list[str]:
    return textwrap.wrap(note.text, 64) or [""]


def sequence_svg(seq: Sequence, label: str = "sequence diagram") -> str:
    parts = list(seq.participants)
    idx = {p: i for i, p in enumerate(parts)}
    gaps = [140.0] * max(len(parts) - 1, 0)
    for it in seq.items:  # widen the gaps an arrow label spans
        if isinstance(it, Arrow) and it.src != it.dst:
            i, j = sorted((idx[it.src], idx[it.dst]))
            need = (_w(f"{it.number}. {it.label}") + 24) / (j - i)
            for k in range(i, j):
                gaps[k] = max(gaps[k], need)
    box_w = {p: max(80.0, _w(p) + 20) for p in parts}
    xs, x = [], 20 + box_w[parts[0]] / 2 if parts else 20
    for i, p in enumerate(parts):
        xs.append(x)
        x += gaps[i] if i < len(gaps) else 0
    pos = dict(zip(parts, xs))
    body, y = [], 60.0
    rows = []
    for it in seq.items:
        h = 34.0 if isinstance(it, Arrow) else 14.0 * len(_note_lines(it)) + 14
        rows.append((it, y, h))
        y += h
    height = y + 50
    width = max([xs[-1] + box_w[parts[-1]] / 2 + 20] if parts else [200])
    for it, top, h in rows:
        if isinstance(it, Note):
            w = max(_w(line) for line in _note_lines(it)) + 16
            width = max(width, pos[it.over] + w / 2 + 20)
    for it, top, h in rows:  # bands behind injected messages
        if isinstance(it, Arrow) and it.injected:
            body.append(f"<rect x='0' y='{top:.0f}' width='{width:.0f}' height='{h:.0f}' fill='#ffebee'/>")
    for p in parts:
        colour = RED if p == "adversary" else INK
        for yy in (10, height - 40):
            body.append(f"<rect x='{pos[p] - box_w[p] / 2:.0f}' y='{yy}' width='{box_w[p]:.0f}' height='30' "
                        f"rx='4' fill='#eceff1' stroke='{colour}'/>")
            body.append(_text(pos[p], yy + 20, p, extra=f"fill='{colour}' font-weight='bold'"))
        body.append(f"<line x1='{pos[p]:.0f}' y1='40' x2='{pos[p]:.0f}' y2='{height - 40:.0f}' "
                    f"stroke='{GREY}' stroke-dasharray='4 4'/>")
    for it, top, h in rows:
        body.append(_arrow(it, top, pos) if isinstance(it, Arrow) else _note(it, top, h, pos))
    return _svg(width, height, body, label)


def _arrow(it: Arrow, top: float, pos: dict) -> str:
    colour = RED if it.injected else INK
    x1, x2, y = pos[it.src], pos[it.dst], top + 24
    text = _text((x1 + x2) / 2, top + 16, f"{it.number}. {it.label}", extra=f"fill='{colour}'")
    if x1 == x2:
        return (f"<path d='M{x1:.0f},{y - 8:.0f} h30 v10 h-30' fill='none' stroke='{colour}' "
                f"marker-end='url(#ah)'/>" + _text(x1 + 36, y, f"{it.number}. {it.label}", "start"))
    dash = " stroke-dasharray='6 3'" if it.injected else ""
    return (f"<line x1='{x1:.0f}' y1='{y:.0f}' x2='{x2:.0f}' y2='{y:.0f}' stroke='{colour}' "
            f"stroke-width='1.5' marker-end='url(#ah)'{dash}/>" + text)


def _note(it: Note, top: float, h: float, pos: dict) -> str:
    lines = _note_lines(it)
    w = max(_w(line) for line in lines) + 16
    x = max(4.0, pos[it.over] - w / 2)
    fill, stroke = ("#ffcdd2", RED) if it.alert else ("#fff8e1", "#f9a825")
    out = [f"<rect x='{x:.0f}' y='{top + 4:.0f}' width='{w:.0f}' height='{h - 8:.0f}' rx='3' "
           f"fill='{fill}' stroke='{stroke}'/>"]
    out += [_text(x + 8, top + 18 + 14 * k, line, "start") for k, line in enumerate(lines)]
    return "".join(out)


# --- system diagram ------------------------------------------------------------
def system_svg(view: SystemView) -> tuple[str, str]:
    """(svg, how): Graphviz when `dot` runs, else the built-in layout."""
    dot = shutil.which("dot")
    if dot:
        try:
            done = subprocess.run([dot, "-Tsvg"], input=system_dot(view), capture_output=True,
                                  text=True, timeout=30, check=True)
            svg = done.stdout
            return svg[svg.index("<svg"):], "Graphviz (dot)"
        except (subprocess.SubprocessError, OSError, ValueError):
            pass  # a broken Graphviz install: the built-in layout still works
    return system_svg_own(view), "built-in layout"


FORMAT: Renderer[Sequence] = Renderer("svg", "SVG sequence diagram (inline in the HTML report)", sequence_svg)
