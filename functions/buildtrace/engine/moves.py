"""Moves: change regions that are one detail moved, not a removal and an addition.

A detail moved far (more than :data:`.regions.CLUSTER_GAP_PT`) leaves a removed region and
an added region whose ink matches (:func:`detect_moves`), often several of each: its tag,
leader and note cluster apart, and are merged into one move. A detail moved a short way
(a wall moved a few inches) leaves one region of red and green, found by a shift that
explains its ink (:func:`find_short_moves`).

Boxes are in PDF points of the new sheet, origin top-left, y down; a moved region's
``bbox`` is where the detail is and ``from_bbox`` where it was, in the same frame. Crops
(``old_crop(box)``, ``new_crop(box)``) are grayscale rasters of the aligned old sheet and of
the new sheet for a box, both at one DPI.
"""

from __future__ import annotations

import cv2
import numpy as np

from .components import components
from .drawing_set import Word
from .overlay import DEFAULT_TOLERANCE_PT, FAINT_INK_THRESHOLD, INK_THRESHOLD, compare_ink
from .rasters import disk_px
from .regions import (CLUSTER_GAP_PT, ChangeRegion, box_centre, box_gap, boxes_overlap,
                      grow_box, union_box)
from .text_diff import reading_order, same_letters

#: Removed and added ink of a moved detail match at least this well (correlation) ...
MOVE_MIN_CORRELATION = 0.8
#: ... or this well when another piece nearby moved by the same displacement and matches
#: its source by :data:`MOVE_MIN_CORRELATION` (:func:`_support`). Two parallel lines 13 pt
#: apart moved together, on a re-scan: the left line matched its source by 0.74 and the
#: right one by 0.94, so the left new line was paired with the right old one (0.94; any
#: line looks like any other) and the move was read as a move, a removal and an addition.
MOVE_MIN_SUPPORTED_CORRELATION = 0.7
#: A removal is matched against an addition over shifts of up to this (points) each way.
MOVE_SEARCH_PT = 3.0
#: Removals whose match with an addition scores within this of the best one are equally
#: good sources of a move; the nearest wins.
MOVE_TIE = 0.05
#: Pieces of one moved detail (its lines, its tag, its text: the clustering keeps apart
#: what lies more than :data:`CLUSTER_GAP_PT` apart) that moved by the same displacement,
#: within this (points) each way ...
MOVE_GROUP_TOL_PT = 3.0
#: ... and lie within this (points) of each other are one move, listed once.
MOVE_GROUP_GAP_PT = 72.0
#: A wall moved a few inches leaves its red and green closer than :data:`CLUSTER_GAP_PT`:
#: one region, "modified". When its removed ink, shifted by at most this (points) each way,
#: lies on its added ink, it moved (a short move) ...
SHORT_MOVE_PT = 2 * CLUSTER_GAP_PT
#: ... or by as far as the region reaches, up to this (points): a label 20 pt wide moved
#: 30 pt, or a door 36 pt wide moved 24 pt, leaves its two ends less than
#: :data:`CLUSTER_GAP_PT` apart (one region) and moved farther than :data:`SHORT_MOVE_PT`.
#: Both ends lie in the region, so it spans the move.
SHORT_MOVE_REACH_PT = 72.0
#: ... by at least this (points; less is within the overlay's tolerance twice over) ...
SHORT_MOVE_MIN_PT = 1.5
#: ... and at most this share of its removed or of its added ink is left unexplained by the
#: shift (a wall moved and a door added in it stays "modified") ...
SHORT_MOVE_MAX_LEFT = 0.1
#: ... nor this share of all the ink where the change is (lines cut where the moved part
#: ends stay behind: up to 0.3 measured on synth's nudges; a letter's strokes landing on
#: other letters do not make the word around them move).
SHORT_MOVE_MAX_LEFT_WHOLE = 0.35
#: Shifts tried for a short move: the best few at laying the removed ink on new ink and
#: the added ink on old ink.
SHORT_MOVE_TRIES = 8
#: Shifts whose specificity (the share of the removed ink landing on the added ink, plus
#: the other way round: 0..2) is within this step of each other count as equally specific.
SHORT_MOVE_SPECIFIC_STEP = 0.1


def detect_moves(regions: list[ChangeRegion], old_crop, new_crop) -> list[ChangeRegion]:
    """Merge a removed region and an added region whose ink matches into one ``moved``
    region, then the moved pieces of one detail into one (:func:`_one_change_per_move`).
    ``old_crop(bbox)``/``new_crop(bbox)`` return grayscale crops (same DPI) of the aligned
    old sheet and of the new sheet for a box in new-sheet points."""
    removed = [r for r in regions if r.kind == "removed" and not r.in_title_block]
    added = [r for r in regions if r.kind == "added" and not r.in_title_block]
    candidates = {id(a): _sources(a, removed, old_crop, new_crop) for a in added}
    used: set[str] = set()
    shifts: dict[int, np.ndarray] = {}  # id() of a moved region: how far it moved (points)
    for a in added:
        scored = [t for t in candidates[id(a)] if t[2].id not in used]
        # plain shapes (a line, a box) match several removals about equally well: the one
        # whose displacement most other additions nearby could share (the other sides of a
        # moved box) is the one that moved; of those, within MOVE_TIE of the best match,
        # the nearest. A weaker match (MOVE_MIN_SUPPORTED_CORRELATION) counts only so
        # shared.
        support = [_support(a, t, added, candidates) for t in scored]
        scored = [(t, n) for t, n in zip(scored, support)
                  if n > 0 or (t[0] >= MOVE_MIN_CORRELATION
                               and not _piece_of_an_addition(a, t, added, candidates))]
        if not scored:
            continue
        most = max(n for _t, n in scored)
        scored = [t for t, n in scored if n == most]
        top = max(t[0] for t in scored)
        tied = [t for t in scored if t[0] >= top - MOVE_TIE]
        # (a bare stroke: those nearest its length first, a stroke's only feature)
        off = [_stroke_length_off(a.bbox, t[2].bbox) for t in tied]
        _score, _dist, best, d = min(zip(tied, off), key=lambda to: (
            to[1] > min(off) + SAME_STROKE_PT, to[0][1]))[0]
        used.add(best.id)
        a.kind = "moved"
        a.from_bbox = best.bbox
        a.removed_pt2 = best.removed_pt2
        a.area_pt2 = a.added_pt2
        shifts[id(a)] = d
    left = _union_moves([r for r in regions if r.id not in used], shifts, old_crop, new_crop)
    return _one_change_per_move(left, shifts, old_crop, new_crop)


#: Pieces matched to nothing that lie within this (points) of each other are tried
#: together as one side of a move (:func:`_union_moves`) ...
MOVE_UNION_GAP_PT = 24.0
#: ... at most this many a side.
MOVE_UNION_MAX = 4


