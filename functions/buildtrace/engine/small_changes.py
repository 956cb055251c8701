"""Small changes: ink differences the overlay's tolerance lets through, such as a digit
changed in a dimension (31'-6" → 31'-8").

The overlay counts ink as unchanged when ink on the other sheet lies within its tolerance
(:data:`.overlay.DEFAULT_TOLERANCE_PT`, 0.75 pt). That absorbs scan noise and the alignment's
residual, but it absorbs a changed digit as well: the strokes of a 6 and an 8 in 7 pt text
are mostly within 0.75 pt of each other. On a sheet with a text layer the word diff still
reports the change; on a scan without one, or a CAD sheet whose text is drawn as lines, it
was lost (1 of 24 such changes found on re-scanned sheets).

Here the sheets are compared as ink mass instead: each is blurred by :data:`SIGMA_PT` (about
a stroke's width) and the difference taken. A stroke that appears or disappears leaves a
large difference; one that moved by a fraction of a point leaves a small one, because its
blurred profiles overlap. Pixels above :data:`CANDIDATE_LEVEL` (:func:`candidate_pixels`;
a scan's grey levels first matched to the other sheet's, :func:`tone_curve`) are marked strip
by strip on a map with one cell per point of the new sheet (:func:`mark_cells`); each cluster
of candidates away from the overlay's own changes is then checked on its own against small
shifts of the old sheet (up to :data:`SHIFT_PT` each way, more than a scan's alignment
residual) and gains on its ink (a re-scan's heavier or lighter strokes), and kept where none
brings the difference under :func:`level_for` (:func:`find_small_changes`); a large cluster
that keeps it is checked again in pieces of :data:`LOCAL_PT`, each with a shift and a gain of
its own, since a re-scan's paper stretch and stroke weight vary across it. A pair whose
candidates are mostly explained that way is noisy (a harsh re-scan); the caller may hold it
to a higher level (:data:`NOISY_LEVEL`, for a scan compared at about its own resolution),
and to a blur of a pixel of the coarser scan (:data:`SIGMA_SOURCE_PX`: scans of one sheet
at other resolutions).

Boxes are in PDF points of the new sheet, origin top-left, y down; rasters are uint8
grayscale (0 ink) in the new sheet's frame at the overlay's DPI.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import cv2
import numpy as np

from .regions import (CLUSTER_GAP_PT, PURE_SHARE, ChangeRegion, box_inside, boxes_overlap,
                      grow_box, map_cells)
from .rasters import outer_contours

#: Blur (Gaussian sigma, points) applied to both sheets before they are compared: about the
#: width of a stroke of small text, so a whole stroke counts and its edges do not.
SIGMA_PT = 0.4
#: Blurred difference (share of full ink, 0-1) from which a pixel is a candidate: the lowest
#: level a change must keep (:data:`LEVEL_150`; the check below only lowers a difference).
CANDIDATE_LEVEL = 0.25
#: Blurred difference a small change keeps under every shift and gain, at 150 and at 300 DPI
#: (:func:`level_for`). Measured on re-scans of the example sheets with one digit changed in
#: eight 7 pt dimensions each (``synth.make_dimension_revision``, ordinary and harsh): at
#: 150 DPI a changed digit scores 0.21-0.55 and unchanged ink at most 0.23; at 300 DPI, where
#: the grain and JPEG blocks of a harsh re-scan are resolved, 0.24-0.6 against 0.32.
LEVEL_150, LEVEL_300 = 0.25, 0.33
#: On a quiet pair (at most :data:`QUIET_CLUSTERS` candidate clusters explained), the level
#: a small change must keep instead, at 150 and at 300 DPI (:func:`level_for`, ``quiet``).
#: Measured on the same re-scans, which are all quiet: the clusters off the edits score at
#: most 0.12 at 150 DPI and 0.28 at 300 (one harsh pair of six), while a third of the
#: changed digits the full level missed score 0.21-0.25 (150 DPI) and 0.31-0.33 (300). A
#: noisy pair, whose unchanged ink scores up to the full level, never takes it.
QUIET_150, QUIET_300 = 0.16, 0.30
#: A pair is quiet when at most this many candidate clusters are explained by a shift and a
#: gain at the full level: the two sheets differ nowhere but where they changed (clean
#: re-scans of the example sheets: 0-3, the changed digits the full level misses among
#: them; harsh re-scans of whole sheets: 90-310).
QUIET_CLUSTERS = 5
#: Largest shift (points, each way) of the old sheet a small change must survive: the
#: residual of a re-scan's alignment and the local stretch of its paper.
SHIFT_PT = 0.5
#: Gains on the old sheet's ink a small change must survive: another scanner's tone makes
#: every stroke heavier or lighter by about this much.
GAIN_RANGE = (0.75, 1.33)
#: Steps of the shift search per direction each side of zero.
SHIFT_STEPS = 2
#: Context (points) around a candidate cluster when it is checked.
PAD_PT = 4.0
#: Largest side (points) of the pieces a kept small change is checked again in, each with
#: its own shift and gain (:func:`_checked_in_pieces`): a few characters of small text,
#: over which a re-scan's paper stretch and stroke weight are about even.
LOCAL_PT = 24.0
#: Candidate clusters checked at most per sheet, largest first: a sheet where more differ
#: has changes the overlay shows already (or is too noisy for this test to mean anything).
MAX_CANDIDATES = 400
#: Small changes touching the sheet's outer band this wide (points) are not reported: a
#: re-scan shifts what lies at the paper's edge in or out of the sheet.
EDGE_PT = 9.0
#: A pair is noisy when at least this many candidate clusters turn out to be explained by a
#: shift and a gain: a clean re-scan or re-plot has none (its candidates are its changes), a
#: harsh re-scan (another scanner, JPEG 75) 90-310 a sheet.
NOISY_CLUSTERS = 20
#: The level a small change must keep on a noisy pair when the caller asks for it
#: (``noisy_level``: a scan compared at about its own resolution, see
#: ``compare.NATIVE_BAND``). Measured at 300 DPI on harsh 200 DPI re-scans compared at
#: 200 DPI: unchanged ink scored up to 0.45 (0.33 on most sheets), and 35 of 53 changed
#: digits stay above 0.46; on clean re-scans 47 of 48 keep :func:`level_for`.
NOISY_LEVEL = 0.46
#: On a noisy pair with a scan, a candidate must also keep its level blurred by this many
#: pixels of the coarser scan (:func:`noisy_sigma_pt`), when that is more than
#: :data:`SIGMA_PT`. Two scans of one sheet at other resolutions (an old set scanned at
#: 150 DPI, the new one at 200; or a scanned set's whole-sheet image and its re-scan) reach
#: the overlay through other resampling chains, and a stroke one source pixel wide differs
#: in shape between them by more than any shift or gain explains: on the example sheets
#: (150 DPI) against 200 DPI re-scans of them, 8-35 false small changes a sheet at
#: 0.4 pt, 0-4 at 0.53 pt. At 200 DPI and finer it is :data:`SIGMA_PT` itself, so the
#: changed digits of 200 DPI re-scans are found as before (0.5 pt there found 100 of 128
#: instead of 120).
SIGMA_SOURCE_PX = 1.1


def tone_curve(reference: np.ndarray, other: np.ndarray) -> np.ndarray:
    """A lookup table (256 uint8) taking each grey level of ``other`` to the level of the
    same rank in ``reference`` (histogram matching). Two scans of one sheet differ in tone
    (scanner, exposure): a thin line a shade lighter has less ink mass, which the blurred
    comparison would count; matched tones leave only what changed."""
    def cdf(img):
        # every 4th row: the same curve (a sheet has millions of pixels), a quarter of the work
        hist = cv2.calcHist([img[::4]], [0], None, [256], [0, 256]).ravel()
        return np.cumsum(hist) / max(1.0, hist.sum())

    ref, oth = cdf(reference), cdf(other)
    lut = np.searchsorted(ref, oth - 1e-9, side="left").clip(0, 255)
    return lut.astype(np.uint8)


def level_for(dpi: float, quiet: bool = False) -> float:
    """The difference a small change must keep at ``dpi``: :data:`LEVEL_150` at 150 DPI and
    below, :data:`LEVEL_300` at 300 and above, in between by log2 of the DPI;
    :data:`QUIET_150` and :data:`QUIET_300` on a ``quiet`` pair."""
    t = min(1.0, max(0.0, math.log2(dpi / 150.0)))
    if quiet:
        return QUIET_150 + t * (QUIET_300 - QUIET_150)
    return LEVEL_150 + t * (LEVEL_300 - LEVEL_150)


def blur_sigma_px(dpi: float, sigma_pt: float = SIGMA_PT) -> float:
    return sigma_pt / 72.0 * dpi


def noisy_sigma_pt(source_dpi: float | None) -> float:
    """The blur (points) a candidate must survive on a noisy pair whose coarser scan has
    ``source_dpi`` (None: no scan): :data:`SIGMA_SOURCE_PX` of its pixels, at least
    :data:`SIGMA_PT`."""
    if not source_dpi:
        return SIGMA_PT
    return max(SIGMA_PT, SIGMA_SOURCE_PX * 72.0 / source_dpi)


def context_px(dpi: float) -> int:
    """Pixels of context the blur needs around a raster (three sigmas)."""
    return int(math.ceil(3 * blur_sigma_px(dpi))) + 1


def candidate_pixels(old: np.ndarray, new: np.ndarray, dpi: float) -> np.ndarray:
    """Pixels (uint8, 1 = candidate) where the blurred sheets differ by more than
    :data:`CANDIDATE_LEVEL` of full ink. ``old`` (aligned) and ``new`` are in one frame at
    ``dpi``; the outer :func:`context_px` of the result lacks context and should be
    discarded by a caller that has it."""
    s = blur_sigma_px(dpi)
    diff = cv2.absdiff(cv2.GaussianBlur(old, (0, 0), s), cv2.GaussianBlur(new, (0, 0), s))
    return cv2.threshold(diff, int(CANDIDATE_LEVEL * 255), 1, cv2.THRESH_BINARY)[1]


def mark_cells(candidate_map: np.ndarray, mask: np.ndarray, row0: int, col0: int, dpi: float
               ) -> None:
    """Set the cells of ``candidate_map`` (uint8, a change map: one cell per point of the new
    sheet) that hold a pixel of ``mask``; (``row0``, ``col0``) is the mask's top-left pixel
    in the new sheet's raster at ``dpi``."""
    cells = map_cells(mask, row0, col0, dpi, candidate_map.shape)
    if cells is not None:
        candidate_map[cells] = 1


