"""Streaming PNG and Deep Zoom pyramid: what is written is what was given."""

import math

import cv2
import numpy as np
import pytest
from PIL import Image

from buildtrace.engine.image_writers import (DeepZoomWriter, PngStreamWriter, encode_png,
                                             write_png)
from buildtrace.engine.overlay import PALETTE


def test_palette_png_and_pyramid_round_trip(tmp_path):
    idx = np.random.default_rng(0).integers(0, 4, (1337, 2051), dtype=np.uint8)
    png = PngStreamWriter(str(tmp_path / "a.png"), 2051, 1337, PALETTE)
    dz = DeepZoomWriter(str(tmp_path / "a.dzi"), 2051, 1337, tile=256, palette=PALETTE)
    for y in range(0, 1337, 300):  # strips not aligned with tiles
        png.add(idx[y:y + 300])
        dz.add(idx[y:y + 300])
    png.close()
    dz.close()
    rgb = PALETTE[idx]
    assert (np.asarray(Image.open(tmp_path / "a.png").convert("RGB")) == rgb).all()
    top = math.ceil(math.log2(2051))
    tile = np.asarray(Image.open(tmp_path / f"a_files/{top}/3_4.png").convert("RGB"))
    assert (tile == rgb[1024:1280, 768:1024]).all()
    half = cv2.imread(str(tmp_path / f"a_files/{top - 1}/0_0.png"))
    assert half.shape == (256, 256, 3)
    assert cv2.imread(str(tmp_path / "a_files/0/0_0.png")).shape == (1, 1, 3)
    n_cols = math.ceil(1026 / 256)
    assert (tmp_path / f"a_files/{top - 1}/{n_cols - 1}_2.png").exists()
    assert 'Width="2051" Height="1337"' in (tmp_path / "a.dzi").read_text()
    preview = dz.level_image(600)  # kept in memory: the same pixels as the level's tiles
    assert preview.shape == (335, 513, 3)
    tiles = [[np.asarray(Image.open(tmp_path / f"a_files/{top - 2}/{c}_{r}.png").convert("RGB"))
              for c in range(3)] for r in range(2)]
    assert (np.concatenate([np.concatenate(row, axis=1) for row in tiles]) == preview).all()
    assert (dz.level_image(1100) == _rgb_half_of(idx)).all()  # a palette level, kept


def _rgb_half_of(idx):
    from buildtrace.engine.image_writers import maxpool_indices

    return PALETTE[maxpool_indices(idx)][:669, :1026]


def test_rgb_and_gray_png(tmp_path):
    rgb = np.random.default_rng(1).integers(0, 255, (33, 47, 3), dtype=np.uint8)
    (tmp_path / "r.png").write_bytes(encode_png(rgb))
    assert Image.open(tmp_path / "r.png").mode == "RGB"
    assert (np.asarray(Image.open(tmp_path / "r.png")) == rgb).all()
    gray = rgb[..., 1].copy()
    write_png(str(tmp_path / "g.png"), gray)
    assert Image.open(tmp_path / "g.png").mode == "L"
    assert (np.asarray(Image.open(tmp_path / "g.png")) == gray).all()


def test_wrong_row_count_is_an_error(tmp_path):
    png = PngStreamWriter(str(tmp_path / "b.png"), 10, 10, PALETTE)
    png.add(np.zeros((5, 10), np.uint8))
    try:
        png.close()
    except ValueError as exc:
        assert "5 rows written of 10" in str(exc)
    else:
        raise AssertionError("close() accepted a short image")


