"""CAD revisions: a DXF drawing edited as a drafter edits it, entity by entity, and both
versions plotted to vector PDF, with the truth of every edit.

:mod:`.synth` edits finished sheets (their pixels, or their PDF objects). A real revision is
made in CAD and plotted again: a fixture moved with everything in its selection window, a
run of walls erased, a wall line stretched, a detail copied or turned, a room name or a
window's code retyped. The whole sheet is then drawn anew (another content stream, the text
set again), and a plot may come out at another scale or offset. This makes such revisions of
the example DXF drawings (``examples/drawings/jp-house/dxf``), for the benchmark and tests.

Not part of the comparison engine. It reads DXF with ezdxf (a test and benchmark
dependency: ``requirements-dev.txt``) and plots with PDFium's editing API: lines and arcs as
vector paths 0.13 mm wide, text as real text in IPA Gothic (the package's font, embedded as a
subset), so the sheet has a text layer as a CAD plot does.

Frames: :class:`Item` coordinates are the DXF's paper millimetres (origin bottom-left, y up);
every box this module returns is in PDF points of the plotted page, origin top-left, y down.
"""

from __future__ import annotations

import ctypes
import math
import os
import random
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from .engine.pdf_canvas import _subset, load_font, set_text
from .engine.pdfium_fonts import PACKAGE_FONTS
from .engine.regions import boxes_overlap, grow_box, union_box
from .synth import _box_inside

#: Points per millimetre of paper.
PT_PER_MM = 72.0 / 25.4
#: The paper the example DXFs are drawn on, millimetres (A3 landscape; their limits are
#: 10-410 × 10-287, the drawing frame).
PAPER_MM = (420.0, 297.0)
#: Pen width of every line and arc, millimetres (the DXFs' lineweight 13).
PEN_MM = 0.13
#: The font text is set in (Japanese and Latin): the package's IPA Gothic, the font PDFium
#: reads the example sheets' MS Gothic with.
FONT = os.path.join(PACKAGE_FONTS, "ipag.ttf")
#: Height (mm) of the band along the foot of the example drawings' frame that holds their
#: title block (about 37 mm): no edit is made in it, nor within 15 mm of the frame elsewhere.
TITLE_BAND_MM = 42.0
#: Edits keep this far apart (mm), so each is found and scored on its own.
EDIT_GAP_MM = 6.0
#: Kinds of edit :func:`make_cad_revision` draws from, and the truth kind each reports.
EDIT_KINDS = {"move": "moved", "erase": "removed", "copy": "added", "add": "added",
              "stretch": "modified", "turn": "modified", "text": "text"}


@dataclass(frozen=True)
class Item:
    """One drawn primitive of a sheet, in paper millimetres (DXF frame: origin bottom-left,
    y up). ``kind`` "line": ``geometry`` (x0, y0, x1, y1); "arc": (cx, cy, r, start, end),
    degrees counter-clockwise; "circle": (cx, cy, r); "text": (x, y) of its alignment point,
    with ``text``, ``height`` (mm), ``rotation`` (degrees), ``halign`` (0 left, 1 centre,
    2 right), ``valign`` (0 baseline, 1 bottom, 2 middle, 3 top) and ``width`` (factor)."""
    kind: str
    geometry: tuple
    text: str = ""
    height: float = 0.0
    rotation: float = 0.0
    halign: int = 0
    valign: int = 0
    width: float = 1.0


def read_dxf(path: str | os.PathLike) -> list[Item]:
    """The lines, arcs, circles and single-line texts of a DXF's model space, block
    references exploded (nested ones too), as :class:`Item` in paper millimetres."""
    import ezdxf

    def flat(entities):
        for e in entities:
            if e.dxftype() == "INSERT":
                yield from flat(e.virtual_entities())
            else:
                yield e

    items = []
    for e in flat(ezdxf.readfile(str(path)).modelspace()):
        t = e.dxftype()
        if t == "LINE":
            s, f = e.dxf.start, e.dxf.end
            items.append(Item("line", (s.x, s.y, f.x, f.y)))
        elif t == "ARC":
            c = e.dxf.center
            items.append(Item("arc", (c.x, c.y, e.dxf.radius, e.dxf.start_angle,
                                      e.dxf.end_angle)))
        elif t == "CIRCLE":
            c = e.dxf.center
            items.append(Item("circle", (c.x, c.y, e.dxf.radius)))
        elif t == "TEXT" and e.plain_text().strip():
            h, v = e.dxf.halign, e.dxf.valign
            at = e.dxf.insert if (h, v) in ((0, 0), (3, 0), (5, 0)) else e.dxf.align_point
            items.append(Item("text", (at.x, at.y), text=e.plain_text(), height=e.dxf.height,
                              rotation=e.dxf.rotation, halign=min(h, 2), valign=v,
                              width=e.dxf.get("width", 1.0)))
    return items


