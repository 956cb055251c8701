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


class PngStreamWriter:
    """An RGB PNG written row block by row block (filter 0, zlib level 6)."""

    def __init__(self, path: str, width: int, height: int):
        self.path, self.width, self.height = path, width, height
        self._rows = 0
        self._fh = open(path, "wb")
        self._z = zlib.compressobj(6)
        self._fh.write(b"\x89PNG\r\n\x1a\n")
        self._chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))

    def _chunk(self, kind: bytes, data: bytes) -> None:
        self._fh.write(struct.pack(">I", len(data)) + kind + data)
        self._fh.write(struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    def add(self, rows: np.ndarray) -> None:
        """Append rows: uint8 array (n, width, 3)."""
        if rows.shape[1] != self.width or rows.shape[2] != 3:
            raise ValueError(f"rows of shape {rows.shape} for a {self.width} px wide PNG")
        framed = np.zeros((rows.shape[0], self.width * 3 + 1), np.uint8)
        framed[:, 1:] = rows.reshape(rows.shape[0], -1)
        data = self._z.compress(framed.tobytes())
        if data:
            self._chunk(b"IDAT", data)
        self._rows += rows.shape[0]

    def close(self) -> None:
        if self._rows != self.height:
            raise ValueError(f"PNG {self.path}: {self._rows} rows written of {self.height}")
        self._chunk(b"IDAT", self._z.flush())
        self._chunk(b"IEND", b"")
        self._fh.close()


class DeepZoomWriter:
    """A Deep Zoom image (``NAME.dzi`` + ``NAME_files/LEVEL/COL_ROW.png``) built from rows.

    Level ``max`` is the full image; each level below halves it, down to 1×1 at level 0."""

    def __init__(self, dzi_path: str, width: int, height: int, tile: int = 512):
        self.dzi_path, self.width, self.height, self.tile = dzi_path, width, height, tile
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
            cv2.imwrite(path, cv2.cvtColor(tile, cv2.COLOR_RGB2BGR))
        st["row"] += 1

    def close(self) -> None:
        for level in range(self.max_level, -1, -1):
            st = self._levels[level]
            if level > 0 and st["pending"] is not None:
                pend = st["pending"]
                st["pending"] = None
                nxt = self._levels[level - 1]
                down = cv2.resize(pend, (nxt["w"], 1), interpolation=cv2.INTER_AREA)
                self._push(level - 1, down)
            if st["buf"] is not None:
                self._write_tile_row(level, st["buf"])
                st["buf"] = None
        with open(self.dzi_path, "w") as fh:
            fh.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                     '<Image xmlns="http://schemas.microsoft.com/deepzoom/2008" '
                     f'TileSize="{self.tile}" Overlap="0" Format="png">'
                     f'<Size Width="{self.width}" Height="{self.height}"/></Image>\n')