def test_pack_indices_matches_the_png_bit_order():
    from buildtrace.engine.image_writers import pack_indices

    rng = np.random.default_rng(2)
    for w in (1, 3, 4, 5, 513):
        idx = rng.integers(0, 4, (7, w), dtype=np.uint8)
        padded = np.zeros((7, (w + 3) // 4 * 4), np.uint8)
        padded[:, :w] = idx
        q = padded.reshape(7, -1, 4).astype(np.uint32)
        ref = (q[..., 0] << 6) | (q[..., 1] << 4) | (q[..., 2] << 2) | q[..., 3]
        assert (pack_indices(idx) == ref).all()


@pytest.mark.parametrize("strongest", [2, 3])
def test_zoomed_out_levels_keep_changes_visible_then_average(tmp_path, strongest):
    """The ``strongest`` - 1 levels below the top keep the largest index of each 2x2 block
    (a one-pixel change stays pure red); lower levels are the RGB average of the level
    above."""
    from buildtrace.engine.image_writers import maxpool_indices

    rng = np.random.default_rng(5)
    idx = (rng.random((601, 999)) < 0.3).astype(np.uint8)  # unchanged ink on paper
    idx[101, 333] = 2  # one removed pixel
    dz = DeepZoomWriter(str(tmp_path / "z.dzi"), 999, 601, tile=256, palette=PALETTE,
                        palette_levels=strongest)
    for y in range(0, 601, 128):
        dz.add(idx[y:y + 128])
    dz.close()
    top = math.ceil(math.log2(999))

    def level(n, cols, rows):
        return np.concatenate([np.concatenate(
            [np.asarray(Image.open(tmp_path / f"z_files/{n}/{c}_{r}.png").convert("RGB"))
             for c in range(cols)], axis=1) for r in range(rows)])

    kept = idx
    for n in range(1, strongest):  # the levels that keep the strongest pixel
        kept = maxpool_indices(kept)
        size = -(-999 // 2 ** n), -(-601 // 2 ** n)
        lv = level(top - n, -(-size[0] // 256), -(-size[1] // 256))
        assert lv.shape == (size[1], size[0], 3)
        assert (lv == PALETTE[kept]).all()
        assert tuple(lv[101 // 2 ** n, 333 // 2 ** n]) == tuple(PALETTE[2])
    above = PALETTE[kept].astype(np.float64)
    below = level(top - strongest, 1, 1).astype(int)
    h, w = -(-above.shape[0] // 2), -(-above.shape[1] // 2)
    assert below.shape == (h, w, 3)
    even = np.zeros((2 * h, 2 * w, 3), np.float64) + 255
    even[:above.shape[0], :above.shape[1]] = above
    mean = even.reshape(h, 2, w, 2, 3).mean(axis=(1, 3))
    assert np.abs(below - mean).max() <= 1
    # the removed pixel, averaged with its block, is no longer pure red
    assert tuple(below[101 // 2 ** strongest, 333 // 2 ** strongest]) != tuple(PALETTE[2])


def test_the_pyramid_keeps_changes_at_full_colour_down_to_screen_resolution():
    """At 300 DPI the levels of 300, 150 and 75 DPI keep a change's pixel; at 150 DPI,
    those of 150 and 75; below 72 DPI a level is averaged (and the top two always keep it)."""
    from buildtrace.engine.compare import strongest_pixel_levels

    assert strongest_pixel_levels(300) == 3
    assert strongest_pixel_levels(150) == 2
    assert strongest_pixel_levels(144) == 2
    assert strongest_pixel_levels(600) == 4
    assert strongest_pixel_levels(100) == 2


@pytest.mark.parametrize("shape", [(2, 2), (6, 10), (64, 1026), (128, 7204)])
def test_a_palette_image_halved_by_lookup_is_the_area_average(shape):
    """halve_palette looks each 2x2 block's mean colour up from its packed byte; it must be
    exactly what colouring the full-size pixels and resizing by area gives."""
    from buildtrace.engine.image_writers import halve_palette, palette_to_rgb

    idx = np.random.default_rng(shape[1]).integers(0, 4, shape).astype(np.uint8)
    want = cv2.resize(palette_to_rgb(idx, PALETTE), (shape[1] // 2, shape[0] // 2),
                      interpolation=cv2.INTER_AREA)
    assert np.array_equal(halve_palette(idx, PALETTE), want)
