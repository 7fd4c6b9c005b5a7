"""The picture of the vocabulary on /def/: its classes as boxes and the object properties between
them as labelled arrows, drawn as SVG from what the ontology and the shapes say (never by hand).

The layout is fixed by its input alone (same classes and links, same SVG): the classes are placed
on a grid, the most connected first and each next to the ones it links to, so that the picture
follows the model as it changes. Text is escaped; the SVG needs no script and no stylesheet of
its own (its colours are attributes, which the pages' Content-Security-Policy allows).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

COLUMNS = 5
BOX_W, BOX_H = 136, 40
GAP_X, GAP_Y = 80, 110
MARGIN = 24
FONT = 12


@dataclass(frozen=True)
class Box:
    """A class: its IRI, the words on its box, where the box links to, and a longer title."""

    iri: str
    label: str
    href: str | None
    title: str


@dataclass(frozen=True)
class Arrow:
    """An object property from one class to another, labelled with its CURIE."""

    source: str
    label: str
    target: str
    title: str


def order(boxes: Sequence[Box], arrows: Sequence[Arrow]) -> list[Box]:
    """The boxes in the order they are placed: from the most linked class, breadth first over
    its links (most linked neighbour first), then the next unplaced most linked class."""
    neighbours: dict[str, set[str]] = defaultdict(set)
    for a in arrows:
        if a.source != a.target:
            neighbours[a.source].add(a.target)
            neighbours[a.target].add(a.source)
    by_iri = {b.iri: b for b in boxes}

    def rank(iri: str) -> tuple[int, str]:
        return (-len(neighbours[iri]), iri)

    placed: list[str] = []
    seen: set[str] = set()
    for start in sorted(by_iri, key=rank):
        if start in seen:
            continue
        queue = [start]
        seen.add(start)
        while queue:
            current = queue.pop(0)
            placed.append(current)
            for nxt in sorted(neighbours[current] & set(by_iri), key=rank):
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
    return [by_iri[i] for i in placed]


def text_width(text: str) -> float:
    """About how wide a text is at the diagram's font size (wide characters count twice)."""
    size = FONT + 1  # the size of a box's words
    return sum(size if ord(ch) > 0x2E7F else size * 0.5 for ch in text)


