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
    raster, ``turns`` (:class:`.Word`)."""

    name: str

    def recognize(self, image: np.ndarray) -> list[Word]: ...


class RapidOcrRecognizer:
    """RapidOCR (PP-OCR detection + recognition on ONNX Runtime). Thread-safe, loads lazily."""

    name = "rapidocr"

    def __init__(self) -> None:
        self._engine = None
        self._lock = threading.Lock()

    def _get(self):
        with self._lock:
            if self._engine is None:
                import logging

                from rapidocr_onnxruntime import RapidOCR

                self._engine = RapidOCR()
                # RapidOCR configures the root logger on import; keep our CLI output clean.
                logging.getLogger("RapidOCR").setLevel(logging.WARNING)
        return self._engine

    def recognize(self, image: np.ndarray) -> list[Word]:
        """Words read left to right, and up or down the raster (a drawing's vertical
        dimensions). RapidOCR's own pipeline turns a tall line a quarter counter-clockwise
        before reading it, which reads text running downwards and turns text running
        upwards (a drawing's usual vertical text: read from the sheet's right) upside down:
        "06009" read "60090" at 0.9995. Here each tall line is read both ways, upwards
        first (:func:`_vertical_reading`); a wide line is read as RapidOCR reads it."""
        import cv2

        engine = self._get()
        quads, _ = engine(image, use_cls=False, use_rec=False)  # (raster pixels)
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
