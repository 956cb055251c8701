"""Revision clouds: the scalloped loops a designer draws around what a revision changed.

A revision clouds its changes, and the next one usually drops those clouds. Compared as
ink, an added cloud is a ring of "added" ink around the change it marks, and a dropped one
a ring of "removed" ink where nothing else changed: neither is a design change. The
comparison lists them apart (``revision_clouds`` in ``report.json``) and keeps the change
inside a cloud as its own change, with its own box. Whether a change lies inside a new
cloud is said too: a change nobody clouded is the one a reader most needs to see.

A cloud is told by its shape, in a mask of changed ink (one side: added or removed):

- a closed loop (its filled outline is mostly hole) at least :data:`MIN_SIDE_PT` each way;
- whose outline, outside and inside (thin protrusions smoothed away), is a chain of arcs
  meeting at cusps: at least :data:`MIN_SCALLOPS` sharp turns (over
  :data:`CUSP_TURN_DEG`) one way, the outline between them turning steadily
  the other way (:data:`MIN_ARC_TURN_DEG` an arc), a scallop's length within
  :data:`ARC_PT` (CAD's REVCLOUD draws arcs of 1/4 to 1 in on the sheet), and most of the
  outline in such arcs: a polygon's sides are straight, a wavy line is not closed, hatching
  fills its loops; and the two edges' cusps in pairs (:data:`CUSP_PAIR_PT`: it is one
  stroke);
- around some ink (:data:`MIN_INSIDE_PT2`, on either sheet): what it marks. A tree on a
  site plan, drawn as a small scalloped circle around a trunk mark, does not count.

Arcs bulging outward (the usual cloud) and inward (an "inverted" cloud) are both found.
Masks are in pixels at a DPI the caller gives; boxes come back in those pixels.

A cloud's revision tag (a "delta": a triangle with the revision's number, beside the
cloud) is not a design change either, nor is its number a text change: :func:`find_tags`
tells it by its shape, and :func:`set_clouds_apart` lists it with the clouds when it lies
beside one of its side (:data:`TAG_REACH_PT`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .overlay import INK_THRESHOLD, compare_ink
from .rasters import disk_px
from .regions import (MIN_CHANGE_PT2, ChangeRegion, box_gap, box_inside, boxes_overlap,
                      find_regions, grow_box)

#: A cloud's box is at least this wide and this high (points; a third of an inch: a cloud
#: around one word).
MIN_SIDE_PT = 24.0
#: ... and its outline has at least this many scallops (their cusps paired on its two
#: edges). 5 would find a cloud around a word (50 by 30 pt, arcs of 20 pt: 9 arcs, but
#: where two meet at a corner of its box the outline barely turns back, so 5 cusps); it
#: also took a new detail box drawn over a floor plan's lines for a cloud, where lines
#: meeting its edges made 5 "cusps".
MIN_SCALLOPS = 6
#: The median length of a scallop, along the outline (points).
ARC_PT = (4.0, 100.0)
#: A cusp: the outline turns at least this much (degrees) within :data:`CUSP_SPAN_PT`.
CUSP_TURN_DEG = 45.0
CUSP_SPAN_PT = 2.0
#: A cusp of a loop's outer edge has one of its inner edge within this (points).
CUSP_PAIR_PT = 6.0
#: An arc between two cusps turns at least this much (degrees) the other way.
MIN_ARC_TURN_DEG = 35.0
#: At least this share of the outline lies in scallops no longer than
#: :data:`LONG_ARC_FACTOR` times the median one (a revision triangle or a straight run
#: joined to the loop takes the rest)...
MIN_ARC_SHARE = 0.7
LONG_ARC_FACTOR = 3.0
#: ... on one of its two edges; the other may have as little as this. A cloud drawn along a
#: line of the sheet (a wall, a grid line) has that side's outer edge straight: the line
#: runs along its crests and hides its cusps, while the inner edge still scallops.
MIN_OTHER_EDGE_SHARE = 0.5
#: ... when at least this share of the first edge's cusps pair with the other's.
MIN_PAIRED_SHARE = 0.5
#: The loop's hole is at least this share of its filled outline.
MIN_HOLE_SHARE = 0.5
#: Gaps in a loop up to this wide (points) are closed first (a dashed or broken stroke).
CLOSE_PT = 1.0
#: A cloud crossing a line of the other sheet is bridged there by its own sheet's ink within
#: this of its changed ink (points): the crossing is the line's width and the tolerance
#: each side of it.
BRIDGE_PT = 4.0
#: ... and by its ink where the other sheet has none, within this of its changed ink.
REACH_PT = 24.0
#: Where no loop closed that way, its ink connected to its changed ink within the first of
#: these (points) bridges it, and where none closed so either, within the next: a cloud
#: drawn across a band of the other sheet's ink wider than twice :data:`BRIDGE_PT` (a double
#: line, a dimension string with its ticks, an arrowhead) or along a line for a stretch is
#: hidden there, and its own stroke runs through that ink. The shorter reach first: a
#: longer one brings more of the lines a cloud crosses, which can fill a corner of its
#: outline (one of the cloud bench's clouds, fresh seed 310, was lost at 18 pt); it closed
#: a cloud along an arrow's line and over its head that 12 pt left open (seed 93).
ALONG_PT = (12.0, 24.0)
#: The outer outline whose scallops are counted is the component's, filled and opened by a
#: disk this wide (radius, points): lines the bridging brought along go...
OPEN_PT = 2.0
#: ... and the inner one is its hole's, closed by a disk this wide (a cusp's point, which
#: pokes into the hole, mostly stays).
HOLE_CLOSE_PT = 1.0
#: What pokes out of a loop thinner than :data:`OPEN_PT` and at least this long (points) is
#: not the cloud's ink (:func:`_tails`): a changed line joined to it.
TAIL_PT = 6.0
#: A cloud holds at least this much ink inside it (pt², on either sheet): what it marks.
MIN_INSIDE_PT2 = 20.0


@dataclass
class Cloud:
    """A revision cloud found in a mask: ``bbox`` (x0, y0, x1, y1: its changed ink's, in
    the mask's pixels), ``loop`` (the pixels of its changed ink, a boolean mask of the
    input's shape) and ``scallops``, its arcs (those whose cusps pair on its two edges)."""

    bbox: tuple[int, int, int, int]
    loop: np.ndarray
    scallops: int


def find_clouds(changed: np.ndarray, dpi: float, ink: np.ndarray | None = None,
                side_ink: np.ndarray | None = None, other_ink: np.ndarray | None = None
                ) -> list[Cloud]:
    """The revision clouds among ``changed`` (boolean H×W: one side's changed ink, pixels
    at ``dpi``). ``ink``: all ink of both sheets there (boolean, the same shape), which a
    cloud must enclose some of (:data:`MIN_INSIDE_PT2`); None counts the changed ink only.

    Where a cloud crosses or runs through the other sheet's ink, its own ink is not
    changed (the tolerance matches it), and the loop breaks there. ``side_ink`` (all ink of
    the sheet ``changed`` is on) bridges it: this sheet's ink within :data:`BRIDGE_PT` of
    the changed ink, and with ``other_ink`` (the other sheet's) also its ink where the
    other sheet has none, pixel for pixel, within :data:`REACH_PT` (a cloud drawn through
    a block of text). Where no loop closes so, its ink connected to the changed ink within
    :data:`ALONG_PT` bridges it, the shorter reach first (a cloud across a band of lines, or
    along one). What that brings along (the ends of lines it crosses) is taken off the
    outlines by :func:`_smoothed_outline` before their scallops are counted."""
    inside = changed if ink is None else ink
    clouds = _closed_clouds(changed, bridged(changed, dpi, side_ink, other_ink), dpi, inside)
    for along in ALONG_PT if side_ink is not None else ():
        if clouds:
            break
        clouds = _closed_clouds(changed, bridged(changed, dpi, side_ink, other_ink, along),
                                dpi, inside)
    return clouds


def _closed_clouds(changed: np.ndarray, shape: np.ndarray, dpi: float, inside: np.ndarray
                   ) -> list[Cloud]:
    """(:func:`find_clouds`) The clouds among the loops of ``shape`` (``changed`` bridged,
    boolean, pixels at ``dpi``) around some of ``inside`` (ink, boolean)."""
    k = dpi / 72.0
    mask = cv2.morphologyEx(shape.astype(np.uint8), cv2.MORPH_CLOSE, disk_px(CLOSE_PT * k))
    contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return []
    clouds = []
    for i, (contour, links) in enumerate(zip(contours, hierarchy[0])):
        if links[3] >= 0 or links[2] < 0:  # a hole's edge, or a component without a hole
            continue
        x, y, w, h = cv2.boundingRect(contour)
        if min(w, h) < MIN_SIDE_PT * k:
            continue
        filled = cv2.contourArea(contour)
        holes = [contours[j] for j in _children(hierarchy[0], i)]
        hole = max(holes, key=cv2.contourArea)
        if cv2.contourArea(hole) < MIN_HOLE_SHARE * filled:
            continue
        # one stroke: its inner edge turns where its outer one does (a circle with tags
        # joined to it inside and out has cusps at other places on each edge)
        scallops = paired_scallops(_smoothed_outline(contour, k, cv2.MORPH_OPEN),
                                   _smoothed_outline(hole, k, cv2.MORPH_CLOSE, HOLE_CLOSE_PT), k)
        if scallops < MIN_SCALLOPS:
            continue
        hole_mask = np.zeros(mask.shape, np.uint8)
        cv2.drawContours(hole_mask, [hole], -1, 1, cv2.FILLED)
        # the hole's own rim is the loop's ink: shrink it by the closing's reach
        hole_mask = cv2.erode(hole_mask, disk_px(CLOSE_PT * k))
        if np.count_nonzero(inside & hole_mask.view(bool)) / (k * k) < MIN_INSIDE_PT2:
            continue
        component = np.zeros(mask.shape, np.uint8)
        cv2.drawContours(component, [contour], -1, 1, cv2.FILLED)
        cv2.drawContours(component, holes, -1, 0, cv2.FILLED)
        cv2.drawContours(component, holes, -1, 1, 1)  # (a hole's edge is the loop's ink)
        loop = changed & component.view(bool) & ~_tails(contour, mask.shape, k)
        ys, xs = np.nonzero(loop)  # its own ink's box (not what bridged it)
        if not len(ys):
            continue
        clouds.append(Cloud((int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1),
                            loop, scallops))
    return clouds


#: A revision tag (a "delta": a triangle with the revision's number in it, drawn beside
#: each cloud) has sides this long (points: 1/6 to 2/3 in)...
TAG_SIDE_PT = (10.0, 48.0)
#: ... corners within this of 60° (degrees: CAD draws them equilateral) ...
TAG_ANGLE_TOL_DEG = 15.0
#: ... the filled loops fill at least this share of its triangle (the smallest one around
#: a shape fills a square's half, a circle's 0.6, a hexagon's 2/3) ...
TAG_FILL = 0.8
#: ... the shape its triangle was fitted to lies within the triangle but for this share of
#: the triangle's area (a lump where a cloud's line joins it) ...
TAG_BEYOND_SHARE = 0.2
#: ... it holds a label: at least this much ink inside (pt², a digit's) ...
TAG_LABEL_PT2 = 2.0
#: ... and it lies within this of a cloud of its side (points, box to box).
TAG_REACH_PT = 24.0
#: A tag's ink is the changed ink in its triangle grown by this (points: its stroke and
#: the tolerance).
TAG_STROKE_PT = 3.0
#: Lines thinner than twice this (points) are opened off the filled loops before triangles
#: are looked for: a cloud's ring, a leader; a tag's filled triangle stays. The second,
#: wider opening also cuts off the wedge a cloud's cusp closes against a tag's edge.
TAG_OPEN_PT = (1.5, 3.0)
#: ... and last each shape is opened by a disk this share of its inradius (a triangle's
#: inradius is 0.29 its side): its rounded corners fill 0.8 of the triangle.
TAG_CORE_SHARE = 0.6
#: A tag's inside is its triangle eroded by this (points: its edge's stroke).
TAG_EDGE_PT = 1.5
#: Inside its edges a tag is at least this share paper: its label is thin (a filled
#: triangle, an arrowhead, is not a tag).
TAG_PAPER_SHARE = 0.25


@dataclass
class Tag:
    """A revision tag found in a mask: ``bbox`` (x0, y0, x1, y1: its changed ink's, in the
    mask's pixels) and ``ink`` (those pixels: the triangle and its label, a boolean mask of
    the input's shape)."""

    bbox: tuple[int, int, int, int]
    ink: np.ndarray


def bridged(changed: np.ndarray, dpi: float, side_ink: np.ndarray | None = None,
            other_ink: np.ndarray | None = None, along_pt: float = 0.0) -> np.ndarray:
    """``changed`` (boolean, pixels at ``dpi``) with the gaps :func:`find_clouds` bridges
    filled: ``side_ink`` (its sheet's ink) within :data:`BRIDGE_PT` of it, and with
    ``other_ink`` (the other sheet's) also its sheet's ink where the other has none within
    :data:`REACH_PT`; with ``along_pt`` (points) also its sheet's ink connected to it
    within that (see :data:`ALONG_PT`)."""
    shape = changed.copy()
    if side_ink is not None and changed.any():
        k = dpi / 72.0
        # (a distance transform: dilating by a disk 24 pt wide took 50-100 ms a crop)
        away = cv2.distanceTransform((~changed).view(np.uint8), cv2.DIST_L2,
                                     cv2.DIST_MASK_PRECISE)
        shape |= side_ink & (away <= math.ceil(BRIDGE_PT * k))  # (whole pixels, as a disk)
        if other_ink is not None:
            shape |= side_ink & ~other_ink & (away <= math.ceil(REACH_PT * k))
        if along_pt:
            near = (side_ink & (away <= math.ceil(along_pt * k))) | changed
            count, labels = cv2.connectedComponents(near.view(np.uint8), connectivity=8)
            touching = np.zeros(count, bool)
            touching[labels[changed]] = True
            touching[0] = False  # (paper)
            shape |= touching[labels]
    return shape


def find_tags(changed: np.ndarray, dpi: float, ink: np.ndarray | None = None,
              side_ink: np.ndarray | None = None) -> list[Tag]:
    """The revision tags among ``changed`` (boolean H×W: one side's changed ink, pixels at
    ``dpi``): closed triangles, near equilateral (:data:`TAG_ANGLE_TOL_DEG`), of a side
    within :data:`TAG_SIDE_PT`, open inside, with at least :data:`TAG_LABEL_PT2` of
    ``ink`` (all ink there, boolean; None: ``changed``) inside. Whether a tag is beside a
    cloud is the caller's test (:data:`TAG_REACH_PT`). ``side_ink`` (all ink of the sheet
    ``changed`` is on) bridges the tag's edges where the other sheet's ink hides them
    (:func:`bridged`, within :data:`BRIDGE_PT`); the tag's ink is its changed ink only.

    Each loop is filled, but for holes larger than a tag's (a cloud's inside), and opened
    by a disk wider than a line: a triangle stays a solid triangle, its label filled in,
    whether it stands alone, touches its cloud or is drawn over the cloud's line (the
    triangle's edges close off the piece inside the cloud); a cloud's ring and the lines
    go."""
    k = dpi / 72.0
    mask = cv2.morphologyEx(bridged(changed, dpi, side_ink).astype(np.uint8), cv2.MORPH_CLOSE,
                            disk_px(CLOSE_PT * k))
    contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return []
    hi = TAG_SIDE_PT[1] * k
    solid = np.zeros(mask.shape, np.uint8)
    for i, links in enumerate(hierarchy[0]):
        if links[3] < 0:
            cv2.drawContours(solid, contours, i, 1, cv2.FILLED)
    for i, links in enumerate(hierarchy[0]):
        if links[3] >= 0 and cv2.contourArea(contours[i]) > 0.44 * hi * hi:
            cv2.drawContours(solid, contours, i, 0, cv2.FILLED)
    inside_ink = changed if ink is None else ink
    near = cv2.dilate(mask, disk_px(TAG_EDGE_PT * k)).view(bool)
    tags: list[Tag] = []
    for shapes in _opened(solid, k):
        tags += [t for t in _triangles(shapes, solid, mask, near, changed, inside_ink, k)
                 if not any(boxes_overlap(t.bbox, u.bbox) for u in tags)]
    return tags


def _opened(solid: np.ndarray, k: float):
    """(:func:`find_tags`) The filled loops opened by each disk of :data:`TAG_OPEN_PT`, then
    each shape opened by a disk of :data:`TAG_CORE_SHARE` of its own inradius: what a cloud
    closes against a tag's edge (a wedge as thick as the cloud's scallops) goes, and the
    tag stays a triangle with rounded corners."""
    thin = cv2.morphologyEx(solid, cv2.MORPH_OPEN, disk_px(TAG_OPEN_PT[0] * k))
    yield thin
    for radius in TAG_OPEN_PT[1:]:
        yield cv2.morphologyEx(solid, cv2.MORPH_OPEN, disk_px(radius * k))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(thin, connectivity=8)
    lo, hi = TAG_SIDE_PT[0] * k / (2 * math.sqrt(3)), TAG_SIDE_PT[1] * k / (2 * math.sqrt(3))
    cores = np.zeros(solid.shape, np.uint8)
    depth = cv2.distanceTransform(thin, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    for i in range(1, n):
        x, y, w, h = stats[i, :4]
        if max(w, h) > 4 * hi * math.sqrt(3):
            continue  # (no tag: a cloud's filled ring is opened away, not this)
        piece = (labels[y:y + h, x:x + w] == i).view(np.uint8)
        inradius = float(depth[y:y + h, x:x + w][piece.view(bool)].max())
        if lo <= inradius <= hi:
            cores[y:y + h, x:x + w] |= cv2.morphologyEx(
                piece, cv2.MORPH_OPEN, disk_px(TAG_CORE_SHARE * inradius))
    yield cores


def _triangles(shapes: np.ndarray, solid: np.ndarray, mask: np.ndarray, near: np.ndarray,
               changed: np.ndarray, inside_ink: np.ndarray, k: float) -> list[Tag]:
    """(:func:`find_tags`) The tags among ``shapes`` (uint8: the filled loops, opened;
    ``solid``: the filled loops; ``mask``, the closed changed ink, and ``near``, it grown by
    :data:`TAG_EDGE_PT`; ``k`` px a point). Each shape's smallest enclosing triangle, and
    the largest triangle on its hull (what a lump the opening left does not move), are
    tried (:func:`_is_tag`)."""
    lo, hi = TAG_SIDE_PT[0] * k, TAG_SIDE_PT[1] * k
    tags = []
    for contour in cv2.findContours(shapes, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0]:
        area = cv2.contourArea(contour)
        if not 0.3 * lo * lo <= area <= 0.44 * hi * hi:  # (a triangle's is 0.43 side²)
            continue
        # (a window around the shape: a whole sheet's masks are far larger)
        x, y, w, h = cv2.boundingRect(contour)
        pad = max(w, h) // 2 + int(math.ceil(TAG_STROKE_PT * k)) + 2
        y0, x0 = max(0, y - pad), max(0, x - pad)
        win = (slice(y0, y + h + pad), slice(x0, x + w + pad))
        shape = np.zeros(solid[win].shape, np.uint8)
        cv2.drawContours(shape, [contour], -1, 1, cv2.FILLED, offset=(-x0, -y0))
        found, enclosing = cv2.minEnclosingTriangle(contour.astype(np.float32))
        candidates = [enclosing.reshape(-1, 2)] if enclosing is not None and found else []
        candidates.append(_largest_triangle(contour))
        for corners in candidates:
            poly = _is_tag(corners.astype(np.float64) - (x0, y0), shape, solid[win], mask[win],
                           near[win], inside_ink[win], k)
            if poly is not None:
                own = np.zeros(changed.shape, bool)
                own[win] = changed[win] & cv2.dilate(poly, disk_px(TAG_STROKE_PT * k)).view(bool)
                ys, xs = np.nonzero(own[win])
                if len(ys):
                    tags.append(Tag((int(xs.min()) + x0, int(ys.min()) + y0,
                                     int(xs.max()) + 1 + x0, int(ys.max()) + 1 + y0), own))
                break
    return tags


def _largest_triangle(contour: np.ndarray) -> np.ndarray:
    """The largest triangle (3×2 pixels) on the corners of a contour's simplified hull."""
    hull = cv2.convexHull(contour)
    pts = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True).reshape(-1, 2)
    if len(pts) < 3:
        return np.repeat(pts[:1], 3, axis=0).astype(np.float64)
    pts = pts[:16].astype(np.float64)
    i, j, m = np.array([(i, j, m) for i in range(len(pts)) for j in range(i + 1, len(pts))
                        for m in range(j + 1, len(pts))]).T
    a, b, c = pts[i], pts[j], pts[m]
    area = np.abs((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1])
                  - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1]))
    best = int(np.argmax(area))
    return np.array([a[best], b[best], c[best]])