def candidate_boxes(candidate_map: np.ndarray, map_dpi: float) -> list[tuple]:
    """Clusters of candidate cells (changes closer than :data:`.regions.CLUSTER_GAP_PT`
    join) as boxes in points, those with most cells first."""
    scale = 72.0 / map_dpi
    clusters = _clusters(cv2.compare(candidate_map, 0, cv2.CMP_GT), map_dpi)
    clusters.sort(key=lambda c: -c[0])
    return [tuple(v * scale for v in box) for _, box in clusters]


def _clusters(on: np.ndarray, dpi: float) -> list[tuple[int, tuple[int, int, int, int]]]:
    """The set pixels of ``on`` (uint8, at ``dpi``) closer than
    :data:`.regions.CLUSTER_GAP_PT` joined: (pixels, box (x0, y0, x1, y1) in pixels) each."""
    gap = max(1, int(round(CLUSTER_GAP_PT / 72.0 * dpi)))
    joined = cv2.dilate(on, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (gap, gap)))
    out = []
    for contour in outer_contours(joined):
        x, y, w, h = cv2.boundingRect(contour)
        ys, xs = np.nonzero(on[y:y + h, x:x + w])
        if ys.size:
            out.append((int(ys.size), (x + int(xs.min()), y + int(ys.min()),
                                       x + int(xs.max()) + 1, y + int(ys.max()) + 1)))
    return out


