"""Optical character recognition behind one small interface, so engines can be swapped.

The engine asks a :class:`TextRecognizer` for the words in a raster; it never imports an OCR
library itself. :class:`RapidOcrRecognizer` (RapidOCR on ONNX Runtime, models shipped in the
PyPI wheel, fully offline) is the default. A vision-model recogniser (an OpenAI-compatible
endpoint reading the title block) plugs in here later by implementing the same method.

Why RapidOCR: on the 19 Transatomic title blocks with the text layer ignored it read every
drawing number (``M1 00``, ``E0002``), while Debian's tesseract 5 read at most a few (the
slashed zeros and the cell rules defeat it); see the issue note and ``make bench``.
"""

from __future__ import annotations

import threading
from typing import Protocol, Sequence

import numpy as np

from .drawing_set import Page, Word


class TextRecognizer(Protocol):
    """Anything that finds text in a grayscale raster.

    ``recognize`` returns words with boxes in **pixels of the given raster** (x0, y0, x1, y1,
    origin top-left, y down), a confidence in 0..1 and, for text read up or down the
    raster, ``turns`` (:class:`.Word`). A recogniser may also offer ``recognize_pair(old,
    new, changed, detect_scale)`` (:meth:`RapidOcrRecognizer.recognize_pair`): two aligned
    rasters of one place read as one; the OCR of change regions uses it when it is there."""

    name: str

    def recognize(self, image: np.ndarray) -> list[Word]: ...


