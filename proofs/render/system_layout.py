"""The system diagram's built-in SVG layout (used when Graphviz is absent):
parties in columns by trust boundary, channels routed so that no text is
crossed by a line, text at 13-15 px so it reads at 100% zoom (the page scrolls the diagram
rather than shrink it).

Routing: neighbouring columns are joined by a straight line, parties of one
column by an arc on its right, farther columns by an orthogonal route through
the gaps between boundaries, above every box (below for end-to-end channels),
one lane each. Labels are then placed greedily: the first candidate position
along its line whose box meets no line, no party, no other text. Widths are
estimated (Helvetica is about 0.56 em a character, bold 0.62), not measured."""
from __future__ import annotations

import textwrap
from html import escape
from typing import Iterator

from ppverify.proofs.analyses.report import SystemView, boundary_groups
from ppverify.proofs.render.diagrams import BLUE, COLUMNS, GREY, INK, PURPLE, RED

FONT = "font-family='Helvetica, Arial, sans-serif'"
NAME_PX, TEXT_PX = 15, 13          # party names; every other text
NODE_W, NODE_H, COL_GAP, ROW_GAP, PAD = 150.0, 48.0, 300.0, 86.0, 40.0
LEFT = PAD + 110.0                 # column 0's x: room for the routes that leave it leftwards
LANE = 22.0                        # between routes that share a gap or a level
STYLE = {"hop": (INK, ""), "network": (RED, " stroke-dasharray='7 4'"),
         "datacenter": (PURPLE, " stroke-dasharray='2 3' stroke-width='2.5'")}
TUNNEL = (BLUE, " stroke-dasharray='1 4' stroke-width='2.5'")

Point = tuple[float, float]
Box = tuple[float, float, float, float]   # x0, y0, x1, y1


def text_width(s: str, px: float = TEXT_PX, bold: bool = False) -> float:
    return len(s) * px * (0.62 if bold else 0.56)


def _text(x, y, s, px=TEXT_PX, anchor="middle", extra="") -> str:
    return (f"<text x='{x:.0f}' y='{y:.0f}' text-anchor='{anchor}' {FONT} font-size='{px}' {extra}>"
            f"{escape(s)}</text>")


