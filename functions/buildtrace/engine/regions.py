"""Change regions: the removed and added ink of an overlay, clustered into clouds.

Works on *change maps*: per-cell counts of removed and added ink pixels on a grid of
:data:`MAP_DPI` (one cell per point), accumulated strip by strip while the overlay is made,
so a 48×36 in sheet at 300 DPI never needs its full-resolution masks at once.

Clustering joins changes closer than :data:`CLUSTER_GAP_PT`; clouds smaller than
:data:`MIN_CHANGE_PT2` of changed ink are scan noise and dropped. Each region has a bbox in
PDF points of the new sheet (origin top-left, y down), a kind (``added``, ``removed``,
``modified``, ``moved``), and the ink area in pt². Regions inside the title block or inside
a user's ignore box are set apart.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import cv2
import numpy as np

from .rasters import outer_contours

#: Change maps hold one cell per point.
MAP_DPI = 72.0
#: Changes closer than this (points; 1/8 in) belong to one region.
CLUSTER_GAP_PT = 9.0
#: A region needs at least this much changed ink (pt²) to be reported.
MIN_CHANGE_PT2 = 3.0
#: A region is "added"/"removed" when the other kind is under this share of its ink.
PURE_SHARE = 0.15
#: Removed and added ink of a moved detail match at least this well (correlation).
MOVE_MIN_CORRELATION = 0.8
#: A removal is matched against an addition over shifts of up to this (points) each way.
MOVE_SEARCH_PT = 3.0
#: Removals whose match with an addition scores within this of the best one are equally
#: good sources of a move; the nearest wins.
MOVE_TIE = 0.05


@dataclass
class ChangeRegion:
    id: str
    kind: str
    bbox: tuple[float, float, float, float]
    area_pt2: float
    removed_pt2: float
    added_pt2: float
    from_bbox: tuple[float, float, float, float] | None = None  # for moved: where it was
    in_title_block: bool = False
    text_before: str | None = None
    text_after: str | None = None
    text_changes: list[dict] = field(default_factory=list)
    #: found by the small-change test (below the overlay's tolerance, see small_changes.py):
    #: the overlay shows it as unchanged ink; the crops show the difference
    small: bool = False

    def to_dict(self) -> dict:
        d = asdict(self)
        if not self.small:
            d.pop("small")
        d["bbox"] = [round(float(v), 1) for v in self.bbox]
        if self.from_bbox is not None:
            d["from_bbox"] = [round(float(v), 1) for v in self.from_bbox]
        d["area_pt2"] = round(self.area_pt2, 1)
        d["removed_pt2"] = round(self.removed_pt2, 1)
        d["added_pt2"] = round(self.added_pt2, 1)
        if not self.text_changes:
            d.pop("text_before")
            d.pop("text_after")
        return d


def map_cells(mask: np.ndarray, row0: int, col0: int, dpi: float, map_shape: tuple[int, int]
              ) -> tuple[np.ndarray, np.ndarray] | None:
    """The change-map cells (rows, cols; a grid at :data:`MAP_DPI` of ``map_shape``) of each
    pixel of ``mask``, whose top-left pixel is (``row0``, ``col0``) of the new sheet's
    raster at ``dpi``; None when the mask is empty (the common case, and far cheaper to
    tell than to find no pixels)."""
    if not np.count_nonzero(mask):
        return None
    ys, xs = np.nonzero(mask)
    f = MAP_DPI / dpi
    return (np.minimum(((ys + row0) * f).astype(np.int64), map_shape[0] - 1),
            np.minimum(((xs + col0) * f).astype(np.int64), map_shape[1] - 1))


def boxes_overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def box_inside(a, b) -> bool:
    """Is box a's centre inside box b?"""
    cx, cy = (a[0] + a[2]) / 2, (a[1] + a[3]) / 2
    return b[0] <= cx <= b[2] and b[1] <= cy <= b[3]


