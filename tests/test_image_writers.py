"""Streaming PNG and Deep Zoom pyramid: what is written is what was given."""

import math

import cv2
import numpy as np
from PIL import Image

from buildtrace.engine.image_writers import DeepZoomWriter, PngStreamWriter, encode_png
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
    preview = dz.level_image(600)
    assert preview.shape == (335, 513, 3)


def test_rgb_png(tmp_path):
    rgb = np.random.default_rng(1).integers(0, 255, (33, 47, 3), dtype=np.uint8)
    (tmp_path / "r.png").write_bytes(encode_png(rgb))
    assert (np.asarray(Image.open(tmp_path / "r.png")) == rgb).all()


def test_wrong_row_count_is_an_error(tmp_path):
    png = PngStreamWriter(str(tmp_path / "b.png"), 10, 10, PALETTE)
    png.add(np.zeros((5, 10), np.uint8))
    try:
        png.close()
    except ValueError as exc:
        assert "5 rows written of 10" in str(exc)
    else:
        raise AssertionError("close() accepted a short image")
