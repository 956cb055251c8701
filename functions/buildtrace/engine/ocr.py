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
    origin top-left, y down) and a confidence in 0..1."""

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
        engine = self._get()
        result, _ = engine(image, use_cls=False)
        words: list[Word] = []
        for quad, text, score in result or []:
            pts = np.asarray(quad, dtype=float)
            x0, y0 = pts.min(axis=0)
            x1, y1 = pts.max(axis=0)
            words.extend(_split_line(str(text), (x0, y0, x1, y1), float(score)))
        return words


def _split_line(text: str, box: tuple[float, float, float, float], score: float) -> list[Word]:
    """Split an OCR text line into words, giving each a share of the line's width by length."""
    parts = text.split()
    if not parts:
        return []
    x0, y0, x1, y1 = box
    per_char = (x1 - x0) / max(1, len(text))
    out, pos = [], 0
    for part in parts:
        start = text.index(part, pos)
        pos = start + len(part)
        out.append(Word(part, (x0 + start * per_char, y0, x0 + pos * per_char, y1), score))
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
                        w.confidence))
    return out


_default: TextRecognizer | None = None


def default_recognizer() -> TextRecognizer:
    """The process-wide default recogniser (created on first use)."""
    global _default
    if _default is None:
        _default = RapidOcrRecognizer()
    return _default
