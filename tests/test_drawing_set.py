"""Reading sets: sizes, /Rotate, words in top-left points, rasters, images, streaming."""

import resource

import numpy as np
import pypdfium2 as pdfium
import pytest

from buildtrace.engine.drawing_set import (MAX_PAGE_PIXELS, Word, dpi_for_budget, open_set)
from buildtrace.engine.errors import PageTooLargeError
from conftest import JP_HOUSE, TRANSATOMIC


def test_pdf_page_size_words_and_raster():
    with open_set(TRANSATOMIC / "M101.pdf") as s:
        assert len(s) == 1
        page = s.page(0)
        assert page.size_in == pytest.approx((34.0, 22.0))
        words = page.words()
        order = [w for w in words if w.text == "3264"]
        assert len(order) == 1
        x0, y0, x1, y1 = order[0].bbox
        # the work order number sits in the title block, bottom right (top-left origin)
        assert 0.8 < x0 / page.width_pt < 0.95 and 0.9 < y0 / page.height_pt < 1.0
        img = page.render(dpi=50)
        assert img.dtype == np.uint8 and img.shape == (1100, 1700)
        crop = page.render(dpi=150, region=(x0, y0, x1, y1))
        assert (crop < 128).mean() > 0.05, "the word's box must cover its printed ink"


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotate_is_honoured_for_size_words_and_raster(tmp_path, rotation):
    pdf = pdfium.PdfDocument(str(TRANSATOMIC / "M101.pdf"))
    pdf[0].set_rotation(rotation)
    path = tmp_path / f"rot{rotation}.pdf"
    pdf.save(str(path))
    with open_set(TRANSATOMIC / "M101.pdf") as s0, open_set(path) as s:
        base, page = s0.page(0), s.page(0)
        expect = base.size_pt if rotation == 180 else base.size_pt[::-1]
        assert page.size_pt == pytest.approx(expect)
        assert page.rotation == rotation
        w0 = next(w for w in base.words() if w.text == "3264")
        w = next(w for w in page.words() if w.text == "3264")
        # /Rotate turns the page clockwise as shown: a word read left to right in it runs
        # down the shown page at 90 (three quarter turns counter-clockwise), up at 270
        assert w0.turns == 0 and w.turns == {90: 3, 180: 2, 270: 1}[rotation]
        ink0 = (base.render(dpi=150, region=w0.bbox) < 128).mean()
        ink = (page.render(dpi=150, region=w.bbox) < 128).mean()
        assert ink == pytest.approx(ink0, abs=0.02)
        full = page.render(dpi=20)
        assert full.shape[1] > full.shape[0] if rotation == 180 else full.shape[0] > full.shape[1]


def test_mixed_page_sizes(tmp_path):
    from buildtrace.synth import merge_pdfs

    path = merge_pdfs([TRANSATOMIC / "M101.pdf", JP_HOUSE / "site-plan.pdf"], tmp_path / "m.pdf")
    with open_set(path) as s:
        sizes = [p.size_in for p in s]
    assert sizes[0] == pytest.approx((34, 22))
    assert sizes[1] == pytest.approx((16.54, 11.69), abs=0.01)  # A3 landscape


def test_vector_text_layer_words():
    with open_set(JP_HOUSE / "site-plan.pdf") as s:
        words = s.page(0).words()
    texts = {w.text for w in words}
    assert "配置図" in texts and "1/100" in texts
    assert all(isinstance(w, Word) and w.bbox[2] > w.bbox[0] for w in words)



