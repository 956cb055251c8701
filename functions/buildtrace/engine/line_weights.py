"""Line weights: has a vector sheet been plotted with other pen widths than its
predecessor (another pen table or plot style)?

Then nearly every line differs in weight while nothing moved. The overlay's tolerance
absorbs a heavier line, but the small-change test (small_changes.py), which looks for a
changed digit below that tolerance, finds spots where the heavier strokes close a gap or
merge two lines and lists them as changes. The sheets' own path widths say what happened,
exactly and before any pixel is drawn: compared here as histograms of stroked lines by
width (:meth:`.drawing_set.Page.line_weights`), so the comparison can say so once for the
sheet and hold the small-change test to its stricter level, instead of listing the pen
table spot by spot. An edit adds or removes a few lines; a re-plot that only moved keeps
every width.

Widths are in points on the sheet; the old sheet's are scaled by the alignment's scale
(a sheet plotted at another size draws its lines scaled too).

A pen can also change alone: the walls' lines drawn 1.4 pt wide instead of 0.48, every
other line as it was. That is a change to the drawing (not a pen table:
:func:`line_weight_change` says nothing), but not one to list along every wall: the
sheet says it once (:func:`moved_pens`), and is compared at the new width.

Saying so is not enough where the new pens are much heavier: a 0.84 pt line drawn 2.5 times
as wide grows 1 pt each side, beyond the overlay's tolerance, and every such line came out
as a band of "added" ink (17 changes off the edits on the site plan at 2.5×, up to
1,140 pt² at 3×). So the old sheet is then compared as the new pens would draw it
(:func:`pen_widths`, :func:`.drawing_set.with_line_widths`): the overlay shows what was
drawn, not how heavily.
"""

from __future__ import annotations

import bisect
import math
from typing import NamedTuple

#: Widths within this ratio of each other count as the same pen (3 %: PDF writers round
#: widths to a few digits).
SAME_WIDTH_RATIO = 1.03
#: The pen table changed when at most this share of the lines (by count, the two sheets'
#: histograms intersected) keep their width.
MAX_KEPT_SHARE = 0.5
#: ... and each sheet draws at least this many stroked lines (fewer say little).
MIN_LINES = 50


class LineWeightChange(NamedTuple):
    """How the new sheet's line weights differ from the old one's."""

    #: the share of lines (0-1) whose width is the same on both sheets
    kept_share: float
    #: the new sheet's median line width over the old one's (scaled), e.g. 1.6
    factor: float


def _bin(width_pt: float) -> int:
    """A width's bin: widths within :data:`SAME_WIDTH_RATIO` of each other mostly share
    one; 0 (the thinnest line a device draws) and hairlines below 0.01 pt have their own."""
    if width_pt < 0.01:
        return -(10 ** 6)
    return round(math.log(width_pt) / math.log(SAME_WIDTH_RATIO))


def _shares(counts: dict[float, int], scale: float) -> dict[int, float]:
    total = sum(counts.values())
    shares: dict[int, float] = {}
    for width, n in counts.items():
        b = _bin(width * scale)
        shares[b] = shares.get(b, 0.0) + n / total
    return shares


def _median(counts: dict[float, int], scale: float) -> float:
    """The median width of the lines drawn wider than 0.01 pt (scaled), or 0."""
    items = sorted((w * scale, n) for w, n in counts.items() if w * scale >= 0.01)
    half = sum(n for _, n in items) / 2
    run = 0
    for w, n in items:
        run += n
        if run >= half:
            return w
    return 0.0


def line_weight_change(old: dict[float, int], new: dict[float, int], scale: float = 1.0
                       ) -> LineWeightChange | None:
    """The change of line weights from ``old`` to ``new`` (stroked lines by width in points,
    :meth:`.drawing_set.Page.line_weights`) when the new sheet was plotted with other pens:
    at most :data:`MAX_KEPT_SHARE` of its lines keep their width. None when the widths
    match, or either sheet draws fewer than :data:`MIN_LINES` lines. ``scale``: the old
    sheet's points to the new sheet's (the alignment's scale)."""
    if sum(old.values()) < MIN_LINES or sum(new.values()) < MIN_LINES:
        return None
    a, b = _shares(old, scale), _shares(new, 1.0)
    # a width a hair either side of a bin's edge: matched to the bins beside it too
    kept = sum(min(share, a.get(k, 0.0) + a.get(k - 1, 0.0) + a.get(k + 1, 0.0))
               for k, share in b.items())
    kept = min(1.0, kept)
    if kept > MAX_KEPT_SHARE:
        return None
    m_old, m_new = _median(old, scale), _median(new, 1.0)
    factor = m_new / m_old if m_old > 0 else float("inf")
    return LineWeightChange(round(kept, 3), round(factor, 2))


def pen_widths(old: dict[float, int], new: dict[float, int], scale: float = 1.0
               ) -> dict[float, float]:
    """For each line width of the old sheet (a key of ``old``, points on the old sheet), the
    width the new sheet's pens draw a line of that weight at (points on the old sheet, so
    it can be drawn there): the new width of the same rank. Each old width takes the new
    width at the middle of its share of the old sheet's lines, both sheets' lines sorted by
    width (``old`` and ``new`` as :meth:`.drawing_set.Page.line_weights` counts them;
    ``scale``: the old sheet's points to the new sheet's).

    A heavier pen table mostly keeps the pens' order (the thinnest lines stay the
    thinnest); where it does not, a line is drawn at a neighbouring pen's width, which is
    still nearer than its own (a table taking 0.12, 0.36 and 0.48 pt to 0.5, 0.25 and
    0.35 left no change off the edits on the floor plans). An edit adds or removes a few
    lines, which moves the ranks by their share only. Empty when either sheet draws no
    stroked lines."""
    total_old, total_new = sum(old.values()), sum(new.values())
    if not total_old or not total_new:
        return {}
    widths_new = sorted(new)
    reached, run = [], 0  # the share of the new sheet's lines up to each width
    for w in widths_new:
        run += new[w]
        reached.append(run / total_new)
    out, run = {}, 0
    for w in sorted(old):
        middle = (run + old[w] / 2) / total_old
        run += old[w]
        i = min(bisect.bisect_left(reached, middle), len(widths_new) - 1)
        out[w] = round(widths_new[i] / scale, 4)
    return out


