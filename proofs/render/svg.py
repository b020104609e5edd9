"""Inline SVG for the HTML report, so it opens offline with no JavaScript:
sequence diagrams and the system diagram from `proofs.diagrams` data. The
system diagram uses Graphviz when its `dot` binary is installed (better
layout), else the column layout below. Widths are estimated, not measured:
labels use a 12px sans-serif font at about 7px a character."""
from __future__ import annotations

import shutil
import subprocess
import textwrap
from html import escape

from ppverify.proofs.analyses.report import BOUNDARIES, SystemView, boundary_of
from ppverify.proofs.render.base import Renderer
from ppverify.proofs.render.diagrams import BLUE, COLUMNS, GREY, INK, PURPLE, RED, Arrow, Note, Sequence
from ppverify.proofs.render.dot import system_dot

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

NODE_W, NODE_H, COL_GAP, ROW_GAP = 120.0, 40.0, 300.0, 70.0
STYLE = {"hop": (INK, ""), "network": (RED, " stroke-dasharray='7 4'"),
         "datacenter": (PURPLE, " stroke-dasharray='2 3' stroke-width='2.5'")}


def _layout(view: SystemView) -> dict[str, tuple[float, float, int]]:
    cols = [[p for p, r in view.parties if r in rs] for _, rs in COLUMNS]
    tallest = max(len(c) for c in cols) or 1
    top = 160.0
    out = {}
    for ci, col in enumerate(cols):
        col = sorted(col, key=lambda p: (COLUMNS[ci][1].index(dict(view.parties)[p]), p))
        y0 = top + (tallest - len(col)) * (NODE_H + ROW_GAP) / 2
        for k, p in enumerate(col):
            out[p] = (40 + ci * COL_GAP, y0 + k * (NODE_H + ROW_GAP), ci)
    return out


def _label(x, y, s, colour) -> str:
    w = _w(s) * 0.85 + 8
    return (f"<rect x='{x - w / 2:.0f}' y='{y - 11:.0f}' width='{w:.0f}' height='15' fill='white' "
            f"opacity='0.85'/>" + _text(x, y, s, extra=f"font-size='10' fill='{colour}'"))


def _edge(a, b, colour, style, text, lay, lane, below=False) -> str:
    """Adjacent columns: a straight line; same column: an arc on the right;
    farther: a curve above every boundary (below for end-to-end channels)."""
    (ax, ay, ac), (bx, by, bc) = lay[a], lay[b]
    if abs(ac - bc) == 1:
        if ac > bc:
            (ax, ay), (bx, by) = (bx, by), (ax, ay)
        x1, y1, x2, y2 = ax + NODE_W, ay + NODE_H / 2, bx, by + NODE_H / 2
        d, lx, ly = f"M{x1:.0f},{y1:.0f} L{x2:.0f},{y2:.0f}", (x1 + x2) / 2, (y1 + y2) / 2 - 4
    elif ac == bc:
        x, y1, y2 = ax + NODE_W, ay + NODE_H / 2, by + NODE_H / 2
        d = f"M{x:.0f},{y1:.0f} C{x + 60:.0f},{y1:.0f} {x + 60:.0f},{y2:.0f} {x:.0f},{y2:.0f}"
        lx, ly = x + 50, (y1 + y2) / 2
    else:
        ys = [y for _, y, _ in lay.values()]
        sy = ay if not below else ay + NODE_H
        ty = by if not below else by + NODE_H
        apex = (min(ys) - 64 - 22 * lane) if not below else (max(ys) + NODE_H + 40 + 22 * lane)
        edge_y = (apex - 0.125 * (sy + ty)) / 0.75  # a cubic's midpoint: (sy + 3 c + 3 c + ty) / 8
        x1, x2 = ax + NODE_W / 2, bx + NODE_W / 2
        d = f"M{x1:.0f},{sy:.0f} C{x1:.0f},{edge_y:.0f} {x2:.0f},{edge_y:.0f} {x2:.0f},{ty:.0f}"
        lx, ly = (x1 + x2) / 2, apex + (4 if not below else 12)
    return (f"<path d='{d}' fill='none' stroke='{colour}'{style}/>" + _label(lx, ly, text, colour))


def system_svg_own(view: SystemView) -> str:
    lay = _layout(view)
    roles = dict(view.parties)
    body = []
    height = max(y for _, y, _ in lay.values()) + NODE_H + 90 + 22 * len(view.tunnels)
    width = max(x for x, _, _ in lay.values()) + NODE_W + 90
    for key, title, _ in BOUNDARIES:
        members = [p for p in lay if boundary_of(roles[p]) == key]
        if not members:
            continue
        x0 = min(lay[p][0] for p in members) - 40
        x1 = max(lay[p][0] for p in members) + NODE_W + (70 if key == "tee" else 40)
        y0, y1 = min(lay[p][1] for p in members) - 42, max(lay[p][1] for p in members) + NODE_H + 16
        body.append(f"<rect x='{x0:.0f}' y='{y0:.0f}' width='{x1 - x0:.0f}' height='{y1 - y0:.0f}' rx='8' "
                    f"fill='#f5f7fa' stroke='{GREY}' stroke-dasharray='5 3'/>")
        for k, line in enumerate(textwrap.wrap(title, int((x1 - x0) / 6.5))):
            body.append(_text((x0 + x1) / 2, y0 + 14 + 12 * k, line,
                              extra="font-size='10' fill='#546e7a' font-style='italic'"))
    lanes: dict[str, int] = {}  # edges that jump columns stack above their source
    for c in view.channels:
        colour, style = STYLE[c.cls]
        lane = 0
        if abs(lay[c.a][2] - lay[c.b][2]) > 1:
            lane = lanes[c.a] = lanes.get(c.a, -1) + 1
        body.append(_edge(c.a, c.b, colour, style, ", ".join(c.kinds), lay, lane))
    for k, (a, b, text) in enumerate(view.tunnels):
        body.append(_edge(a, b, BLUE, " stroke-dasharray='1 4' stroke-width='2.5'", text, lay, k, below=True))
    for p, (x, y, _) in lay.items():
        body.append(f"<rect x='{x:.0f}' y='{y:.0f}' width='{NODE_W:.0f}' height='{NODE_H:.0f}' rx='5' "
                    f"fill='white' stroke='{INK}' stroke-width='1.5'/>")
        body.append(_text(x + NODE_W / 2, y + 17, p, extra="font-weight='bold'"))
        if roles[p] != p:
            body.append(_text(x + NODE_W / 2, y + 32, roles[p], extra="font-size='10' fill='#546e7a'"))
    ly = height - 20
    legend = [(STYLE[k][0], STYLE[k][1], k) for k in ("hop", "network", "datacenter")]
    legend.append((BLUE, " stroke-dasharray='1 4' stroke-width='2.5'", "end-to-end channel"))
    for k, (colour, style, name) in enumerate(legend):
        x = 40 + k * 190
        body.append(f"<line x1='{x}' y1='{ly}' x2='{x + 40}' y2='{ly}' stroke='{colour}'{style}/>")
        body.append(_text(x + 48, ly + 4, name + (" link" if name in ("network", "datacenter") else ""),
                          "start", "font-size='11'"))
    return _svg(width, height, body, "system diagram: parties, trust boundaries, channels")


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