def _union_moves(regions: list[ChangeRegion], shifts: dict, old_crop, new_crop
                 ) -> list[ChangeRegion]:
    """Moves whose removed or added side broke into pieces, each too unlike the other side
    to match it alone: the two bars of a box left where its sides lay on other lines of the
    sheet, or a moved line cut by the ink it landed on. A group of pieces matched to
    nothing, chained within :data:`MOVE_UNION_GAP_PT`, is matched as one (their boxes'
    union, their ink summed: :func:`_alike`, :func:`_match` by at least
    :data:`MOVE_MIN_CORRELATION`) against one piece of the other side, best match first;
    each pair found becomes one ``moved`` region (its largest added piece, with the others'
    boxes and ink), its displacement added to ``shifts`` (by ``id()``). Not many against
    many: the paper between pieces matches paper, and two bars speckled on the old sheet
    (each matching its moved self by 0.72 only) matched as a pair by 0.95, two weak matches
    vouching for each other. Boxes: new-sheet points."""
    def unmatched(kind):
        return [r for r in regions if r.kind == kind and not r.in_title_block
                and not r.text_changes]

    def groups(pieces):
        return [[pieces[i] for i in g] for g in components(len(pieces), (
            (i, j) for i in range(len(pieces)) for j in range(i)
            if box_gap(pieces[i].bbox, pieces[j].bbox) <= MOVE_UNION_GAP_PT))
            if len(g) <= MOVE_UNION_MAX]

    found = []
    removed_groups = groups(unmatched("removed"))
    for ga in groups(unmatched("added")):
        new_box = union_box([r.bbox for r in ga])
        added_pt2 = sum(r.added_pt2 for r in ga)
        for gr in removed_groups:
            if min(len(ga), len(gr)) != 1 or len(ga) == len(gr):
                continue  # (one to one: matched alone already; many to many: see above)
            old_box = union_box([r.bbox for r in gr])
            removed_pt2 = sum(r.removed_pt2 for r in gr)
            least = _least_match(new_box, added_pt2, old_box, removed_pt2,
                                 MOVE_MIN_CORRELATION)
            if least is None:
                continue
            score, d = _match(old_box, new_box, old_crop, new_crop)
            if score >= least:
                found.append((score, ga, gr, new_box, old_box, added_pt2, removed_pt2, d))
    gone: set[int] = set()
    for _score, ga, gr, new_box, old_box, added_pt2, removed_pt2, d in sorted(
            found, key=lambda t: -t[0]):
        if any(id(r) in gone for r in ga + gr):
            continue
        head = max(ga, key=lambda r: r.added_pt2)
        gone.update(id(r) for r in ga + gr if r is not head)
        head.kind, head.bbox, head.from_bbox = "moved", new_box, old_box
        head.added_pt2, head.removed_pt2, head.area_pt2 = added_pt2, removed_pt2, added_pt2
        shifts[id(head)] = d
    return [r for r in regions if id(r) not in gone]


def find_short_moves(regions: list[ChangeRegion], old_crop, new_crop,
                     tolerance_pt: float = DEFAULT_TOLERANCE_PT) -> list[ChangeRegion]:
    """``modified`` regions that are one shape moved a short way (:func:`_short_move`) made
    ``moved`` (``bbox`` where it is, ``from_bbox`` where it was, new-sheet points), with the
    pieces of the move that clustered apart (:func:`_one_change_per_move`). Regions holding
    a text change (other letters after than before) stay ``modified``: a re-lettered word
    in about the same place is an edit, whatever its ink looks like. Crops as for
    :func:`detect_moves`; ``tolerance_pt``: the overlay's."""
    shifts: dict[int, np.ndarray] = {}
    for r in regions:
        if r.kind != "modified" or r.in_title_block or any(
                not same_letters(t.get("text_before"), t.get("text_after"))
                for t in r.text_changes):
            continue
        # the short reach first; a region that spans more tries as far as it spans
        found = _short_move(r.bbox, old_crop, new_crop, tolerance_pt, SHORT_MOVE_PT)
        reach = min(SHORT_MOVE_REACH_PT, max(r.bbox[2] - r.bbox[0], r.bbox[3] - r.bbox[1]))
        if found is None and reach > SHORT_MOVE_PT:
            found = _short_move(r.bbox, old_crop, new_crop, tolerance_pt, reach)
        if found is not None:
            r.kind, r.bbox, r.from_bbox = "moved", found[0], found[1]
            r.area_pt2 = r.added_pt2
            shifts[id(r)] = found[2]
    return _one_change_per_move(regions, shifts, old_crop, new_crop)