class RapidOcrRecognizer:
    """RapidOCR (PP-OCR detection + recognition on ONNX Runtime). Thread-safe, loads lazily."""

    name = "rapidocr"

    def __init__(self) -> None:
        self._engine = None
        self._lock = threading.Lock()
        self._detecting = threading.Lock()

    def _get(self):
        with self._lock:
            if self._engine is None:
                import logging

                from rapidocr_onnxruntime import RapidOCR

                self._engine = RapidOCR()
                # RapidOCR configures the root logger on import; keep our CLI output clean.
                logging.getLogger("RapidOCR").setLevel(logging.WARNING)
        return self._engine

    def _detect(self, image: np.ndarray, scale: float | None = None) -> list:
        """RapidOCR's text detection on ``image``: quads in its pixels. ``scale``: the
        image is looked at that many times its size (RapidOCR's own rule, None, enlarges it
        until its shorter side is 736 px: a region's 83 px high raster nine times, 0.3-0.5 s
        a look). The detector's settings are shared, so looks are taken one at a time
        (each uses every core)."""
        engine = self._get()
        det = engine.text_det
        with self._detecting:
            saved = det.limit_type, det.limit_side_len
            if scale is not None:
                det.limit_type = "min"
                det.limit_side_len = max(32, int(round(scale * min(image.shape[:2]))))
            try:
                quads, _ = engine(image, use_cls=False, use_rec=False)
            finally:
                det.limit_type, det.limit_side_len = saved
        return quads or []

    def recognize(self, image: np.ndarray) -> list[Word]:
        """Words read left to right, and up or down the raster (a drawing's vertical
        dimensions). RapidOCR's own pipeline turns a tall line a quarter counter-clockwise
        before reading it, which reads text running downwards and turns text running
        upwards (a drawing's usual vertical text: read from the sheet's right) upside down:
        "06009" read "60090" at 0.9995. Here each tall line is read both ways, upwards
        first (:func:`_vertical_reading`); a wide line is read as RapidOCR reads it."""
        import cv2

        engine = self._get()
        quads = self._detect(image)  # (raster pixels)
        if not quads:
            return []
        bgr = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image
        crops, lines = [], []  # lines: (box, the crops' turns)
        for quad in quads:
            pts = np.asarray(quad, np.float32)
            crop = _line_crop(bgr, pts)
            (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
            if crop.shape[0] >= TALL_LINE_RATIO * crop.shape[1]:
                if crop.shape[0] > LONGEST_TALL_LINE * crop.shape[1]:
                    continue  # a rule or a border, not a line of text
                crops += [cv2.rotate(crop, cv2.ROTATE_90_CLOCKWISE),
                          cv2.rotate(crop, cv2.ROTATE_90_COUNTERCLOCKWISE)]
                lines.append(((x0, y0, x1, y1), (1, 3)))
            else:
                crops.append(crop)
                lines.append(((x0, y0, x1, y1), (0,)))
        readings, _ = engine.text_rec(crops)
        words: list[Word] = []
        at = 0
        for box, turns in lines:
            read = [(str(r[0]), float(r[1])) for r in readings[at:at + len(turns)]]
            at += len(turns)
            text, score, way = (_vertical_reading(read) if len(turns) == 2
                                else (*read[0], 0))
            if text and score >= MIN_LINE_SCORE:
                words.extend(_split_line(text, box, score, way))
        return words

    def recognize_pair(self, old: np.ndarray, new: np.ndarray, changed: np.ndarray,
                       detect_scale: float | None = None) -> tuple[list[Word], list[Word]]:
        """Words of two aligned rasters of one place (the old sheet drawn in the new one's
        frame, and the new sheet; same shape, grayscale), read as one: the lines either
        raster shows are cut from both with one box, and away from ``changed`` (a boolean
        mask of the rasters' pixels: the characters that changed) the recogniser's
        character probabilities of the two crops are averaged before decoding
        (:func:`_decode_pair`). Ink that did not change is then read the same way in both,
        from two looks at it: read apart, one side dropped an inch mark or a space the
        other kept ("14'-2"" -> "04'-2"), which made an exact dimension change inexact.
        Returns (old words, new words), boxes in pixels of the rasters. (RapidOCR 1.4.4's
        recogniser session, input sizing and CTC alphabet are used directly: the version
        is pinned.) ``detect_scale``: how many times their size the rasters' lines are
        looked for at (:meth:`_detect`; None: RapidOCR's own rule, also used when no line
        found so touches a changed pixel)."""
        import cv2

        def lines(scale):
            found = []
            for image in (old, new):
                for q in self._detect(image, scale):
                    pts = np.asarray(q, np.float32)
                    found.append((*pts.min(axis=0), *pts.max(axis=0)))
            return found

        boxes = lines(detect_scale)
        if detect_scale is not None and not any(
                changed[int(b[1]):int(np.ceil(b[3])), int(b[0]):int(np.ceil(b[2]))].any()
                for b in boxes):
            # no line found on what changed (a vertical dimension was missed looked at
            # twice its size): looked for again by RapidOCR's own rule
            boxes = lines(None)
        h, w = new.shape[:2]
        rasters = [cv2.cvtColor(i, cv2.COLOR_GRAY2BGR) if i.ndim == 2 else i for i in (old, new)]
        words: tuple[list[Word], list[Word]] = ([], [])
        for box in _line_groups(boxes):
            x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
            x1, y1 = min(w, int(np.ceil(box[2]))), min(h, int(np.ceil(box[3])))
            if x1 - x0 < 2 or y1 - y0 < 2:
                continue
            crops = [r[y0:y1, x0:x1] for r in rasters]
            mask = changed[y0:y1, x0:x1].astype(np.uint8)
            tall = y1 - y0 >= TALL_LINE_RATIO * (x1 - x0)
            if tall and y1 - y0 > LONGEST_TALL_LINE * (x1 - x0):
                continue
            # pair: ((old text, score), (new text, score))
            if tall:  # read upwards and downwards; one way for both sides, by mean scores
                up, down = (self._read_pair(*(cv2.rotate(c, turn) for c in crops),
                                            cv2.rotate(mask, turn))
                            for turn in (cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE))
                _, _, way = _vertical_reading([(r[1][0] or r[0][0], (r[0][1] + r[1][1]) / 2)
                                               for r in (up, down)])
                pair = up if way == 1 else down
            else:
                way, pair = 0, self._read_pair(*crops, mask)
            for side, (text, score) in enumerate(pair):
                if text and score >= MIN_LINE_SCORE:
                    words[side].extend(_split_line(text, (x0, y0, x1, y1), score, way))
        return words

    def _read_pair(self, old: np.ndarray, new: np.ndarray,
                   mask: np.ndarray) -> tuple[tuple[str, float], tuple[str, float]]:
        """Two crops of one line (same shape, BGR, reading left to right) read as one
        (:func:`_decode_pair`); ``mask``: their changed pixels (nonzero)."""
        rec = self._get().text_rec
        height = rec.rec_image_shape[1]
        ratio = max(rec.rec_image_shape[2] / height, old.shape[1] / old.shape[0])
        batch = np.stack([rec.resize_norm_img(c, ratio) for c in (old, new)]).astype(np.float32)
        probs = rec.session(batch)[0]  # (2, timesteps, characters), softmax
        resized = min(int(height * ratio), int(np.ceil(height * old.shape[1] / old.shape[0])))
        steps = probs.shape[1]
        # each timestep's middle column of the crop: a timestep is RECOGNISER_STRIDE px
        # of the crop resized to ``resized`` px wide (beyond it, padding)
        middle = ((np.arange(steps) + 0.5) * RECOGNISER_STRIDE * old.shape[1]
                  / resized).astype(int)
        inside = middle < old.shape[1]
        middle = np.minimum(middle, old.shape[1] - 1)
        # a changed character's own timesteps: those whose middle lies on its columns (a
        # timestep is a third of a 7 pt character at 200 DPI; any timestep touching its
        # columns took in a neighbour: a faint "5" beside a "6" turned "9", read on its
        # side alone, was lost)
        own = mask.any(axis=0)[middle] & inside
        gaps = [np.isin(middle, _wide_gaps(c)) & inside for c in (old, new)]
        return _decode_pair(probs[0], probs[1], own, rec.postprocess_op.character, gaps)


#: A detected line this many times taller than wide is vertical text (RapidOCR's own rule).
TALL_LINE_RATIO = 1.5
#: A tall "line" longer than this many times its width is a rule or a border the detector
#: took for text (a title block's cell rules), and is not read: a vertical dimension is
#: about 5 times as long as it is wide, a 30-character note 25 times. Read turned, such a
#: line made RapidOCR's recogniser work on 48 px high strips thousands of pixels long (the
#: 19 title blocks of the Transatomic set peaked at up to 1.25 GB, against 0.8 GB).
LONGEST_TALL_LINE = 30.0
#: A line read with less confidence than this is dropped (RapidOCR's ``text_score``).
MIN_LINE_SCORE = 0.5
#: A vertical line is read downwards only when reading it upwards scores under
#: :data:`MIN_LINE_SCORE` and downwards at least this: drawings turn vertical text to read
#: from the sheet's right (upwards), and a turned string of figures reads about as well
#: upside down ("06009" upwards 0.9997, "60090" downwards 0.9995).
DOWNWARDS_MIN_SCORE = 0.9


#: The recogniser (PP-OCRv4) gives one column of character probabilities per this many
#: pixels of its 48 px high input.
RECOGNISER_STRIDE = 8
#: A space is read between two characters where the recogniser gives it at least this
#: probability at a timestep between them, in a gap of the ink (:data:`SPACE_GAP`). The
#: recogniser (trained mostly on Chinese) seldom makes a space its first choice: the
#: space in 11'-0 7/8" scored 0.49 against the blank and "11'-07/8"" was read. On the
#: one-digit bench's dimensions, spaces scored 0.03-0.64 and other gaps 0.00.
SPACE_MIN_PROB = 0.02
#: ... in a run of columns without ink at least this many times the ink's height wide
#: (spaces of 7 pt dimensions at 200 DPI: 0.47-0.92; gaps between figures up to 0.75, so
#: this only guards the probability against ink read as a space).
SPACE_GAP = 0.4


def _wide_gaps(crop: np.ndarray) -> np.ndarray:
    """Columns of a line's crop (BGR) inside a run without ink at least :data:`SPACE_GAP`
    times the ink's height wide."""
    ink = crop.min(axis=2) < 128
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return np.arange(crop.shape[1])
    least = SPACE_GAP * (rows[-1] - rows[0] + 1)
    bare = ~ink.any(axis=0)
    edges = np.flatnonzero(np.diff(np.r_[0, bare.view(np.int8), 0]))
    runs = [np.arange(a, b) for a, b in zip(edges[::2], edges[1::2]) if b - a >= least]
    return np.concatenate(runs) if runs else np.zeros(0, int)


def _decode_pair(old: np.ndarray, new: np.ndarray, own: np.ndarray,
                 characters: Sequence[str], gaps: Sequence[np.ndarray] | None = None,
                 ) -> tuple[tuple[str, float], tuple[str, float]]:
    """Greedy CTC decoding of two readings of one line (character probabilities, timesteps
    × characters, blank first): at timesteps not marked ``own`` both are decoded from
    their mean, so what did not change reads the same on both sides. ``gaps``: per side,
    the timesteps in a wide gap of its ink, where a space is read on less evidence
    (:data:`SPACE_MIN_PROB`). Returns ((old text, score), (new text, score)), a score
    being the mean probability of the characters kept, as RapidOCR scores a line."""
    shared = (old + new) / 2
    space = characters.index(" ") if " " in characters else -1
    out = []
    for side, p in enumerate((old, new)):
        q = np.where(own[:, None], p, shared)
        idx, prob = q.argmax(axis=1), q.max(axis=1)
        keep = idx != 0
        keep[1:] &= idx[1:] != idx[:-1]
        at = np.flatnonzero(keep)
        text = []
        for a, b in zip(at, at[1:]):
            text.append(characters[idx[a]])
            if gaps is not None and space >= 0 and space not in (idx[a], idx[b]):
                between = np.arange(a + 1, b)
                likely = q[between, space] >= SPACE_MIN_PROB
                if (likely & gaps[side][between]).any():
                    text.append(" ")
        if at.size:
            text.append(characters[idx[at[-1]]])
        out.append(("".join(text), float(prob[keep].mean()) if keep.any() else 0.0))
    return out[0], out[1]


def _line_groups(boxes: list[tuple]) -> list[tuple[float, float, float, float]]:
    """Detected lines of two rasters of one place (boxes, pixels) grouped where they
    overlap along the line and mostly across it: one box (their union) per line that
    either raster shows, to be cut from both."""
    parent = list(range(len(boxes)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(boxes):
        for j in range(i):
            b = boxes[j]
            ox = min(a[2], b[2]) - max(a[0], b[0])
            oy = min(a[3], b[3]) - max(a[1], b[1])
            if ox <= 0 or oy <= 0:
                continue
            tall = a[3] - a[1] >= TALL_LINE_RATIO * (a[2] - a[0])
            across = ox / min(a[2] - a[0], b[2] - b[0]) if tall \
                else oy / min(a[3] - a[1], b[3] - b[1])
            if across >= 0.5:
                parent[root(i)] = root(j)
    groups: dict[int, list] = {}
    for i, b in enumerate(boxes):
        groups.setdefault(root(i), []).append(b)
    return [(min(b[0] for b in g), min(b[1] for b in g), max(b[2] for b in g),
             max(b[3] for b in g)) for g in groups.values()]


def _vertical_reading(read: list[tuple[str, float]]) -> tuple[str, float, int]:
    """Of a vertical line's readings upwards and downwards (text, score each), the one to
    keep: (text, score, quarter turns counter-clockwise it reads in: 1 up, 3 down)."""
    (up, up_score), (down, down_score) = read
    if up_score >= MIN_LINE_SCORE or down_score < DOWNWARDS_MIN_SCORE:
        return up, up_score, 1
    return down, down_score, 3


def _line_crop(bgr: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """A detected line's quadrilateral (4 points from its top-left, clockwise, raster
    pixels) cut out and straightened, as RapidOCR cuts it (without turning tall ones)."""
    import cv2

    w = int(max(np.linalg.norm(pts[0] - pts[1]), np.linalg.norm(pts[2] - pts[3])))
    h = int(max(np.linalg.norm(pts[0] - pts[3]), np.linalg.norm(pts[1] - pts[2])))
    w, h = max(1, w), max(1, h)
    target = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    return cv2.warpPerspective(bgr, cv2.getPerspectiveTransform(pts, target), (w, h),
                               borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)


def _split_line(text: str, box: tuple[float, float, float, float], score: float,
                turns: int = 0) -> list[Word]:
    """Split an OCR text line into words, giving each a share of the line's length by its
    characters: along x for a line read left to right (``turns`` 0), up the box for one
    read upwards (1), down it for one read downwards (3)."""
    parts = text.split()
    if not parts:
        return []
    x0, y0, x1, y1 = box
    length = (x1 - x0) if turns == 0 else (y1 - y0)
    per_char = length / max(1, len(text))
    out, pos = [], 0
    for part in parts:
        start = text.index(part, pos)
        pos = start + len(part)
        if turns == 0:
            b = (x0 + start * per_char, y0, x0 + pos * per_char, y1)
        elif turns == 1:
            b = (x0, y1 - pos * per_char, x1, y1 - start * per_char)
        else:
            b = (x0, y0 + start * per_char, x1, y0 + pos * per_char)
        out.append(Word(part, b, score, turns))
    return out


def ocr_region(page: Page, region: Sequence[float], recognizer: TextRecognizer,
               dpi: float = 150.0) -> list[Word]:
    """OCR one region of a page; returns words with boxes in PDF points of the page
    (origin top-left, y down), like :meth:`Page.words`."""
    x0, y0, x1, y1 = region
    raster = page.render(dpi=dpi, region=region)
    sx = (x1 - x0) / raster.shape[1]
    sy = (y1 - y0) / raster.shape[0]
    out = []
    for w in recognizer.recognize(raster):
        a, b, c, d = w.bbox
        out.append(Word(w.text, (x0 + a * sx, y0 + b * sy, x0 + c * sx, y0 + d * sy),
                        w.confidence, w.turns))
    return out


_default: TextRecognizer | None = None


def default_recognizer() -> TextRecognizer:
    """The process-wide default recogniser (created on first use)."""
    global _default
    if _default is None:
        _default = RapidOcrRecognizer()
    return _default
