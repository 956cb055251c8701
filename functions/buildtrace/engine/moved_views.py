"""Moved views: a large part of a sheet moved as a whole (a plan view placed a little
elsewhere on the sheet, a schedule's rows pushed down by a new one), found and compared in
its new place.

The pair's alignment holds the sheet's frame and title block. A view moved less than its
own size then leaves one change region of red and green as large as itself, "modified",
and every word in it reads as moved or changed (or, its lines sparse and the move a few
points, a region for each line). :func:`find_moved_views` looks in such a region (or such
a group of regions) for one shift that carries the removed ink onto the new sheet's ink
and the added ink back onto the old sheet's, and checks that, compared under that shift,
little of the changed ink is left. The view is then one ``moved`` change (``bbox`` where it is,
``from_bbox`` where it was, ``view_shift_pt`` the shift), and what is left, compared under
the shift, is what changed inside it: regions of their own.

Boxes are in PDF points of the new sheet, origin top-left, y down; shifts in points, from
where the view was to where it is; matrices (2×3) map old-sheet points to new-sheet points.
Crops: ``old_crop(box, dpi, matrix)`` the old sheet drawn through ``matrix`` over ``box``
at ``dpi``, ``new_crop(box, dpi)`` the new sheet, both grayscale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from .drawing_set import Word
from .moves import shift_scores
from .overlay import FAINT_INK_THRESHOLD, INK_THRESHOLD, ink_below
from .rasters import disk_px
from .regions import (MAP_DPI, ChangeRegion, box_centre, box_gap, find_regions, grow_box,
                      union_box)
from .text_diff import MATCH_TOL_PT, map_words

#: A region is looked at as a view when it is at least this (points, 2 in) across both ways
#: ...
VIEW_MIN_PT = 144.0
#: ... holds at least this much removed ink and this much added ink (pt²) ...
VIEW_MIN_INK_PT2 = 50.0
#: ... in about equal measure (added over removed): a view moved keeps its ink.
VIEW_INK_RATIO = (0.5, 2.0)
#: Shifts are looked for up to this far (points) each way, at this resolution (DPI), then
#: refined at the check's: first near, at 72 DPI (a view moved 3 pt leaves too little
#: changed ink at 36 DPI to find it by), then, where no near shift holds, as far as 2 in;
#: farther, the view's two places lie apart and :mod:`.moves` pairs them.
VIEW_SEARCHES = ((72.0, 12.0), (36.0, 144.0))
#: A search's shift is refined within this (points) each way at the check's resolution,
#: the window moved on to the best shift at most this many times while that lies on the
#: window's edge.
REFINE_REACH_PT = 3.0
REFINE_ROUNDS = 3
#: The view is compared under its shift at the overlay's resolution, at most this (DPI).
VIEW_CHECK_DPI = 150.0
#: A view moved at least this far (points; less is the alignment's tolerance twice over)
#: ...
VIEW_MIN_SHIFT_PT = 1.5
#: ... leaves at most this share of its region's changed ink unexplained by the shift:
#: what changed inside the view, and lines that cross its edge and stayed.
VIEW_MAX_LEFT = 0.2


@dataclass
class MovedView:
    """A view moved as a whole: ``region`` (kind ``moved``), the ``shift`` (points, where
    it was to where it is), the ``matrix`` that draws the old sheet there (the pair's
    alignment, then the shift), the regions ``inside`` it that changed besides, and the
    change regions it is made of (``parts``, as the overlay clustered them)."""
    region: ChangeRegion
    shift: tuple[float, float]
    matrix: np.ndarray
    inside: list[ChangeRegion] = field(default_factory=list)
    parts: list[ChangeRegion] = field(default_factory=list)

    def take(self, r: ChangeRegion, part: _Part) -> None:
        """Region ``r``, which moved with the view (``part``: what the shift explains)."""
        v = self.region
        first = not self.parts
        self.parts.append(r)
        v.bbox = part.where if first else (
            min(v.bbox[0], part.where[0]), min(v.bbox[1], part.where[1]),
            max(v.bbox[2], part.where[2]), max(v.bbox[3], part.where[3]))
        v.from_bbox = (v.bbox[0] - self.shift[0], v.bbox[1] - self.shift[1],
                       v.bbox[2] - self.shift[0], v.bbox[3] - self.shift[1])
        v.removed_pt2 += part.removed_pt2
        v.added_pt2 += part.added_pt2
        v.area_pt2 = v.added_pt2  # as for a moved detail: the ink where it is
        self.inside += part.inside


def find_moved_views(regions: list[ChangeRegion], old_crop, new_crop, matrix: np.ndarray,
                     sheet_pt: tuple[float, float], dpi: float, tolerance_pt: float, *,
                     title_block=None, ignore=()) -> tuple[list[ChangeRegion], list[MovedView]]:
    """The ``regions`` that are no part of a moved view, and the moved views found among
    them (:func:`moved_view`), each with the regions near it that its shift explains too
    (a view's dimension strings or notes, clustered apart, moved with it). ``matrix``: the
    pair's alignment; ``sheet_pt``: the new sheet's size (points); ``dpi``: the overlay's;
    ``tolerance_pt``: its tolerance; ``title_block`` and ``ignore`` (boxes) as for
    :func:`.regions.find_regions`, for the regions inside a view."""
    check = _Check(old_crop, new_crop, matrix, sheet_pt, min(dpi, VIEW_CHECK_DPI),
                   tolerance_pt, title_block, ignore)
    views: list[MovedView] = []
    taken: set[int] = set()

    def take_near(v: MovedView) -> None:  # the regions near it (where it is or was) it explains
        tried: set[int] = set()
        grown = True
        while grown:  # (a region taken in widens the view: others come near)
            grown = False
            for r in regions:
                if (id(r) in taken or id(r) in tried or r.in_title_block
                        or min(box_gap(r.bbox, v.region.bbox),
                               box_gap(r.bbox, v.region.from_bbox)) > VIEW_NEAR_PT):
                    continue
                tried.add(id(r))
                part = check.under(r.bbox, v.shift, v.matrix)
                if part is not None:
                    v.take(r, part)
                    taken.add(id(r))
                    grown = True

    for r in sorted(regions, key=lambda r: -r.area_pt2):
        if _may_be_view(r) and id(r) not in taken:
            view = moved_view(r, check)
            if view is not None:
                views.append(view)
                taken.add(id(r))
                take_near(view)
    # a view moved a few points whose lines lie apart leaves a region for each line (its
    # red and green): such regions close together are looked at as one
    for group in _groups([r for r in regions if id(r) not in taken and not r.in_title_block]):
        if len(group) < VIEW_GROUP_MIN or any(id(r) in taken for r in group):
            continue
        union = ChangeRegion("", "modified", union_box(r.bbox for r in group),
                             sum(r.area_pt2 for r in group), sum(r.removed_pt2 for r in group),
                             sum(r.added_pt2 for r in group))
        if not _may_be_view(union):
            continue
        found = moved_view(union, check)
        if found is None:
            continue
        view = MovedView(ChangeRegion("", "moved", found.region.bbox, 0.0, 0.0, 0.0,
                                      from_bbox=found.region.from_bbox,
                                      view_shift_pt=found.shift), found.shift, found.matrix)
        take_near(view)  # each region of the group, as it is explained one by one
        w, h = view.region.bbox[2] - view.region.bbox[0], view.region.bbox[3] - view.region.bbox[1]
        if view.parts and min(w, h) >= VIEW_MIN_PT:
            views.append(view)
        else:  # what it explains one by one is no large part of the sheet
            taken.difference_update(id(r) for r in view.parts)
    return [r for r in regions if id(r) not in taken], views


def join_view_pieces(regions: list[ChangeRegion]) -> list[ChangeRegion]:
    """``regions`` with each ``moved`` one that moved as a view did (by its boxes' centres,
    within :data:`VIEW_PIECE_TOL_PT` of the view's shift), within :data:`VIEW_NEAR_PT` of
    the view, made part of that view: a piece of it the short-move search found after the
    view (a view's corner clustered apart, 7 pt moved, was reported as a move of its own).
    Boxes: new-sheet points."""
    views = [r for r in regions if r.view_shift_pt is not None]
    gone: set[int] = set()
    for v in views:
        for r in regions:
            if (r.kind != "moved" or r.view_shift_pt is not None or r.from_bbox is None
                    or r.in_title_block or id(r) in gone
                    or box_gap(r.bbox, v.bbox) > VIEW_NEAR_PT):
                continue
            d = np.subtract(box_centre(r.bbox), box_centre(r.from_bbox))
            if np.abs(d - np.asarray(v.view_shift_pt)).max() > VIEW_PIECE_TOL_PT:
                continue
            v.take_in(r)
            gone.add(id(r))
    return [r for r in regions if id(r) not in gone]


#: A moved region moved as a view did, within this (points) each way, is a piece of it
#: (:func:`join_view_pieces`): boxes' centres, as clustered, are a point or two off.
VIEW_PIECE_TOL_PT = 2.0


#: Change regions within this (points) of each other are looked at together as a view
#: (:func:`_groups`) ...
VIEW_GROUP_GAP_PT = 36.0
#: ... when at least this many lie so (fewer are a detail or two, which :mod:`.moves` pairs).
VIEW_GROUP_MIN = 3
#: At most this many regions (the largest) are grouped: the grouping compares every pair.
VIEW_GROUP_MAX_REGIONS = 400


def _groups(regions: list[ChangeRegion]) -> list[list[ChangeRegion]]:
    """``regions`` in groups whose members lie within :data:`VIEW_GROUP_GAP_PT` of another
    member (of the :data:`VIEW_GROUP_MAX_REGIONS` largest)."""
    regions = sorted(regions, key=lambda r: -r.area_pt2)[:VIEW_GROUP_MAX_REGIONS]
    parent = list(range(len(regions)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(regions):
        for j in range(i + 1, len(regions)):
            if box_gap(a.bbox, regions[j].bbox) <= VIEW_GROUP_GAP_PT:
                parent[root(i)] = root(j)
    groups: dict[int, list[ChangeRegion]] = {}
    for i, r in enumerate(regions):
        groups.setdefault(root(i), []).append(r)
    return list(groups.values())


def _may_be_view(r: ChangeRegion) -> bool:
    w, h = r.bbox[2] - r.bbox[0], r.bbox[3] - r.bbox[1]
    return (r.kind == "modified" and not r.in_title_block and min(w, h) >= VIEW_MIN_PT
            and min(r.removed_pt2, r.added_pt2) >= VIEW_MIN_INK_PT2
            and VIEW_INK_RATIO[0] <= r.added_pt2 / r.removed_pt2 <= VIEW_INK_RATIO[1])


def moved_view(r: ChangeRegion, check: _Check) -> MovedView | None:
    """Region ``r`` as a view moved as a whole, or None: the shift that lays most of its
    changed ink on the other sheet's ink (found at a search's resolution,
    :data:`VIEW_SEARCHES`, refined at the check's), under which at most
    :data:`VIEW_MAX_LEFT` of its changed ink is left (:meth:`_Check.under`)."""
    for dpi, reach in VIEW_SEARCHES:
        d0 = _coarse_shift(r.bbox, check, dpi, reach)
        view = None if d0 is None else _refined_view(r, check, d0)
        if view is not None:
            return view
    return None


def _refined_view(r: ChangeRegion, check: _Check, d0: tuple[float, float]
                  ) -> MovedView | None:
    """(:func:`moved_view`) The view moved by about ``d0`` (points), its shift refined."""
    k = check.dpi / 72.0
    box = _on_sheet(grow_box(r.bbox, max(abs(d0[0]), abs(d0[1])) + 6.0), check.sheet_pt)
    old, new = check.old_crop(box, check.dpi, check.matrix), check.new_crop(box, check.dpi)
    if old.shape != new.shape or not old.size:
        return None
    ink = _Inks(old, new, check.dpi, check.tolerance_pt)
    window = _window(r.bbox, box, k, new.shape)
    removed, added = ink.removed * window, ink.added * window
    reach = int(math.ceil(REFINE_REACH_PT * k))
    centre = (int(round(d0[0] * k)), int(round(d0[1] * k)))
    for _ in range(REFINE_ROUNDS):
        # on the ink itself, not with the tolerance around it, and at the centre of the top
        # of the scores: a line 2-4 px wide lies on itself over a plateau of shifts, whose
        # first pixel (the largest score's) was up to 1.4 pt off a view moved 3.9 pt
        scores = (shift_scores(ink.new_ink, removed, centre, reach)
                  + shift_scores(ink.old_ink, added, (-centre[0], -centre[1]),
                                 reach)[::-1, ::-1])
        best = np.unravel_index(int(np.argmax(scores)), scores.shape)
        if 0 < min(best) and max(best) < 2 * reach:
            break
        centre = (centre[0] + int(best[1]) - reach, centre[1] + int(best[0]) - reach)
    else:
        return None  # no peak near: the coarse shift was no view's
    fx, fy = _top_centre(scores)
    shift = ((centre[0] + fx - reach) / k, (centre[1] + fy - reach) / k)
    if math.hypot(*shift) < VIEW_MIN_SHIFT_PT:
        return None
    moved_matrix = np.asarray(check.matrix, float).copy()
    moved_matrix[:, 2] += shift
    part = check.under(r.bbox, shift, moved_matrix)
    w, h = (part.where[2] - part.where[0], part.where[3] - part.where[1]) if part else (0, 0)
    if min(w, h) < VIEW_MIN_PT:
        return None  # what the shift explains is no large part of the sheet (a ladder of lines)
    view = MovedView(ChangeRegion("", "moved", part.where, 0.0, 0.0, 0.0,
                                  view_shift_pt=shift), shift, moved_matrix)
    view.take(r, part)
    return view


#: Regions within this (points) of a moved view are checked for having moved with it.
VIEW_NEAR_PT = 72.0


@dataclass
class _Part:
    """What a view's shift explains of a region: where that ink is (points), its removed
    and added ink (pt²) and the regions of what it leaves (changed inside the view)."""
    where: tuple[float, float, float, float]
    removed_pt2: float
    added_pt2: float
    inside: list[ChangeRegion]


@dataclass
class _Check:
    """How regions are compared under a view's shift: the crops, the pair's alignment
    (``matrix``), the sheet's size (points), the resolution (DPI), the overlay's tolerance
    (points), and the title block and ignored boxes for the regions left."""
    old_crop: object
    new_crop: object
    matrix: np.ndarray
    sheet_pt: tuple[float, float]
    dpi: float
    tolerance_pt: float
    title_block: object
    ignore: object

    def under(self, bbox, shift: tuple[float, float], moved_matrix: np.ndarray
              ) -> _Part | None:
        """The changed ink in ``bbox`` compared again with the old sheet moved by
        ``shift`` (drawn through ``moved_matrix``): None unless the shift leaves at most
        :data:`VIEW_MAX_LEFT` of it. An old ink pixel at q drawn in place is at q + shift
        drawn moved: it is removed when neither place has new ink near; new ink is added
        when neither drawing has old ink near. So ink that did not move with the view (a
        line crossing it) counts as unchanged where it matches in place."""
        k = self.dpi / 72.0
        box = _on_sheet(grow_box(bbox, max(abs(shift[0]), abs(shift[1])) + 6.0), self.sheet_pt)
        new = self.new_crop(box, self.dpi)
        old = self.old_crop(box, self.dpi, self.matrix)
        old_moved = self.old_crop(box, self.dpi, moved_matrix)
        if not new.size or old.shape != new.shape or old_moved.shape != new.shape:
            return None
        ink = _Inks(old, new, self.dpi, self.tolerance_pt)
        moved = _Inks(old_moved, new, self.dpi, self.tolerance_pt)
        dx, dy = int(round(shift[0] * k)), int(round(shift[1] * k))
        window = _window(bbox, box, k, new.shape)
        removed, added = ink.removed * window, ink.added * window
        left_removed = moved.removed * _shifted(removed, dx, dy)
        left_added = moved.added * added
        before = cv2.countNonZero(removed) + cv2.countNonZero(added)
        left = cv2.countNonZero(left_removed) + cv2.countNonZero(left_added)
        if not before or left > VIEW_MAX_LEFT * before:
            return None
        # where it is: the added ink the shift explains and the removed ink it carries there
        explained = cv2.bitwise_or(cv2.subtract(added, left_added),
                                   cv2.subtract(_shifted(removed, dx, dy), left_removed))
        bx, by, bw, bh = cv2.boundingRect(explained)
        if not bw or not bh:
            return None
        px_pt2 = 1.0 / (k * k)
        return _Part((box[0] + bx / k, box[1] + by / k, box[0] + (bx + bw) / k,
                      box[1] + (by + bh) / k),
                     (cv2.countNonZero(removed) - cv2.countNonZero(left_removed)) * px_pt2,
                     (cv2.countNonZero(added) - cv2.countNonZero(left_added)) * px_pt2,
                     _regions_of(left_removed, left_added, box, self.dpi, self.title_block,
                                 self.ignore))


def words_with_views(old_words: list[Word], mapped: list[Word], new_words: list[Word],
                     views: list[MovedView], stretch=None) -> list[Word]:
    """The old sheet's words in the new frame (``mapped``: carried by the pair's alignment)
    with those that moved with a view carried by its matrix: a word whose centre lies where
    a view was goes with it, unless it is found in place on the new sheet and not where
    the view took it (a label beside the view, which stayed); a word within
    :data:`VIEW_NEAR_PT` of there goes with it when it is found where the view took it and
    not in place. A word the view carried and changed then reads as changed in the view's
    new place, and one it carried unchanged as no change."""
    if not views:
        return mapped
    places: dict[str, list[tuple[float, float]]] = {}
    for w in new_words:
        places.setdefault(w.text, []).append(box_centre(w.bbox))

    def in_place(w: Word) -> bool:
        cx, cy = box_centre(w.bbox)
        return any(math.hypot(cx - x, cy - y) <= MATCH_TOL_PT for x, y in places.get(w.text, ()))

    out = list(mapped)
    for v in views:
        fx0, fy0, fx1, fy1 = v.region.from_bbox
        near = grow_box(v.region.from_bbox, VIEW_NEAR_PT)
        mine = [i for i, w in enumerate(out) if out[i] is mapped[i]
                and near[0] <= box_centre(w.bbox)[0] <= near[2]
                and near[1] <= box_centre(w.bbox)[1] <= near[3]]
        carried = map_words([old_words[i] for i in mine], v.matrix, stretch)
        for i, w in zip(mine, carried):
            cx, cy = box_centre(out[i].bbox)
            there, here = in_place(w), in_place(out[i])
            if (there and not here) or (not here and fx0 <= cx <= fx1 and fy0 <= cy <= fy1):
                out[i] = w
    return out


class _Inks:
    """Ink masks (0/1 uint8) of an old and a new raster in one frame at ``dpi``: the old
    and new ink (``old_ink``, ``new_ink``, faint ink too), with the tolerance around it
    (``old_near``, ``new_near``), and the old ink (darker than ``level``)
    with no new ink near (``removed``) and the other way round (``added``)."""

    def __init__(self, old: np.ndarray, new: np.ndarray, dpi: float, tolerance_pt: float,
                 level: int = INK_THRESHOLD):
        near = disk_px(tolerance_pt / 72.0 * dpi)
        self.old_ink = ink_below(old, FAINT_INK_THRESHOLD)
        self.new_ink = ink_below(new, FAINT_INK_THRESHOLD)
        self.old_near = cv2.dilate(self.old_ink, near)
        self.new_near = cv2.dilate(self.new_ink, near)
        self.removed = cv2.subtract(ink_below(old, level), self.new_near)
        self.added = cv2.subtract(ink_below(new, level), self.old_near)


def _coarse_shift(bbox, check: _Check, dpi: float, reach_pt: float
                  ) -> tuple[float, float] | None:
    """The shift (points) up to ``reach_pt`` each way, at least :data:`VIEW_MIN_SHIFT_PT`,
    that lays the most of the changed ink in ``bbox`` on the other sheet's ink, at
    ``dpi``; None when nothing is changed there."""
    k = dpi / 72.0
    box = _on_sheet(grow_box(bbox, reach_pt), check.sheet_pt)
    old, new = check.old_crop(box, dpi, None), check.new_crop(box, dpi)
    if old.shape != new.shape or not old.size:
        return None
    # (reduced below a line's width, a scanned line is grey: faint ink counts)
    ink = _Inks(old, new, dpi, check.tolerance_pt, FAINT_INK_THRESHOLD)
    window = _window(bbox, box, k, new.shape)
    removed, added = ink.removed * window, ink.added * window
    if not cv2.countNonZero(removed) or not cv2.countNonZero(added):
        return None
    reach = int(math.ceil(reach_pt * k))
    # the removed ink laid on new ink and the added ink on old ink, and each on the other:
    # in hatching or a ladder of lines many shifts lay ink on ink, but only the move lays
    # the changed ink on the changed ink
    near = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    scores = (shift_scores(ink.new_near, removed, (0, 0), reach)
              + shift_scores(ink.old_near, added, (0, 0), reach)[::-1, ::-1]
              + shift_scores(cv2.dilate(added, near), removed, (0, 0), reach)
              + shift_scores(cv2.dilate(removed, near), added, (0, 0), reach)[::-1, ::-1])
    yy, xx = np.mgrid[-reach:reach + 1, -reach:reach + 1]
    scores[np.hypot(xx, yy) < VIEW_MIN_SHIFT_PT * k] = -1.0  # the place it was
    y, x = np.unravel_index(int(np.argmax(scores)), scores.shape)
    if max(abs(int(x) - reach), abs(int(y) - reach)) >= reach:
        # the best at the search's edge is no peak: the view moved farther (a view moved
        # (-16, 17.5) pt was taken as moved (-12, 12) by the near search, refined to
        # (-15.4, 15.3), and its content compared 2.3 pt out of register)
        return None
    return ((int(x) - reach) / k, (int(y) - reach) / k)


def _top_centre(scores: np.ndarray) -> tuple[float, float]:
    """(x, y) in pixels of the scores: the centre, weighted by how far each rises above
    :data:`TOP_SHARE` of the best, of the scores around the best that do."""
    y, x = np.unravel_index(int(np.argmax(scores)), scores.shape)
    best = float(scores[y, x])
    if best <= 0:
        return float(x), float(y)
    top = (scores >= TOP_SHARE * best).astype(np.uint8)
    _n, labels = cv2.connectedComponents(top, connectivity=8)
    w = np.where(labels == labels[y, x], scores - TOP_SHARE * best, 0.0)
    yy, xx = np.mgrid[0:scores.shape[0], 0:scores.shape[1]]
    return float((w * xx).sum() / w.sum()), float((w * yy).sum() / w.sum())


#: The top of a shift's scores: those within this share of the best.
TOP_SHARE = 0.9


def _regions_of(removed: np.ndarray, added: np.ndarray, box, dpi: float, title_block,
                ignore) -> list[ChangeRegion]:
    """Change regions (:func:`.regions.find_regions`) of removed and added masks over
    ``box`` (points) at ``dpi``, with boxes in new-sheet points."""
    ox, oy = math.floor(box[0]), math.floor(box[1])
    rows, cols = math.ceil(box[3]) - oy + 1, math.ceil(box[2]) - ox + 1
    maps = []
    for mask in (removed, added):
        counts = np.zeros((rows, cols), np.float32)
        ys, xs = np.nonzero(mask)
        cy = np.clip(np.floor(box[1] - oy + ys * 72.0 / dpi).astype(np.int64), 0, rows - 1)
        cx = np.clip(np.floor(box[0] - ox + xs * 72.0 / dpi).astype(np.int64), 0, cols - 1)
        np.add.at(counts, (cy, cx), 1.0)
        maps.append(counts)

    def local(b):
        return (b[0] - ox, b[1] - oy, b[2] - ox, b[3] - oy)

    found = find_regions(maps[0], maps[1], MAP_DPI, (72.0 / dpi) ** 2,
                         title_block=None if title_block is None else local(title_block),
                         ignore=[local(b) for b in ignore])
    for r in found:
        r.bbox = (r.bbox[0] + ox, r.bbox[1] + oy, r.bbox[2] + ox, r.bbox[3] + oy)
    return found


def _window(inner, box, k: float, shape: tuple[int, int]) -> np.ndarray:
    """A 0/1 mask of ``shape`` (a raster of ``box`` at ``k`` px per point) that is 1 over
    ``inner`` (points)."""
    out = np.zeros(shape, np.uint8)
    x0, y0 = max(0, int((inner[0] - box[0]) * k)), max(0, int((inner[1] - box[1]) * k))
    x1 = min(shape[1], int(math.ceil((inner[2] - box[0]) * k)))
    y1 = min(shape[0], int(math.ceil((inner[3] - box[1]) * k)))
    out[y0:y1, x0:x1] = 1
    return out


def _shifted(mask: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """``mask`` moved by (``dx``, ``dy``) pixels, 0 where nothing comes in."""
    h, w = mask.shape
    return cv2.warpAffine(mask, np.float32([[1, 0, dx], [0, 1, dy]]), (w, h),
                          flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def _on_sheet(box, sheet_pt: tuple[float, float]):
    """``box`` (points) cut to the sheet."""
    return (max(0.0, box[0]), max(0.0, box[1]), min(sheet_pt[0], box[2]),
            min(sheet_pt[1], box[3]))