def _short_move(bbox, old_crop, new_crop, tolerance_pt: float, reach: float):
    """Whether the changed ink around ``bbox`` (new-sheet points) is one shape moved a short
    way: a shift (at most ``reach`` points each way; at least
    :data:`SHORT_MOVE_MIN_PT`) that carries the removed ink onto the new sheet's ink and
    takes the added ink back onto the old sheet's, leaving at most
    :data:`SHORT_MOVE_MAX_LEFT` of either (within ``tolerance_pt``), and does the same for
    all the ink in their boxes, changed or not, within :data:`SHORT_MOVE_MAX_LEFT_WHOLE`
    (of a wall moved by less than its thickness part of each line is unchanged ink, and it
    moves too). The shifts tried are the :data:`SHORT_MOVE_TRIES` that lay the most changed
    ink on ink, and those that also lay the most removed ink on added ink; of those that
    pass, the most specific (changed ink on changed ink) wins. Returns (where it is, where
    it was, the shift): one box (what moved: the removed ink and the added ink taken back)
    at both ends, in new-sheet points, and the shift in points; or None."""
    box = grow_box(bbox, reach)
    old, new = old_crop(box), new_crop(box)
    if old.shape != new.shape or old.size == 0:
        return None
    kx, ky = new.shape[1] / (box[2] - box[0]), new.shape[0] / (box[3] - box[1])  # px per pt
    masks = compare_ink(old, new, 72.0 * kx, tolerance_pt)
    removed, added = masks.removed.view(np.uint8), masks.added.view(np.uint8)
    n_rem, n_add = cv2.countNonZero(removed), cv2.countNonZero(added)
    if not n_rem or not n_add or not 0.25 < n_add / n_rem < 4.0:
        return None
    near = disk_px(tolerance_pt * max(kx, ky))
    old_ink = cv2.dilate((old < FAINT_INK_THRESHOLD).view(np.uint8), near)
    new_ink = cv2.dilate((new < FAINT_INK_THRESHOLD).view(np.uint8), near)
    rx, ry, rw, rh = cv2.boundingRect(removed)
    ax, ay, aw, ah = cv2.boundingRect(added)
    s = int(np.ceil(reach * max(kx, ky)))

    def overlap(ink, mask):  # per shift up to s px each way: share of the mask landing on ink
        return shift_scores(ink, mask, (0, 0), s)

    # shift d: removed ink moved by d on new ink, and added ink on old ink moved by d (the
    # second map is indexed by -d, hence flipped)
    scores = np.nan_to_num(overlap(new_ink, removed) + overlap(old_ink, added)[::-1, ::-1])
    # ... and how much of the removed ink lands on the added ink (and back): in hatching or
    # a block of text every shift lays ink on ink, but only the move lays the changed ink
    # on the changed ink (a label moved 30 pt past a tiled floor was found moved 42 pt
    # right and 34 pt down, onto the tiles)
    specific = np.nan_to_num(
        overlap(cv2.dilate(added, near), removed)
        + overlap(cv2.dilate(removed, near), added)[::-1, ::-1])
    # all ink where the change is, changed or not: a moved shape moves whole
    old_there = np.zeros_like(removed)
    old_there[ry:ry + rh, rx:rx + rw] = (old[ry:ry + rh, rx:rx + rw] < INK_THRESHOLD)
    new_there = np.zeros_like(added)
    new_there[ay:ay + ah, ax:ax + aw] = (new[ay:ay + ah, ax:ax + aw] < INK_THRESHOLD)
    n_old, n_new = cv2.countNonZero(old_there), cv2.countNonZero(new_there)
    h, w = removed.shape

    def left(mask, ink, m, n):  # share of ``mask`` moved by ``m`` not on ``ink``
        return cv2.countNonZero(cv2.subtract(cv2.warpAffine(mask, m, (w, h)), ink)) / n

    # the shifts tried: those laying the most ink on ink, and those laying the most changed
    # ink on changed ink; of those that explain the change, the most specific wins (then
    # the one leaving the least unexplained)
    tries = {int(f) for f in np.argsort(scores, axis=None)[::-1][:SHORT_MOVE_TRIES]}
    tries |= {int(f) for f in np.argsort(scores + specific, axis=None)[::-1][:SHORT_MOVE_TRIES]}
    best = None
    for flat in sorted(tries):
        y, x = np.unravel_index(flat, scores.shape)
        dx, dy = int(x) - s, int(y) - s  # pixels
        if np.hypot(dx / kx, dy / ky) < SHORT_MOVE_MIN_PT:
            continue
        shift = np.float32([[1, 0, dx], [0, 1, dy]])
        back = np.float32([[1, 0, -dx], [0, 1, -dy]])
        changed = max(left(removed, new_ink, shift, n_rem), left(added, old_ink, back, n_add))
        whole = max(left(old_there, new_ink, shift, n_old), left(new_there, old_ink, back, n_new))
        key = (-round(float(specific[y, x]) / SHORT_MOVE_SPECIFIC_STEP), changed, whole)
        if (changed <= SHORT_MOVE_MAX_LEFT and whole <= SHORT_MOVE_MAX_LEFT_WHOLE
                and (best is None or key < best[0])):
            best = (key, dx, dy)
    if best is None:
        return None
    _key, dx, dy = best

    def points(x0, y0, bw, bh):
        return (box[0] + x0 / kx, box[1] + y0 / ky, box[0] + (x0 + bw) / kx,
                box[1] + (y0 + bh) / ky)

    # what moved, the same box at both ends: the removed ink and the added ink taken back
    x0, y0 = min(rx, ax - dx), min(ry, ay - dy)
    x1, y1 = max(rx + rw, ax + aw - dx), max(ry + rh, ay + ah - dy)
    return (points(x0 + dx, y0 + dy, x1 - x0, y1 - y0), points(x0, y0, x1 - x0, y1 - y0),
            np.array([dx / kx, dy / ky]))