def to_page(x_mm: float, y_mm: float, plot=(1.0, 0.0, 0.0)) -> tuple[float, float]:
    """A paper point (mm, y up) on the plotted page (points, origin top-left, y down);
    ``plot`` is (scale about the page's centre, shift x, shift y in points): a re-plot."""
    s, dx, dy = plot
    w, h = PAPER_MM[0] * PT_PER_MM, PAPER_MM[1] * PT_PER_MM
    x, y = x_mm * PT_PER_MM, (PAPER_MM[1] - y_mm) * PT_PER_MM
    return (w / 2 + s * (x - w / 2) + dx, h / 2 + s * (y - h / 2) + dy)


def plot_matrix(plot=(1.0, 0.0, 0.0)) -> list[list[float]]:
    """The 2×3 matrix from the page plotted as is to the page plotted with ``plot``
    (:func:`to_page`), in points (origin top-left, y down): what an alignment must find."""
    s, dx, dy = plot
    w, h = PAPER_MM[0] * PT_PER_MM, PAPER_MM[1] * PT_PER_MM
    return [[s, 0.0, (1 - s) * w / 2 + dx], [0.0, s, (1 - s) * h / 2 + dy]]


def _arc_beziers(cx, cy, r, start, end):
    """Cubic Bézier segments (each four mm points) of an arc, at most 90° each."""
    sweep = (end - start) % 360.0 or 360.0
    n = max(1, math.ceil(sweep / 90.0))
    step = math.radians(sweep / n)
    k = 4.0 / 3.0 * math.tan(step / 4.0)
    out = []
    for i in range(n):
        a0 = math.radians(start) + i * step
        a1 = a0 + step
        p0 = (cx + r * math.cos(a0), cy + r * math.sin(a0))
        p3 = (cx + r * math.cos(a1), cy + r * math.sin(a1))
        p1 = (p0[0] - k * r * math.sin(a0), p0[1] + k * r * math.cos(a0))
        p2 = (p3[0] + k * r * math.sin(a1), p3[1] - k * r * math.cos(a1))
        out.append((p0, p1, p2, p3))
    return out


def plot(items: Sequence[Item], out: str | os.PathLike, plot_transform=(1.0, 0.0, 0.0)
         ) -> list[tuple[float, float, float, float]]:
    """Plot ``items`` on one A3 page of a new vector PDF at ``out``, with ``plot_transform``
    (:func:`to_page`). Returns each item's box (points of that page, origin top-left, y
    down), in the order of ``items``."""
    pdf = pdfium.PdfDocument.new()
    w_pt, h_pt = PAPER_MM[0] * PT_PER_MM, PAPER_MM[1] * PT_PER_MM
    page = pdf.new_page(w_pt, h_pt)
    chars = "".join(sorted({ch for it in items if it.kind == "text" for ch in it.text}))
    font, advances = None, {}
    if chars:
        data, advances = _subset(FONT, chars)
        font = load_font(pdf, data)

    def user(p):  # paper mm -> PDF user space (origin bottom-left, y up)
        x, y = to_page(*p, plot_transform)
        return ctypes.c_float(x), ctypes.c_float(h_pt - y)

    scale = plot_transform[0]
    boxes = []
    for it in items:
        if it.kind == "text":
            obj = _text(pdf, font, advances, it, scale, user)
        else:
            obj = _path(it, user)
            pdfium_c.FPDFPageObj_SetStrokeColor(obj, 0, 0, 0, 255)
            pdfium_c.FPDFPageObj_SetStrokeWidth(obj, ctypes.c_float(PEN_MM * PT_PER_MM * scale))
            pdfium_c.FPDFPath_SetDrawMode(obj, 0, 1)
        pdfium_c.FPDFPage_InsertObject(page.raw, obj)
        b = [ctypes.c_float() for _ in range(4)]
        pdfium_c.FPDFPageObj_GetBounds(obj, *b)
        x0, y0, x1, y1 = (v.value for v in b)
        boxes.append((x0, h_pt - y1, x1, h_pt - y0))
    pdfium_c.FPDFPage_GenerateContent(page.raw)
    page.close()
    pdf.save(str(out))
    if font is not None:
        pdfium_c.FPDFFont_Close(font)
    pdf.close()
    return boxes