def _is_tag(corners: np.ndarray, shape: np.ndarray, solid: np.ndarray, mask: np.ndarray,
            near: np.ndarray, inside_ink: np.ndarray, k: float) -> np.ndarray | None:
    """(:func:`_triangles`) The triangle (``corners``, 3×2 pixels of a window, which the
    masks are of) filled (uint8), when it is a tag's: near equilateral, its size, filled
    by the filled loops (``solid``), ``shape`` not much beyond it, its edges drawn
    (``near``: the ink grown), open inside with a label (``inside_ink``); None otherwise."""
    lo, hi = TAG_SIDE_PT[0] * k, TAG_SIDE_PT[1] * k
    sides = np.hypot(*(corners - np.roll(corners, 1, axis=0)).T)
    if sides.min() < lo or sides.max() > hi:
        return None
    cosines = [np.dot(corners[(i + 1) % 3] - corners[i], corners[(i + 2) % 3] - corners[i])
               / (sides[(i + 1) % 3] * sides[(i + 2) % 3]) for i in range(3)]
    if np.abs(np.degrees(np.arccos(np.clip(cosines, -1, 1))) - 60.0).max() > TAG_ANGLE_TOL_DEG:
        return None
    poly = np.zeros(mask.shape, np.uint8)
    cv2.fillConvexPoly(poly, np.round(corners).astype(np.int32), 1)
    inside = np.count_nonzero(poly)
    if np.count_nonzero(solid & poly) < TAG_FILL * inside:
        return None
    beyond = shape & ~cv2.dilate(poly, disk_px(TAG_EDGE_PT * k))
    if np.count_nonzero(beyond) > TAG_BEYOND_SHARE * inside:
        return None  # a square's, a hexagon's, a circle's largest triangle: half of it
    if not _edges_drawn(corners, near):
        return None  # a letter A (no edge below)
    inner = cv2.erode(poly, disk_px(TAG_EDGE_PT * k)).view(bool)  # inside its edges
    if (np.count_nonzero(inner & ~mask.view(bool)) < TAG_PAPER_SHARE * np.count_nonzero(inner)
            or np.count_nonzero(inside_ink & inner) / (k * k) < TAG_LABEL_PT2):
        return None  # a filled triangle (an arrowhead), or an empty one (a truss's)
    return poly


