"""Writing very large images a strip at a time: a streaming PNG and a Deep Zoom pyramid.

A 48×36 in overlay at 300 DPI is 14,400×10,800 RGB pixels (466 MB). These writers take rows
top to bottom and keep only a few tile rows per pyramid level in memory, so the engine's
peak memory does not grow with the sheet.
"""

from __future__ import annotations

import math
import os
import struct
import zlib

import cv2
import numpy as np


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def _header(width: int, height: int, palette: np.ndarray | None) -> bytes:
    """PNG signature, IHDR and (for palette images, 2 bits a pixel) PLTE."""
    if palette is None:
        return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height,
                                                                    8, 2, 0, 0, 0))
    return (b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 2, 3, 0, 0, 0))
            + _chunk(b"PLTE", palette.astype(np.uint8).tobytes()))


def _scanlines(rows: np.ndarray, palette: np.ndarray | None) -> bytes:
    """Rows as PNG scanlines (filter 0): RGB bytes, or palette indices packed 4 a byte."""
    n = rows.shape[0]
    if palette is None:
        body = rows.reshape(n, -1)
    else:
        w = rows.shape[1]
        padded = np.zeros((n, (w + 3) // 4 * 4), np.uint8)
        padded[:, :w] = rows
        q = padded.reshape(n, -1, 4)
        body = (q[..., 0] << 6) | (q[..., 1] << 4) | (q[..., 2] << 2) | q[..., 3]
    framed = np.zeros((n, body.shape[1] + 1), np.uint8)
    framed[:, 1:] = body
    return framed.tobytes()


def encode_png(image: np.ndarray, palette: np.ndarray | None = None, level: int = 6) -> bytes:
    """A whole PNG in memory: RGB (H×W×3) or palette indices 0..3 (H×W) with ``palette``;
    ``level`` is the zlib level."""
    data = zlib.compress(_scanlines(image, palette), level)
    return (_header(image.shape[1], image.shape[0], palette) + _chunk(b"IDAT", data)
            + _chunk(b"IEND", b""))


def palette_to_rgb(index: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """RGB image of palette indices (H×W uint8). cv2.LUT is several times faster than
    ``palette[index]`` on the 10-megapixel strips this runs on."""
    lut = np.zeros((256, 1, 3), np.uint8)
    lut[:len(palette), 0] = palette
    return cv2.LUT(cv2.merge([index, index, index]), lut)


class PngStreamWriter:
    """A PNG written row block by row block: RGB rows (n, W, 3), or with ``palette`` (4
    colours) index rows (n, W) stored at 2 bits a pixel, a quarter of the bytes to compress."""

    def __init__(self, path: str, width: int, height: int, palette: np.ndarray | None = None):
        self.path, self.width, self.height, self.palette = path, width, height, palette
        self._rows = 0
        self._fh = open(path, "wb")
        self._z = zlib.compressobj(6)
        self._fh.write(_header(width, height, palette))

    def add(self, rows: np.ndarray) -> None:
        """Append rows (top to bottom)."""
        if rows.shape[1] != self.width:
            raise ValueError(f"rows of shape {rows.shape} for a {self.width} px wide PNG")
        data = self._z.compress(_scanlines(rows, self.palette))
        if data:
            self._fh.write(_chunk(b"IDAT", data))
        self._rows += rows.shape[0]

    def close(self) -> None:
        if self._rows != self.height:
            raise ValueError(f"PNG {self.path}: {self._rows} rows written of {self.height}")
        self._fh.write(_chunk(b"IDAT", self._z.flush()) + _chunk(b"IEND", b""))
        self._fh.close()


class DeepZoomWriter:
    """A Deep Zoom image (``NAME.dzi`` + ``NAME_files/LEVEL/COL_ROW.png``) built from rows.

    Level ``max`` is the full image; each level below halves it, down to 1×1 at level 0."""

    def __init__(self, dzi_path: str, width: int, height: int, tile: int = 512,
                 palette: np.ndarray | None = None):
        self.dzi_path, self.width, self.height, self.tile = dzi_path, width, height, tile
        self.palette = palette  # with a palette, add() takes index rows
        self._blank: dict = {}
        self.files = dzi_path[:-len(".dzi")] + "_files"
        self.max_level = int(math.ceil(math.log2(max(width, height, 1))))
        self._levels = {}
        for level in range(self.max_level + 1):
            f = 2 ** (self.max_level - level)
            self._levels[level] = {
                "w": int(math.ceil(width / f)), "h": int(math.ceil(height / f)),
                "buf": None, "pending": None, "row": 0}
            os.makedirs(os.path.join(self.files, str(level)), exist_ok=True)

    def add(self, rows: np.ndarray) -> None:
        self._push(self.max_level, rows)

    def _push(self, level: int, rows: np.ndarray) -> None:
        """Buffer rows at a level, write every full tile row, pass row pairs down halved."""
        st = self._levels[level]
        st["buf"] = rows if st["buf"] is None else np.concatenate([st["buf"], rows])
        while st["buf"] is not None and st["buf"].shape[0] >= self.tile:
            self._write_tile_row(level, st["buf"][:self.tile])
            rest = st["buf"][self.tile:]
            st["buf"] = rest if rest.shape[0] else None
        if level == 0:
            return
        if rows.ndim == 2:  # palette indices: levels below the top are averaged in RGB
            rows = palette_to_rgb(rows, self.palette)
        pend = rows if st["pending"] is None else np.concatenate([st["pending"], rows])
        n = pend.shape[0] - pend.shape[0] % 2
        st["pending"] = pend[n:] if pend.shape[0] > n else None
        if n:
            nxt = self._levels[level - 1]
            down = cv2.resize(pend[:n], (nxt["w"], n // 2), interpolation=cv2.INTER_AREA)
            self._push(level - 1, down)

    def _write_tile_row(self, level: int, rows: np.ndarray) -> None:
        st = self._levels[level]
        r = st["row"]
        for c, x in enumerate(range(0, st["w"], self.tile)):
            tile = rows[:, x:x + self.tile]
            path = os.path.join(self.files, str(level), f"{c}_{r}.png")
            with open(path, "wb") as fh:
                fh.write(self._encode(tile))
        st["row"] += 1

    def _encode(self, tile: np.ndarray) -> bytes:
        """PNG bytes of a tile; blank paper tiles (most of a drawing) are encoded once."""
        blank = (tile.ndim == 2 and not tile.any()) or (tile.ndim == 3 and tile.min() == 255)
        if blank:
            key = (tile.shape, tile.ndim)
            if key not in self._blank:
                self._blank[key] = self._encode_any(tile)
            return self._blank[key]
        return self._encode_any(tile)

    def _encode_any(self, tile: np.ndarray) -> bytes:
        if tile.ndim == 2:
            return encode_png(tile, self.palette)
        return encode_png(tile, None, level=1)  # averaged RGB levels: compress fast

    def level_image(self, max_width: int) -> np.ndarray:
        """After :meth:`close`: the largest level no wider than ``max_width``, stitched from
        its tiles (RGB); a cheap preview of the whole image."""
        level = max(lv for lv, st in self._levels.items() if st["w"] <= max_width)
        st = self._levels[level]
        rows = []
        for r in range(st["row"]):
            tiles = [cv2.imread(os.path.join(self.files, str(level), f"{c}_{r}.png"))
                     for c in range(int(math.ceil(st["w"] / self.tile)))]
            rows.append(cv2.cvtColor(np.concatenate(tiles, axis=1), cv2.COLOR_BGR2RGB))
        return np.concatenate(rows)

    def close(self) -> None:
        for level in range(self.max_level, -1, -1):
            st = self._levels[level]
            if level > 0 and st["pending"] is not None:
                pend = st["pending"]
                st["pending"] = None
                nxt = self._levels[level - 1]
                down = cv2.resize(pend, (nxt["w"], 1), interpolation=cv2.INTER_AREA)
                down = down.reshape(1, nxt["w"], 3)
                self._push(level - 1, down)
            if st["buf"] is not None:
                self._write_tile_row(level, st["buf"])
                st["buf"] = None
        with open(self.dzi_path, "w") as fh:
            fh.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                     '<Image xmlns="http://schemas.microsoft.com/deepzoom/2008" '
                     f'TileSize="{self.tile}" Overlap="0" Format="png">'
                     f'<Size Width="{self.width}" Height="{self.height}"/></Image>\n')
