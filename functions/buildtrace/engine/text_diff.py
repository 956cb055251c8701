"""Word-level text changes between two aligned sheets.

The old sheet's words are carried into the new sheet's frame by the alignment matrix; a
word that reappears with the same text within :data:`MATCH_TOL_PT` is unchanged. The words
left over on either side are grouped into phrases (neighbours on one line) and phrases that
overlap across the sheets become one *changed* text (a dimension ``31'-6 7/8"`` that became
``8'-8 1/8"``); a phrase removed and the same phrase added near it *moved* (a room name moved
in its room); the rest are *removed* or *added* text.

Boxes are in PDF points of the new sheet, origin top-left, y down.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .components import components
from .drawing_set import Word
from .identify import group_phrases
from .regions import box_centre, box_gap

#: A word that moved less than this (points) is the same word.
MATCH_TOL_PT = 3.0
#: Words on one line closer than this many character heights form one phrase.
PHRASE_GAP_HEIGHTS = 1.2
#: A phrase removed and the same phrase added with their centres at most this far apart
#: (points) is one *moved* text: a room name or a tag moved across its room. Farther, only
#: a phrase with a letter that the sheet removed once and added once moved (a label); a
#: dimension "1,820" deleted in one place and another drawn elsewhere are two changes.
TEXT_MOVE_MAX_PT = 144.0


@dataclass
class TextChange:
    kind: str  # changed | removed | added | moved
    bbox: tuple[float, float, float, float]
    text_before: str | None
    text_after: str | None
    #: a moved text: where it was (``bbox`` is where it is), new-sheet points
    from_bbox: tuple[float, float, float, float] | None = None

    def to_dict(self) -> dict:
        d = {"kind": self.kind, "bbox": [round(float(v), 1) for v in self.bbox],
             "text_before": self.text_before, "text_after": self.text_after}
        if self.from_bbox is not None:
            d["from_bbox"] = [round(float(v), 1) for v in self.from_bbox]
        return d


def same_letters(a: str | None, b: str | None) -> bool:
    """Equal once spaces and punctuation are dropped ("POWER" / "-POWER", "----" / "--")."""
    return _letters(a) == _letters(b)


def _letters(text: str | None) -> str:
    """``text`` without spaces and punctuation: its letters and digits."""
    return re.sub(r"[\W_]", "", text or "")


def map_words(words: list[Word], matrix: np.ndarray, stretch=None) -> list[Word]:
    """Words with their boxes carried by a 2×3 matrix (the box of the mapped corners), and
    by a re-scan's paper stretch beyond it (a :class:`.stretch.StretchField`) when given."""
    if not words:
        return []
    b = np.array([w.bbox for w in words], float)  # n×4: x0, y0, x1, y1
    corners = np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [0, 3]], b[:, [2, 3]]], axis=1)
    pts = corners @ np.asarray(matrix, float)[:, :2].T + np.asarray(matrix, float)[:, 2]
    if stretch is not None:  # all words' corners at once (n×4×2)
        pts = pts + stretch.shifts_at(pts.reshape(-1, 2)).reshape(pts.shape)
    lo, hi = pts.min(axis=1), pts.max(axis=1)
    return [Word(w.text, (float(lo[i, 0]), float(lo[i, 1]), float(hi[i, 0]), float(hi[i, 1])),
                 w.confidence, w.turns) for i, w in enumerate(words)]