# --- geometry ------------------------------------------------------------------------
def segment_hits(p: Point, q: Point, b: Box) -> bool:
    """Does the segment p-q meet the box (Liang-Barsky clipping)?"""
    t0, t1 = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for pk, qk in ((-dx, p[0] - b[0]), (dx, b[2] - p[0]), (-dy, p[1] - b[1]), (dy, b[3] - p[1])):
        if pk == 0:
            if qk < 0:
                return False
            continue
        t = qk / pk
        if pk < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def cubic(p0: Point, c1: Point, c2: Point, p3: Point, n: int = 32) -> list[Point]:
    out = []
    for i in range(n + 1):
        t = i / n
        a, b, c, d = (1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t ** 3
        out.append((a * p0[0] + b * c1[0] + c * c2[0] + d * p3[0], a * p0[1] + b * c1[1] + c * c2[1] + d * p3[1]))
    return out


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class _Route:
    """A line as SVG path data and as the polyline it is checked against."""

    def __init__(self, d: str, points: list[Point]):
        self.d, self.points = d, points

    def hits(self, b: Box) -> bool:
        return any(segment_hits(p, q, b) for p, q in zip(self.points, self.points[1:]))

    def along(self, t: float) -> Point:
        """The point at fraction t of the polyline's length."""
        lengths = [((q[0] - p[0]) ** 2 + (q[1] - p[1]) ** 2) ** 0.5 for p, q in zip(self.points, self.points[1:])]
        goal = t * sum(lengths)
        for (p, q), n in zip(zip(self.points, self.points[1:]), lengths):
            if goal <= n and n > 0:
                f = goal / n
                return p[0] + f * (q[0] - p[0]), p[1] + f * (q[1] - p[1])
            goal -= n
        return self.points[-1]


def _straight(p: Point, q: Point) -> _Route:
    return _Route(f"M{p[0]:.0f},{p[1]:.0f} L{q[0]:.0f},{q[1]:.0f}", [p, q])


def _arc(p: Point, q: Point, bulge: float) -> _Route:
    c1, c2 = (p[0] + bulge, p[1]), (q[0] + bulge, q[1])
    return _Route(f"M{p[0]:.0f},{p[1]:.0f} C{c1[0]:.0f},{c1[1]:.0f} {c2[0]:.0f},{c2[1]:.0f} {q[0]:.0f},{q[1]:.0f}",
                  cubic(p, c1, c2, q))


def _orthogonal(points: list[Point]) -> _Route:
    return _Route("M" + " L".join(f"{x:.0f},{y:.0f}" for x, y in points), points)


# --- layout --------------------------------------------------------------------------
class _Layout:
    def __init__(self, view: SystemView, jumps: int):
        roles = dict(view.parties)
        cols = [sorted((p for p, r in view.parties if r in rs), key=lambda p: (rs.index(roles[p]), p))
                for _, rs in COLUMNS]
        tallest = max(len(c) for c in cols) or 1
        self.top = 80.0 + LANE * jumps          # room for the routes above every box
        self.nodes: dict[str, tuple[float, float, int]] = {}
        for ci, col in enumerate(cols):
            y0 = self.top + 60 + (tallest - len(col)) * (NODE_H + ROW_GAP) / 2
            for k, p in enumerate(col):
                self.nodes[p] = (LEFT + ci * COL_GAP, y0 + k * (NODE_H + ROW_GAP), ci)
        self.boxes: list[tuple[str, str, Box]] = []
        for key, title, members in boundary_groups(view):
            xs = [self.nodes[p][0] for p in members]
            ys = [self.nodes[p][1] for p in members]
            self.boxes.append((key, title, (min(xs) - PAD, min(ys) - 56, max(xs) + NODE_W + PAD
                                            + (70 if key == "tee" else 0), max(ys) + NODE_H + 20)))
        self.bottom = max(b[3] for _, _, b in self.boxes)

    def node_box(self, p: str) -> Box:
        x, y, _ = self.nodes[p]
        return (x, y, x + NODE_W, y + NODE_H)

    def lane_x(self, col: int, lane: int) -> float:
        """x of a vertical run in the gap left of column `col`'s boundary, one lane per route."""
        return LEFT + col * COL_GAP - PAD - 14 - LANE * lane

    def route(self, a: str, b: str, lane: int, below: bool) -> _Route:
        (ax, ay, ac), (bx, by, bc) = self.nodes[a], self.nodes[b]
        if ac > bc:
            (ax, ay, ac), (bx, by, bc) = (bx, by, bc), (ax, ay, ac)
        if ac == bc:
            return _arc((ax + NODE_W, ay + NODE_H / 2), (bx + NODE_W, by + NODE_H / 2), 64)
        if bc - ac == 1 and not below:
            return _straight((ax + NODE_W, ay + NODE_H / 2), (bx, by + NODE_H / 2))
        # out of the left node's left side, around every box, into the right node's left side
        dy = NODE_H * (0.7 + 0.15 * (lane % 2) if below else 0.2)
        level = self.bottom + 30 + LANE * lane if below else self.top - LANE * lane
        x1, x2 = self.lane_x(ac, lane), self.lane_x(bc, lane)
        return _orthogonal([(ax, ay + dy), (x1, ay + dy), (x1, level), (x2, level), (x2, by + dy), (bx, by + dy)])


def _candidates(route: _Route, w: float, h: float) -> Iterator[Box]:
    for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.12, 0.88, 0.05, 0.95):
        x, y = route.along(t)
        for ox, oy in ((0, -(h / 2 + 3)), (0, h / 2 + 3), (w / 2 + 4, 0), (-(w / 2 + 4), 0),
                       (-(w / 2 + 4), -(h / 2 + 3)), (w / 2 + 4, -(h / 2 + 3)),
                       (-(w / 2 + 4), h / 2 + 3), (w / 2 + 4, h / 2 + 3), (0, -(h + 10)), (0, h + 10)):
            cx, cy = x + ox, y + oy
            yield (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _free(box: Box, routes: list[_Route], taken: list[Box]) -> bool:
    return box[0] >= 2 and box[1] >= 2 and not any(_overlaps(box, t) for t in taken) and \
        not any(r.hits(box) for r in routes)


def system_svg_own(view: SystemView) -> str:
    roles = dict(view.parties)
    col = {r: i for i, (_, rs) in enumerate(COLUMNS) for r in rs}
    lay = _Layout(view, sum(abs(col[roles[c.a]] - col[roles[c.b]]) > 1 for c in view.channels))
    up = down = 0
    lines: list[tuple[_Route, str, str, str]] = []     # route, colour, style, label
    for c in view.channels:
        far = abs(lay.nodes[c.a][2] - lay.nodes[c.b][2]) > 1
        lines.append((lay.route(c.a, c.b, up, False), *STYLE[c.cls], ", ".join(c.kinds)))
        up += far
    for a, b, text in view.tunnels:   # lanes after the routes above: they may share a gap
        lines.append((lay.route(a, b, up + down, True), *TUNNEL, text))
        down += 1
    routes = [r for r, _, _, _ in lines]
    taken = [lay.node_box(p) for p in lay.nodes]
    body, labels = [], []
    for key, title, (x0, y0, x1, y1) in lay.boxes:
        body.append(f"<rect x='{x0:.0f}' y='{y0:.0f}' width='{x1 - x0:.0f}' height='{y1 - y0:.0f}' rx='8' "
                    f"fill='#f5f7fa' stroke='{GREY}' stroke-dasharray='5 3'/>")
        wrapped = textwrap.wrap(title, int((x1 - x0 - 12) / (TEXT_PX * 0.56)))
        h = 17 * len(wrapped) + 4
        w = max(text_width(t) for t in wrapped) + 8
        cx = (x0 + x1) / 2
        box = next((b for b in ((cx - w / 2, y0 + 4, cx + w / 2, y0 + 4 + h),
                                (cx - w / 2, y1 - 4 - h, cx + w / 2, y1 - 4)) if _free(b, routes, taken)),
                   (cx - w / 2, y0 + 4, cx + w / 2, y0 + 4 + h))
        taken.append(box)
        labels.append(f"<rect class='label' x='{box[0]:.0f}' y='{box[1]:.0f}' width='{w:.0f}' height='{h:.0f}' "
                      "fill='#f5f7fa'/>")
        labels += [_text(cx, box[1] + 15 + 17 * k, t, extra="fill='#455a64' font-style='italic'")
                   for k, t in enumerate(wrapped)]
    for route, colour, style, text in lines:
        body.append(f"<path class='edge' d='{route.d}' fill='none' stroke='{colour}'{style}/>")
        box = rows = None
        for rows in ([text], text.replace(", ", ",\n").split("\n")):   # one line, else one kind a line
            w, h = max(text_width(r) for r in rows) + 10, 17 * len(rows) + 4
            box = next((b for b in _candidates(route, w, h) if _free(b, routes, taken)), None)
            if box is not None:
                break
        if box is None:   # nowhere free near the line: below the diagram, still uncrossed
            y = max(t[3] for t in taken) + 8
            box = (PAD, y, PAD + w, y + h)
        taken.append(box)
        labels.append(f"<rect class='label' x='{box[0]:.0f}' y='{box[1]:.0f}' width='{w:.0f}' height='{h:.0f}' "
                      "fill='white' opacity='0.9'/>")
        labels += [_text((box[0] + box[2]) / 2, box[1] + 15 + 17 * k, r, extra=f"fill='{colour}'")
                   for k, r in enumerate(rows)]
    for p, (x, y, _) in lay.nodes.items():
        body.append(f"<rect class='node' x='{x:.0f}' y='{y:.0f}' width='{NODE_W:.0f}' height='{NODE_H:.0f}' "
                    f"rx='5' fill='white' stroke='{INK}' stroke-width='1.5'/>")
        body.append(_text(x + NODE_W / 2, y + (20 if roles[p] != p else 30), p, NAME_PX, extra="font-weight='bold'"))
        if roles[p] != p:
            body.append(_text(x + NODE_W / 2, y + 39, roles[p], extra="fill='#455a64'"))
    ly = max(max(t[3] for t in taken), lay.bottom + 30 + LANE * (up + down)) + 30
    legend = [(*STYLE[k], k + (" link" if k != "hop" else "")) for k in ("hop", "network", "datacenter")]
    legend.append((*TUNNEL, "end-to-end channel"))
    for k, (colour, style, name) in enumerate(legend):
        x = PAD + k * 220
        body.append(f"<line x1='{x}' y1='{ly:.0f}' x2='{x + 40}' y2='{ly:.0f}' stroke='{colour}'{style}/>")
        body.append(_text(x + 48, ly + 5, name, anchor="start"))
    width = max(max(t[2] for t in taken), max(b[2] for _, _, b in lay.boxes)) + 30
    height = ly + 24
    return (f"<svg xmlns='http://www.w3.org/2000/svg' role='img' aria-label='system diagram: parties, trust "
            f"boundaries, channels' width='{width:.0f}' height='{height:.0f}' viewBox='0 0 {width:.0f} {height:.0f}'>" + "".join(body + labels) + "</svg>")