def render(boxes: Sequence[Box], arrows: Sequence[Arrow], title: str, lang: str) -> str:
    """The SVG of the model (an `<svg>` element to place in a page)."""
    placed = order(boxes, arrows)
    # Each class, in the order `order` gives (the most linked first, in the middle), takes the free
    # cell nearest the classes it links to that are already placed (and, for a tie, the middle):
    # linked classes sit close, so their arrows are short and their labels apart.
    rows = -(-len(placed) // COLUMNS) if placed else 1
    step_x, step_y = BOX_W + GAP_X, BOX_H + GAP_Y
    centre = ((COLUMNS - 1) / 2 * step_x, (rows - 1) / 2 * step_y)
    linked: dict[str, set[str]] = defaultdict(set)
    for a in arrows:
        linked[a.source].add(a.target)
        linked[a.target].add(a.source)
    free = {(r, c) for r in range(rows) for c in range(COLUMNS)}
    cell_of: dict[str, tuple[int, int]] = {}

    def distance(cell: tuple[int, int], point: tuple[float, float]) -> float:
        return ((cell[1] * step_x - point[0]) ** 2 + (cell[0] * step_y - point[1]) ** 2) ** 0.5

    for box in placed:
        anchors = [cell_of[n] for n in sorted(linked[box.iri]) if n in cell_of]
        points = [(c * step_x, r * step_y) for r, c in anchors] or [centre]
        taken = set(cell_of.values())
        best = min(
            free,
            key=lambda cell: (
                sum(crosses(cell, a, taken) for a in anchors),
                round(sum(distance(cell, pt) for pt in points), 3),
                round(distance(cell, centre), 3),
                cell,
            ),
        )
        free.discard(best)
        cell_of[box.iri] = best
    where = {
        iri: (MARGIN + column * step_x, MARGIN + row * step_y)
        for iri, (row, column) in cell_of.items()
    }
    width = 2 * MARGIN + COLUMNS * BOX_W + (COLUMNS - 1) * GAP_X
    height = 2 * MARGIN + rows * BOX_H + (rows - 1) * GAP_Y
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="model-diagram" role="group" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'lang="{escape(lang)}" aria-labelledby="model-diagram-title">',
        f'<title id="model-diagram-title">{escape(title)}</title>',
        "<defs>",
        '<marker id="model-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker>',
        "</defs>",
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
    ]
    loops: dict[str, int] = defaultdict(int)
    outgoing: dict[str, int] = defaultdict(int)
    labels = []
    for a in sorted(arrows, key=lambda a: (a.source, a.label, a.target)):
        if a.source not in where or a.target not in where:
            continue
        sx, sy = where[a.source]
        tx, ty = where[a.target]
        title_el = f"<title>{escape(a.title)}</title>"
        if a.source == a.target:
            k = loops[a.source]
            loops[a.source] += 1
            x, y = sx + BOX_W, sy + 8 + k * 10
            path = (
                f"M{x:.1f},{y:.1f} C{x + 30:.1f},{y - 22:.1f} {x + 30:.1f},{y + 34:.1f} "
                f"{x:.1f},{y + 14:.1f}"
            )
            lx, ly = x + 30, y - 10 - k * 12
        else:
            (x1, y1), (x2, y2) = edge_ends((sx, sy), (tx, ty))
            path = f"M{x1:.1f},{y1:.1f} L{x2:.1f},{y2:.1f}"
            # Labels of one class's arrows sit at different distances along them, nearer the
            # class they leave, so that arrows leaving together do not stack their labels.
            share = 0.3 + 0.14 * (outgoing[a.source] % 4)
            outgoing[a.source] += 1
            lx, ly = x1 + (x2 - x1) * share, y1 + (y2 - y1) * share
        out.append(
            f'<g class="edge"><path d="{path}" fill="none" stroke="#555" stroke-width="1.2" '
            f'marker-end="url(#model-arrow)"/>{title_el}</g>'
        )
        labels.append(
            f'<text x="{lx:.1f}" y="{ly + 4:.1f}" font-size="{FONT - 1}" text-anchor="middle" '
            f'fill="#222" stroke="#fff" stroke-width="3" paint-order="stroke" '
            f'font-family="monospace">{escape(a.label)}{title_el}</text>'
        )
    out += labels
    for box in placed:
        x, y = where[box.iri]
        words = escape(box.label)
        fit = (
            f' textLength="{BOX_W - 12}" lengthAdjust="spacingAndGlyphs"'
            if text_width(box.label) > BOX_W - 12
            else ""
        )
        inner = (
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="4" fill="#eef3fb" '
            f'stroke="#1d4f91" stroke-width="1.5"/>'
            f'<text x="{x + BOX_W / 2:.1f}" y="{y + BOX_H / 2 + FONT / 2 - 1:.1f}" '
            f'font-size="{FONT + 1}" text-anchor="middle" fill="#0b2b55"{fit}>{words}</text>'
            f"<title>{escape(box.title)}</title>"
        )
        if box.href:
            out.append(f'<a class="node" href={quoteattr(box.href)}>{inner}</a>')
        else:
            out.append(f'<g class="node">{inner}</g>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def crosses(start: tuple[int, int], end: tuple[int, int], taken: set[tuple[int, int]]) -> int:
    """How many placed boxes (grid cells) the straight arrow between two cells would run through."""
    (r1, c1), (r2, c2) = start, end
    hit = set()
    steps = 4 * max(abs(r2 - r1), abs(c2 - c1), 1)
    for i in range(1, steps):
        t = i / steps
        r, c = r1 + (r2 - r1) * t, c1 + (c2 - c1) * t
        # inside a box, not merely in the gap around it (a box is about a third of a row's height)
        near = (round(r), round(c))
        if near in taken and near not in (start, end):
            if abs(r - near[0]) < 0.2 and abs(c - near[1]) < 0.4:
                hit.add(near)
    return len(hit)


def edge_ends(
    source: tuple[float, float], target: tuple[float, float]
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Where a straight arrow between two boxes leaves the one and meets the other: on each box's
    border, on the line between their centres."""
    (sx, sy), (tx, ty) = source, target
    c1 = (sx + BOX_W / 2, sy + BOX_H / 2)
    c2 = (tx + BOX_W / 2, ty + BOX_H / 2)
    return border(c1, c2), border(c2, c1)


def border(centre: tuple[float, float], towards: tuple[float, float]) -> tuple[float, float]:
    (cx, cy), (ox, oy) = centre, towards
    dx, dy = ox - cx, oy - cy
    if dx == 0 and dy == 0:
        return centre
    scale = min(
        (BOX_W / 2) / abs(dx) if dx else float("inf"),
        (BOX_H / 2) / abs(dy) if dy else float("inf"),
    )
    return (cx + dx * scale, cy + dy * scale)