@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_text_turned_as_cad_turns_it_reads_as_whole_words(tmp_path, rotation):
    """A CAD sheet's vertical dimension runs upwards (or downwards, or upside down); its
    characters are one word, in a box around all of them, as a horizontal one is. The
    real jp-house plans have 500 such characters, each a word of its own before."""
    from buildtrace.synth_cad import Item, plot

    items = [Item("text", (100.0, 150.0), "1,820", height=3.0, rotation=rotation),
             Item("text", (250.0, 150.0), "寝室", height=3.0, rotation=rotation),
             Item("text", (250.0, 100.0), "W-12", height=3.0, rotation=rotation),
             Item("text", (255.0, 105.0), "A", height=3.0, rotation=(rotation + 90) % 360)]
    pdf = tmp_path / "turned.pdf"
    boxes = plot(items, pdf)
    with open_set(pdf) as s:
        words = s.page(0).words()
    assert sorted(w.text for w in words) == sorted(it.text for it in items)
    for it, box in zip(items, boxes):
        (word,) = [w for w in words if w.text == it.text]
        assert all(abs(a - b) < 1.5 for a, b in zip(word.bbox, box)), (word, box)
        assert word.turns == it.rotation // 90
        if len(it.text) > 1:
            tall = word.bbox[3] - word.bbox[1] > word.bbox[2] - word.bbox[0]
            assert tall == (it.rotation % 180 == 90)


def test_the_real_plans_vertical_dimensions_are_words():
    with open_set(JP_HOUSE / "floor-plans.pdf") as s:
        words = s.page(0).words()
    tall = [w.text for w in words if w.bbox[3] - w.bbox[1] > 2 * (w.bbox[2] - w.bbox[0])]
    assert {"1,820", "3,185", "8,645", "16511"} <= set(tall)


def test_render_within_a_pixel_budget():
    with open_set(TRANSATOMIC / "M101.pdf") as s:
        img = s.page(0).render(max_pixels=1_000_000)
    assert img.size <= 1_000_000 and img.size > 900_000


def test_render_beyond_the_budget_is_refused_before_allocating():
    with open_set(TRANSATOMIC / "M101.pdf") as s:
        dpi = dpi_for_budget(34 * 72, 22 * 72, MAX_PAGE_PIXELS) * 1.5
        with pytest.raises(PageTooLargeError):
            s.page(0).render(dpi=dpi)


def test_image_is_a_one_sheet_set(tmp_path):
    from PIL import Image

    with open_set(TRANSATOMIC / "M101.pdf") as s:
        raster = s.page(0).render(dpi=100)
    path = tmp_path / "scan.png"
    Image.fromarray(raster).save(path, dpi=(100, 100))
    with open_set(path) as s:
        assert len(s) == 1 and s.kind == "png"
        page = s.page(0)
        assert page.size_in == pytest.approx((34, 22), abs=0.02)
        assert page.words() == []
        half = page.render(dpi=50)
        assert half.shape == (1100, 1700)


def test_a_500_page_set_streams_in_bounded_memory(tmp_path):
    """Walking 500 pages (words and a raster each) must not grow memory with the page count."""
    from buildtrace.synth import write_text

    pdf = pdfium.PdfDocument.new()
    for i in range(500):
        pdf.new_page(34 * 72, 22 * 72).close()
        write_text(pdf, i, f"M-{i:03d}", (2200, 1530), 14)
    path = tmp_path / "big.pdf"
    pdf.save(str(path))
    pdf.close()

    def rss_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    with open_set(path) as s:
        assert len(s) == 500
        for page in list(s)[:50]:
            page.words(), page.render(dpi=100)
        after_50 = rss_mb()
        for page in s:
            assert page.words()[0].text.startswith("M-")
            page.render(dpi=100)
        after_500 = rss_mb()
    # one 100-DPI raster is 7.5 MB; 500 held at once would be 3.7 GB
    assert after_500 - after_50 < 100


def test_image_pixels_tell_a_scan_from_a_vector_sheet(tmp_path):
    """The engine renders a scan once (its images are decoded on every render) and a vector
    sheet twice (a small raster for the alignment, in milliseconds)."""
    import cv2

    with open_set(TRANSATOMIC / "M101.pdf") as s:
        scan = s.page(0).image_pixels()
    with open_set(JP_HOUSE / "floor-plans.pdf") as s:
        vector = s.page(0).image_pixels()
    assert scan > 10_000_000 and vector < 100_000
    cv2.imwrite(str(tmp_path / "sheet.png"), np.full((300, 400), 255, np.uint8))
    with open_set(tmp_path / "sheet.png") as s:
        assert s.page(0).image_pixels() == 300 * 400