def _path(it: Item, user):
    g = it.geometry
    if it.kind == "line":
        obj = pdfium_c.FPDFPageObj_CreateNewPath(*user(g[:2]))
        pdfium_c.FPDFPath_LineTo(obj, *user(g[2:]))
        return obj
    segments = _arc_beziers(*(g if it.kind == "arc" else (*g, 0.0, 360.0)))
    obj = pdfium_c.FPDFPageObj_CreateNewPath(*user(segments[0][0]))
    for _, c1, c2, p3 in segments:
        pdfium_c.FPDFPath_BezierTo(obj, *user(c1), *user(c2), *user(p3))
    if it.kind == "circle":
        pdfium_c.FPDFPath_Close(obj)
    return obj


def _text(pdf, font, advances, it: Item, scale: float, user):
    """A text object set as CAD sets TEXT: ``height`` is the em (mm), the alignment point
    placed by ``halign``/``valign``, turned by ``rotation`` about it."""
    size = it.height * PT_PER_MM * scale
    obj = pdfium_c.FPDFPageObj_CreateTextObj(pdf.raw, font, ctypes.c_float(size))
    set_text(obj, it.text)
    width = it.height * it.width * sum(advances.get(ch, 1.0) for ch in it.text)  # mm
    dx = -width * it.halign / 2.0
    dy = {0: 0.0, 1: 0.12, 2: -0.4, 3: -0.8}.get(it.valign, 0.0) * it.height
    a = math.radians(it.rotation)
    ca, sa = math.cos(a), math.sin(a)
    x, y = it.geometry
    ox, oy = x + dx * ca - dy * sa, y + dx * sa + dy * ca  # the baseline's start, mm
    ux, uy = user((ox, oy))
    pdfium_c.FPDFPageObj_Transform(obj, it.width * ca, it.width * sa, -sa, ca, ux.value, uy.value)
    pdfium_c.FPDFPageObj_SetFillColor(obj, 0, 0, 0, 255)
    return obj


def _near(box, busy) -> bool:
    """Is ``box`` (mm) within :data:`EDIT_GAP_MM` of any box of ``busy`` (other edits)?"""
    return any(boxes_overlap(grow_box(box, EDIT_GAP_MM), o) for o in busy)


def _moved(it: Item, dx: float, dy: float) -> Item:
    """``it`` shifted by (dx, dy) mm."""
    g = it.geometry
    if it.kind == "line":
        return replace(it, geometry=(g[0] + dx, g[1] + dy, g[2] + dx, g[3] + dy))
    return replace(it, geometry=(g[0] + dx, g[1] + dy, *g[2:]))


def _turned(it: Item, cx: float, cy: float) -> Item:
    """``it`` turned a quarter counter-clockwise about (cx, cy) mm."""
    def t(x, y):
        return cx - (y - cy), cy + (x - cx)

    g = it.geometry
    if it.kind == "line":
        return replace(it, geometry=(*t(*g[:2]), *t(*g[2:])))
    if it.kind == "arc":
        return replace(it, geometry=(*t(*g[:2]), g[2], g[3] + 90.0, g[4] + 90.0))
    if it.kind == "circle":
        return replace(it, geometry=(*t(*g[:2]), g[2]))
    return replace(it, geometry=t(*g), rotation=it.rotation + 90.0)


def _mm(box_pt) -> tuple[float, float, float, float]:
    """A box of the page plotted as is (points, y down) in paper mm (x0, y0, x1, y1), y up."""
    x0, y0, x1, y1 = box_pt
    return (x0 / PT_PER_MM, PAPER_MM[1] - y1 / PT_PER_MM, x1 / PT_PER_MM,
            PAPER_MM[1] - y0 / PT_PER_MM)