#: A pen moved (:func:`moved_pens`) when it drew at least this share of the old sheet's
#: lines (and :data:`MIN_LINES`),
MOVED_MIN_SHARE = 0.05
#: ... the other sheet draws at most this share of as many lines at its old width (and
#: the old sheet at most this share of as many at its new width),
MOVED_LEFT_SHARE = 0.1
#: ... and its new width draws as many lines as it did, within this ratio (an edit adds or
#: removes a few).
MOVED_COUNT_RATIO = 1.15


class MovedPen(NamedTuple):
    """One pen's lines, all drawn at another width on the new sheet."""

    #: their width on the old sheet, scaled to the new sheet's points
    old_pt: float
    #: their width on the new sheet (points)
    new_pt: float
    #: how many lines the old sheet draws at that width
    lines: int


def moved_pens(old: dict[float, int], new: dict[float, int], scale: float = 1.0
               ) -> list[MovedPen]:
    """The pens whose lines all changed width while the others kept theirs: a width of
    the old sheet (at least :data:`MOVED_MIN_SHARE` of its lines) the new sheet hardly
    draws, paired with a width the new sheet draws as many times (within
    :data:`MOVED_COUNT_RATIO`) that the old sheet hardly draws (:data:`MOVED_LEFT_SHARE`).
    Largest pens first. ``old``, ``new`` and ``scale`` as for :func:`line_weight_change`;
    empty when either sheet draws fewer than :data:`MIN_LINES` lines.

    A revision that deletes every line of one width and draws as many of another is
    unlikely; a pen (a CAD layer's or a colour's weight) set to another width does
    exactly that."""
    total_old = sum(old.values())
    if total_old < MIN_LINES or sum(new.values()) < MIN_LINES:
        return []
    a, b = _pens(old, scale), _pens(new, 1.0)

    def near(pens, k):  # lines a sheet draws within a bin of ``k``
        return sum(pens[j][0] for j in (k - 1, k, k + 1) if j in pens)

    gone = sorted((k for k, (n, _) in a.items()
                   if n >= max(MIN_LINES, MOVED_MIN_SHARE * total_old)
                   and near(b, k) <= MOVED_LEFT_SHARE * n), key=lambda k: -a[k][0])
    came = {k for k, (n, _) in b.items()
            if n >= MIN_LINES and near(a, k) <= MOVED_LEFT_SHARE * n}
    moved = []
    for k in gone:
        n = a[k][0]
        fits = [j for j in came if max(n, b[j][0]) <= MOVED_COUNT_RATIO * min(n, b[j][0])]
        if not fits:
            continue
        j = min(fits, key=lambda j: abs(math.log(b[j][0] / n)))
        came.discard(j)
        moved.append(MovedPen(round(a[k][1], 3), round(b[j][1], 3), n))
    return moved


def _pens(counts: dict[float, int], scale: float) -> dict[int, tuple[int, float]]:
    """Lines by width bin (:func:`_bin`): (how many, the bin's commonest width, scaled)."""
    pens: dict[int, tuple[int, float]] = {}
    top: dict[int, int] = {}
    for width, n in counts.items():
        k = _bin(width * scale)
        total, common = pens.get(k, (0, width * scale))
        if n > top.get(k, 0):
            top[k], common = n, width * scale
        pens[k] = (total + n, common)
    return pens


def moved_pen_widths(old: dict[float, int], moved: list[MovedPen], scale: float = 1.0
                     ) -> dict[float, float]:
    """For each width of ``old`` (old sheet points), the width to draw it at so the old
    sheet has the new sheet's pens (old sheet points): a moved pen's new width, every
    other width its own (see :func:`.drawing_set.with_line_widths`). A width is a moved
    pen's when it is within :data:`SAME_WIDTH_RATIO` of it."""
    def pen_of(width: float) -> MovedPen | None:
        for p in moved:
            if width == p.old_pt or (min(width, p.old_pt) > 0 and max(width, p.old_pt)
                                     <= SAME_WIDTH_RATIO * min(width, p.old_pt)):
                return p
        return None

    out = {}
    for w in old:
        p = pen_of(w * scale)
        out[w] = w if p is None else round(p.new_pt / scale, 4)
    return out


def compared_widths(old: dict[float, int], new: dict[float, int], scale: float = 1.0
                    ) -> tuple[LineWeightChange | None, list[MovedPen], dict[float, float]]:
    """What the two sheets' line weights say (``old``, ``new`` and ``scale`` as for
    :func:`line_weight_change`): the pen table's change or None, the pens moved alone
    (only without a pen table's change), and the width to draw each old width at so the
    old sheet has the new sheet's pens (old sheet points; empty when nothing changed)."""
    pens = line_weight_change(old, new, scale)
    if pens is not None:
        return pens, [], pen_widths(old, new, scale)
    moved = moved_pens(old, new, scale)
    return None, moved, moved_pen_widths(old, moved, scale) if moved else {}
