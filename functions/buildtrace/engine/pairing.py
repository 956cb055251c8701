"""Pairing the sheets of two revisions of a set.

Order of evidence, strongest first:

1. an explicit pairing from the user (overrides everything for the pages it names);
2. the normalised sheet number (``A-101`` = ``A101``; repairs of OCR confusions applied);
3. title similarity, for sheets whose numbers differ or could not be read (a renumbered
   sheet keeps its title);
4. visual similarity of small thumbnails of the drawing area, for sheets with neither.

Each pair carries the method that made it and a confidence (0..1). Sheets left over are
*removed* (old only) or *added* (new only). A pair whose two numbers were both read and
differ is reported as *renumbered*.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

import numpy as np

from .errors import PairingError
from .identify import SheetIdentity

#: Minimum title similarity (0..1, difflib ratio on normalised titles) to pair by title. High,
#: because titles in a set share long phrases ("PROCESS FLOW DIAGRAM ... SYSTEM").
TITLE_MATCH_MIN = 0.92
#: Minimum thumbnail correlation to pair by visual similarity, and the lead it must have
#: over the next-best candidate on either side.
VISUAL_MATCH_MIN = 0.55
VISUAL_MARGIN = 0.08
#: Both numbers must be read at least this surely for a pair to be called renumbered.
RENUMBER_MIN_CONFIDENCE = 0.5


@dataclass
class SheetPair:
    """Two pages (0-based) that are the same sheet in the old and the new set."""

    old_page: int
    new_page: int
    old_number: str | None
    new_number: str | None
    method: str  # user | number | title | visual | position
    confidence: float
    renumbered: bool = False

    def to_dict(self) -> dict:
        d = asdict(self)
        d["confidence"] = round(self.confidence, 3)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "SheetPair":
        return cls(d["old_page"], d["new_page"], d.get("old_number"), d.get("new_number"),
                   d["method"], float(d["confidence"]), bool(d.get("renumbered")))


def _pair(o: SheetIdentity, n: SheetIdentity, method: str, confidence: float) -> SheetPair:
    """A pair; renumbered when both numbers were read with some confidence and differ (a
    number guessed at low confidence is no evidence of renumbering)."""
    renumbered = bool(o.key and n.key and o.key != n.key
                      and min(o.confidence, n.confidence) >= RENUMBER_MIN_CONFIDENCE)
    return SheetPair(o.page, n.page, o.number, n.number, method, confidence, renumbered)


@dataclass
class Pairing:
    pairs: list[SheetPair]
    removed: list[int]  # old pages with no counterpart
    added: list[int]  # new pages with no counterpart
    notes: list[str] = field(default_factory=list)

    @property
    def renumbered(self) -> list[SheetPair]:
        return [p for p in self.pairs if p.renumbered]

    def to_dict(self) -> dict:
        return {"pairs": [p.to_dict() for p in self.pairs], "removed_pages": self.removed,
                "added_pages": self.added,
                "renumbered": [{"old_page": p.old_page, "new_page": p.new_page,
                                "old_number": p.old_number, "new_number": p.new_number}
                               for p in self.renumbered],
                "notes": self.notes}

    @classmethod
    def from_dict(cls, d: dict) -> "Pairing":
        """The inverse of :meth:`to_dict`."""
        return cls([SheetPair.from_dict(p) for p in d["pairs"]], list(d["removed_pages"]),
                   list(d["added_pages"]), list(d.get("notes") or []))


def _norm_title(title: str | None) -> str:
    if not title:
        return ""
    return re.sub(r"[^A-Z0-9\u3040-\u9fff]", "", title.upper())


def title_similarity(a: str | None, b: str | None) -> float:
    """0..1 similarity of two titles, ignoring case, spaces and punctuation (OCR splits and
    joins words freely: "DI AGRAM", "PROCESSFLOWDIAGRAM")."""
    na, nb = _norm_title(a), _norm_title(b)
    if len(na) < 4 or len(nb) < 4:
        return 0.0
    return difflib.SequenceMatcher(None, na, nb, autojunk=False).ratio()


def pair_sheets(old: Sequence[SheetIdentity], new: Sequence[SheetIdentity], *,
                explicit: Sequence[tuple[int, int]] = (),
                thumbnails: Callable[[str, int], np.ndarray] | None = None) -> Pairing:
    """Pair the sheets of ``old`` and ``new`` (identities in page order).

    ``explicit``: (old_page, new_page) pairs from the user; they override. ``thumbnails``:
    ``f(side, page) -> array`` with side ``"old"``/``"new"``, giving the visual fingerprint
    (see :func:`visual_fingerprint`); without it there is no visual step."""
    old_by_page = {s.page: s for s in old}
    new_by_page = {s.page: s for s in new}
    pairs: list[SheetPair] = []
    notes: list[str] = []
    used_old: set[int] = set()
    used_new: set[int] = set()

    def accept(o: SheetIdentity, n: SheetIdentity, method: str, confidence: float) -> None:
        pairs.append(_pair(o, n, method, confidence))
        used_old.add(o.page)
        used_new.add(n.page)

    for o, n in explicit:
        if o not in old_by_page:
            raise PairingError(f"--pair {o}:{n}: the old set has no page {o} "
                               f"(pages are 0-based, 0..{len(old) - 1})")
        if n not in new_by_page:
            raise PairingError(f"--pair {o}:{n}: the new set has no page {n} "
                               f"(pages are 0-based, 0..{len(new) - 1})")
        if o in used_old or n in used_new:
            raise PairingError(f"--pair {o}:{n}: a page is paired twice")
        accept(old_by_page[o], new_by_page[n], "user", 1.0)

    # 2. By number: keys unique on both sides pair directly; duplicates pair by title.
    old_keys: dict[str, list[SheetIdentity]] = defaultdict(list)
    new_keys: dict[str, list[SheetIdentity]] = defaultdict(list)
    for s in old:
        if s.key and s.page not in used_old:
            old_keys[s.key].append(s)
    for s in new:
        if s.key and s.page not in used_new:
            new_keys[s.key].append(s)
    for key in sorted(set(old_keys) & set(new_keys)):
        os_, ns_ = old_keys[key], new_keys[key]
        if len(os_) > 1 or len(ns_) > 1:
            notes.append(f"sheet number {os_[0].number} appears {len(os_)} time(s) in the old "
                         f"set and {len(ns_)} in the new; paired by title")
        for o, n, sim in _greedy(os_, ns_, lambda a, b: title_similarity(a.title, b.title)
                                 if len(os_) > 1 or len(ns_) > 1 else 1.0):
            conf = min(o.confidence, n.confidence)
            conf = 0.5 + 0.5 * conf if sim >= 0.5 else 0.4 * conf
            accept(o, n, "number", conf)

    # 3. By title, for what is left.
    rest_old = [s for s in old if s.page not in used_old]
    rest_new = [s for s in new if s.page not in used_new]
    for o, n, sim in _mutual_best(rest_old, rest_new,
                                  lambda a, b: title_similarity(a.title, b.title),
                                  TITLE_MATCH_MIN, 0.03):
        accept(o, n, "title", min(0.9, sim * 0.9))

    # 4. By look, for what is still left (pages that could not be read have no look).
    if thumbnails is not None:
        rest_old = [s for s in old if s.page not in used_old and not unreadable(s)]
        rest_new = [s for s in new if s.page not in used_new and not unreadable(s)]
        if rest_old and rest_new:
            fo = {s.page: thumbnails("old", s.page) for s in rest_old}
            fn = {s.page: thumbnails("new", s.page) for s in rest_new}
            for o, n, sim in _mutual_best(rest_old, rest_new,
                                          lambda a, b: fingerprint_similarity(fo[a.page],
                                                                              fn[b.page]),
                                          VISUAL_MATCH_MIN, VISUAL_MARGIN):
                accept(o, n, "visual", min(0.85, sim))

    # 5. A page that could not be read keeps its place: paired with the page at the same
    #    index on the other side when that one is unpaired too, so the comparison of that
    #    sheet fails with the reason instead of showing a sheet removed and one added.
    for side, s in [*(("old", x) for x in old), *(("new", x) for x in new)]:
        if not unreadable(s):
            continue
        o = s if side == "old" else old_by_page.get(s.page)
        n = s if side == "new" else new_by_page.get(s.page)
        if o is not None and n is not None and o.page not in used_old \
                and n.page not in used_new:
            accept(o, n, "position", 0.2)
            notes.append(f"old page {o.page + 1} and new page {n.page + 1} paired by position "
                         "(a page could not be read)")

    pairs.sort(key=lambda p: p.new_page)
    removed = sorted(s.page for s in old if s.page not in used_old)
    added = sorted(s.page for s in new if s.page not in used_new)
    return Pairing(pairs, removed, added, notes)


def unreadable(ident: SheetIdentity) -> bool:
    """True for the identity of a page that could not be read (refused or damaged)."""
    return ident.source == "none" and any(n.startswith("refused") for n in ident.notes)


def _greedy(a, b, score):
    """Pairs of a×b, best score first, each item used once."""
    cands = sorted(((score(x, y), i, j) for i, x in enumerate(a) for j, y in enumerate(b)),
                   key=lambda t: (-t[0], t[1], t[2]))
    ua, ub, out = set(), set(), []
    for s, i, j in cands:
        if i in ua or j in ub:
            continue
        ua.add(i)
        ub.add(j)
        out.append((a[i], b[j], s))
    return out


def _mutual_best(a, b, score, minimum: float, margin: float):
    """Pairs that are each other's best, above ``minimum`` and ahead of the runner-up on
    both sides by ``margin``: ambiguous matches are left unpaired rather than guessed."""
    if not a or not b:
        return []
    m = np.array([[score(x, y) for y in b] for x in a], dtype=float)
    out = []
    for i in range(len(a)):
        j = int(np.argmax(m[i]))
        if m[i, j] < minimum or int(np.argmax(m[:, j])) != i:
            continue
        row = np.delete(m[i], j)
        col = np.delete(m[:, j], i)
        runner = max(row.max() if row.size else 0.0, col.max() if col.size else 0.0)
        if m[i, j] - runner < margin:
            continue
        out.append((a[i], b[j], float(m[i, j])))
    return out


# -- visual fingerprints ----------------------------------------------------------------------
#: Fingerprint resolution in DPI: enough to see the layout of a drawing, small enough to keep
#: every fingerprint of a 500-sheet set in a few MB.
FINGERPRINT_DPI = 10.0


def visual_fingerprint(raster: np.ndarray) -> np.ndarray:
    """A small, normalised ink-density map of the drawing area of a sheet.

    ``raster``: grayscale page at :data:`FINGERPRINT_DPI` (0 black). The title-block zones are
    blanked (they are the same on every sheet of a set and would make all sheets look alike);
    the result is blurred to tolerate small shifts and has zero mean and unit norm, so the
    dot product of two fingerprints is their correlation."""
    import cv2

    ink = 1.0 - raster.astype(np.float32) / 255.0
    h, w = ink.shape
    ink[int(h * 0.72):, int(w * 0.5):] = 0.0
    ink[:, int(w * 0.8):] = 0.0
    ink = cv2.resize(ink, (96, 64), interpolation=cv2.INTER_AREA)
    ink = cv2.GaussianBlur(ink, (0, 0), 1.5)
    ink -= ink.mean()
    norm = float(np.linalg.norm(ink))
    return ink / norm if norm > 1e-9 else ink


def page_fingerprint(page) -> np.ndarray:
    """The :func:`visual_fingerprint` of a :class:`~buildtrace.engine.drawing_set.Page`."""
    return visual_fingerprint(page.render(dpi=FINGERPRINT_DPI))


def fingerprint_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation (-1..1) of two fingerprints (always 96×64, whatever the page shape)."""
    if a.shape != b.shape:
        return 0.0
    return float((a * b).sum())