def shift_scores(ink: np.ndarray, mask: np.ndarray, centre: tuple[int, int], reach: int
                 ) -> np.ndarray:
    """For each shift within ``reach`` px each way of ``centre`` (dx, dy px), the share of
    ``mask``'s pixels (0/1 uint8) that land on ``ink`` when moved by it: a
    (2·reach + 1)² array whose [reach + dy - cy, reach + dx - cx] is shift (dx, dy); zeros
    for an empty mask."""
    x, y, w, h = cv2.boundingRect(mask)
    n = cv2.countNonZero(mask)
    side = 2 * reach + 1
    if not n:
        return np.zeros((side, side), np.float32)
    pad = reach + max(abs(centre[0]), abs(centre[1]))
    padded = cv2.copyMakeBorder(ink, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    x0, y0 = x + pad + centre[0] - reach, y + pad + centre[1] - reach
    around = padded[y0:y0 + h + 2 * reach, x0:x0 + w + 2 * reach]
    return cv2.matchTemplate(around.astype(np.float32), mask[y:y + h, x:x + w].astype(np.float32),
                             cv2.TM_CCORR) / n


def _sources(a: ChangeRegion, removed: list[ChangeRegion], old_crop, new_crop) -> list:
    """The removals an addition may have moved from: (score, distance, removal,
    displacement), each of a similar size and ink area (within a ratio, or 2 pt: a thin
    bar's box is 3 or 4 pt wide as it falls on the map's cells) whose ink matches
    (:func:`_match`) by at least :data:`MOVE_MIN_SUPPORTED_CORRELATION` (those under
    :data:`MOVE_MIN_CORRELATION` count only with :func:`_support`); or less alike in ink
    (:data:`LOOSE_INK_RATIO`) matching by :data:`MOVE_LOOSE_CORRELATION`."""
    out = []
    for r in removed:
        least = _least_match(a.bbox, a.added_pt2, r.bbox, r.removed_pt2,
                             MOVE_MIN_SUPPORTED_CORRELATION)
        if least is None:
            continue
        score, d = _match(r.bbox, a.bbox, old_crop, new_crop)
        if (score < MOVE_MIN_CORRELATION and _side(a.bbox) >= CARRIED_MIN_SIDE_PT
                and _alike_boxes(a.bbox, a.added_pt2, r.bbox, r.removed_pt2) and
                _carried(a.bbox, d, old_crop, new_crop)
                and _carried_away(r.bbox, d, old_crop, new_crop)):
            score = max(score, MOVE_MIN_CORRELATION)  # a selection moved: see _carried_away
        if score >= least:
            out.append((score, _distance(r.bbox, a.bbox), r, d))
    return out


#: Regions at least this (points) across both ways may be matched as a selection moved
#: (:func:`_carried_away`): a glyph's ink, grown by a pixel, covers most of any other glyph
#: (a "倍" left where a label was matched a "潤" retyped elsewhere).
CARRIED_MIN_SIDE_PT = 12.0


def _side(box) -> float:
    """The shorter side of a box (points)."""
    return min(box[2] - box[0], box[3] - box[1])


def _carried_away(old_box, d, old_crop, new_crop) -> bool:
    """Does the ink that left ``old_box`` (new-sheet points: the old sheet's ink there
    that the new sheet has not, faint ink and a pixel's margin counted) lie on the new
    sheet's ink at ``old_box`` plus ``d`` (points), to :data:`CARRIED_SHARE`?

    With :func:`_carried` (what is at the new place was at the old one), the two sides of
    a CAD selection moved: lines that crossed the selection window stay where it was, so
    the old place holds more than what moved and its ink correlates with the new place's
    loosely (0.74 for a north arrow moved without its long needles), yet each side is
    wholly explained by the other."""
    left = _changed_ink(old_crop(old_box), new_crop(old_box), INK_THRESHOLD)
    if left is None:
        return False
    around = new_crop(grow_box(_shifted(old_box, d), CARRIED_SEARCH_PT))
    return _share_on(left, around) >= CARRIED_SHARE


#: A pair of regions unlike in ink (:func:`_alike`) may still be one detail moved when its
#: added ink is between these times its removed ink ...
LOOSE_INK_RATIO = (0.5, 2.0)
#: ... and its two sides match by at least this. A harsh re-scan draws thin strokes
#: lighter, and a detail that landed on ink already there (or left some behind) loses
#: changed ink where the two coincide: two moves on harsh re-scans of the site plan kept
#: 0.52 and 0.59 of their ink added, and matched by 0.90-0.93.
MOVE_LOOSE_CORRELATION = 0.9


def _least_match(a, added_pt2: float, r, removed_pt2: float, alike_needs: float
                 ) -> float | None:
    """The least match (:func:`_match`) an added box ``a`` holding ``added_pt2`` of changed
    ink and a removed box ``r`` holding ``removed_pt2`` (points, pt²) need to be one detail
    moved: ``alike_needs`` when they are alike (:func:`_alike_boxes`),
    :data:`MOVE_LOOSE_CORRELATION` when alike only within :data:`LOOSE_INK_RATIO`; None
    when not even that."""
    if _alike_boxes(a, added_pt2, r, removed_pt2):
        return alike_needs
    if _alike_boxes(a, added_pt2, r, removed_pt2, LOOSE_INK_RATIO):
        return MOVE_LOOSE_CORRELATION
    return None


def _alike(added: ChangeRegion, removed: ChangeRegion, ink_ratio=(0.7, 1.4)) -> bool:
    """Could ``removed`` be where ``added`` was: boxes of a similar size (within a ratio, or
    2 pt: a thin bar's box is 3 or 4 pt wide as it falls on the map's cells) and ink areas
    within ``ink_ratio`` (added over removed)?"""
    return _alike_boxes(added.bbox, added.added_pt2, removed.bbox, removed.removed_pt2,
                        ink_ratio)


def _alike_boxes(a, added_pt2: float, r, removed_pt2: float, ink_ratio=(0.7, 1.4)) -> bool:
    """:func:`_alike` for an added box ``a`` holding ``added_pt2`` of ink and a removed box
    ``r`` holding ``removed_pt2`` (points, pt²)."""
    def similar(x: float, y: float) -> bool:
        return abs(x - y) <= 2.0 or 0.8 < (x + 1) / (y + 1) < 1.25

    return (similar(a[2] - a[0], r[2] - r[0]) and similar(a[3] - a[1], r[3] - r[1])
            and ink_ratio[0] < added_pt2 / max(removed_pt2, 1e-6) < ink_ratio[1])


#: Moved texts on one line whose words moved by the same displacement, within this
#: (points: word boxes are exact), ...
TEXT_SAME_SHIFT_PT = 0.5
#: ... and lie within this (points) of each other are one label moved (its words spaced
#: out along the line: "準 … 倍", 130 pt apart, farther than :data:`MOVE_GROUP_GAP_PT`).
TEXT_LINE_GAP_PT = 216.0
#: A moved text's two regions (:func:`join_moved_texts`) may differ this much in changed ink
#: (added over removed): a label moved onto other ink adds only the strokes that landed on
#: paper (a label moved onto a window tag added 0.46 of the ink it removed).
MOVED_TEXT_INK_RATIO = (0.25, 4.0)


def join_moved_texts(regions: list[ChangeRegion], old_crop=None, new_crop=None
                     ) -> list[ChangeRegion]:
    """The regions of a text that moved (:mod:`.text_diff`: the same words removed and
    added, ``from_bbox`` where they were) made one ``moved`` region: the ``added`` (or
    already ``moved``) regions holding moved texts that share a displacement (within
    :data:`MOVE_GROUP_TOL_PT`, within :data:`MOVE_GROUP_GAP_PT` of each other: the words of
    one label) and nothing else, and the ``removed`` regions where those texts were, when
    the two sides are alike (:func:`_alike`). A label moved across its room is drawn at
    another fraction of a pixel, and its small glyphs then match too loosely for
    :func:`detect_moves`; its text says it moved. With the crops (as for
    :func:`detect_moves`), a label whose two sides are not alike is still a move when its
    new ink lies on the old sheet's ink where its words were (:func:`_carried`,
    :data:`CARRIED_SHARE`): a CAD selection moved with its text, whose old place
    clustered in pieces around lines that stayed; the removed regions inside its old place
    are then its source. Regions' text changes must be attached (boxes: new-sheet points)."""
    def shift(t) -> np.ndarray:
        return np.subtract(box_centre(t["bbox"]), box_centre(t["from_bbox"]))

    hosts = [r for r in regions if r.kind in ("added", "moved") and not r.in_title_block
             and r.text_changes
             and all(t["kind"] == "moved" and t.get("from_bbox") for t in r.text_changes)
             and np.ptp([shift(t) for t in r.text_changes], axis=0).max() <= MOVE_GROUP_TOL_PT]
    d = [np.mean([shift(t) for t in r.text_changes], axis=0) for r in hosts]
    for r, dr in zip(hosts, d):
        # a region whose ink was found moved by another displacement than its words: the
        # words are exact; the ink matched a look-alike (a label "X(n+1)-X(n-1)" moved
        # 44 pt was found moved 18 pt, its ink shifted a few letters along lying on itself)
        if r.kind == "moved" and r.from_bbox is not None and np.abs(np.subtract(
                box_centre(r.bbox), box_centre(r.from_bbox)) - dr).max() > MOVE_GROUP_TOL_PT:
            r.from_bbox = (r.bbox[0] - dr[0], r.bbox[1] - dr[1], r.bbox[2] - dr[0],
                           r.bbox[3] - dr[1])
    gone: set[int] = set()
    # removed regions where several labels were, each moved apart: id() -> id()s of the
    # moved texts whose old places they hold; gone once all of those are moves
    shared: dict[int, set[int]] = {}
    covered: set[int] = set()  # id()s of the moved texts made moves
    all_texts = [t for r in hosts for t in r.text_changes]

    def one_line(i: int, j: int) -> bool:  # words of one label, spaced out along its line
        a, b = hosts[i].bbox, hosts[j].bbox
        overlap = min(a[3], b[3]) - max(a[1], b[1])
        return (overlap >= 0.5 * min(a[3] - a[1], b[3] - b[1])
                and np.abs(d[i] - d[j]).max() <= TEXT_SAME_SHIFT_PT
                and box_gap(a, b) <= TEXT_LINE_GAP_PT)

    for members in _moving_together([r.bbox for r in hosts], d, one_line):
        added = [hosts[i] for i in members]
        places = [t["from_bbox"] for r in added for t in r.text_changes]
        was = [q for q in regions if q.kind == "removed" and id(q) not in gone
               and not q.in_title_block and not q.text_changes
               and any(boxes_overlap(q.bbox, p) for p in places)]
        moved = [r for r in added if r.kind == "moved"]  # by their ink already
        if not (was or moved) or (not was and len(added) < 2):
            continue  # nowhere it came from, or one region moved already
        joined = ChangeRegion("", "added", union_box([r.bbox for r in added]), 0.0, 0.0,
                              sum(r.added_pt2 for r in added))
        source = ChangeRegion("", "removed", union_box([q.bbox for q in was]
                                                    + [r.from_bbox for r in moved]), 0.0,
                              sum(q.removed_pt2 for q in was + moved), 0.0)
        texts = [t for r in added for t in r.text_changes]
        ratio = joined.added_pt2 / max(source.removed_pt2, 1e-6)
        if _alike(joined, source, MOVED_TEXT_INK_RATIO):
            now_box, was_box = joined.bbox, source.bbox
        elif (MOVED_TEXT_INK_RATIO[0] < ratio < MOVED_TEXT_INK_RATIO[1]
              and _on_places([joined.bbox, source.bbox], texts)):
            # the label's ink cut otherwise than its words (moved onto a line, part of it
            # lies on ink; moved by about its width, its tail clustered with where it was):
            # the changed ink lies on the words' two places, and those say where it is and
            # where it was
            now_box = union_box([joined.bbox] + [t["bbox"] for t in texts])
            was_box = union_box([t["from_bbox"] for t in texts])
        elif (was and not moved and _on_places([joined.bbox], texts, ("bbox",))
              and _on_places([q.bbox for q in was], all_texts, ("from_bbox",))):
            # one removal where several labels were, each moved its own way ("ＬＤＫ" over
            # "（15.8帖）", the two lines of a room's name, moved apart): each label is a
            # move from its own words' place, with its share of the removed ink
            now_box = union_box([joined.bbox] + [t["bbox"] for t in texts])
            was_box = union_box([t["from_bbox"] for t in texts])
            there = [t for t in all_texts
                     if any(boxes_overlap(q.bbox, t["from_bbox"]) for q in was)]
            source.removed_pt2 *= (sum(_area(t["from_bbox"]) for t in texts)
                                   / max(1e-6, sum(_area(t["from_bbox"]) for t in there)))
            for q in was:
                shared[id(q)] = {id(t) for t in there if boxes_overlap(q.bbox, t["from_bbox"])}
        elif old_crop is not None and not moved and _carried(
                joined.bbox, label_d := np.mean([d[i] for i in members], axis=0), old_crop,
                new_crop):
            # the ink moved with the words, whatever its pieces: the words' displacement
            # says where it was, and the removals there were it
            now_box = joined.bbox
            was_box = _shifted(now_box, -label_d)
            place = grow_box(was_box, MOVE_SEARCH_PT)
            was = [q for q in regions if q.kind == "removed" and id(q) not in gone
                   and not q.in_title_block and not q.text_changes
                   and _box_within(q.bbox, place)]
            if not was:
                continue
            source.removed_pt2 = sum(q.removed_pt2 for q in was)
        else:
            continue
        # a view moved as a whole (:mod:`.moved_views`) stays the change the others join:
        # it keeps its shift (a plan view's labels clustered apart, joined to a label's
        # region, left a "moved" change with no view)
        head = next((r for r in added if r.view_shift_pt is not None), added[0])
        added.remove(head)
        added.insert(0, head)
        head.kind, head.bbox, head.from_bbox = "moved", now_box, was_box
        head.removed_pt2, head.added_pt2 = source.removed_pt2, joined.added_pt2
        head.area_pt2 = head.added_pt2
        words = [Word(t["text_after"] or "", tuple(t["bbox"])) for t in texts]
        text_of = {id(w): t for w, t in zip(words, texts)}
        head.text_changes = [text_of[id(w)] for w in reading_order(words)]
        head.text_before = " | ".join(t["text_before"] for t in head.text_changes)
        head.text_after = " | ".join(t["text_after"] for t in head.text_changes)
        gone.update(id(r) for r in added[1:])
        gone.update(id(q) for q in was if id(q) not in shared)
        covered.update(id(t) for t in texts)
    # a removal several labels shared goes when every one of them moved (else it stays, and
    # says where the others were)
    gone.update(q for q, ids in shared.items() if ids <= covered)
    return _with_untexted_pieces([r for r in regions if id(r) not in gone])


#: A label's words moved by one displacement carry the ink around them (a CAD selection
#: moved) when this share of the new ink where they are lies on old ink (grown by a pixel)
#: where they were (:func:`_carried`) ...
CARRIED_SHARE = 0.9
#: ... searched within this (points) each way of the words' displacement (word boxes are
#: exact; the crops round to whole pixels).
CARRIED_SEARCH_PT = 1.0


def _carried(now_box, d, old_crop, new_crop) -> bool:
    """Does the new sheet's ink at ``now_box`` (new-sheet points) lie on the old sheet's at
    ``now_box`` less ``d`` (points; its faint ink too, grown by a pixel), to
    :data:`CARRIED_SHARE`? A share, not a correlation:
    lines that crossed the selection stay where it was, and the old place holds more than
    what moved, which a correlation counts against it (0.74-0.76 for a window tag moved
    with its walls' stubs)."""
    around = old_crop(grow_box(_shifted(now_box, -np.asarray(d)), CARRIED_SEARCH_PT))
    return _share_on(new_crop(now_box) < INK_THRESHOLD, around) >= CARRIED_SHARE


def _grown_ink(crop: np.ndarray) -> np.ndarray:
    """The ink of a grayscale crop, faint ink too (a thin line falls on other fractions of
    a pixel at each place), grown by a pixel: 0/1 uint8."""
    return cv2.dilate((crop < FAINT_INK_THRESHOLD).astype(np.uint8), np.ones((3, 3), np.uint8))


def _share_on(mask: np.ndarray, around: np.ndarray) -> float:
    """The largest share of ``mask``'s pixels (bool) that lie on :func:`_grown_ink` of
    ``around`` (a grayscale crop at least as large, same DPI) at any placement within it;
    0 for an empty mask or a smaller ``around``."""
    return _share_at(mask, around)[0]


def _share_at(mask: np.ndarray, around: np.ndarray) -> tuple[float, tuple[int, int]]:
    """:func:`_share_on` and the placement it was found at: the pixel (x, y) of ``around``
    that ``mask``'s top-left pixel lies on ((0, 0) when there is none)."""
    n = float(mask.sum())
    if n == 0 or around.shape[0] < mask.shape[0] or around.shape[1] < mask.shape[1]:
        return 0.0, (0, 0)
    on = cv2.matchTemplate(_grown_ink(around).astype(np.float32), mask.astype(np.float32),
                           cv2.TM_CCORR)
    _lo, hi, _at_lo, at = cv2.minMaxLoc(on)
    return float(hi) / n, at


def _with_untexted_pieces(regions: list[ChangeRegion]) -> list[ChangeRegion]:
    """Moved labels (``moved`` regions whose texts all moved by one displacement) with the
    pieces of them the text layer does not hold: a "(㎡)" drawn apart from its words, moved
    with them. A ``moved`` region without texts that moved by the label's displacement
    (within :data:`MOVE_GROUP_TOL_PT`, by its boxes' centres), or an ``added`` region and a
    ``removed`` one alike (:func:`_alike`) that far apart, each side near the label's own
    (within :data:`MOVE_GROUP_GAP_PT`, or on its line within :data:`TEXT_LINE_GAP_PT`),
    become part of it. Boxes: new-sheet points."""
    def shift(box, from_box) -> np.ndarray:
        return np.subtract(box_centre(box), box_centre(from_box))

    def near(box, label_box) -> bool:  # beside the label, or along its line
        overlap = min(box[3], label_box[3]) - max(box[1], label_box[1])
        gap = box_gap(box, label_box)
        return gap <= MOVE_GROUP_GAP_PT or (
            overlap >= 0.5 * min(box[3] - box[1], label_box[3] - label_box[1])
            and gap <= TEXT_LINE_GAP_PT)

    gone: set[int] = set()
    for head in regions:
        texts = head.text_changes
        if (head.kind != "moved" or head.in_title_block or not texts or head.from_bbox is None
                or id(head) in gone
                or not all(t["kind"] == "moved" and t.get("from_bbox") for t in texts)):
            continue
        shifts = [shift(t["bbox"], t["from_bbox"]) for t in texts]
        if np.ptp(shifts, axis=0).max() > MOVE_GROUP_TOL_PT:
            continue
        d = np.mean(shifts, axis=0)
        loose = [r for r in regions if r is not head and id(r) not in gone
                 and not r.text_changes and not r.in_title_block]
        moved_alike = [r for r in loose if r.kind == "moved" and r.from_bbox is not None
                       and np.abs(shift(r.bbox, r.from_bbox) - d).max() <= MOVE_GROUP_TOL_PT
                       and near(r.bbox, head.bbox)]
        view = next((r for r in moved_alike if r.view_shift_pt is not None), None)
        if view is not None:
            # a label moved with a view moved as a whole (:mod:`.moved_views`) is part of
            # the view, which keeps its shift (as a piece of the label, the view was lost)
            view.take_in(head)
            gone.add(id(head))
            continue
        pieces = moved_alike
        # ... and what lies on the label's own places: its ink, cut apart from its words'
        # regions (an added piece within where it is, a removed one within where it was)
        for r in loose:
            if r.kind in ("added", "removed") and _on_places(
                    [r.bbox], texts, ("bbox",) if r.kind == "added" else ("from_bbox",)):
                as_moved = ChangeRegion("", "moved", r.bbox if r.kind == "added" else head.bbox,
                                        0.0, r.removed_pt2, r.added_pt2,
                                        from_bbox=r.bbox if r.kind == "removed" else head.from_bbox)
                pieces.append(as_moved)
                gone.add(id(r))
        loose = [r for r in loose if id(r) not in gone]
        removed = [r for r in loose if r.kind == "removed" and near(r.bbox, head.from_bbox)]
        for a in (r for r in loose if r.kind == "added" and near(r.bbox, head.bbox)):
            twin = next((q for q in removed if id(q) not in gone and _alike(a, q)
                         and np.abs(shift(a.bbox, q.bbox) - d).max() <= MOVE_GROUP_TOL_PT),
                        None)
            if twin is not None:
                gone.add(id(twin))
                pieces.append(ChangeRegion("", "moved", a.bbox, a.added_pt2, twin.removed_pt2,
                                           a.added_pt2, from_bbox=twin.bbox))
                gone.add(id(a))
        for r in pieces:
            gone.add(id(r))
            head.take_in(r)
        head.area_pt2 = head.added_pt2
    return [r for r in regions if id(r) not in gone]


#: Changed ink within this (points) of a moved text's two places is the text's
#: (:func:`_on_places`): a glyph's ink reaches a little past its word's box.
TEXT_PLACE_PAD_PT = 2.0


def _on_places(boxes: list, texts: list[dict], which=("bbox", "from_bbox")) -> bool:
    """Do ``boxes`` (points) each lie within one of the moved ``texts``' places (``which``:
    where a text is, ``bbox``, and where it was, ``from_bbox``; grown by
    :data:`TEXT_PLACE_PAD_PT`), or within two of them that touch (a label moved by about
    its width)?"""
    places = [grow_box(t[k], TEXT_PLACE_PAD_PT) for t in texts for k in which]
    spans = places + [union_box([a, b]) for i, a in enumerate(places) for b in places[:i]
                      if boxes_overlap(a, b)]
    return all(any(_box_within(b, p) for p in spans) for b in boxes)


def _box_within(a, b) -> bool:
    """Is box ``a`` wholly inside box ``b``?"""
    return b[0] <= a[0] and b[1] <= a[1] and a[2] <= b[2] and a[3] <= b[3]


def _moving_together(boxes: list, shifts: list, also=None) -> list[list[int]]:
    """Groups (lists of indices) of boxes (new-sheet points) whose shifts (points) agree
    within :data:`MOVE_GROUP_TOL_PT` and that lie within :data:`MOVE_GROUP_GAP_PT` of each
    other, or for which ``also(i, j)`` holds, chained: the pieces of one moved detail."""
    return components(len(boxes), (
        (i, j) for i in range(len(boxes)) for j in range(i)
        if (np.abs(np.subtract(shifts[i], shifts[j])).max() <= MOVE_GROUP_TOL_PT
            and box_gap(boxes[i], boxes[j]) <= MOVE_GROUP_GAP_PT)
        or (also is not None and also(i, j))))


#: A removal and an addition that are each a bare stroke (a box at most this many points
#: across one way: a piece of a line) ...
PLAIN_SIDE_PT = 3.0
#: ... farther apart than this (points) ...
PLAIN_MOVE_MAX_PT = 72.0
#: ... are no move when other added ink lies within this (points) of the addition that did
#: not move with it (:func:`_piece_of_an_addition`).
PLAIN_COMPANY_PT = MOVE_UNION_GAP_PT


#: Of the removals an addition matches about equally well (:data:`MOVE_TIE`), strokes (at
#: most :data:`STROKE_SIDE_PT` across) within this (points) of the length nearest the
#: addition's come first, the nearest of those: a straight stroke matches every other of
#: about its length about equally well. A 52 pt line moved 143 pt on a harsh re-scan
#: (0.957 against its old place, 49 pt long) was matched to a 43 pt one erased nearer
#: (0.93), and its old place reported removed.
SAME_STROKE_PT = 2.0
#: ... a stroke's box being at most this (points) across: a thin bar's box is 3 or 4 pt
#: wide as it falls on the change map's cells.
STROKE_SIDE_PT = 5.0


def _stroke_length_off(a, b) -> float:
    """How far apart (points) the lengths of boxes ``a`` and ``b`` are, when both are
    strokes (:data:`STROKE_SIDE_PT`); 0 otherwise."""
    if max(_side(a), _side(b)) > STROKE_SIDE_PT:
        return 0.0
    return abs(max(a[2] - a[0], a[3] - a[1]) - max(b[2] - b[0], b[3] - b[1]))


def _piece_of_an_addition(a: ChangeRegion, candidate, added: list[ChangeRegion],
                          candidates: dict) -> bool:
    """Is ``candidate`` (a :func:`_sources` entry of ``a``) a bare stroke matched to a bare
    stroke far away (:data:`PLAIN_MOVE_MAX_PT`) while ``a`` has other added ink beside it
    (:data:`PLAIN_COMPANY_PT`) that no source at that displacement matches even loosely
    (:data:`MOVE_MIN_SUPPORTED_CORRELATION`)? Then ``a`` is a stroke of a detail drawn
    there, and a straight stroke matches every other of its length: a wall line cut back by
    12 pt was read as moved 320 pt onto a line of a detail copied there (a CAD revision). A
    stroke moved alone, or with the rest of its detail, stays a move."""
    if not (_side(a.bbox) <= PLAIN_SIDE_PT and _side(candidate[2].bbox) <= PLAIN_SIDE_PT
            and candidate[1] > PLAIN_MOVE_MAX_PT):
        return False
    d = np.subtract(box_centre(a.bbox), box_centre(candidate[2].bbox))
    return any(other is not a and box_gap(other.bbox, a.bbox) <= PLAIN_COMPANY_PT
               and not _moved_by(other, d, candidates, MOVE_MIN_SUPPORTED_CORRELATION)
               for other in added)


def _support(a: ChangeRegion, candidate, added: list[ChangeRegion], candidates: dict) -> int:
    """How many other additions within :data:`MOVE_GROUP_GAP_PT` of ``a`` could have moved
    by the displacement of ``candidate`` (a :func:`_sources` entry of ``a``), each from
    another removal it matches by :data:`MOVE_MIN_CORRELATION`: the pieces of one moved
    detail share their displacement."""
    d = np.subtract(box_centre(a.bbox), box_centre(candidate[2].bbox))
    return sum(other is not a and box_gap(other.bbox, a.bbox) <= MOVE_GROUP_GAP_PT
               and _moved_by(other, d, candidates, MOVE_MIN_CORRELATION, candidate[2])
               for other in added)


def _moved_by(a: ChangeRegion, d, candidates: dict, least: float, besides=None) -> bool:
    """Could the addition ``a`` have moved by ``d`` (points; between boxes' centres, within
    :data:`MOVE_GROUP_TOL_PT`) from one of its sources (:func:`_sources`, in
    ``candidates`` by ``id()``) matching by at least ``least``, other than ``besides``?"""
    return any(t[2] is not besides and t[0] >= least
               and np.abs(np.subtract(box_centre(a.bbox), box_centre(t[2].bbox))
                          - d).max() <= MOVE_GROUP_TOL_PT
               for t in candidates[id(a)])


def _match(old_box, new_box, old_crop, new_crop) -> tuple[float, np.ndarray]:
    """How well the old sheet's ink in ``old_box`` and the new sheet's in ``new_box`` match,
    both ways round (:func:`_ink_match_at`, each box's ink sought in the other grown by
    :data:`MOVE_SEARCH_PT`; the lower score, as a shape found inside a longer look-alike
    matches one way only), and how far (points, x and y) the ink of ``new_box`` moved from
    where it was found. That displacement is not the shift between the boxes' centres: a
    removal's cluster may hold more than what moved (a piece beside it whose other end
    clustered apart)."""
    around_box = grow_box(old_box, MOVE_SEARCH_PT)
    around = old_crop(around_box)
    one_way, at = _ink_match_at(around, new_crop(new_box))
    other_way = _ink_match(new_crop(grow_box(new_box, MOVE_SEARCH_PT)), old_crop(old_box))
    return min(one_way, other_way), new_box[:2] - _point_at(around_box, around, at)


def _point_at(box, crop: np.ndarray, at: tuple[int, int]) -> np.ndarray:
    """The point (x, y, points) where pixel ``at`` (x, y) of ``crop``, a crop of ``box``
    (points), begins."""
    kx = crop.shape[1] / max(1e-9, box[2] - box[0])  # crop px per point
    ky = crop.shape[0] / max(1e-9, box[3] - box[1])
    return np.array([box[0] + at[0] / kx, box[1] + at[1] / ky])


def _one_change_per_move(regions: list[ChangeRegion], moved_by: dict, old_crop, new_crop
                         ) -> list[ChangeRegion]:
    """Moved pieces of one detail merged into one ``moved`` region.

    A moved detail is often several regions (a tag, its leader, a note under it, farther
    apart than :data:`CLUSTER_GAP_PT`), each matched to its own source: a project manager
    would read three moves where one detail moved. Moved regions whose displacements agree
    within :data:`MOVE_GROUP_TOL_PT` and that lie within :data:`MOVE_GROUP_GAP_PT` of each
    other become one. A piece matched to no source (an added sliver too unlike any
    removal, or a removal whose ink joined another cluster on one side only) joins the
    move near it when its ink is found displaced by the move's displacement: an added
    piece on the old sheet there, a removed one on the new sheet there; or when it lies
    wholly inside the move's box on its side (:data:`INSIDE_MOVE_PAD_PT`). Boxes: new-sheet
    points; a moved region's ``from_bbox`` is where it was, in the same frame;
    ``moved_by``: each moved region's displacement (points), by ``id()``."""
    moved = [r for r in regions if id(r) in moved_by and not r.text_changes]
    if not moved:
        return regions
    shifts = [moved_by[id(r)] for r in moved]
    groups = _moving_together([r.bbox for r in moved], shifts)
    gone: set[int] = set()  # id() of regions merged into another
    # (regions with text changes stay themselves: their text is listed with them)
    loose = [r for r in regions if r.kind in ("added", "removed") and not r.in_title_block
             and not r.text_changes]
    for members in groups:
        head = moved[members[0]]
        d = np.mean([shifts[i] for i in members], axis=0)
        pieces = [moved[i] for i in members]
        new_box = union_box([p.bbox for p in pieces])
        old_box = union_box([p.from_bbox for p in pieces])
        added_extra, removed_extra = [], []
        grew = True
        while grew:  # a piece taken in widens the boxes the next one may fall in
            grew = False
            for r in loose:
                if id(r) in gone or not (
                        _box_within(r.bbox, grow_box(new_box if r.kind == "added" else old_box,
                                                     INSIDE_MOVE_PAD_PT))
                        or _joins(r, d, new_box, old_box, old_crop, new_crop)):
                    continue
                gone.add(id(r))
                grew = True
                if r.kind == "added":
                    added_extra.append(r)
                    new_box = union_box([new_box, r.bbox])
                else:
                    removed_extra.append(r)
                    old_box = union_box([old_box, r.bbox])
        if len(pieces) == 1 and not added_extra and not removed_extra:
            continue
        gone.update(id(p) for p in pieces[1:])
        head.bbox, head.from_bbox = new_box, old_box
        head.added_pt2 = sum(p.added_pt2 for p in pieces + added_extra)
        head.removed_pt2 = sum(p.removed_pt2 for p in pieces + removed_extra)
        head.area_pt2 = head.added_pt2
    return [r for r in regions if id(r) not in gone]


#: An added piece within this (points) of a move's box where it is, or a removed one of
#: its box where it was, wholly inside, is part of the move: what it drew there, or what
#: was there (a sliver of a line the move cut, 7×1 pt, too thin to match its other end).
INSIDE_MOVE_PAD_PT = 1.0


def _joins(r: ChangeRegion, d, new_box, old_box, old_crop, new_crop) -> bool:
    """Whether a loose added or removed region is a piece of the move by ``d`` (points)
    from ``old_box`` to ``new_box``: it lies within :data:`MOVE_GROUP_GAP_PT` of the move
    on its side, its other end (displaced by ``d``) lies as near the move on the other side,
    and its ink is found at that other end (:func:`_match`, both ways round, so a
    look-alike inside larger ink does not count); or, failing that, its changed ink left
    one end and arrived at the other (:func:`_carried_piece`)."""
    if r.kind == "added":  # where it is, and where it came from
        there, near, far = _shifted(r.bbox, -np.asarray(d)), new_box, old_box
        was, now = there, r.bbox
    else:  # where it was, and where it went
        there, near, far = _shifted(r.bbox, d), old_box, new_box
        was, now = r.bbox, there
    if box_gap(r.bbox, near) > MOVE_GROUP_GAP_PT or box_gap(there, far) > MOVE_GROUP_GAP_PT:
        return False
    if _match(was, now, old_crop, new_crop)[0] >= MOVE_MIN_CORRELATION:
        return True
    # a piece of a CAD selection whose old place keeps lines that crossed it (a tag's
    # leader moved across a wall that stayed: 0.39 by correlation)
    return _carried_piece(r, d, old_crop, new_crop)


#: A piece joins a move by :func:`_carried_piece` only with at least this many pixels of
#: changed ink on each side (crop pixels: at the crops' 100 DPI, 1.5 pt of a thin line).
CARRIED_PIECE_MIN_PX = 3


def _carried_piece(r: ChangeRegion, d, old_crop, new_crop) -> bool:
    """Whether the changed ink of a loose piece ``r`` (faint ink too: a thin CAD line is
    light at the crops' DPI) lies on the other sheet's ink near ``r.bbox`` moved by ``d``
    (points, searched :data:`MOVE_SEARCH_PT` each way: the move's displacement may be off
    by a few points, its two sides clustered otherwise), and the changed ink found there
    lies on this sheet's ink at ``r.bbox``, each to :data:`CARRIED_SHARE`: ink that left one
    place and arrived at the other. A share, not a correlation: lines that stay at either
    place (a wall the piece crossed) do not count against it."""
    if r.kind == "added":
        mine_crop, other_crop, d = new_crop, old_crop, -np.asarray(d)
    else:
        mine_crop, other_crop, d = old_crop, new_crop, np.asarray(d)
    mine = _changed_ink(mine_crop(r.bbox), other_crop(r.bbox))
    if mine is None or mine.sum() < CARRIED_PIECE_MIN_PX:
        return False
    share, found = _placed(mine, r.bbox, other_crop, d)
    if share < CARRIED_SHARE:
        return False
    there = _shifted(r.bbox, found)
    theirs = _changed_ink(other_crop(there), mine_crop(there))
    return (theirs is not None and theirs.sum() >= CARRIED_PIECE_MIN_PX and _share_on(
        theirs, mine_crop(grow_box(r.bbox, CARRIED_SEARCH_PT))) >= CARRIED_SHARE)


def _changed_ink(here: np.ndarray, there: np.ndarray, level: int = FAINT_INK_THRESHOLD
                 ) -> np.ndarray | None:
    """The ink of ``here`` (a grayscale crop; darker than ``level``: faint ink too unless
    told) that ``there`` (the other sheet's crop of the same box) lacks within a pixel
    (:func:`_grown_ink`): a bool mask, None when the crops differ in shape."""
    if here.shape != there.shape:
        return None
    return (here < level) & (_grown_ink(there) == 0)


def _placed(mask: np.ndarray, box, crop, d) -> tuple[float, np.ndarray]:
    """Where ``mask`` (a crop of ``box``, new-sheet points) lies best on the ink of the
    other sheet (``crop``) around ``box`` plus ``d`` (points, searched
    :data:`MOVE_SEARCH_PT` each way): the share of it lying on ink (:func:`_share_at`)
    and the displacement (points) it was found at."""
    around_box = grow_box(_shifted(box, d), MOVE_SEARCH_PT)
    around = crop(around_box)
    share, at = _share_at(mask, around)
    return share, _point_at(around_box, around, at) - box[:2]


def _area(box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def _shifted(box, d) -> tuple[float, float, float, float]:
    return (box[0] + d[0], box[1] + d[1], box[2] + d[0], box[3] + d[1])


def _distance(a, b) -> float:
    """Distance between the centres of two boxes (points)."""
    return float(np.hypot(*np.subtract(box_centre(a), box_centre(b))))


def _ink_match(around: np.ndarray, shape: np.ndarray) -> float:
    """The score of :func:`_ink_match_at`."""
    return _ink_match_at(around, shape)[0]


def _ink_match_at(around: np.ndarray, shape: np.ndarray) -> tuple[float, tuple[int, int]]:
    """How well ``shape`` (a crop of a region's box) is found in ``around`` (a crop of the
    other region's box grown by :data:`MOVE_SEARCH_PT`): the best normalised correlation
    over the shifts the margin allows, and where (the pixel of ``around``, x and y, that the
    shape's top-left pixel falls on there). A thin bar's box rounds to whole pixels
    differently at each place; compared in place, a true source scored lower than a
    look-alike further away. Only one way round, a shape is also found inside a longer
    look-alike: callers take the lower of both ways."""
    if shape.size == 0 or around.size == 0:
        return 0.0, (0, 0)
    short_h = max(0, shape.shape[0] - around.shape[0])
    short_w = max(0, shape.shape[1] - around.shape[1])
    if short_h or short_w:  # a larger shape: the surroundings padded with paper to hold it
        around = cv2.copyMakeBorder(around, short_h // 2, short_h - short_h // 2, short_w // 2,
                                    short_w - short_w // 2, cv2.BORDER_CONSTANT, value=255)
    ink = 255.0 - shape.astype(np.float32)
    if float(ink.std()) < 1e-3:
        return 0.0, (0, 0)  # nothing drawn: nothing to match
    scores = cv2.matchTemplate(255.0 - around.astype(np.float32), ink, cv2.TM_CCOEFF_NORMED)
    scores = np.nan_to_num(scores, nan=0.0, posinf=0.0, neginf=0.0)
    y, x = np.unravel_index(int(np.argmax(scores)), scores.shape)
    return float(scores[y, x]), (int(x) - short_w // 2, int(y) - short_h // 2)
