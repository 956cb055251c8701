"""Writing very large images a strip at a time: a streaming PNG and a Deep Zoom pyramid.

A 48×36 in overlay at 300 DPI is 14,400×10,800 RGB pixels (466 MB). These writers take rows
top to bottom and keep only a few tile rows per pyramid level in memory, so the engine's
peak memory does not grow with the sheet.
"""

from __future__ import annotations

import math
import os
import struct
import sys
import zlib

import cv2
import numpy as np
from isal import isal_zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def _header(width: int, height: int, palette: np.ndarray | None, gray: bool = False) -> bytes:
    """PNG signature, IHDR and (for palette images, 2 bits a pixel) PLTE; without a palette
    8-bit RGB, or 8-bit gray with ``gray``."""
    if palette is None:
        return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(
            ">IIBBBBB", width, height, 8, 0 if gray else 2, 0, 0, 0))
    return (b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 2, 3, 0, 0, 0))
            + _chunk(b"PLTE", palette.astype(np.uint8).tobytes()))


#: Deflate level of every image (ISA-L's levels are 0-3). ISA-L (the ``isal`` package) writes
#: ordinary zlib streams 5-7 times faster than zlib itself, and at level 1 smaller than
#: zlib's level 3: the 48×36 in overlay at 300 DPI compresses in 0.02 s to 0.52 MB, against
#: 0.12 s and 0.55 MB.
DEFLATE_LEVEL = 1

#: Multiplying four little-endian bytes (each 0..3) by this puts them, packed 2 bits each
#: in PNG order, in the top byte: the terms never overlap, so there are no carries.
_PACK4 = np.uint32((1 << 30) | (1 << 20) | (1 << 10) | 1)