def test_a_scanned_mosaic_has_the_resolution_of_its_whole_sheet_image(tmp_path):
    """The example sheets are mosaics: a 150 DPI whole-sheet image and patches at other
    resolutions over it. Their resolution is the whole sheet's (the average over all their
    pixels says 193 DPI for M201); a vector sheet has none; an image set has its own."""
    import math

    import cv2

    with open_set(TRANSATOMIC / "M201.pdf") as s:
        page = s.page(0)
        average = math.sqrt(page.image_pixels() / (page.width_pt / 72 * page.height_pt / 72))
        assert average == pytest.approx(193, abs=1)
        assert page.scan_dpi() == pytest.approx(150, abs=0.5)
    with open_set(JP_HOUSE / "floor-plans.pdf") as s:
        assert s.page(0).scan_dpi() is None
    cv2.imwrite(str(tmp_path / "sheet.png"), np.full((2200, 3400), 255, np.uint8))
    with open_set(tmp_path / "sheet.png") as s:
        assert s.page(0).scan_dpi() == s.dpi


def _lines_pdf(path, colours, width_pt=0.5):
    """A 400×200 pt page with one vertical line per colour (RGB), 45 pt apart from x=20."""
    import pypdfium2.raw as pdfium_c

    pdf = pdfium.PdfDocument.new()
    page = pdf.new_page(400, 200)
    for i, rgb in enumerate(colours):
        line = pdfium_c.FPDFPageObj_CreateNewPath(20 + i * 45, 20)
        pdfium_c.FPDFPath_LineTo(line, 20 + i * 45, 180)
        pdfium_c.FPDFPageObj_SetStrokeColor(line, *rgb, 255)
        pdfium_c.FPDFPageObj_SetStrokeWidth(line, width_pt)
        pdfium_c.FPDFPath_SetDrawMode(line, 0, 1)
        pdfium_c.FPDFPage_InsertObject(page.raw, line)
    pdfium_c.FPDFPage_GenerateContent(page.raw)
    page.close()
    pdf.save(str(path))
    return path


LIGHT = {"yellow": (255, 255, 0), "cyan": (0, 255, 255), "green": (0, 255, 0),
         "orange": (255, 128, 0)}
DARK = {"red": (255, 0, 0), "blue": (0, 0, 255), "magenta": (255, 0, 255),
        "black": (0, 0, 0), "grey": (128, 128, 128)}


@pytest.mark.parametrize("name", [*LIGHT, *DARK])
def test_pages_in_light_colours_are_rendered_as_ink(tmp_path, name):
    """A yellow or cyan line is near-white in a luminance grayscale (226, 178 of 255):
    missed by the overlay. Such pages render as ink, their darkest channel."""
    rgb = {**LIGHT, **DARK}[name]
    with open_set(_lines_pdf(tmp_path / "l.pdf", [rgb, (0, 0, 0)], width_pt=0.25)) as s:
        page = s.page(0)
        assert page.light_colours() == (name in LIGHT)
        ink = page.render(dpi=150)
        gray = page.render(dpi=150, as_ink=False)
        col = round(20 * 150 / 72)
        line_ink = int(ink[200, col - 2:col + 3].min())
        line_gray = int(gray[200, col - 2:col + 3].min())
        if name in LIGHT:
            assert line_ink < 100, "a light-coloured line is ink, like a black one"
            assert line_gray > line_ink + 40
        else:
            assert line_ink == line_gray  # the page renders in grayscale, as before
        assert ink.shape == gray.shape