#: The shift search's steps (x, y), nearest first.
_SHIFTS = sorted(((ix, iy) for iy in range(-SHIFT_STEPS, SHIFT_STEPS + 1)
                  for ix in range(-SHIFT_STEPS, SHIFT_STEPS + 1)),
                 key=lambda t: t[0] ** 2 + t[1] ** 2)


class SmallDifference(NamedTuple):
    """What :func:`small_difference` finds in a crop pair."""

    most: float  #: the largest blurred ink difference left (0-1 of full ink)
    removed_pt2: float  #: ink removed (pt²), counted above :func:`level_for`
    added_pt2: float  #: ink added (pt²), counted above :func:`level_for`
    #: where the difference is above :func:`level_for`: (x0, y0, x1, y1) pixels of the
    #: crops, or None where it is nowhere
    box_px: tuple[int, int, int, int] | None


def small_difference(old: np.ndarray, new: np.ndarray, dpi: float, core: tuple[int, int, int, int],
                     sigma_pt: float = SIGMA_PT, level: float | None = None) -> SmallDifference:
    """The blurred ink difference of a crop pair inside ``core`` (x0, y0, x1, y1 pixels of
    the crops), as small as a shift of the old crop (within :data:`SHIFT_PT`) and a gain on
    its ink (:data:`GAIN_RANGE`, fitted on the whole crop) make it: (largest difference 0-1,
    removed ink pt², added ink pt²). The shift takes up the alignment's residual, the gain
    a re-scan's heavier or lighter strokes; neither can draw a stroke that is not there. The
    ink areas count the difference above ``level`` (:func:`level_for` unless given; the
    search stops at the first shift that brings it under), so they say which way it goes,
    and its box says where it is. ``sigma_pt``: the blur (points), :data:`SIGMA_PT` unless a
    noisy pair asks for more."""
    level = level_for(dpi) if level is None else level
    most, d = _least_difference(old, new, dpi, core, sigma_pt, level)
    if most < level:
        return SmallDifference(most, 0.0, 0.0, None)  # a shift and a gain explain it
    x0, y0 = core[:2]
    px_pt2 = (72.0 / dpi) ** 2
    # more ink on the new sheet is ink added, less is ink removed
    added = float(d[d >= level].sum()) * px_pt2
    removed = float(-d[d <= -level].sum()) * px_pt2
    ys, xs = np.nonzero(np.abs(d) >= level)
    box = None if ys.size == 0 else (x0 + int(xs.min()), y0 + int(ys.min()),
                                     x0 + int(xs.max()) + 1, y0 + int(ys.max()) + 1)
    return SmallDifference(most, removed, added, box)