def pack_indices(rows: np.ndarray) -> np.ndarray:
    """Palette indices 0..3 (n×W uint8) packed 4 a byte, first pixel in the high bits, as PNG
    stores 2-bit pixels: n×ceil(W/4) bytes (the unused low bits of a last byte are 0)."""
    n, w = rows.shape
    w4 = (w + 3) // 4 * 4
    if w4 == w and rows.flags.c_contiguous:
        padded = rows
    else:
        padded = np.zeros((n, w4), np.uint8)
        padded[:, :w] = rows
    if sys.byteorder != "little":
        q = padded.reshape(n, -1, 4)
        return (q[..., 0] << 6) | (q[..., 1] << 4) | (q[..., 2] << 2) | q[..., 3]
    # a band of rows at a time, so the 4-byte products stay in the CPU cache: about three
    # times faster than whole-array passes on a 15-megapixel strip
    out = np.empty((n, w4 // 4), np.uint8)
    words = padded.view(np.uint32)
    band = max(1, _PACK_BAND_BYTES // max(1, w4))
    tmp = np.empty((min(band, n), w4 // 4), np.uint32)
    for r in range(0, n, band):
        k = min(band, n - r)
        np.multiply(words[r:r + k], _PACK4, out=tmp[:k])
        out[r:r + k] = tmp[:k].view(np.uint8)[:, 3::4]  # the top byte of each product
    return out


#: Bytes of index rows :func:`pack_indices` multiplies at a time (stays in a core's cache).
_PACK_BAND_BYTES = 512 * 1024


def _framed(body: np.ndarray) -> bytes:
    """Rows of bytes as PNG scanlines: each prefixed with filter type 0 (none)."""
    framed = np.zeros((body.shape[0], body.shape[1] + 1), np.uint8)
    framed[:, 1:] = body
    return framed.tobytes()


def _scanlines(rows: np.ndarray, width: int, palette: np.ndarray | None,
               packed: np.ndarray | None = None) -> bytes:
    """The first ``width`` pixels of each row as PNG scanlines: RGB or gray bytes, or indices
    packed 4 a byte (``packed``: :func:`pack_indices` of ``rows``, when already made)."""
    if palette is None:
        return _framed(rows[:, :width].reshape(rows.shape[0], -1))
    if packed is None:
        packed = pack_indices(rows)
    return _framed(packed[:, :(width + 3) // 4])


def _png(width: int, height: int, palette: np.ndarray | None, scanlines: bytes,
         gray: bool = False) -> bytes:
    return (_header(width, height, palette, gray)
            + _chunk(b"IDAT", isal_zlib.compress(scanlines, DEFLATE_LEVEL))
            + _chunk(b"IEND", b""))


def encode_png(image: np.ndarray, palette: np.ndarray | None = None) -> bytes:
    """A whole PNG in memory: RGB (H×W×3), gray (H×W), or palette indices 0..3 (H×W) with
    ``palette``."""
    gray = palette is None and image.ndim == 2
    return _png(image.shape[1], image.shape[0], palette,
                _scanlines(image, image.shape[1], palette), gray)


def write_png(path: str, image: np.ndarray, palette: np.ndarray | None = None) -> None:
    """:func:`encode_png` to a file (several times faster than ``cv2.imwrite``'s zlib)."""
    with open(path, "wb") as fh:
        fh.write(encode_png(image, palette))


def maxpool_indices(rows: np.ndarray) -> np.ndarray:
    """Palette indices at half size, each pixel the largest of its 2×2 block: a change
    (2 removed, 3 added) wins over unchanged ink (1), which wins over paper (0), so a
    one-pixel change stays a full-colour pixel when zoomed out. Odd sizes are padded with
    paper."""
    if rows.shape[0] % 2:
        rows = np.concatenate([rows, np.zeros((1, rows.shape[1]), np.uint8)])
    m = cv2.max(rows[0::2], rows[1::2])
    if m.shape[1] % 2:
        m = cv2.copyMakeBorder(m, 0, 0, 0, 1, cv2.BORDER_CONSTANT, value=0)
    # neighbours as the two channels of a half-width image: OpenCV splits them in one pass
    left, right = cv2.split(np.ascontiguousarray(m).reshape(m.shape[0], -1, 2))
    return cv2.max(left, right)


def palette_to_rgb(index: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """RGB image of palette indices (H×W uint8). cv2.LUT is several times faster than
    ``palette[index]`` on the 10-megapixel strips this runs on."""
    lut = np.zeros((256, 1, 3), np.uint8)
    lut[:len(palette), 0] = palette
    return cv2.LUT(cv2.merge([index, index, index]), lut)


def resize_palette(index: np.ndarray, palette: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Palette indices (H×W) as an RGB image of ``size`` (width, height), averaged by area.
    Coloured and resized one plane at a time: three 1-byte planes cost several times less
    than one full-size interleaved RGB image."""
    luts = np.zeros((3, 256), np.uint8)
    luts[:, :len(palette)] = np.asarray(palette, np.uint8).T
    return cv2.merge([cv2.resize(cv2.LUT(index, np.ascontiguousarray(lut)), size,
                                 interpolation=cv2.INTER_AREA) for lut in luts])


def halve_palette(index: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Palette indices 0..3 (H×W, both even) halved to RGB (H/2×W/2×3), each pixel the
    mean of its 2×2 block, rounded as OpenCV's area resize rounds.

    A 2×2 block of 2-bit indices is one byte, so the mean colour is looked up, not
    computed: the rows are packed 4 pixels a byte (:func:`pack_indices`), a pair of packed
    rows gives each block's byte with a few bit operations on a quarter of the data, and a
    256-entry table per channel gives its colour: 0.057 s instead of 0.074 s for colouring
    and resizing a 39-megapixel level (a 48×36 in sheet at 150 DPI)."""
    packed = pack_indices(index)  # pixels p0 p1 p2 p3 in bits 7-6, 5-4, 3-2, 1-0
    top, bottom = packed[0::2], packed[1::2]
    codes = np.empty((top.shape[0], top.shape[1], 2), np.uint8)
    # a block's byte: its top pair in the high nibble, its bottom pair in the low one
    np.bitwise_or(top & 0xF0, bottom >> 4, out=codes[..., 0])
    np.bitwise_or((top & 0x0F) << 4, bottom & 0x0F, out=codes[..., 1])
    codes = codes.reshape(top.shape[0], -1)[:, :index.shape[1] // 2]
    return cv2.merge([cv2.LUT(codes, lut) for lut in _block_means(palette)])


def _block_means(palette: np.ndarray) -> list[np.ndarray]:
    """Per channel, the 256-entry table from a 2×2 block's byte (see :func:`halve_palette`)
    to the rounded mean of its four palette colours."""
    key = palette.astype(np.uint8).tobytes()
    if key not in _BLOCK_MEANS:
        code = np.arange(256)
        quads = np.stack([(code >> s) & 3 for s in (6, 4, 2, 0)], axis=1)  # 256×4 indices
        colours = np.zeros((4, 3), np.int64)
        colours[:len(palette)] = palette
        means = (colours[quads].sum(axis=1) + 2) // 4  # 256×3
        _BLOCK_MEANS[key] = [np.ascontiguousarray(means[:, c], np.uint8) for c in range(3)]
    return _BLOCK_MEANS[key]


_BLOCK_MEANS: dict = {}


class PngStreamWriter:
    """A PNG written row block by row block: RGB rows (n, W, 3), or with ``palette`` (4
    colours) index rows (n, W) stored at 2 bits a pixel, a quarter of the bytes to compress.

    Rows may be wider than the image: the columns beyond ``width`` (padding that lets rows be
    packed without a copy; paper) are not written."""

    def __init__(self, path: str, width: int, height: int, palette: np.ndarray | None = None):
        self.path, self.width, self.height, self.palette = path, width, height, palette
        self._rows = 0
        self._fh = open(path, "wb")
        self._z = isal_zlib.compressobj(DEFLATE_LEVEL)
        self._fh.write(_header(width, height, palette))

    def add(self, rows: np.ndarray, packed: np.ndarray | None = None) -> None:
        """Append rows (top to bottom); ``packed`` is :func:`pack_indices` of palette rows
        when the caller has it already."""
        if rows.shape[1] < self.width:
            raise ValueError(f"rows of shape {rows.shape} for a {self.width} px wide PNG")
        data = self._z.compress(_scanlines(rows, self.width, self.palette, packed))
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

    Level ``max`` is the full image; each level below halves it, down to 1×1 at level 0.
    With a ``palette``, :meth:`add` takes index rows; the top ``palette_levels`` levels
    stay 2-bit palette images (each halving by :func:`maxpool_indices`, so a change stays
    visible zoomed out, and a quarter of the bytes of RGB to compress); the levels below are
    averaged in RGB, which is what a zoomed-out drawing should look like.

    Rows may be wider than the image (paper padding, as for :class:`PngStreamWriter`); a
    width that is a multiple of 4·2^(n-1) lets the top n palette levels be packed without
    copies."""

    #: Levels at most this wide are also kept in memory (a few MB) for :meth:`level_image`.
    KEEP_LEVEL_PX = 2048

    def __init__(self, dzi_path: str, width: int, height: int, tile: int = 512,
                 palette: np.ndarray | None = None, palette_levels: int = 2):
        if tile % 4:
            raise ValueError("the tile size must be a multiple of 4 (2-bit pixels, whole bytes)")
        self.dzi_path, self.width, self.height, self.tile = dzi_path, width, height, tile
        self.palette, self.palette_levels = palette, palette_levels
        self._blank: dict = {}
        self.files = dzi_path[:-len(".dzi")] + "_files"
        self.max_level = int(math.ceil(math.log2(max(width, height, 1))))
        self._levels = {}
        for level in range(self.max_level + 1):
            f = 2 ** (self.max_level - level)
            self._levels[level] = {
                "w": int(math.ceil(width / f)), "h": int(math.ceil(height / f)),
                "buf": [], "buffered": 0, "pending": None, "row": 0, "kept": []}
            os.makedirs(os.path.join(self.files, str(level)), exist_ok=True)

    def _is_palette_level(self, level: int) -> bool:
        return self.palette is not None and level > self.max_level - self.palette_levels

    def add(self, rows: np.ndarray, packed: np.ndarray | None = None) -> None:
        """Append rows (top to bottom); ``packed`` is :func:`pack_indices` of palette rows
        when the caller has it already (the full-size tiles are cut from it)."""
        self.add_top_level(rows, packed)
        self.add_lower_levels(rows)

    def add_top_level(self, rows: np.ndarray, packed: np.ndarray | None = None) -> None:
        """The full-size half of :meth:`add`. The two halves touch separate levels, so two
        threads may run them side by side (each in row order)."""
        self._write_level(self.max_level, rows, packed)

    def add_lower_levels(self, rows: np.ndarray) -> None:
        """The other half of :meth:`add`: every level below the full size. It is itself
        :meth:`halve_top_level` then :meth:`add_halved`, which may also run on two threads
        (each in row order)."""
        self.add_halved(self.halve_top_level(rows))

    def halve_top_level(self, rows: np.ndarray) -> np.ndarray | None:
        """Full-size rows halved for the level below, whole row pairs at a time (an odd
        last row waits for the next call); None when there is nothing to pass down yet."""
        return self._halve_pairs(self.max_level, rows)

    def add_halved(self, half: np.ndarray | None) -> None:
        """Rows from :meth:`halve_top_level`: written to every level below the full size."""
        if half is not None:
            self._push(self.max_level - 1, half)

    def _push(self, level: int, rows: np.ndarray, packed: np.ndarray | None = None) -> None:
        """Rows of a level: written as tiles, and passed down halved."""
        self._write_level(level, rows, packed)
        self._push_down(level, rows)

    def _write_level(self, level: int, rows: np.ndarray, packed: np.ndarray | None) -> None:
        """Buffer rows at a level and write every full row of tiles."""
        st = self._levels[level]
        if st["w"] <= self.KEEP_LEVEL_PX:
            st["kept"].append(rows)  # for level_image, without reading the tiles back
        if self._is_palette_level(level):
            # tiles of a palette level are cut from packed rows, packed once a strip
            rows = pack_indices(rows) if packed is None else packed
        # blocks are kept as they come and joined once a row of tiles is complete: joining
        # each block to the buffer copied the buffer again for every strip
        st["buf"].append(rows)
        st["buffered"] += rows.shape[0]
        if st["buffered"] < self.tile:
            return
        block = st["buf"][0] if len(st["buf"]) == 1 else np.concatenate(st["buf"])
        full = block.shape[0] - block.shape[0] % self.tile
        for r0 in range(0, full, self.tile):
            self._write_tile_row(level, block[r0:r0 + self.tile])
        st["buf"] = [block[full:]] if full < block.shape[0] else []
        st["buffered"] = block.shape[0] - full

    def _push_down(self, level: int, rows: np.ndarray) -> None:
        """Pass whole row pairs of a level down to the next, halved."""
        half = self._halve_pairs(level, rows)
        if half is not None:
            self._push(level - 1, half)

    def _halve_pairs(self, level: int, rows: np.ndarray) -> np.ndarray | None:
        """Rows of ``level`` halved for the level below, whole row pairs at a time (an odd
        last row waits in ``pending`` for the next call); None when there is nothing to pass
        down yet, or no level below."""
        if level == 0:
            return None
        st = self._levels[level]
        pend = _stack(st["pending"], rows)
        n = pend.shape[0] - pend.shape[0] % 2
        st["pending"] = pend[n:]
        return self._halve(level, pend[:n]) if n else None

    def _halve(self, level: int, rows: np.ndarray) -> np.ndarray:
        """Rows of ``level`` at the size of the level below (an odd last row or column is
        padded with paper)."""
        if self._is_palette_level(level - 1):
            return maxpool_indices(rows)
        fill = 0 if rows.ndim == 2 else 255
        if rows.shape[0] % 2 or rows.shape[1] % 2:
            # padded to even sizes the resize is an exact halving (OpenCV's fast path; a
            # factor of 1.9999 takes the general one, several times slower)
            rows = cv2.copyMakeBorder(rows, 0, rows.shape[0] % 2, 0, rows.shape[1] % 2,
                                      cv2.BORDER_CONSTANT, value=(fill, fill, fill))
        if rows.ndim == 3:
            return cv2.resize(rows, (rows.shape[1] // 2, rows.shape[0] // 2),
                              interpolation=cv2.INTER_AREA)
        return halve_palette(rows, self.palette)

    def _write_tile_row(self, level: int, rows: np.ndarray) -> None:
        """Write one row of tiles: ``rows`` are packed palette rows (2-D, 4 pixels a byte)
        at a palette level, RGB rows otherwise; columns beyond the level's width are
        padding."""
        st = self._levels[level]
        r = st["row"]
        packed = self._is_palette_level(level)
        for c, x in enumerate(range(0, st["w"], self.tile)):
            width = min(self.tile, st["w"] - x)
            if packed:
                tile = rows[:, x // 4:(x + width + 3) // 4]
            else:
                tile = rows[:, x:x + width]
            path = os.path.join(self.files, str(level), f"{c}_{r}.png")
            with open(path, "wb") as fh:
                fh.write(self._encode(tile, width, packed))
        st["row"] += 1

    def _encode(self, tile: np.ndarray, width: int, packed: bool) -> bytes:
        """PNG bytes of a tile ``width`` pixels wide: packed 2-bit indices or RGB. Blank
        paper tiles (most of a drawing) are encoded once."""
        blank = not tile.any() if packed else tile.min() == 255
        key = (tile.shape, width, packed)
        if blank and key in self._blank:
            return self._blank[key]
        if packed:
            data = _png(width, tile.shape[0], self.palette, _framed(tile))
        else:
            data = encode_png(tile, None)
        if blank:
            self._blank[key] = data
        return data

    def level_image(self, max_width: int) -> np.ndarray:
        """After :meth:`close`: the largest level no wider than ``max_width``, stitched from
        its tiles (RGB); a cheap preview of the whole image."""
        level = max(lv for lv, st in self._levels.items() if st["w"] <= max_width)
        st = self._levels[level]
        if st["kept"]:
            image = np.concatenate(st["kept"])[:st["h"], :st["w"]]
            return palette_to_rgb(image, self.palette) if image.ndim == 2 else image
        rows = []
        for r in range(st["row"]):
            tiles = [cv2.imread(os.path.join(self.files, str(level), f"{c}_{r}.png"))
                     for c in range(int(math.ceil(st["w"] / self.tile)))]
            rows.append(cv2.cvtColor(np.concatenate(tiles, axis=1), cv2.COLOR_BGR2RGB))
        return np.concatenate(rows)

    def close(self) -> None:
        for level in range(self.max_level, -1, -1):
            st = self._levels[level]
            if level > 0 and st["pending"] is not None and st["pending"].shape[0]:
                pend = st["pending"]
                st["pending"] = None
                self._push(level - 1, self._halve(level, pend))
            if st["buf"]:
                self._write_tile_row(level, np.concatenate(st["buf"]))
            st["buf"], st["buffered"] = [], 0
        with open(self.dzi_path, "w") as fh:
            fh.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                     '<Image xmlns="http://schemas.microsoft.com/deepzoom/2008" '
                     f'TileSize="{self.tile}" Overlap="0" Format="png">'
                     f'<Size Width="{self.width}" Height="{self.height}"/></Image>\n')


def _stack(buffered: np.ndarray | None, rows: np.ndarray) -> np.ndarray:
    """Rows appended to a buffer of rows (no copy when the buffer is empty)."""
    if buffered is None or not buffered.shape[0]:
        return rows
    return np.concatenate([buffered, rows])