def make_cad_revision(src: str | os.PathLike, out_dir: str | os.PathLike, seed: int, *,
                      n_edits: int = 5, kinds: Sequence[str] | None = None,
                      replot: bool | None = None) -> dict:
    """Plot the DXF ``src`` to ``out_dir/old.pdf``, edit its entities (``n_edits`` edits of
    ``kinds``, from :data:`EDIT_KINDS`; by default drawn at random) and plot the result to
    ``out_dir/new.pdf`` (re-plotted at another scale, 0.97-1.03, and offset, up to 15 pt,
    when ``replot``; by default on odd seeds).

    Returns the truth, as :func:`.synth.make_revision` does: ``old``, ``new``, ``matrix``
    (old-sheet points to new-sheet points), and ``edits``, each with ``kind``, ``edit`` (the
    kind of edit), ``bbox`` (new-sheet points) and, for a move, ``from_bbox`` (where it was,
    in new-sheet points); for a text edit ``text_before`` and ``text_after``."""
    rng = random.Random(seed)
    os.makedirs(out_dir, exist_ok=True)
    items = read_dxf(src)
    old_pdf, new_pdf = os.path.join(out_dir, "old.pdf"), os.path.join(out_dir, "new.pdf")
    boxes = [_mm(b) for b in plot(items, old_pdf)]  # paper mm, y up
    frame = union_box(boxes)
    # the title block (the band along the frame's foot) and the frame are not edited: a
    # drafter revises the drawing itself
    inner = (frame[0] + 15, frame[1] + TITLE_BAND_MM, frame[2] - 15, frame[3] - 15)
    if replot is None:
        replot = bool(seed % 2)
    plot_t = ((rng.uniform(0.97, 1.03), rng.uniform(-15, 15), rng.uniform(-15, 15))
              if replot else (1.0, 0.0, 0.0))
    kinds = list(kinds) if kinds else [rng.choice(list(EDIT_KINDS)) for _ in range(n_edits)]

    removed: set[int] = set()
    new_items: list[Item] = []  # added or moved, with the edit they belong to
    edits, busy = [], []

    def selection(side_lo=8.0, side_hi=30.0):
        """A window (mm) around a random item of the drawing, and the items wholly inside it
        (at least 3, none edited yet, away from every other edit)."""
        for _ in range(200):
            i = rng.randrange(len(items))
            b = boxes[i]
            if i in removed or not _box_inside(b, inner):
                continue
            side = rng.uniform(side_lo, side_hi)
            cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
            win = (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)
            if not _box_inside(win, inner) or _near(win, busy):
                continue
            chosen = [j for j, bj in enumerate(boxes) if j not in removed and _box_inside(bj, win)]
            if len(chosen) >= 3:
                return win, chosen
        return None, []

    ink = np.array(boxes)

    def _any_ink(box, pad, but=None):
        live = np.ones(len(ink), bool)
        live[list(removed)] = False
        if but is not None:
            live[but] = False
        return bool((live & (ink[:, 0] - pad < box[2]) & (box[0] - pad < ink[:, 2])
                     & (ink[:, 1] - pad < box[3]) & (box[1] - pad < ink[:, 3])).any())

    def free_place(w, h, near=None, reach=60.0):
        """A box (mm) w × h inside the drawing with no ink within 2 mm and no other edit
        near it; within ``reach`` of ``near`` (a box) when given."""
        for _ in range(400):
            if near is None:
                x0 = rng.uniform(inner[0], inner[2] - w)
                y0 = rng.uniform(inner[1], inner[3] - h)
            else:
                x0 = near[0] + rng.uniform(-reach, reach)
                y0 = near[1] + rng.uniform(-reach, reach)
            box = (x0, y0, x0 + w, y0 + h)
            if (_box_inside(box, inner) and not _near(box, busy)
                    and not _any_ink(box, 2.0)):
                return box
        return None

    for kind in kinds:
        edit = _one_edit(kind, rng, items, boxes, removed, new_items, busy, selection,
                         free_place, inner, _any_ink)
        if edit is not None:
            edits.append(edit)

    kept = [it for i, it in enumerate(items) if i not in removed]
    new_boxes = plot(kept + [it for it, _ in new_items], new_pdf, plot_t)
    added_boxes = new_boxes[len(kept):]
    m = plot_matrix(plot_t)

    def on_new(box_mm):  # a paper box (mm) on the new sheet, points
        (x0, y0), (x1, y1) = (to_page(box_mm[0], box_mm[3], plot_t),
                              to_page(box_mm[2], box_mm[1], plot_t))
        return (x0, y0, x1, y1)

    truth_edits = []
    for e in edits:
        mine = [b for (_, k), b in zip(new_items, added_boxes) if k is e]
        entry = {"kind": EDIT_KINDS[e["edit"]], "edit": e["edit"]}
        if e["edit"] in ("move", "copy", "add", "turn"):
            entry["bbox"] = union_box(mine)
            if e["edit"] == "turn":
                entry["bbox"] = union_box([entry["bbox"], on_new(e["was"])])
        else:
            entry["bbox"] = on_new(e["was"]) if e["edit"] != "stretch" else union_box(
                [on_new(e["was"]), *mine])
        if e["edit"] == "move":
            entry["from_bbox"] = on_new(e["was"])
        if e["edit"] == "text":
            entry["bbox"] = union_box(mine)
            entry["text_before"], entry["text_after"] = e["before"], e["after"]
        truth_edits.append(entry)
    return {"old": old_pdf, "new": new_pdf, "matrix": m, "edits": truth_edits,
            "plot": plot_t}