def _least_difference(old: np.ndarray, new: np.ndarray, dpi: float, core: tuple,
                      sigma_pt: float, level: float) -> tuple[float, np.ndarray]:
    """The shift and gain search of :func:`small_difference`: (largest difference, the
    signed difference inside ``core``, new minus old ink) at the first shift that brings it
    under ``level``, else at the shift that leaves least."""
    s = blur_sigma_px(dpi, sigma_pt)
    x0, y0, x1, y1 = core

    def ink(img):
        return (255.0 - cv2.GaussianBlur(img, (0, 0), s).astype(np.float32)) / 255.0

    new_ink = ink(new)
    nn = new_ink[y0:y1, x0:x1]
    step = SHIFT_PT / 72.0 * dpi / SHIFT_STEPS
    best = None
    for ix, iy in _SHIFTS:  # nearest first: most candidates are explained at once
        m = np.float32([[1, 0, ix * step], [0, 1, iy * step]])
        moved = ink(cv2.warpAffine(old, m, (old.shape[1], old.shape[0]),
                                   flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))
        oo = float((moved * moved).sum())
        gain = 1.0 if oo <= 0 else float(np.clip((moved * new_ink).sum() / oo, *GAIN_RANGE))
        d = nn - gain * moved[y0:y1, x0:x1]
        most = float(np.abs(d).max()) if d.size else 0.0
        if best is None or most < best[0]:
            best = (most, d)
            if most < level:
                break
    return best


def difference_spots(old: np.ndarray, new: np.ndarray, dpi: float, core: tuple,
                     level: float) -> list[tuple[int, int, int, int]]:
    """Where the difference :func:`small_difference` leaves inside ``core`` is at least
    ``level``, in spots (pixels closer than :data:`.regions.CLUSTER_GAP_PT` joined): boxes
    (x0, y0, x1, y1) in pixels of the crops."""
    most, d = _least_difference(old, new, dpi, core, SIGMA_PT, level)
    if most < level:
        return []
    return [(core[0] + x0, core[1] + y0, core[0] + x1, core[1] + y1)
            for _, (x0, y0, x1, y1) in _clusters((np.abs(d) >= level).astype(np.uint8), dpi)]


class SmallChanges(NamedTuple):
    """What :func:`find_small_changes` finds on a pair."""

    regions: list  #: the small changes (:class:`.regions.ChangeRegion`, ``small``)
    level: float  #: the level they were held to
    sigma_pt: float  #: the largest blur (points) they kept it at
    #: at least :data:`NOISY_CLUSTERS` candidate clusters were explained by a shift and a
    #: gain: the two sheets differ slightly all over
    noisy: bool