def test_ink_renders_in_bands_on_the_page_pixel_grid(tmp_path, monkeypatch):
    """Rendered a band at a time, the ink raster is exactly the darkest channel of one
    whole colour render, for the page and for a region at fractional points."""
    import buildtrace.engine.drawing_set as ds

    path = _lines_pdf(tmp_path / "l.pdf", [*LIGHT.values(), *DARK.values()])
    monkeypatch.setattr(ds, "COLOUR_BAND_PX", 5_000)  # bands of a few rows
    with open_set(path) as s:
        page = s.page(0)
        for region in (None, (33.3, 41.7, 301.9, 170.2)):
            ink = page.render(dpi=137, region=region, as_ink=True)
            x0, y0, x1, y1 = region or (0, 0, 400, 200)
            raw = s._load(0)
            whole = np.empty((*ds.raster_shape((x0, y0, x1, y1), 137 / 72), 4), np.uint8)
            ds._render_into(raw, whole, ds.grid_matrix(137 / 72, x0, y0), True, gray=False)
            raw.close()
            assert ink.shape == whole.shape[:2]
            assert np.array_equal(ink, whole[..., :3].min(axis=2))


def _line_at(img: np.ndarray, k: float, origin: tuple[float, float], across: float,
             near: float, vertical: bool) -> float:
    """Where (points of the page) the centre of the ink of a line lies: a vertical line
    read along the row at ``across`` points down, near ``near`` points across; a horizontal
    one read down the column at ``across`` points across. ``k``: px per point; ``origin``:
    the raster's pixel (0, 0) in points."""
    x0, y0 = origin
    if vertical:
        a = int((near - 8 - x0) * k)
        profile = img[int((across - y0) * k), a:int((near + 8 - x0) * k)]
        start = x0
    else:
        a = int((near - 8 - y0) * k)
        profile = img[a:int((near + 8 - y0) * k), int((across - x0) * k)]
        start = y0
    ink = 255.0 - profile.astype(float)
    return start + (a + float((ink * (np.arange(len(ink)) + 0.5)).sum() / ink.sum())) / k


@pytest.mark.parametrize("rotation", [0, 90])
def test_rasters_lie_on_an_exact_grid_at_every_dpi(tmp_path, rotation):
    """A line drawn at a known place is found there, within a tenth of a point, at 100,
    150 and 300 DPI and in a region starting at fractional points: pixel (i, j) covers the
    points from (x0 + j·72/dpi, y0 + i·72/dpi). (Stretched to whole pixels, as PDFium's
    plain render does, a line 800 pt down on an A4-wide sheet came out 0.5 pt low at
    100 DPI, and a vector sheet and a scan of it 0.6 pt out of register.)"""
    from buildtrace.synth import stroke_box

    w_pt, h_pt = 1190.52, 841.92
    pdf = pdfium.PdfDocument.new()
    page = pdf.new_page(w_pt, h_pt)
    xs, ys = (100.0, 1100.3), (100.0, 800.6)
    for x in xs:  # lines 0.5 pt wide centred on xs (vertical) and ys (horizontal)
        stroke_box(page, (x - 0.001, 20, x + 0.001, 80), width_pt=0.5)
    for y in ys:
        stroke_box(page, (20, y - 0.001, 80, y + 0.001), width_pt=0.5)
    page.gen_content()
    if rotation:  # turned a quarter clockwise: found where a reader sees the lines
        page.set_rotation(rotation)
    pdf.save(tmp_path / "lines.pdf")
    pdf.close()
    with open_set(tmp_path / "lines.pdf") as s:
        p = s.page(0)
        for dpi in (100, 150, 300):
            k = dpi / 72
            for region in (None, (12.3, 7.9, p.width_pt - 3.1, p.height_pt - 5.5)):
                img = p.render(dpi=dpi, region=region, smooth=True)
                origin = (region or (0, 0))[:2]
                for x in xs:
                    if rotation:  # a vertical line of the drawing now runs across
                        found, want = _line_at(img, k, origin, h_pt - 50, x, False), x
                    else:
                        found, want = _line_at(img, k, origin, 50, x, True), x
                    assert abs(found - want) < 0.1, (dpi, region, x, found)
                for y in ys:
                    if rotation:
                        found, want = _line_at(img, k, origin, 50, h_pt - y, True), h_pt - y
                    else:
                        found, want = _line_at(img, k, origin, 50, y, False), y
                    assert abs(found - want) < 0.1, (dpi, region, y, found)


