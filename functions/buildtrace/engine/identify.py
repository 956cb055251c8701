"""Sheet identification: find a page's sheet number and title in its title block.

Where we look: title blocks sit along the bottom edge or the right edge of a sheet, and the
sheet number is almost always in the bottom-right corner. Candidates are taken only from
those zones (fractions of the displayed page, see :data:`ZONES`), never from the drawing
area, where references to other sheets ("TO FEEDWATER PUMP M100 SH2") abound.

How we choose: every run of up to four adjacent words that reads as a sheet number
(:func:`~buildtrace.engine.sheet_number.parse_sheet_number`) is scored by whether it sits
under or beside a "Drawing No"/"Sheet No" label, by its text height against the zone's
median, by its place in the corner, and by the repairs its reading needed. The confidence
says how sure the choice is: a label-anchored clean read with no rival scores high; a read
that needed repairs, has a close rival or came from OCR scores lower. :data:`HIGH_CONFIDENCE`
is the threshold the product treats as "no need to check".

Where the text layer has no usable number (a scan without hidden text, a raster image), the
title block region is OCR'd with a :class:`~buildtrace.engine.ocr.TextRecognizer`.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

import numpy as np

from .drawing_set import DrawingSet, Page, Word, reading_frame
from .errors import BuildTraceError
from .ocr import TextRecognizer, ocr_region
from .regions import union_box
from .sheet_number import SheetNumber, normalise_key, parse_sheet_number
from .title_words import tidy_title

#: Confidence at or above which an identification is reported as certain.
HIGH_CONFIDENCE = 0.8

#: Title-block zones as fractions (x0, y0, x1, y1) of the displayed page, most likely first.
ZONES = {
    "corner": (0.50, 0.72, 1.0, 1.0),
    "right": (0.80, 0.0, 1.0, 1.0),
    "bottom": (0.0, 0.80, 1.0, 1.0),
}
#: Regions OCR'd when the text layer has no number, in order, each tried only if needed.
OCR_REGIONS = [(0.50, 0.78, 1.0, 1.0), (0.80, 0.0, 1.0, 0.78)]
#: DPI at which title blocks are OCR'd (scans are commonly 150-300 DPI; labels are ≥ 6 pt).
OCR_DPI = 150.0

_NUMBER_LABEL = re.compile(
    r"^(?:DRAWING|DWG|SHEET|SHT|DRAWINGNUMBER|SHEETNUMBER)\.?(?:NO|NUMBER|NUM|#|№)\.?:?$"
    r"|^(?:図面|図)(?:№|NO|番号)$|^図番$", re.IGNORECASE)
_TITLE_LABEL = re.compile(
    r"^(?:DRAWING|SHEET|DWG)?TITLE:?$|^図面名$|^図名$|^TITLEOFDRAWING$", re.IGNORECASE)
_SHEET_OF_LABEL = re.compile(r"^(?:SH|SHT|SHEET)\.?$", re.IGNORECASE)
_SHEET_OF = re.compile(r"(?<![0-9A-Z])([0-9Il|]{1,3})\s*[O0]F\s*([0-9Il|]{1,3})(?![0-9])",
                       re.IGNORECASE)
#: Words of a firm's name.
_FIRM_WORDS = (r"INC|LLC|LTD|CORP|CORPORATION|ENTERPRISES|ARCHITECTS?|ENGINEERS|ASSOCIATES|"
               r"COMPANY|CONSULTANTS?")
_NOT_A_TITLE = re.compile(
    rf"\b(?:{_FIRM_WORDS}|CONSTRUCTORS|APPROVED|CHECKED|DRAWN|DESIGNED|SCALE|DATE|REV|"
    r"REVISION|REVISIONS|PROJECT|JOB|SEAL|STAMP|ISSUED?|NOT FOR|PRELIMINARY|COPYRIGHT|"
    r"CONTROL|REVIEW)\b|ENGINEER|CHIEF|APPROVED|WORK\s*ORDER|DRAWING\s*NO"
    r"|縮\s*尺|日\s*付|設\s*計|担\s*当|管\s*理|備\s*考|工\s*事\s*名", re.IGNORECASE)
_DATE = re.compile(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}")
#: A firm's name: the words on its line beside it are the rest of the name ("BURNS AND" |
#: "ROE ENTERPRISES, INC", read as two phrases), not a title.
_FIRM = re.compile(rf"\b(?:{_FIRM_WORDS}|GMBH|PLLC|LLP)\b", re.IGNORECASE)


@dataclass
class SheetIdentity:
    """What a page is. ``page`` is 0-based; ``number_bbox`` is in PDF points of the page,
    origin top-left, y down. ``source`` is ``text`` (text layer), ``ocr`` or ``none``."""

    page: int
    number: str | None
    key: str | None
    title: str | None
    source: str
    confidence: float
    number_bbox: tuple[float, float, float, float] | None = None
    sheet_of: tuple[int, int] | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["confidence"] = round(self.confidence, 3)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "SheetIdentity":
        """The inverse of :meth:`to_dict` (a JSON or Firestore round trip gives lists)."""
        box, of = d.get("number_bbox"), d.get("sheet_of")
        return cls(d["page"], d.get("number"), d.get("key"), d.get("title"), d["source"],
                   float(d["confidence"]), tuple(box) if box else None,
                   tuple(of) if of else None, list(d.get("notes") or []))


@dataclass
class _Phrase:
    words: list[Word]

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return union_box([w.bbox for w in self.words])

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def height(self) -> float:
        return statistics.median(w.height for w in self.words)


@dataclass
class _Candidate:
    number: SheetNumber
    bbox: tuple[float, float, float, float]
    score: float
    anchored: bool
    ocr_score: float


def identify_page(page: Page, *, recognizer: TextRecognizer | None = None,
                  use_text_layer: bool = True) -> SheetIdentity:
    """Identify one page: its sheet number, title, the source used and a confidence.

    Uses the text layer when it yields a number; otherwise OCRs the title block with
    ``recognizer`` (when given). ``use_text_layer=False`` goes straight to OCR."""
    if use_text_layer:
        ident = identify_from_words(page.index, page.words(), page.width_pt, page.height_pt,
                                    source="text")
        if ident.number is not None:
            return ident
    if recognizer is not None:
        words: list[Word] = []
        ident = None
        for fx0, fy0, fx1, fy1 in OCR_REGIONS:
            region = (fx0 * page.width_pt, fy0 * page.height_pt, fx1 * page.width_pt,
                      fy1 * page.height_pt)
            words.extend(ocr_region(page, region, recognizer, dpi=OCR_DPI))
            ident = identify_from_words(page.index, words, page.width_pt, page.height_pt,
                                        source="ocr")
            if ident.number is not None:
                return ident
        return ident
    return SheetIdentity(page.index, None, None, None, "none", 0.0,
                         notes=["no sheet number in the text layer and OCR is off"])


def identify_from_words(page_index: int, words: Sequence[Word], width_pt: float,
                        height_pt: float, *, source: str) -> SheetIdentity:
    """Identify a page from words with boxes in PDF points (origin top-left, y down)."""
    zone_words = [w for w in words if _zone_of(w.bbox, width_pt, height_pt)]
    if not zone_words:
        return SheetIdentity(page_index, None, None, None, "none", 0.0,
                             notes=[f"no {source} words in the title block zones"])
    phrases = _phrases(zone_words)
    median_h = statistics.median(w.height for w in zone_words) or 1.0
    labels = _find(phrases, _NUMBER_LABEL)
    cands = _candidates(phrases, labels, median_h, width_pt, height_pt)
    if labels and cands and not any(c.anchored for c in cands):
        # The title block has a "Drawing No" field and nothing readable is in it: a number
        # elsewhere in the zone is a drawing label ("LIQUID N2"), not this sheet's number.
        cands = []
    if not cands:
        title = _title(phrases, None, width_pt, height_pt)
        return SheetIdentity(page_index, None, None, title, "none", 0.0,
                             notes=[f"no sheet number found in the {source} title block"])
    cands.sort(key=lambda c: c.score, reverse=True)
    best = cands[0]
    rival = next((c for c in cands[1:] if c.number.key != best.number.key), None)
    margin = best.score - rival.score if rival else 3.0
    conf = 0.86 if best.anchored else 0.55
    conf += 0.08 if margin >= 1.5 else (0.0 if margin >= 0.75 else -0.2)
    conf -= 0.12 * best.number.repairs
    if source == "ocr":
        conf = conf * (0.6 + 0.4 * best.ocr_score) - 0.03
    conf = max(0.01, min(0.99, conf))
    notes = []
    if rival is not None and margin < 0.75:
        notes.append(f"close rival {rival.number.printed}")
    number, key = best.number.printed, best.number.key
    sheet_of = _sheet_of(phrases, best.bbox)
    if sheet_of and sheet_of[1] > 1:
        number = f"{number} SH{sheet_of[0]}"
        key = f"{key}SH{sheet_of[0]}"
    title = _title(phrases, best, width_pt, height_pt)
    return SheetIdentity(page_index, number, key, title, source, conf,
                         tuple(round(v, 2) for v in best.bbox), sheet_of, notes)


# -- helpers ----------------------------------------------------------------------------------
def _zone_of(bbox, width_pt: float, height_pt: float) -> str | None:
    cx = (bbox[0] + bbox[2]) / 2 / width_pt
    cy = (bbox[1] + bbox[3]) / 2 / height_pt
    for name, (x0, y0, x1, y1) in ZONES.items():
        if x0 <= cx <= x1 and y0 <= cy <= y1:
            return name
    return None


def group_phrases(words: Sequence[Word], gap_heights: float = 1.2) -> list[list[Word]]:
    """Group words into phrases: words on one line (vertical overlap with the line's first
    word of half the smaller height; comparing with the first word, not the last, stops
    rows chaining together) with gaps under ``gap_heights`` character heights, left to
    right. Boxes in points, top-left origin. Words that read another way (``Word.turns``:
    a vertical dimension) are grouped along their own lines, in the order they read, and
    never with words that read otherwise."""
    phrases: list[list[Word]] = []
    for turns in sorted({w.turns % 4 for w in words}):
        mine = [w for w in words if w.turns % 4 == turns]
        if turns == 0:
            phrases += _level_phrases(mine, gap_heights)
            continue
        # each word with its box in the frame it reads left to right in (the text layer's
        # own, :func:`.drawing_set.reading_frame`, which is y up), and back
        x0, y0, x1, y1 = np.array([w.bbox for w in mine], float).T
        left, bottom, right, top = reading_frame(x0, -y1, x1, -y0, np.full(len(mine), turns))
        turned = [Word(w.text, (float(left[k]), float(-top[k]), float(right[k]),
                                float(-bottom[k]))) for k, w in enumerate(mine)]
        back = {id(t): w for t, w in zip(turned, mine)}
        phrases += [[back[id(t)] for t in phrase]
                    for phrase in _level_phrases(turned, gap_heights)]
    return phrases


def _level_phrases(words: Sequence[Word], gap_heights: float) -> list[list[Word]]:
    """:func:`group_phrases` of words that all read left to right."""
    ws = sorted(words, key=lambda w: ((w.bbox[1] + w.bbox[3]) / 2, w.bbox[0]))
    lines: list[list[Word]] = []
    for w in ws:
        for line in lines:
            ref = line[0]
            overlap = min(ref.bbox[3], w.bbox[3]) - max(ref.bbox[1], w.bbox[1])
            if overlap >= 0.5 * min(ref.height, w.height):
                line.append(w)
                break
        else:
            lines.append([w])
    phrases = []
    for line in lines:
        line.sort(key=lambda w: w.bbox[0])
        cur = [line[0]]
        for w in line[1:]:
            gap = w.bbox[0] - cur[-1].bbox[2]
            h = max(cur[-1].height, w.height, 1.0)
            if gap <= gap_heights * h and 0.5 < w.height / max(cur[-1].height, 0.1) < 2.0:
                cur.append(w)
            else:
                phrases.append(cur)
                cur = [w]
        phrases.append(cur)
    return phrases


def _phrases(words: Sequence[Word]) -> list[_Phrase]:
    return [_Phrase(p) for p in group_phrases(words)]


def _find(phrases: Sequence[_Phrase], pattern: re.Pattern) -> list[tuple[float, ...]]:
    """Boxes of word runs (1-4 words, spaces ignored) that fully match ``pattern``."""
    found = []
    for ph in phrases:
        n = len(ph.words)
        for i in range(n):
            for j in range(i + 1, min(n, i + 4) + 1):
                text = "".join(w.text for w in ph.words[i:j])
                if pattern.match(text):
                    found.append(union_box(w.bbox for w in ph.words[i:j]))
    return found


def _anchored(box, labels, reach: float = 1.5) -> bool:
    """Is ``box`` under a label (within a few label heights, and horizontally within
    ``reach`` label widths) or right of it on its line?"""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    for lb in labels:
        lh = max(lb[3] - lb[1], 1.0)
        lw = lb[2] - lb[0]
        below = (cy > lb[3] + 0.5 * lh and box[1] - lb[3] <= 4.5 * lh
                 and lb[0] - reach * lw <= cx <= lb[2] + reach * lw)
        beside = (abs(cy - (lb[1] + lb[3]) / 2) <= 1.0 * lh
                  and 0 <= box[0] - lb[2] <= 8 * lh)
        if below or beside:
            return True
    return False


def _candidates(phrases, labels, median_h, width_pt, height_pt) -> list[_Candidate]:
    """Score every word run that reads as a number. Within a phrase, overlapping runs keep
    only the longest ("Ml 1 0" is M110, not M11 or a bare 10)."""
    out = []
    for ph in phrases:
        n = len(ph.words)
        runs = []
        for i in range(n):
            for j in range(i + 1, min(n, i + 4) + 1):
                text = " ".join(w.text for w in ph.words[i:j])
                box = union_box(w.bbox for w in ph.words[i:j])
                if parse_sheet_number(text, allow_bare_number=_anchored(box, labels)):
                    runs.append((i, j))
        runs = [(i, j) for (i, j) in runs
                if not any(a <= i and j <= b and (b - a) > (j - i) for a, b in runs)]
        sheet_of = _SHEET_OF.search(ph.text)
        for i, j in runs:
            run = ph.words[i:j]
            text = " ".join(w.text for w in run)
            if sheet_of and text in sheet_of.group(0):
                continue  # "2 OF 2" is the sheet-of field, not a number "OF2"
            box = union_box(w.bbox for w in run)
            anchored = _anchored(box, labels)
            num = parse_sheet_number(text, allow_bare_number=anchored)
            if num is None:
                continue
            zone = _zone_of(box, width_pt, height_pt)
            h = box[3] - box[1]
            score = 3.0 if anchored else 0.0
            score += {"corner": 1.0, "right": 0.6, "bottom": 0.3}.get(zone, 0.0)
            score += min(1.5, max(-0.5, 0.5 * (h / median_h - 1.0)))
            score -= 0.5 * num.repairs
            score += 0.3 * ((box[2] / width_pt) + (box[3] / height_pt)) / 2
            if not num.discipline:
                score -= 0.5  # bare numbers only next to a label, and less sure
            ocr_score = min(w.confidence for w in run)
            out.append(_Candidate(num, box, score, anchored, ocr_score))
    return out


def _sheet_of(phrases, number_box) -> tuple[int, int] | None:
    """The "Sh 1 OF 2" field next to the number, when the title block has an "Sh" label."""
    labels = _find(phrases, _SHEET_OF_LABEL)
    if not labels:
        return None
    best, best_d = None, None
    for ph in phrases:
        m = _SHEET_OF.search(ph.text)
        if not m:
            continue
        box = ph.bbox
        if not _anchored(box, labels):
            continue
        d = abs(box[0] - number_box[2]) + abs(box[1] - number_box[1])
        if best_d is None or d < best_d:
            k, n = (int(re.sub(r"[Il|]", "1", g)) for g in m.groups())
            if 1 <= k <= n <= 999:
                best, best_d = (k, n), d
    return best


def _title(phrases, best: _Candidate | None, width_pt, height_pt) -> str | None:
    """The sheet title: text under a "Title" label, else the tallest block of words in the
    title block that is not a label, a company name, a date or the number itself."""
    labels = _find(phrases, _TITLE_LABEL)
    firms = [ph for ph in phrases if _FIRM.search(ph.text)]
    pool = [ph for ph in phrases if _title_like(ph, best)
            and not any(_beside(ph, f) for f in firms)]
    if labels:
        under = [ph for ph in pool if _anchored(ph.bbox, labels, reach=4.0)]
        if under:
            under.sort(key=lambda p: (p.bbox[1], p.bbox[0]))
            return _clean(" ".join(_title_text(p) for p in under[:3]))
    if best is not None:
        # Stay in the number's title block: within 6 in across and 4 in up/down (points).
        bx, by = (best.bbox[0] + best.bbox[2]) / 2, (best.bbox[1] + best.bbox[3]) / 2
        pool = [ph for ph in pool if abs((ph.bbox[0] + ph.bbox[2]) / 2 - bx) < 432
                and abs((ph.bbox[1] + ph.bbox[3]) / 2 - by) < 288]
    pool = [ph for ph in pool if _zone_of(ph.bbox, width_pt, height_pt) in ("corner", "right")]
    if not pool:
        return None
    # Titles are the tall, wordy text of the title block: rank by height, favouring length.
    top = max(pool, key=lambda p: p.height * (1 + 0.1 * min(20, _letters(p.text))))
    group = [top]
    for ph in sorted(pool, key=lambda p: abs(p.bbox[1] - top.bbox[1])):
        if ph is top or ph.height < 0.75 * top.height:
            continue
        if any(_stacked(ph, g) for g in group) and len(group) < 3:
            group.append(ph)
    group.sort(key=lambda p: (p.bbox[1], p.bbox[0]))
    return _clean(" ".join(_title_text(p) for p in group))


def _title_text(ph: _Phrase) -> str:
    """A title phrase's text, tidied as printed (:func:`.title_words.tidy_title`: pieces of
    a word an OCR split joined, confused letters restored)."""
    gaps = [(b.bbox[0] - a.bbox[2]) / max(a.height, b.height, 1e-6)
            for a, b in zip(ph.words, ph.words[1:])]
    return tidy_title([(w.text, g) for w, g in zip(ph.words, gaps + [1.0])])


def _beside(a: _Phrase, b: _Phrase, reach: float = 6.0) -> bool:
    """Is ``b`` on ``a``'s line, less than ``reach`` letter heights to its left or right?"""
    h = max(a.height, b.height)
    same_line = min(a.bbox[3], b.bbox[3]) - max(a.bbox[1], b.bbox[1]) >= 0.5 * min(a.height, b.height)
    gap = max(a.bbox[0], b.bbox[0]) - min(a.bbox[2], b.bbox[2])
    return a is not b and same_line and gap <= reach * h