def find_small_changes(candidate_map: np.ndarray, map_dpi: float, regions: list[ChangeRegion],
                       crops: Callable[[tuple], tuple[np.ndarray, np.ndarray]], dpi: float,
                       page_pt: tuple[float, float], *, title_block=None, ignore=(),
                       noisy_level: float | None = None, noisy_sigma: float = SIGMA_PT,
                       strict: bool = False) -> SmallChanges:
    """Small changes from a candidate map (cells of a grid at ``map_dpi`` over the new sheet
    holding a candidate, see :func:`mark_cells`), as regions beside the overlay's
    ``regions``, with the level they were held to, the largest blur (points) they kept it at
    and whether the pair proved noisy (:class:`SmallChanges`).

    ``crops(box)`` returns (old aligned, new) grayscale crops of ``box`` (new-sheet points,
    inside the sheet of ``page_pt`` = (width, height)) at ``dpi``, whose pixel (0, 0) is the
    box's top-left corner. Clusters touching one of ``regions`` (or where a moved region
    came from) are left to it; the others are checked by :func:`small_difference` against
    :func:`level_for`, or against ``noisy_level`` when given and the pair proves noisy
    (:data:`NOISY_CLUSTERS`); on a noisy pair those kept must also keep it blurred by
    ``noisy_sigma`` points (:func:`noisy_sigma_pt`) when that is more than :data:`SIGMA_PT`.
    ``strict``: held to ``noisy_level`` however many clusters are explained (the sheets are
    known to differ all over: two vector plots with other pens, see line_weights.py).

    On a quiet pair (at most :data:`QUIET_CLUSTERS` clusters explained, not ``strict``),
    the explained clusters are checked again against the quiet level
    (:func:`level_for`), and that is the level all are held to: where nothing else on the
    sheets differs, a difference that stays above it is a change (a 6 turned 5 in 7 pt
    text at 150 DPI scores 0.21-0.25)."""
    scored: list[tuple] = []  # (largest difference, small change, where it was checked)
    explained: list[tuple] = []  # boxes of the clusters a shift and a gain explain
    w_pt, h_pt = page_pt
    level = level_for(dpi)
    for box in candidate_boxes(candidate_map, map_dpi)[:MAX_CANDIDATES]:
        if any(boxes_overlap(grow_box(box, CLUSTER_GAP_PT), b) for r in regions
               for b in (r.bbox, r.from_bbox) if b is not None):
            continue  # the overlay's region there (or a moved detail's old place) has it
        if any(box_inside(box, b) for b in ignore):
            continue
        if (box[0] < EDGE_PT or box[1] < EDGE_PT or box[2] > w_pt - EDGE_PT
                or box[3] > h_pt - EDGE_PT):
            continue
        checked = _checked(box, crops, dpi, page_pt, title_block)
        if checked is None:
            continue
        if checked[0] < level:
            explained.append(box)
            continue
        scored.append(checked)
    noisy = len(explained) >= NOISY_CLUSTERS
    if (noisy or strict) and noisy_level is not None:
        level = max(level, noisy_level)
    if len(explained) <= QUIET_CLUSTERS and not strict:
        level = level_for(dpi, quiet=True)
        for box in explained:  # (kept below where they stay above it)
            checked = _checked(box, crops, dpi, page_pt, title_block, level)
            if checked is not None:
                scored.append(checked)
    kept = [(most, r, where) for most, r, where in scored if most >= level]
    kept = [piece for entry in kept
            for piece in _checked_in_pieces(entry, crops, dpi, page_pt, title_block, level)]
    sigma = noisy_sigma if noisy and noisy_sigma > SIGMA_PT else SIGMA_PT
    if sigma > SIGMA_PT:
        # the same crops, blurred by a pixel of the coarser scan: what another resampling
        # of its strokes explains goes
        kept = [(most, r, (around, core)) for most, r, (around, core) in kept
                if small_difference(*crops(around), dpi, core, sigma)[0] >= level]
    kept = _joined(kept, crops, dpi, page_pt, title_block, level)
    return SmallChanges([r for _most, r, _where in kept], level, sigma, noisy)


