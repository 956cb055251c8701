"""Word-level text changes between two aligned sheets.

The old sheet's words are carried into the new sheet's frame by the alignment matrix; a
word that reappears with the same text within :data:`MATCH_TOL_PT` is unchanged. The words
left over on either side are grouped into phrases (neighbours on one line) and phrases that
overlap across the sheets become one *changed* text (a dimension ``31'-6 7/8"`` that became
``8'-8 1/8"``); the rest are *removed* or *added* text.

Boxes are in PDF points of the new sheet, origin top-left, y down.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .drawing_set import Word
from .identify import group_phrases

#: A word that moved less than this (points) is the same word.
MATCH_TOL_PT = 3.0
#: Words on one line closer than this many character heights form one phrase.
PHRASE_GAP_HEIGHTS = 1.2


@dataclass
class TextChange:
    kind: str  # changed | removed | added
    bbox: tuple[float, float, float, float]
    text_before: str | None
    text_after: str | None

    def to_dict(self) -> dict:
        return {"kind": self.kind, "bbox": [round(float(v), 1) for v in self.bbox],
                "text_before": self.text_before, "text_after": self.text_after}


def map_words(words: list[Word], matrix: np.ndarray) -> list[Word]:
    """Words with their boxes carried by a 2×3 matrix (the box of the mapped corners)."""
    out = []
    for w in words:
        x0, y0, x1, y1 = w.bbox
        pts = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], float) @ matrix.T
        out.append(Word(w.text, (float(pts[:, 0].min()), float(pts[:, 1].min()),
                                 float(pts[:, 0].max()), float(pts[:, 1].max())), w.confidence))
    return out


def _centre(w: Word) -> tuple[float, float]:
    return (w.bbox[0] + w.bbox[2]) / 2, (w.bbox[1] + w.bbox[3]) / 2


def _unmatched(old: list[Word], new: list[Word]) -> tuple[list[Word], list[Word]]:
    """Words of each side with no same-text word within MATCH_TOL_PT on the other."""
    cell = 4 * MATCH_TOL_PT
    grid: dict[tuple[str, int, int], list[int]] = defaultdict(list)
    for j, w in enumerate(new):
        cx, cy = _centre(w)
        grid[(w.text, int(cx // cell), int(cy // cell))].append(j)
    used_new: set[int] = set()
    left_old = []
    for w in old:
        cx, cy = _centre(w)
        gx, gy = int(cx // cell), int(cy // cell)
        best, best_d = None, MATCH_TOL_PT
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for j in grid.get((w.text, gx + dx, gy + dy), ()):
                    if j in used_new:
                        continue
                    nx, ny = _centre(new[j])
                    d = float(np.hypot(nx - cx, ny - cy))
                    if d <= best_d:
                        best, best_d = j, d
        if best is None:
            left_old.append(w)
        else:
            used_new.add(best)
    left_new = [w for j, w in enumerate(new) if j not in used_new]
    return left_old, left_new


def _box(ws: list[Word]) -> tuple[float, float, float, float]:
    return (min(w.bbox[0] for w in ws), min(w.bbox[1] for w in ws),
            max(w.bbox[2] for w in ws), max(w.bbox[3] for w in ws))


def _touch(a, b, pad: float) -> bool:
    return (a[0] - pad < b[2] and b[0] - pad < a[2] and a[1] - pad < b[3] and b[1] - pad < a[3])


def diff_words(old_words_in_new_frame: list[Word], new_words: list[Word]) -> list[TextChange]:
    """Text changes between old words (already mapped to the new frame) and new words."""
    left_old, left_new = _unmatched(old_words_in_new_frame, new_words)
    old_ph = [(_box(g), g) for g in group_phrases(left_old, PHRASE_GAP_HEIGHTS)]
    new_ph = [(_box(g), g) for g in group_phrases(left_new, PHRASE_GAP_HEIGHTS)]
    changes: list[TextChange] = []
    used_new: set[int] = set()
    for ob, og in old_ph:
        h = max(w.bbox[3] - w.bbox[1] for w in og)
        partners = [j for j, (nb, _) in enumerate(new_ph)
                    if j not in used_new and _touch(ob, nb, 0.5 * h)]
        before = " ".join(w.text for w in og)
        if partners:
            used_new.update(partners)
            nws = [w for j in partners for w in new_ph[j][1]]
            nws.sort(key=lambda w: (round(_centre(w)[1]), w.bbox[0]))
            after = " ".join(w.text for w in nws)
            box = _box([*og, *nws])
            changes.append(TextChange("changed", box, before, after))
        else:
            changes.append(TextChange("removed", ob, before, None))
    for j, (nb, ng) in enumerate(new_ph):
        if j not in used_new:
            changes.append(TextChange("added", nb, None, " ".join(w.text for w in ng)))
    changes.sort(key=lambda c: (round(c.bbox[1]), c.bbox[0]))
    return changes