def _one_edit(kind, rng, items, boxes, removed, new_items, busy, selection, free_place,
              inner, any_ink) -> dict | None:
    """Make one edit of ``kind`` on the item lists (see :func:`make_cad_revision`): items
    leave by ``removed`` (indices), arrive in ``new_items`` as (item, edit). Returns the edit
    (``edit``, ``was``: the box in mm its old content covered), or None when the drawing
    has no room for it."""
    edit: dict = {"edit": kind}
    if kind in ("move", "erase", "copy", "turn"):
        win, chosen = selection()
        if not chosen:
            return None
        was = union_box(boxes[j] for j in chosen)
        w, h = was[2] - was[0], was[3] - was[1]
        if kind in ("move", "copy"):  # a move lands near, a copy anywhere
            dest = free_place(w, h, near=was if kind == "move" else None)
            if dest is None:
                return None
            dx, dy = dest[0] - was[0], dest[1] - was[1]
            moved = [_moved(items[j], dx, dy) for j in chosen]
            busy.append(dest)
        elif kind == "turn":
            cx, cy = (was[0] + was[2]) / 2, (was[1] + was[3]) / 2
            moved = [_turned(items[j], cx, cy) for j in chosen]
        else:
            moved = []
        if kind != "copy":
            removed.update(chosen)
        new_items.extend((it, edit) for it in moved)
        busy.append(was)
        edit["was"] = was
        return edit
    if kind == "add":
        side = rng.uniform(8.0, 20.0)
        box = free_place(side, side * rng.uniform(0.6, 1.0))
        if box is None:
            return None
        x0, y0, x1, y1 = box
        for g in ((x0, y0, x1, y0), (x1, y0, x1, y1), (x1, y1, x0, y1), (x0, y1, x0, y0),
                  (x0, y0, x1, y1), (x0, y1, x1, y0)):
            new_items.append((Item("line", g), edit))
        new_items.append((Item("circle", ((x0 + x1) / 2, (y0 + y1) / 2,
                                          min(x1 - x0, y1 - y0) / 4)), edit))
        busy.append(box)
        edit["was"] = box
        return edit
    if kind == "stretch":
        for _ in range(300):
            i = rng.randrange(len(items))
            it = items[i]
            if it.kind != "line" or i in removed or not _box_inside(boxes[i], inner):
                continue
            x0, y0, x1, y1 = it.geometry
            length = math.hypot(x1 - x0, y1 - y0)
            if length < 15.0 or _near(boxes[i], busy):
                continue
            grow = rng.uniform(3.0, 10.0) * rng.choice((-1, 1))
            ux, uy = (x1 - x0) / length, (y1 - y0) / length
            new = Item("line", (x0, y0, x1 + ux * grow, y1 + uy * grow))
            tip = (min(x1, x1 + ux * grow), min(y1, y1 + uy * grow),
                   max(x1, x1 + ux * grow), max(y1, y1 + uy * grow))
            # the length drawn on or cut off lies on paper: a wall run on over another line,
            # or cut back where another lies along it, shows no change
            a, b = (1.0, grow) if grow > 0 else (grow + 1.0, -1.0)
            seg = (x1 + ux * a, y1 + uy * a, x1 + ux * b, y1 + uy * b)
            if any_ink((min(seg[0], seg[2]), min(seg[1], seg[3]), max(seg[0], seg[2]),
                        max(seg[1], seg[3])), 0.3, but=i):
                continue
            removed.add(i)
            new_items.append((new, edit))
            busy.append(boxes[i])
            edit["was"] = tip
            return edit
        return None
    if kind == "text":
        texts = [i for i, it in enumerate(items) if it.kind == "text" and i not in removed
                 and " " not in it.text.strip() and _box_inside(boxes[i], inner)
                 and not _near(boxes[i], busy)]
        rng.shuffle(texts)
        for i in texts:
            before = items[i].text.strip()
            digits = [k for k, ch in enumerate(before) if ch.isdigit()]
            if digits:
                k = rng.choice(digits)
                after = before[:k] + rng.choice([d for d in "0123456789" if d != before[k]]) \
                    + before[k + 1:]
            else:
                others = sorted({items[j].text.strip() for j in texts
                                 if len(items[j].text.strip()) == len(before)} - {before})
                if not others:
                    continue
                after = rng.choice(others)
            removed.add(i)
            new_items.append((replace(items[i], text=after), edit))
            busy.append(boxes[i])
            edit.update(was=boxes[i], before=before, after=after)
            return edit
        return None
    raise ValueError(f"unknown kind of edit: {kind}")
