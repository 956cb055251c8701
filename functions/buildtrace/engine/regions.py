"""Change regions: the removed and added ink of an overlay, clustered into clouds.

Works on *change maps*: per-cell counts of removed and added ink pixels on a grid of
:data:`MAP_DPI` (one cell per point), accumulated strip by strip while the overlay is made,
so a 48×36 in sheet at 300 DPI never needs its full-resolution masks at once.

Clustering joins changes closer than :data:`CLUSTER_GAP_PT`; clouds smaller than
:data:`MIN_CHANGE_PT2` of changed ink are scan noise and dropped. Each region has a bbox in
PDF points of the new sheet (origin top-left, y down), a kind (``added``, ``removed``,
``modified``; :mod:`.moves` makes some ``moved``), and the ink area in pt². Regions inside
the title block or inside a user's ignore box are set apart.
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
    #: a view moved as a whole (see moved_views.py): the shift (points, from where it was
    #: to where it is)
    view_shift_pt: tuple[float, float] | None = None

    def take_in(self, piece: ChangeRegion) -> None:
        """This moved region takes in ``piece``, a part of it that moved with it: both
        places' boxes (new-sheet points), its text changes and its ink; the area is the ink
        where it is, as for any move."""
        self.bbox = union_box([self.bbox, piece.bbox])
        self.from_bbox = union_box([self.from_bbox, piece.from_bbox])
        self.text_changes = list(self.text_changes) + list(piece.text_changes)
        self.added_pt2 += piece.added_pt2
        self.removed_pt2 += piece.removed_pt2
        self.area_pt2 = self.added_pt2

    def to_dict(self) -> dict:
        d = asdict(self)
        if not self.small:
            d.pop("small")
        if self.view_shift_pt is None:
            d.pop("view_shift_pt")
        else:
            d["view_shift_pt"] = [round(float(v), 2) for v in self.view_shift_pt]
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


def overlaps_any(box, boxes: np.ndarray) -> bool:
    """Does ``box`` overlap any of ``boxes`` (N×4 x0, y0, x1, y1, one frame), as
    :func:`boxes_overlap` says? An array: a sheet's words are thousands, and each of
    hundreds of change regions may be tested against them."""
    b = boxes
    return bool(((box[0] < b[:, 2]) & (b[:, 0] < box[2])
                 & (box[1] < b[:, 3]) & (b[:, 1] < box[3])).any())


def box_centre(box) -> tuple[float, float]:
    """The centre (x, y) of a box (x0, y0, x1, y1), in the box's units."""
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def box_iou(a, b) -> float:
    """Intersection over union of two boxes (x0, y0, x1, y1, in one frame)."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / union if union > 0 else 0.0


def box_gap(a, b) -> float:
    """The distance between two boxes (x0, y0, x1, y1, in one frame; 0 when they touch)."""
    return float(np.hypot(max(0.0, a[0] - b[2], b[0] - a[2]), max(0.0, a[1] - b[3], b[1] - a[3])))


def box_inside(a, b) -> bool:
    """Is box a's centre inside box b?"""
    cx, cy = box_centre(a)
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


def union_box(boxes) -> tuple[float, float, float, float]:
    """The smallest box (x0, y0, x1, y1) holding all of ``boxes`` (one frame)."""
    boxes = list(boxes)
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
            max(b[3] for b in boxes))


def grow_box(box, pad: float):
    """``box`` (points) grown by ``pad`` on every side."""
    return (box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad)