#: Each of a tag's three edges is drawn: ink within :data:`TAG_EDGE_PT` of at least this
#: share of it (its middle 70 %: the corners are where a cloud joins).
TAG_EDGE_SHARE = 0.8


def _edges_drawn(corners: np.ndarray, near: np.ndarray) -> bool:
    """Is there ink (``near``: boolean, the changed ink grown by :data:`TAG_EDGE_PT`) along
    each edge of a triangle (``corners``, 3×2 pixels)?"""
    t = np.linspace(0.15, 0.85, 24)[:, None]
    h, w = near.shape
    for a, b in zip(corners, np.roll(corners, -1, axis=0)):
        xy = np.round(a + (b - a) * t).astype(int)
        ok = (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)
        hits = near[xy[ok, 1], xy[ok, 0]]
        if np.count_nonzero(hits) < TAG_EDGE_SHARE * len(t):
            return False
    return True


def _smoothed_outline(contour: np.ndarray, k: float, how: int,
                      radius_pt: float = OPEN_PT) -> np.ndarray:
    """The outline (n×2 pixels) of a filled ``contour`` opened (``how``
    ``cv2.MORPH_OPEN``: a component's outer edge) or closed (``cv2.MORPH_CLOSE``: a
    hole's edge) by a disk of ``radius_pt`` (``k`` px per point): what pokes out of the
    loop (or into its hole) thinner than that goes (a line ending on a circle, a line a
    cloud crosses); a scallop, wider, stays, and so do the cusps between scallops."""
    solid, origin = _solid(contour, k)
    solid = cv2.morphologyEx(solid, how, disk_px(radius_pt * k))
    outlines, _ = cv2.findContours(solid, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not outlines:
        return np.zeros((0, 2))
    return max(outlines, key=cv2.contourArea)[:, 0, :].astype(np.float64) + origin


def _solid(contour: np.ndarray, k: float) -> tuple[np.ndarray, tuple[int, int]]:
    """A contour (pixels, ``k`` a point) filled on a raster of its box with room for an
    opening by :data:`OPEN_PT` around it (uint8, 1 inside), and the pixel (x, y) the
    raster's top-left corner is at."""
    x, y, w, h = cv2.boundingRect(contour)
    pad = int(math.ceil(OPEN_PT * k)) + 2
    solid = np.zeros((h + 2 * pad, w + 2 * pad), np.uint8)
    cv2.drawContours(solid, [contour], -1, 1, cv2.FILLED, offset=(pad - x, pad - y))
    return solid, (x - pad, y - pad)


def _tails(contour: np.ndarray, shape: tuple, k: float) -> np.ndarray:
    """What pokes out of a loop's filled ``contour`` (pixels, ``k`` a point) thinner than
    :data:`OPEN_PT` and at least :data:`TAIL_PT` long: boolean mask of ``shape``. A changed
    line the bridging joined to the loop (a line erased next to a dropped cloud, joined by
    the rest of that line) is its own change, not the cloud's ink; a cusp of an inverted
    cloud, shorter, stays the cloud's."""
    solid, (ox, oy) = _solid(contour, k)
    body = cv2.dilate(cv2.morphologyEx(solid, cv2.MORPH_OPEN, disk_px(OPEN_PT * k)),
                      disk_px(CLOSE_PT * k))
    poking = (solid & (1 - body)).astype(np.uint8)
    out = np.zeros(shape, bool)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(poking, connectivity=8)
    for i in range(1, n):
        if max(stats[i, cv2.CC_STAT_WIDTH], stats[i, cv2.CC_STAT_HEIGHT]) < TAIL_PT * k:
            continue
        ys, xs = np.nonzero(labels == i)
        ys, xs = ys + oy, xs + ox
        ok = (ys >= 0) & (xs >= 0) & (ys < shape[0]) & (xs < shape[1])
        out[ys[ok], xs[ok]] = True
    return out


def _children(links: np.ndarray, i: int) -> list[int]:
    """Indices of the holes of outer contour ``i`` (OpenCV's RETR_CCOMP hierarchy)."""
    out, j = [], links[i][2]
    while j >= 0:
        out.append(j)
        j = links[j][0]
    return out


def scallop_cusps(outline: np.ndarray, px_per_pt: float, sign: float
                  ) -> tuple[np.ndarray, float]:
    """The cusps of a closed ``outline`` (n×2 pixel coordinates, in order) as a chain of
    scallops: where it turns sharply one way (``sign`` 1 or -1: the way its coordinates
    turn), the outline between them arcs turning the other way (see the module's
    conditions). Returns those that begin a good arc (m×2 pixels) and the share of the
    outline in good arcs (which :func:`paired_scallops` holds to :data:`MIN_ARC_SHARE` or
    :data:`MIN_OTHER_EDGE_SHARE`); none and 0 when the outline is no such chain at all."""
    none = (np.zeros((0, 2)), 0.0)
    found = _turns(outline, px_per_pt)
    if found is None:
        return none
    pts, c, local, step, span = found
    n = len(pts)
    cusps = _peaks(sign * local, math.radians(CUSP_TURN_DEG), span)
    if len(cusps) < MIN_SCALLOPS:
        return none
    lengths = np.diff(np.concatenate([cusps, [cusps[0] + n]])) * step / px_per_pt
    median = float(np.median(lengths))
    if not ARC_PT[0] <= median <= ARC_PT[1]:
        return none
    # each arc's own turning (between its cusps' windows), the other way
    arcs = [-sign * (c[n + b - span] - c[n + a + span]) if b - a > 2 * span else 0.0
            for a, b in zip(cusps, np.concatenate([cusps[1:], [cusps[0] + n]]))]
    good = (np.array(arcs) >= math.radians(MIN_ARC_TURN_DEG)) & (
        lengths <= LONG_ARC_FACTOR * median)
    return pts[cusps[good]], float(lengths[good].sum() / lengths.sum())


def _turns(outline: np.ndarray, px_per_pt: float):
    """A closed outline (n×2 pixels) resampled every half point, the cumulative sum of its
    turning over three laps (radians), its turn within :data:`CUSP_SPAN_PT` each side of
    every point, the step (pixels) and the span (steps); None when it is too short."""
    step = max(1.0, 0.5 * px_per_pt)
    pts = _resampled(outline, step)
    n = len(pts)
    span = max(1, int(round(CUSP_SPAN_PT * px_per_pt / step)))
    if n < 4 * span + 4:
        return None
    heading = np.arctan2(*(np.roll(pts, -1, axis=0) - pts).T[::-1])
    turn = np.angle(np.exp(1j * (np.roll(heading, -1) - heading)))  # per step, radians
    c = np.concatenate([[0.0], np.cumsum(np.concatenate([turn, turn, turn]))])
    idx = np.arange(n) + n
    return pts, c, c[idx + span] - c[idx - span], step, span


def paired_scallops(outer: np.ndarray, inner: np.ndarray, px_per_pt: float) -> int:
    """How many cusps of a loop's ``outer`` outline have one of its ``inner`` outline within
    :data:`CUSP_PAIR_PT` (n×2 pixels each): a stroke's two edges turn at the same places.
    Both edges are chains of scallops (:data:`MIN_ARC_SHARE`), or one is and the other
    less of one (:data:`MIN_OTHER_EDGE_SHARE`), and then most of the first's cusps
    (:data:`MIN_PAIRED_SHARE`) pair: a circle that leaders and centre lines meet, inside
    and out, has cusps of its own on each edge. (Either edge's cusps may turn either way:
    an inner edge's crests can pass for cusps.)"""
    def paired(a, b):
        d = np.hypot(*(a[:, None, :] - b[None, :, :]).transpose(2, 0, 1)).min(axis=1)
        return int(np.count_nonzero(d <= CUSP_PAIR_PT * px_per_pt))

    chains = [[scallop_cusps(outline, px_per_pt, sign) for sign in (1.0, -1.0)]
              for outline in (outer, inner)]
    best = 0
    for a, a_share in chains[0]:
        for b, b_share in chains[1]:
            lesser, greater = sorted((a_share, b_share))
            if not len(a) or not len(b) or greater < MIN_ARC_SHARE:
                continue
            if lesser >= MIN_ARC_SHARE:
                best = max(best, paired(a, b))
            elif lesser >= MIN_OTHER_EDGE_SHARE:
                n = paired(a, b)
                if n >= MIN_PAIRED_SHARE * len(a if a_share >= MIN_ARC_SHARE else b):
                    best = max(best, n)
    return best


def _resampled(outline: np.ndarray, step: float) -> np.ndarray:
    """Points every ``step`` pixels along a closed polyline."""
    closed = np.vstack([outline, outline[:1]])
    seg = np.hypot(*np.diff(closed, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    at = np.arange(0.0, s[-1], step)
    return np.column_stack([np.interp(at, s, closed[:, 0]), np.interp(at, s, closed[:, 1])])


def _peaks(values: np.ndarray, level: float, span: int) -> np.ndarray:
    """Indices of the local maxima of a circular array above ``level``, one per run of
    values above it (its highest), runs closer than ``span`` joined."""
    above = values >= level
    if not above.any():
        return np.zeros(0, int)
    if above.all():
        return np.array([int(np.argmax(values))])
    start = int(np.argmin(above))  # begin on a value below the level
    order = (np.arange(len(values)) + start) % len(values)
    peaks, run, last_end = [], [], -10 ** 9
    for pos, i in enumerate(order):
        if above[i]:
            run.append(i)
        elif run:
            top = max(run, key=lambda j: values[j])
            if peaks and pos - len(run) - last_end < span:
                if values[top] > values[peaks[-1]]:
                    peaks[-1] = top
            else:
                peaks.append(top)
            last_end, run = pos, []
    if run:
        peaks.append(max(run, key=lambda j: values[j]))
    return np.sort(np.array(peaks, int))


def set_clouds_apart(regions: list[ChangeRegion], crops, tolerance_pt: float
                     ) -> tuple[list[ChangeRegion], list[ChangeRegion], list[ChangeRegion]]:
    """Take the revision clouds and their tags out of change regions: (regions, clouds,
    tags).

    A region at least :data:`MIN_SIDE_PT` each way (not in the title block), whose changed
    ink covers at most :data:`MAX_INK_SHARE` of its box (the :data:`MAX_REGIONS` with the
    most ink of those), is compared again on its crops (:func:`.overlay.compare_ink` at
    ``tolerance_pt``), and its added and removed ink searched for clouds
    (:func:`find_clouds`). A cloud becomes a region of its own (kind ``added`` or
    ``removed``, its box and ink); what else of the region's ink is left, clustered again
    (:func:`.regions.find_regions`), stays among the changes: a cloud drawn within a few
    points of the detail it marks had joined it.

    A cloud's revision tag (:func:`find_tags`, within :data:`TAG_REACH_PT` of it, on its
    side) is taken out too: from the cloud's region, or, when it clustered apart, its own
    small region (which is then compared again on its crops).

    ``crops(bbox)``: for a region's box (new-sheet points) a box around it (points, about
    12 pt wider each way at least: where a cloud runs over the other sheet's ink at its
    outermost, the region's box stops short of it), a DPI (at least 100: at 72 a 1 pt cloud on a
    noisy scan breaks into dots) and grayscale crops of that box of the aligned old sheet and
    of the new one (the comparison keeps them: they are the region's saved crops). Boxes
    are new-sheet points."""
    def could_hold(r):  # a box a cloud fits, and sparse ink: a ring, not a filled area
        w, h = r.bbox[2] - r.bbox[0], r.bbox[3] - r.bbox[1]
        return (not r.in_title_block and min(w, h) >= MIN_SIDE_PT
                and r.area_pt2 <= MAX_INK_SHARE * w * h)

    looked = {id(r) for r in sorted(filter(could_hold, regions), key=lambda r: -r.area_pt2)
              [:MAX_REGIONS]}
    kept, clouds, tags = [], [], []
    for r in regions:
        if id(r) not in looked:
            kept.append(r)
            continue
        others = [o.bbox for o in regions if o is not r and boxes_overlap(o.bbox, r.bbox)]
        split = _split_clouds(r, others, crops, tolerance_pt)
        if split is None:
            kept.append(r)
        else:
            kept += split[0]
            clouds += split[1]
            tags += split[2]
    # a tag that clustered apart from its cloud: a small region beside it, of its side
    rest = []
    for r in kept:
        tag = None
        if (not r.in_title_block and r.kind in ("added", "removed")
                and max(r.bbox[2] - r.bbox[0], r.bbox[3] - r.bbox[1]) <= TAG_SIDE_PT[1]
                and any(c.kind == r.kind and box_gap(c.bbox, r.bbox) <= TAG_REACH_PT
                        for c in clouds)):
            tag = _whole_tag(r, crops, tolerance_pt)
        if tag is None:
            rest.append(r)
        else:
            tags.append(tag)
    return rest, clouds, tags


#: A small region is a tag when the tag holds at least this share of its changed ink.
TAG_INK_SHARE = 0.8


def _whole_tag(region: ChangeRegion, crops, tolerance_pt: float) -> ChangeRegion | None:
    """``region`` as a revision tag (a region of its own: its box, the tag's ink's), when it
    is one: a tag holds most of its changed ink (:data:`TAG_INK_SHARE`); None otherwise."""
    box, dpi, masks, old_ink, new_ink = _compared_crops(region.bbox, crops, tolerance_pt)
    k = dpi / 72.0
    mask = masks.added if region.kind == "added" else masks.removed
    own = np.zeros(mask.shape, bool)
    own[_pixels(region.bbox, box, k)] = True
    total = np.count_nonzero(mask & own)
    for t in find_tags(mask, dpi, old_ink | new_ink,
                       new_ink if region.kind == "added" else old_ink):
        if total and np.count_nonzero(t.ink & own) >= TAG_INK_SHARE * total:
            return _side_region(region.kind, _in_points(t.bbox, box, k),
                                np.count_nonzero(t.ink) / (k * k))
    return None


def _compared_crops(bbox, crops, tolerance_pt: float):
    """A region's crops (``crops(bbox)``, see :func:`set_clouds_apart`) compared: the
    crop's box (points), its DPI, the :class:`.overlay.OverlayMasks` and the old and new
    ink (boolean)."""
    box, dpi, old, new = crops(bbox)
    return (box, dpi, compare_ink(old, new, dpi, tolerance_pt), old < INK_THRESHOLD,
            new < INK_THRESHOLD)


def _side_region(side: str, bbox, area_pt2: float) -> ChangeRegion:
    """A region of one side's ink (``added`` or ``removed``): ``bbox`` in points, its area
    in pt²."""
    return ChangeRegion("", side, bbox, area_pt2, area_pt2 if side == "removed" else 0.0,
                        area_pt2 if side == "added" else 0.0)


def _pixels(b, box, k: float, pad: float = 1.0) -> tuple[slice, slice]:
    """A box ``b`` (points) as slices of a crop of ``box`` (points) at ``k`` px a point,
    grown by ``pad`` (points)."""
    return (slice(max(0, int((b[1] - pad - box[1]) * k)),
                  max(0, int((b[3] + pad - box[1]) * k) + 1)),
            slice(max(0, int((b[0] - pad - box[0]) * k)),
                  max(0, int((b[2] + pad - box[0]) * k) + 1)))


def _in_points(b, box, k: float) -> tuple[float, float, float, float]:
    """A box ``b`` in a crop's pixels as points of the sheet (the crop of ``box``, points,
    at ``k`` px a point)."""
    return (box[0] + b[0] / k, box[1] + b[1] / k, box[0] + b[2] / k, box[1] + b[3] / k)


#: Regions whose changed ink covers more than this share of their box are not looked at
#: for clouds (a cloud's ring covers a few percent of its box; with a detail it marks
#: joined to it, more)...
MAX_INK_SHARE = 0.4
#: ... and at most this many regions a sheet (the most ink first): each takes two crops.
MAX_REGIONS = 60
#: A cloud's ring is taken to lie within this of its box's edges (points): its scallops'
#: depth and its stroke, with a margin.
RING_BAND_PT = 12.0


def cloud_ring(cloud: ChangeRegion) -> list[ChangeRegion]:
    """Four stand-in regions along the edges of a cloud's box (:data:`RING_BAND_PT` deep):
    where its ink is, for a search that leaves known changes alone but should look inside
    the cloud (a digit changed in a clouded dimension)."""
    x0, y0, x1, y1 = cloud.bbox
    b = min(RING_BAND_PT, (x1 - x0) / 3, (y1 - y0) / 3)
    return [ChangeRegion(cloud.id, cloud.kind, box, 0.0, 0.0, 0.0)
            for box in ((x0, y0, x1, y0 + b), (x0, y1 - b, x1, y1), (x0, y0, x0 + b, y1),
                        (x1 - b, y0, x1, y1))]


def _split_clouds(region: ChangeRegion, others: list, crops, tolerance_pt: float
                  ) -> tuple[list[ChangeRegion], list[ChangeRegion], list[ChangeRegion]] | None:
    """A region's clouds, the rest of its changes and the clouds' tags
    (:func:`set_clouds_apart`); None when it holds no cloud. ``others``: the boxes (points)
    of other regions overlapping its box, whose ink is theirs."""
    box, dpi, masks, old_ink, new_ink = _compared_crops(region.bbox, crops, tolerance_pt)
    k = dpi / 72.0
    ink = old_ink | new_ink
    sides = (("added", masks.added, new_ink, old_ink),
             ("removed", masks.removed, old_ink, new_ink))
    mine = np.zeros(ink.shape, bool)  # the region's own box in the crop
    mine[_pixels(region.bbox, box, k)] = True
    # a cloud is this region's when most of its ink is in the region's box (the crop's
    # margin may show the cloud around a change inside it, which is that cloud's region's)
    found = [(side, c) for side, mask, side_ink, other_ink in sides
             for c in find_clouds(mask, dpi, ink, side_ink, other_ink)
             if np.count_nonzero(c.loop & mine) >= 0.5 * np.count_nonzero(c.loop)]
    if not found:
        return None
    # their tags: triangles beside them, of their side (looked for on the sides holding a
    # cloud only), mostly in the region's box
    reach = TAG_REACH_PT * k
    cloudy = {side for side, _ in found}
    found += [(side, t) for side, mask, side_ink, _ in sides if side in cloudy
              for t in find_tags(mask, dpi, ink, side_ink)
              if any(s == side and box_gap(c.bbox, t.bbox) <= reach for s, c in found)
              and np.count_nonzero(t.ink & mine) >= 0.5 * np.count_nonzero(t.ink)]

    tag_ink = np.zeros(ink.shape, bool)
    for _, c in found:
        if isinstance(c, Tag):
            tag_ink |= c.ink
    clouds, tags, loops = [], [], tag_ink.copy()
    for side, c in found:
        # a tag joined to its cloud is the tag's, not the cloud's (nor in the cloud's box)
        ink_px = c.loop & ~tag_ink if isinstance(c, Cloud) else c.ink
        ys, xs = np.nonzero(ink_px)
        if not len(ys):
            continue
        bbox = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
        (clouds if isinstance(c, Cloud) else tags).append(
            _side_region(side, _in_points(bbox, box, k), len(ys) / (k * k)))
        loops |= ink_px
    # the rest: the region's own changed ink, in its box (what the clustering joined to the
    # clouds), but not in another region's (a change inside a cloud but apart from it is a
    # region of its own already)
    own = mine.copy()
    for b in others:
        own[_pixels(b, box, k)] = False
    own &= ~loops
    rest = []
    if (np.count_nonzero(own & (masks.added | masks.removed)) / (k * k)) >= MIN_CHANGE_PT2:
        maps = [(m & own).astype(np.float32) for m in (masks.removed, masks.added)]
        for r in find_regions(*maps, dpi, 1.0 / (k * k)):  # (the crop's points)
            r.bbox = (box[0] + r.bbox[0], box[1] + r.bbox[1], box[0] + r.bbox[2],
                      box[1] + r.bbox[3])
            rest.append(r)
    return rest, clouds, tags


#: A tag's label is a word of at most this many characters (a revision's number or letter).
TAG_LABEL_CHARS = 3


def tag_labels(tags: list[ChangeRegion], text_changes: list) -> tuple[list, dict]:
    """The revision tags' labels among a sheet's text changes (``.text_diff.TextChange``,
    boxes in new-sheet points): a short word (:data:`TAG_LABEL_CHARS`) added with an added
    tag or dropped with a dropped one, inside it, is its label. Returns the other text
    changes and the labels ({id(tag): label})."""
    labels, rest = {}, []
    for tc in text_changes:
        text = tc.text_after if tc.kind == "added" else tc.text_before
        host = next((t for t in tags if tc.kind == t.kind and text
                     and len(text.strip()) <= TAG_LABEL_CHARS
                     and box_inside(tc.bbox, grow_box(t.bbox, 1.0))), None)
        if host is None:
            rest.append(tc)
        else:
            labels[id(host)] = " ".join(filter(None, (labels.get(id(host)), text.strip())))
    return rest, labels