def find_regions(removed_map: np.ndarray, added_map: np.ndarray, map_dpi: float,
                 pixel_pt2: float, *, title_block=None, ignore=()) -> list[ChangeRegion]:
    """Cluster change maps into regions.

    ``removed_map``/``added_map``: float32 counts of changed pixels per cell of a grid at
    ``map_dpi`` over the new sheet. ``pixel_pt2``: the area of one counted pixel in pt².
    ``title_block`` and ``ignore`` boxes are in points. Ids are provisional (``r1``...)."""
    scale = 72.0 / map_dpi
    changed = cv2.compare(cv2.add(removed_map, added_map), 0, cv2.CMP_GT)  # 255 changed
    gap_px = max(1, int(round(CLUSTER_GAP_PT / scale)))
    joined = cv2.dilate(changed, cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                                           (gap_px, gap_px)))
    # Each cluster is an 8-connected component of ``joined``. Changes are sparse, so the
    # components are found by their outer contours and labelled only inside their bounding
    # boxes; they are taken in the order of their first pixel (top row, then left).
    clusters = []
    for contour in outer_contours(joined):
        x, y, w, h = cv2.boundingRect(contour)
        sl = (slice(y, y + h), slice(x, x + w))
        _n, labels = cv2.connectedComponents(joined[sl], connectivity=8)
        on_edge = contour[0, 0]  # a pixel of this component (others may share the box)
        mine = labels == labels[on_edge[1] - y, on_edge[0] - x]
        clusters.append(((y, x + int(np.argmax(mine[0]))), sl, mine))
    regions: list[ChangeRegion] = []
    for _first, sl, mine in sorted(clusters, key=lambda c: c[0]):
        y, x = sl[0].start, sl[1].start
        rem = float(removed_map[sl][mine].sum()) * pixel_pt2
        add = float(added_map[sl][mine].sum()) * pixel_pt2
        if rem + add < MIN_CHANGE_PT2:
            continue
        ys, xs = np.nonzero((changed[sl] > 0) & mine)
        bbox = ((x + xs.min()) * scale, (y + ys.min()) * scale,
                (x + xs.max() + 1) * scale, (y + ys.max() + 1) * scale)
        if any(boxes_overlap(bbox, box) and box_inside(bbox, box) for box in ignore):
            continue
        if add < PURE_SHARE * (rem + add):
            kind = "removed"
        elif rem < PURE_SHARE * (rem + add):
            kind = "added"
        else:
            kind = "modified"
        tb = title_block is not None and box_inside(bbox, title_block)
        regions.append(ChangeRegion("", kind, bbox, rem + add, rem, add, in_title_block=bool(tb)))
    for i, r in enumerate(regions):  # provisional ids; the caller numbers the final list
        r.id = f"r{i + 1}"
    return regions


def detect_moves(regions: list[ChangeRegion], old_crop, new_crop) -> list[ChangeRegion]:
    """Merge a removed region and an added region whose ink matches into one ``moved``
    region. ``old_crop(bbox)``/``new_crop(bbox)`` return grayscale crops (same DPI) of the
    aligned old sheet and of the new sheet for a box in new-sheet points."""
    removed = [r for r in regions if r.kind == "removed" and not r.in_title_block]
    added = [r for r in regions if r.kind == "added" and not r.in_title_block]
    used: set[str] = set()
    for a in added:
        aw, ah = a.bbox[2] - a.bbox[0], a.bbox[3] - a.bbox[1]
        scored = []
        for r in removed:
            if r.id in used:
                continue
            rw, rh = r.bbox[2] - r.bbox[0], r.bbox[3] - r.bbox[1]
            if not (0.8 < (aw + 1) / (rw + 1) < 1.25 and 0.8 < (ah + 1) / (rh + 1) < 1.25):
                continue
            if not 0.7 < a.added_pt2 / max(r.removed_pt2, 1e-6) < 1.4:
                continue
            # both ways round: a shape found inside a longer look-alike matches one way only
            score = min(_ink_match(old_crop(grow_box(r.bbox, MOVE_SEARCH_PT)), new_crop(a.bbox)),
                        _ink_match(new_crop(grow_box(a.bbox, MOVE_SEARCH_PT)), old_crop(r.bbox)))
            if score >= MOVE_MIN_CORRELATION:
                scored.append((score, _distance(r.bbox, a.bbox), r))
        best = None
        if scored:
            # plain shapes (a line, a box) match several removals equally well: of those
            # within MOVE_TIE of the best, the nearest is the one that moved
            top = max(s for s, _, _ in scored)
            best = min((t for t in scored if t[0] >= top - MOVE_TIE), key=lambda t: t[1])[2]
        if best is not None:
            used.add(best.id)
            a.kind = "moved"
            a.from_bbox = best.bbox
            a.removed_pt2 = best.removed_pt2
            a.area_pt2 = a.added_pt2
    return [r for r in regions if r.id not in used]


def _distance(a, b) -> float:
    """Distance between the centres of two boxes (points)."""
    return float(np.hypot((a[0] + a[2] - b[0] - b[2]) / 2, (a[1] + a[3] - b[1] - b[3]) / 2))


def grow_box(box, pad: float):
    """``box`` (points) grown by ``pad`` on every side."""
    return (box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad)


def _ink_match(around: np.ndarray, shape: np.ndarray) -> float:
    """How well ``shape`` (a crop of a region's box) is found in ``around`` (a crop of the
    other region's box grown by :data:`MOVE_SEARCH_PT`): the best normalised correlation
    over the shifts the margin allows. A thin bar's box rounds to whole pixels differently
    at each place; compared in place, a true source scored lower than a look-alike further
    away. Only one way round, a shape is also found inside a longer look-alike: callers
    take the lower of both ways."""
    if shape.size == 0 or around.size == 0:
        return 0.0
    short_h = max(0, shape.shape[0] - around.shape[0])
    short_w = max(0, shape.shape[1] - around.shape[1])
    if short_h or short_w:  # a larger shape: the surroundings padded with paper to hold it
        around = cv2.copyMakeBorder(around, short_h // 2, short_h - short_h // 2, short_w // 2,
                                    short_w - short_w // 2, cv2.BORDER_CONSTANT, value=255)
    ink = 255.0 - shape.astype(np.float32)
    if float(ink.std()) < 1e-3:
        return 0.0  # nothing drawn: nothing to match
    scores = cv2.matchTemplate(255.0 - around.astype(np.float32), ink, cv2.TM_CCOEFF_NORMED)
    return float(np.nan_to_num(scores, nan=0.0, posinf=0.0, neginf=0.0).max())