def test_a_page_drawn_through_a_matrix_lands_where_the_matrix_takes_it(tmp_path, monkeypatch):
    """``render_affine`` draws the page turned, scaled and moved into another raster's frame
    (how the comparison draws an old vector sheet on the new one's pixels): each line's
    centre lands within a tenth of a point of where the matrix takes it, in grayscale and
    as ink (colour, drawn in bands)."""
    import cv2

    import buildtrace.engine.drawing_set as ds
    from buildtrace.synth import stroke_box

    monkeypatch.setattr(ds, "COLOUR_BAND_PX", 50_000)
    pdf = pdfium.PdfDocument.new()
    page = pdf.new_page(600, 400)
    for x in (100.0, 480.3):
        stroke_box(page, (x - 0.001, 150, x + 0.001, 250), width_pt=0.8)
    page.gen_content()
    pdf.save(tmp_path / "v.pdf")
    pdf.close()
    k = 150 / 72
    turn = cv2.getRotationMatrix2D((0, 0), 0.7, 1.012)  # points -> points, turned
    matrix = np.vstack([ds.grid_matrix(k, -20.5, 10.25), [0, 0, 1]]) @ np.vstack([turn, [0, 0, 1]])
    with open_set(tmp_path / "v.pdf") as s:
        p = s.page(0)
        for as_ink in (False, True):
            img = p.render_affine(matrix[:2], (900, 1400), as_ink=as_ink, smooth=True)
            for x in (100.0, 480.3):
                cx, cy = matrix[:2] @ (x, 200.0, 1.0)
                row = 255.0 - img[int(round(cy)), int(cx) - 10:int(cx) + 11].astype(float)
                found = int(cx) - 10 + float((row * (np.arange(21) + 0.5)).sum() / row.sum())
                assert abs(found - cx) < 0.2, (as_ink, x, found, cx)  # 0.1 pt
        with pytest.raises(ds.PageTooLargeError):
            p.render_affine(matrix[:2], (40_000, 40_000))


def test_a_colour_image_renders_as_ink_when_asked(tmp_path):
    from PIL import Image

    rgb = np.full((300, 400, 3), 255, np.uint8)
    rgb[:, 100:104] = (255, 255, 0)  # a yellow line
    Image.fromarray(rgb).save(tmp_path / "y.png", dpi=(150, 150))
    with open_set(tmp_path / "y.png") as s:
        page = s.page(0)
        assert page.render(dpi=150, as_ink=False)[150, 101] > 200  # luminance: near white
        assert page.render(dpi=150, as_ink=True)[150, 101] == 0