def _checked(box, crops, dpi: float, page_pt: tuple[float, float], title_block,
             level: float | None = None):
    """A cluster of candidates (``box``, new-sheet points) checked by
    :func:`small_difference` (against ``level``, :func:`level_for` unless given) on crops
    padded by :data:`PAD_PT`: (largest difference, the
    small change it would be, (the crops' box in points, the cluster's pixels in them)), or
    None where the crops are empty."""
    k = dpi / 72.0
    w_pt, h_pt = page_pt
    g = grow_box(box, PAD_PT)
    around = (max(0.0, g[0]), max(0.0, g[1]), min(w_pt, g[2]), min(h_pt, g[3]))
    old, new = crops(around)
    core = (int((box[0] - around[0]) * k), int((box[1] - around[1]) * k),
            min(new.shape[1], int(math.ceil((box[2] - around[0]) * k))),
            min(new.shape[0], int(math.ceil((box[3] - around[1]) * k))))
    if core[2] <= core[0] or core[3] <= core[1]:
        return None
    most, removed, added, where = small_difference(old, new, dpi, core, level=level)
    total = removed + added
    kind = ("removed" if added < PURE_SHARE * total else
            "added" if removed < PURE_SHARE * total else "modified")
    if where is not None:
        # the change is where the difference is, not the whole cluster of candidates
        # (a cluster along a sheet's border line can span the sheet)
        box = (around[0] + where[0] / k, around[1] + where[1] / k,
               around[0] + where[2] / k, around[1] + where[3] / k)
    tb = title_block is not None and box_inside(box, title_block)
    return most, ChangeRegion("", kind, box, total, removed, added, in_title_block=bool(tb),
                              small=True), (around, core)


def _checked_in_pieces(entry: tuple, crops, dpi: float, page_pt: tuple[float, float],
                       title_block, level: float) -> list:
    """A kept small change (an entry of :func:`_checked`) from a cluster larger than
    :data:`LOCAL_PT` checked again piece by piece (a smaller one is returned as it is):
    each spot of the difference it keeps, cut into pieces at most :data:`LOCAL_PT` a side,
    on crops of its own (:data:`PAD_PT` around), with its own shift and gain; the pieces
    that keep ``level`` so. One shift and one gain fitted over a large cluster's crop (a
    ruled table, a car drawn in outline) leave a difference wherever the paper's stretch or
    a re-scan's stroke weight is not the crop's average: on vector sheets against harsh
    re-scans of their prints those scored 0.25-0.32 at 150 DPI, just over the level, and
    a shift and a gain of their own explain them. A changed digit keeps its difference on
    a crop of its own."""
    _most, _region, (around, core) = entry
    k = dpi / 72.0
    if max(core[2] - core[0], core[3] - core[1]) <= LOCAL_PT * k:
        # its crop is a piece's already (a crop about a spot of it, off the cluster's
        # centre, lost a changed digit that scored 0.27 on the cluster's and 0.22 there)
        return [entry]
    spots = difference_spots(*crops(around), dpi, core, level)
    out = []
    for x0, y0, x1, y1 in spots:
        spot = (around[0] + x0 / k, around[1] + y0 / k, around[0] + x1 / k, around[1] + y1 / k)
        for piece in _pieces(spot, LOCAL_PT):
            checked = _checked(piece, crops, dpi, page_pt, title_block, level)
            if checked is not None and checked[0] >= level:
                out.append(checked)
    return out


def _pieces(box: tuple, side: float) -> list[tuple]:
    """``box`` (points) cut into a grid of equal pieces at most ``side`` points a side."""
    x0, y0, x1, y1 = box
    nx = max(1, math.ceil((x1 - x0) / side))
    ny = max(1, math.ceil((y1 - y0) / side))
    w, h = (x1 - x0) / nx, (y1 - y0) / ny
    return [(x0 + i * w, y0 + j * h, x0 + (i + 1) * w, y0 + (j + 1) * h)
            for j in range(ny) for i in range(nx)]


def _joined(kept: list, crops, dpi: float, page_pt: tuple[float, float], title_block,
            level: float) -> list:
    """``kept`` small changes with those whose boxes overlap joined into one, checked again
    over both (against ``level``): a cluster shaped like an L holds another inside its box,
    and its crop sees that one's difference too (two changes over one spot, its ink counted
    twice)."""
    kept = list(kept)
    i = 0
    while i < len(kept):
        j = next((j for j in range(i + 1, len(kept))
                  if boxes_overlap(kept[i][1].bbox, kept[j][1].bbox)), None)
        if j is None:
            i += 1
            continue
        a, b = kept[i][1].bbox, kept[j][1].bbox
        union = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
        checked = _checked(union, crops, dpi, page_pt, title_block, level)
        most = max(kept[i][0], kept[j][0])
        del kept[j]
        if checked is not None:  # (both were kept: the pair is, at the larger's level)
            kept[i] = (most, checked[1], checked[2])
        # checked again from the first: the larger box may overlap one already passed
        i = 0
    return kept