def _unmatched(old: list[Word], new: list[Word]) -> tuple[list[Word], list[Word]]:
    """Words of each side with no same-text word within MATCH_TOL_PT on the other (the
    nearest free one is taken). Words are looked up in a grid of cells by text, and each
    centre is found once: a dense sheet has 10,000-20,000 words a side."""
    cell = 4 * MATCH_TOL_PT
    centres = [box_centre(w.bbox) for w in new]
    grid: dict[tuple[str, int, int], list[int]] = defaultdict(list)
    for j, (w, (cx, cy)) in enumerate(zip(new, centres)):
        grid[(w.text, int(cx // cell), int(cy // cell))].append(j)
    used_new: set[int] = set()
    left_old = []
    for w in old:
        cx, cy = box_centre(w.bbox)
        gx, gy = int(cx // cell), int(cy // cell)
        best, best_d = None, MATCH_TOL_PT
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for j in grid.get((w.text, gx + dx, gy + dy), ()):
                    if j in used_new:
                        continue
                    d = math.hypot(centres[j][0] - cx, centres[j][1] - cy)
                    if d <= best_d:
                        best, best_d = j, d
        if best is None:
            left_old.append(w)
        else:
            used_new.add(best)
    left_new = [w for j, w in enumerate(new) if j not in used_new]
    return _split_otherwise(left_old, left_new)


def _split_otherwise(old: list[Word], new: list[Word]) -> tuple[list[Word], list[Word]]:
    """``old`` and ``new`` (words left unmatched, boxes in one frame) without the texts
    that one sheet's text layer splits into words otherwise than the other's: "7.370" on
    one, "7" "." "3" "7" "0" on the other (PDF producers emit a word, or each glyph, as a
    text object; a CJK label is read as one word or five). Words of the two sides that sit
    in one place (:func:`_overlap`, chained) are one text when their texts joined along
    the line are equal and their boxes agree within :data:`MATCH_TOL_PT` at every edge."""
    if not old or not new:
        return old, new
    words = old + new
    cell = 48.0  # points: the new words are looked up by the cells their boxes cover
    grid: dict[tuple[int, int], list[int]] = defaultdict(list)

    def cells(b):
        return [(gx, gy) for gx in range(int(b[0] // cell), int(b[2] // cell) + 1)
                for gy in range(int(b[1] // cell), int(b[3] // cell) + 1)]

    for j, w in enumerate(new):
        for c in cells(w.bbox):
            grid[c].append(j)
    links = [(i, len(old) + j) for i, w in enumerate(old)
             for j in {j for c in cells(w.bbox) for j in grid.get(c, ())}
             if _overlap(w, new[j])]
    same: set[int] = set()
    for members in components(len(words), links):
        olds = [words[i] for i in members if i < len(old)]
        news = [words[i] for i in members if i >= len(old)]
        if (olds and news and len(members) > 2
                and np.abs(np.subtract(_box(olds), _box(news))).max() <= MATCH_TOL_PT
                and _joined_alike(olds, news)):
            same.update(members)
    return ([w for i, w in enumerate(old) if i not in same],
            [w for j, w in enumerate(new) if len(old) + j not in same])


def _joined_alike(a: list[Word], b: list[Word]) -> bool:
    """Do two runs of words read the same joined (spaces dropped), in order along their
    line: across a line wider than tall, down (or up) a taller one (text turned 90°)?"""
    box = _box(a + b)
    axis = 0 if box[2] - box[0] >= box[3] - box[1] else 1

    def joined(ws: list[Word], backwards: bool) -> str:
        ws = sorted(ws, key=lambda w: w.bbox[axis] + w.bbox[axis + 2], reverse=backwards)
        return "".join("".join(w.text.split()) for w in ws)

    return any(joined(a, back) == joined(b, back) for back in (False, True))


def same_words(old_words_in_new_frame: list[Word], new_words: list[Word]) -> list[Word]:
    """The new sheet's words that have a same-text word within :data:`MATCH_TOL_PT` on the
    old sheet (its words mapped to the new frame): text that did not change."""
    _left_old, left_new = _unmatched(old_words_in_new_frame, new_words)
    left = {id(w) for w in left_new}
    return [w for w in new_words if id(w) not in left]


def agreement(old_words_in_new_frame: list[Word], new_words: list[Word]) -> float:
    """The share of the words of both sheets (old ones mapped to the new frame) that have
    a same-text word within :data:`MATCH_TOL_PT` on the other sheet: 1.0 for two identical
    text layers, and for none."""
    n = len(old_words_in_new_frame) + len(new_words)
    if n == 0:
        return 1.0
    left_old, left_new = _unmatched(old_words_in_new_frame, new_words)
    return 1.0 - (len(left_old) + len(left_new)) / n


def _box(ws: list[Word]) -> tuple[float, float, float, float]:
    return (min(w.bbox[0] for w in ws), min(w.bbox[1] for w in ws),
            max(w.bbox[2] for w in ws), max(w.bbox[3] for w in ws))


def reading_order(ws: list[Word]) -> list[Word]:
    """Line by line (lines found by vertical overlap), left to right."""
    return [w for line in group_phrases(ws, gap_heights=1e9) for w in line]


def _overlap(a: Word, b: Word) -> bool:
    """Do two words sit in the same place: overlapping across, and vertically by half the
    smaller height?"""
    dy = min(a.bbox[3], b.bbox[3]) - max(a.bbox[1], b.bbox[1])
    dx = min(a.bbox[2], b.bbox[2]) - max(a.bbox[0], b.bbox[0])
    return dx > 0 and dy >= 0.5 * min(a.height, b.height)


def _shifted_copy(olds: list[Word], news: list[Word]) -> bool:
    """Are ``news`` the words ``olds`` moved (farther than :data:`MATCH_TOL_PT`): the same
    words in the same order, each box the old one's shifted by one displacement (within
    :data:`MATCH_TOL_PT`)? Words read otherwise (split, joined, their boxes another size,
    as two text layers of one print are) are not."""
    if len(olds) != len(news) or any(o.text != n.text for o, n in zip(olds, news)):
        return False
    d = np.subtract(news[0].bbox, olds[0].bbox)
    if np.hypot(d[0], d[1]) <= MATCH_TOL_PT:
        return False
    return all(np.abs(np.subtract(n.bbox, o.bbox) - [d[0], d[1], d[0], d[1]]).max() <= MATCH_TOL_PT
               for o, n in zip(olds, news))


def diff_words(old_words_in_new_frame: list[Word], new_words: list[Word]) -> list[TextChange]:
    """Text changes between old words (already mapped to the new frame) and new words.

    Words left unmatched are paired where an old and a new word sit in the same place;
    neighbouring pairs join into one change only when they are neighbours on *both* sheets
    (so ``31'-6 7/8"`` → ``8'-8 1/8"`` is one change, while a rewritten word beside an
    unrelated one is not merged with it); words without a partner join the change of their
    neighbour on the same line, or form an added or removed text of their own."""
    left_old, left_new = _unmatched(old_words_in_new_frame, new_words)
    words = [("o", w) for w in left_old] + [("n", w) for w in left_new]
    links: list[tuple[int, int]] = []  # words of one change
    n_old = len(left_old)
    # phrase neighbours on each side: index of the word after each word, if any
    nxt: dict[int, int] = {}
    for side, offset, ws in (("o", 0, left_old), ("n", n_old, left_new)):
        pos = {id(w): offset + k for k, w in enumerate(ws)}
        for phrase in group_phrases(ws, PHRASE_GAP_HEIGHTS):
            for a, b in zip(phrase, phrase[1:]):
                nxt[pos[id(a)]] = pos[id(b)]
    partner: dict[int, int] = {}
    for i, o in enumerate(left_old):
        best = None
        for j, n in enumerate(left_new):
            if n_old + j in partner or not _overlap(o, n):
                continue
            area = ((min(o.bbox[2], n.bbox[2]) - max(o.bbox[0], n.bbox[0]))
                    * (min(o.bbox[3], n.bbox[3]) - max(o.bbox[1], n.bbox[1])))
            if best is None or area > best[0]:
                best = (area, n_old + j)
        if best is not None:
            partner[i], partner[best[1]] = best[1], i
            links.append((i, best[1]))
    for a, b in nxt.items():
        pa, pb = partner.get(a), partner.get(b)
        if pa is not None and pb is not None:
            if nxt.get(pa) == pb or nxt.get(pb) == pa:
                links.append((a, b))  # neighbours on both sheets: one phrase changed
        elif pa is None and pb is None:
            links.append((a, b))  # unpaired neighbours: one added/removed phrase
    for a, b in nxt.items():  # an unpaired word joins its paired neighbour's change
        if (a in partner) != (b in partner):
            links.append((a, b))
    changes = []
    for members in components(len(words), links):
        olds = reading_order([words[i][1] for i in members if i < n_old])
        news = reading_order([words[i][1] for i in members if i >= n_old])
        before = " ".join(w.text for w in olds) or None
        after = " ".join(w.text for w in news) or None
        kind = "changed" if before and after else ("removed" if before else "added")
        if kind == "changed" and _shifted_copy(olds, news):
            # the same words drawn overlapping where they were: moved by less than their
            # width (a label moved 19 pt, 24 pt wide)
            changes.append(TextChange("moved", _box(news), before, after, from_bbox=_box(olds)))
            continue
        changes.append(TextChange(kind, _box(olds + news), before, after))
    changes = _moved_texts(changes)
    changes.sort(key=lambda c: (round(c.bbox[1]), c.bbox[0]))
    return changes


#: A repeated phrase pairs first where it moved as a phrase within this (points) of it
#: did, unambiguously ...
LABEL_WORD_GAP_PT = 72.0
#: ... by that phrase's displacement within this (points).
LABEL_SHIFT_TOL_PT = 1.0


def _shift_cell(d) -> tuple[int, int]:
    """The cell of a displacement (points) on a grid of :data:`LABEL_SHIFT_TOL_PT`
    (floored: two displacements within it of each other lie at most a cell apart)."""
    return (math.floor(d[0] / LABEL_SHIFT_TOL_PT), math.floor(d[1] / LABEL_SHIFT_TOL_PT))


def _moved_texts(changes: list[TextChange]) -> list[TextChange]:
    """Removed and added texts of the same letters within :data:`TEXT_MOVE_MAX_PT` of each
    other (nearest pairs first; a phrase the sheet repeats first where it moved as a phrase
    beside it surely did, :data:`LABEL_WORD_GAP_PT`), or anywhere on the sheet for a phrase
    removed once and added once that has a letter, or moved by the displacement of another
    such phrase beside it (figures of a table moved together), made one *moved* text
    (``bbox`` where it is, ``from_bbox`` where it was)."""
    removed = [c for c in changes if c.kind == "removed"]
    added = [c for c in changes if c.kind == "added"]
    count: dict = defaultdict(int)  # how often the sheet removed and added each phrase
    for c in removed + added:
        count[(c.kind, _letters(c.text_before or c.text_after))] += 1

    def shift(r, a) -> np.ndarray:
        return np.subtract(box_centre(a.bbox), box_centre(r.bbox))

    pairs = [(float(np.hypot(*shift(r, a))), i, j)
             for i, r in enumerate(removed) for j, a in enumerate(added)
             if _letters(r.text_before) == _letters(a.text_after) != ""]

    def once(i: int) -> bool:  # removed once and added once
        key = _letters(removed[i].text_before)
        return count[("removed", key)] == 1 and count[("added", key)] == 1

    # pairs by their displacement (cells of LABEL_SHIFT_TOL_PT each way: a displacement
    # within it of another lies in the same cell or a neighbouring one)
    by_shift: dict = defaultdict(list)
    for _d, i, j in pairs:
        by_shift[_shift_cell(shift(removed[i], added[j]))].append((i, j))

    def shares_shift(i: int, j: int, among=None) -> bool:
        """Does another pair beside this one (:data:`LABEL_WORD_GAP_PT`), of ``among``
        (pairs (i, j)) when given, share its displacement (:data:`LABEL_SHIFT_TOL_PT`)?"""
        mine = shift(removed[i], added[j])
        bx, by = _shift_cell(mine)
        return any(k != i and m != j and (among is None or (k, m) in among)
                   and box_gap(added[m].bbox, added[j].bbox) <= LABEL_WORD_GAP_PT
                   and np.abs(shift(removed[k], added[m]) - mine).max() <= LABEL_SHIFT_TOL_PT
                   for ox in (-1, 0, 1) for oy in (-1, 0, 1)
                   for k, m in by_shift.get((bx + ox, by + oy), ()))

    # phrases removed and added once, far apart, that moved by one displacement beside
    # each other: a table of figures or a dimension string moved as a selection
    far_once = {(i, j) for d, i, j in pairs if once(i) and d > TEXT_MOVE_MAX_PT}

    def moved_together(i: int, j: int) -> bool:
        return shares_shift(i, j, far_once)

    # two labels a sheet repeats ("物入" of two closets) moved together pair each with its
    # own old place, not crosswise with the other's because it lies nearer
    in_company = shares_shift

    # a phrase removed and added once (near, with a letter, or moved with others): moved
    # for sure; its displacement is its label's, which a phrase of the label the sheet
    # repeats ("(m)" of two labels) shares
    sure = [(added[j].bbox, shift(removed[i], added[j])) for d, i, j in pairs
            if once(i) and (d <= TEXT_MOVE_MAX_PT
                            or any(ch.isalpha() for ch in _letters(removed[i].text_before))
                            or moved_together(i, j))]

    def beside_its_label(i: int, j: int) -> bool:
        return any(box_gap(box, added[j].bbox) <= LABEL_WORD_GAP_PT
                   and np.abs(shift(removed[i], added[j]) - d).max() <= LABEL_SHIFT_TOL_PT
                   for box, d in sure)

    # (a phrase removed and added once has one pair: its place in the order is moot)
    pairs.sort(key=lambda p: (not once(p[1]) and not beside_its_label(p[1], p[2])
                              and not in_company(p[1], p[2]), p[0]))
    used_r, used_a, moved = set(), set(), []
    for d, i, j in pairs:
        key = _letters(removed[i].text_before)
        # farther: a phrase with a letter, or one that moved by its label's displacement
        # beside it (a window tag's code "02613" moved 145 pt with its name: CAD moves a
        # selection)
        far_ok = ((any(ch.isalpha() for ch in key) and once(i)) or beside_its_label(i, j)
                  or (once(i) and moved_together(i, j)))
        if (d > TEXT_MOVE_MAX_PT and not far_ok) or i in used_r or j in used_a:
            continue
        used_r.add(i)
        used_a.add(j)
        r, a = removed[i], added[j]
        moved.append(TextChange("moved", a.bbox, r.text_before, a.text_after,
                                from_bbox=r.bbox))
    gone = {id(removed[i]) for i in used_r} | {id(added[j]) for j in used_a}
    return [c for c in changes if id(c) not in gone] + moved