def test_lines_drawn_without_smoothing_keep_their_grey(tmp_path):
    """Anti-aliased, a 50 % grey hairline straddling two pixels lands at about 190 of 255,
    lighter than ink (160); drawn without smoothing every pixel it covers is its grey."""
    path = _lines_pdf(tmp_path / "g.pdf", [(128, 128, 128)] * 8, width_pt=0.0)
    with open_set(path) as s:
        page = s.page(0)
        for dpi in (100, 150, 300):
            smooth = page.render(dpi=dpi)
            sharp = page.render(dpi=dpi, smooth=False)
            assert set(np.unique(sharp)) == {128, 255}
            cols = [round((20 + i * 45) * dpi / 72) for i in range(8)]
            cores = [int(smooth[smooth.shape[0] // 2, c - 2:c + 3].min()) for c in cols]
            assert max(cores) > 160  # the problem: some anti-aliased cores are not ink


def _arc_in_pieces(path, pieces_pt: float, src=None, centre=(100.0, 100.0)):
    """Page 0 of ``src`` (or a 200×200 pt page with 20 long lines) with a quarter circle
    of 40 pt radius about ``centre`` (PDF user space) drawn as separate straight pieces
    ``pieces_pt`` long, 0.37 pt wide (as the example DXFs draw their arcs; none when
    ``pieces_pt`` is None). Returns the arc's box (points, top-left origin)."""
    import ctypes
    import math

    import pypdfium2.raw as pdfium_c

    if src is None:
        pdf = pdfium.PdfDocument.new()
        page = pdf.new_page(200, 200)
    else:
        pdf = pdfium.PdfDocument(str(src))
        page = pdf[0]

    def stroke(points):
        obj = pdfium_c.FPDFPageObj_CreateNewPath(*points[0])
        for p in points[1:]:
            pdfium_c.FPDFPath_LineTo(obj, *p)
        pdfium_c.FPDFPageObj_SetStrokeColor(obj, 0, 0, 0, 255)
        pdfium_c.FPDFPageObj_SetStrokeWidth(obj, ctypes.c_float(0.37))
        pdfium_c.FPDFPath_SetDrawMode(obj, 0, 1)
        pdfium_c.FPDFPage_InsertObject(page.raw, obj)

    if src is None:
        for i in range(20):
            stroke([(10, 10 + 4 * i), (60, 10 + 4 * i)])
    cx, cy = centre
    if pieces_pt is not None:
        n = int(math.pi / 2 * 40 / pieces_pt)
        pts = [(cx + 40 * math.cos(t), cy + 40 * math.sin(t))
               for t in np.linspace(0, math.pi / 2, n + 1)]
        for a, b in zip(pts, pts[1:]):
            stroke([a, b])
    pdfium_c.FPDFPage_GenerateContent(page.raw)
    height = page.get_height()
    page.close()
    pdf.save(str(path))
    pdf.close()
    return (cx, height - cy - 40, cx + 40, height - cy)


def test_an_arc_drawn_in_pieces_shorter_than_a_pixel_is_drawn_without_anti_aliasing(tmp_path):
    """Drawn without anti-aliasing, a piece of line shorter than a pixel sets no pixel: an
    arc of 0.25 pt pieces came out as 12 pixels of the 149 drawn anti-aliased at 150 DPI.
    A page that draws curves so keeps, as ink, what the anti-aliased drawing shows."""
    _arc_in_pieces(tmp_path / "arc.pdf", 0.25)
    with open_set(tmp_path / "arc.pdf") as s:
        page = s.page(0)
        region = (95, 55, 145, 105)
        sharp = (page.render(dpi=150, region=region, smooth=False) < 160).sum()
        soft = (page.render(dpi=150, region=region, smooth=True) < 160).sum()
        assert soft > 100 and sharp >= 0.9 * soft
        # the long lines are still drawn without anti-aliasing: black, a pixel wide
        lines = page.render(dpi=150, region=(5, 95, 65, 195), smooth=False)
        assert set(np.unique(lines)) <= {0, 255}


def test_an_arc_drawn_in_pieces_added_to_a_vector_sheet_is_found(tmp_path):
    """(The example plans, whose own arcs are drawn in pieces: 15 % of their paths are
    shorter than 1 pt.) An arc of 0.25 pt pieces added to them was no change at all."""
    from buildtrace.engine.compare import PairOptions, compare_pair
    from buildtrace.engine.identify import identify_page
    from buildtrace.synth import blank_places

    src = JP_HOUSE / "floor-plans.pdf"
    x, y = blank_places(src, 1, seed=3, size=(60.0, 60.0))[0]
    with open_set(src) as s:
        h = s.page(0).height_pt
    box = _arc_in_pieces(tmp_path / "new.pdf", 0.25, src, centre=(x, h - y))
    with open_set(src) as so, open_set(tmp_path / "new.pdf") as sn:
        po, pn = so.page(0), sn.page(0)
        r = compare_pair(po, pn, identify_page(po), identify_page(pn), str(tmp_path), "p",
                         PairOptions(dpi=150, tiles=False, ocr=False))
    on = [c for c in r["changes"] if c["bbox"][0] < box[2] + 2 and box[0] - 2 < c["bbox"][2]
          and c["bbox"][1] < box[3] + 2 and box[1] - 2 < c["bbox"][3]]
    assert [c["kind"] for c in on] == ["added"] and on[0]["area_pt2"] > 20, on