def _stacked(a: _Phrase, b: _Phrase) -> bool:
    ax0, ay0, ax1, ay1 = a.bbox
    bx0, by0, bx1, by1 = b.bbox
    h = max(a.height, b.height)
    overlap = min(ax1, bx1) - max(ax0, bx0)
    vgap = max(ay0, by0) - min(ay1, by1)
    return overlap > 0 and vgap <= 2.0 * h


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _title_like(ph: _Phrase, best: _Candidate | None) -> bool:
    text = ph.text
    letters = _letters(text)
    cjk = bool(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text))  # 配置図 is a full title
    if letters < (2 if cjk else 4) or letters < 0.7 * len(text.replace(" ", "")):
        return False
    if not cjk and sum(len(w.text) >= 3 for w in ph.words) == 0:
        return False
    if _NOT_A_TITLE.search(text) or _DATE.search(text):
        return False
    if _NUMBER_LABEL.match(text.replace(" ", "")) or _SHEET_OF_LABEL.match(text):
        return False
    if best is not None:
        b = best.bbox
        p = ph.bbox
        if not (p[2] < b[0] or p[0] > b[2] or p[3] < b[1] or p[1] > b[3]):
            return False
        if normalise_key(text) == best.number.key:
            return False
    return True


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" -–—:;,.")


def identify_set(drawing_set: DrawingSet, *, recognizer: TextRecognizer | None = None,
                 use_text_layer: bool = True,
                 on_page: Callable[[SheetIdentity], None] | None = None
                 ) -> tuple[list[SheetIdentity], list[BuildTraceError]]:
    """Identify every page of an open set, in order, one page in memory at a time.

    A page that cannot be read (beyond the pixel budget, damaged) gets an identity with
    source ``none`` and its error in ``notes``; the other pages go on. Returns the identities
    and the page errors. ``on_page`` is called after each page (progress)."""
    out, errors = [], []
    for index in range(len(drawing_set)):
        try:
            ident = identify_page(drawing_set.page(index), recognizer=recognizer,
                                  use_text_layer=use_text_layer)
        except BuildTraceError as exc:
            errors.append(exc)
            ident = SheetIdentity(index, None, None, None, "none", 0.0,
                                  notes=[f"refused: {exc.message}"])
        out.append(ident)
        if on_page is not None:
            on_page(ident)
    return out, errors
