"""The report page (``index.html``) in headless Chromium, opened from disk as users open it:
the sheet list, the overlay with its change clouds, the old/new toggles, and the Deep Zoom
viewer loading deeper tiles as it zooms in."""

import math
import shutil

import cv2
import numpy as np
import pytest
from buildtrace.engine.compare_sets import compare_sets
from buildtrace.engine.report import write_report
from buildtrace.synth import make_revision
from conftest import JP_HOUSE

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("page")
    truth = make_revision(JP_HOUSE / "floor-plans.pdf", d, 21,
                          kinds=("add", "erase", "text", "move"), n_edits=4)
    report = compare_sets(truth["old"], truth["new"], str(d / "out"), dpi=150, ocr="off")
    write_report(report, str(d / "out"))
    return d / "out", report


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: `make setup` installs it"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _shot(page, selector) -> np.ndarray:
    """A screenshot of one element, BGR."""
    return cv2.imdecode(np.frombuffer(page.locator(selector).screenshot(), np.uint8),
                        cv2.IMREAD_COLOR)


def _has_colour(img: np.ndarray, bgr, tol=40) -> int:
    return int((np.abs(img.astype(int) - np.array(bgr)).max(axis=2) < tol).sum())


def test_sheet_list_overlay_clouds_and_toggles(report_dir, browser):
    out, report = report_dir
    pair = report["pairs"][0]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((out / "index.html").as_uri())
    assert page.locator("nav li").count() == len(report["pairs"]) == 1
    n = len(pair["changes"])
    assert n >= 3
    assert f"{n} changes" in page.locator("nav li").inner_text()
    img = page.locator(".view img")
    page.wait_for_function("document.querySelector('.view img').complete")
    assert img.evaluate("i => i.naturalWidth") > 0 and img.get_attribute("src") == pair["overlay"]["preview"]
    # one cloud per change, where the change is (the box in points → % of the sheet)
    clouds = page.locator(".view .cloud")
    assert clouds.count() == n
    view = page.locator(".view").bounding_box()
    w_pt, h_pt = (v * 72 / pair["overlay"]["dpi"] for v in (pair["overlay"]["width_px"],
                                                           pair["overlay"]["height_px"]))
    for i, c in enumerate(pair["changes"]):
        box = clouds.nth(i).bounding_box()
        assert box["x"] == pytest.approx(view["x"] + c["bbox"][0] / w_pt * view["width"], abs=3)
        assert box["y"] == pytest.approx(view["y"] + c["bbox"][1] / h_pt * view["height"], abs=3)
    # a moved change also has a dashed cloud where it was
    moved = [c for c in pair["changes"] if c["kind"] == "moved"]
    was = page.locator(".view .cloud-from")
    assert moved and was.count() == len(moved)
    for i, c in enumerate(moved):
        box = was.nth(i).bounding_box()
        assert box["x"] == pytest.approx(view["x"] + c["from_bbox"][0] / w_pt * view["width"], abs=3)
        assert box["y"] == pytest.approx(view["y"] + c["from_bbox"][1] / h_pt * view["height"], abs=3)
    # the overlay shows removed red and added green; the toggles swap in the old and new sheets
    overlay = _shot(page, ".view")
    assert _has_colour(overlay, (30, 30, 220)) > 0 and _has_colour(overlay, (40, 160, 20)) > 0
    for label, key in (("old", "old"), ("new", "new"), ("overlay", "preview")):
        page.locator(".toggles button", has_text=label).first.click()
        page.wait_for_function("document.querySelector('.view img').complete")
        assert img.get_attribute("src") == pair["overlay"][key]
        assert img.evaluate("i => i.naturalWidth") > 0
    page.locator(".toggles button", has_text="old").first.click()
    page.wait_for_function("document.querySelector('.view img').complete")
    old = _shot(page, ".view")
    assert _has_colour(old, (30, 30, 220)) == 0  # a plain sheet: no overlay colours
    assert errors == []


def test_zoom_viewer_loads_deeper_tiles_as_it_zooms(report_dir, browser):
    out, report = report_dir
    pair = report["pairs"][0]
    ov = pair["overlay"]
    max_level = math.ceil(math.log2(max(ov["width_px"], ov["height_px"])))
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors, urls = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: urls.append(r.url))
    page.goto((out / "index.html").as_uri())
    page.locator("button.zoom").first.click()
    assert page.locator("#zoomer").is_visible()

    def levels():
        return {int(u.split("_files/")[1].split("/")[0]) for u in urls if "_files/" in u}

    page.wait_for_timeout(300)
    first = levels()
    assert first and max(first) < max_level  # the whole sheet: a reduced level
    page.wait_for_timeout(300)
    whole = _shot(page, "#zoomer canvas")
    assert (whole < 200).any()  # the drawing is painted
    # zoom in on the first change: the viewer asks for the full-resolution tiles there
    c = pair["changes"][0]["bbox"]
    canvas = page.locator("#zoomer canvas").bounding_box()
    s = min(canvas["width"] / ov["width_px"], canvas["height"] / ov["height_px"])
    k = ov["dpi"] / 72
    x = canvas["x"] + (c[0] + c[2]) / 2 * k * s
    y = canvas["y"] + (c[1] + c[3]) / 2 * k * s
    page.mouse.move(x, y)
    for _ in range(12):
        page.mouse.wheel(0, -100)
        page.wait_for_timeout(30)
    page.wait_for_timeout(500)
    assert max_level in levels()
    near = _shot(page, "#zoomer canvas")
    colours = _has_colour(near, (30, 30, 220)) + _has_colour(near, (40, 160, 20))
    assert colours > 100  # the change, large, in its colour
    # every tile asked for exists: the viewer cuts the levels as the writer did
    files = [u for u in urls if "_files/" in u]
    missing = [u for u in files if not (out / u.split(out.as_uri() + "/")[1]).exists()]
    assert files and missing == []
    assert ov["tile_px"] == 1024
    page.locator("#zoomer button").click()
    assert not page.locator("#zoomer").is_visible()
    assert errors == []


def test_the_page_says_when_light_colours_were_compared_as_ink(report_dir):
    import copy

    from buildtrace.engine.report import render_html

    _, report = report_dir
    assert report["pairs"][0]["render_mode"] == "grayscale"
    assert "compared as ink" not in render_html(report)
    inked = copy.deepcopy(report)
    inked["pairs"][0]["render_mode"] = "ink"
    assert "light colours compared as ink" in render_html(inked)


def test_a_move_says_how_far_and_text_lines_need_no_arrow_glyph():
    """The change list says where a move went (inches, centre to centre); the PDF's lines
    use "->" (its font has no arrow, which came out as a box) and name a text once."""
    from buildtrace.engine.report import _kind, _text_line

    move = {"kind": "moved", "bbox": [300, 100, 340, 120], "from_bbox": [100, 200, 140, 220]}
    assert _kind(move) == "moved 2.8 in right, 1.4 in up"
    assert _kind({**move, "bbox": move["from_bbox"][:1] + [170, 140, 190]}) == "moved 0.4 in up"
    assert _kind({"kind": "added", "small": True}) == "added, small"
    assert _text_line({"kind": "modified", "text_before": "31'-6\"", "text_after": "8'-8\""}) \
        == "\"31'-6\"\" -> \"8'-8\"\""
    assert _text_line({"kind": "added", "text_before": None, "text_after": "NOTE 2"}) == '"NOTE 2"'
    assert _text_line({"kind": "modified", "text_before": None, "text_after": "NOTE 2"}) \
        == 'text added "NOTE 2"'
    assert _text_line({"kind": "removed"}) == ""
    assert _text_line({"kind": "modified", "text_before": "A", "text_after": "B"}, "→") == \
        '"A" → "B"'  # the page's list


@pytest.fixture(scope="module")
def set_report(tmp_path_factory):
    """A set with a sheet changed (M105), one unchanged (M106), one added (M112) and one
    removed (M251), compared and written as the CLI writes it."""
    from buildtrace.synth import merge_pdfs
    from conftest import TRANSATOMIC

    d = tmp_path_factory.mktemp("set-page")
    a = make_revision(TRANSATOMIC / "M105.pdf", d / "a", 5, n_edits=3)
    b = make_revision(TRANSATOMIC / "M106.pdf", d / "b", 6, n_edits=0, rescan=False)
    old = merge_pdfs([a["old"], b["old"], TRANSATOMIC / "M251.pdf"], d / "old.pdf")
    new = merge_pdfs([b["new"], a["new"], TRANSATOMIC / "M112.pdf"], d / "new.pdf")
    report = compare_sets(str(old), str(new), str(d / "out"), dpi=150, ocr="off")
    write_report(report, str(d / "out"))
    return d / "out", report


def test_the_sheet_list_puts_changed_sheets_first_and_shows_added_and_removed_ones(
        set_report, browser):
    out, report = set_report
    assert [s["number"] for s in report["added_sheets"]] == ["M112"]
    assert [s["number"] for s in report["removed_sheets"]] == ["M251"]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((out / "index.html").as_uri())
    groups = page.locator("nav h3").all_inner_texts()
    assert groups == ["Changed (1)", "Added (1)", "Removed (1)", "Unchanged (1)"]
    lists = [page.locator(f"nav ul.{g} li a").all_inner_texts()
             for g in ("changed", "added", "removed", "unchanged")]
    assert lists == [["M105"], ["M112"], ["M251"], ["M106"]]
    # the sections follow the list, and the added and removed sheets are shown whole
    ids = page.locator("main section").evaluate_all("s => s.map(e => e.id)")
    changed = next(i for i, p in enumerate(report["pairs"]) if p["changes"])
    unchanged = 1 - changed
    assert ids == [f"s{changed}", "added-2", "removed-2", f"s{unchanged}"]
    for sid, name in (("added-2", "added-p002.png"), ("removed-2", "removed-p002.png")):
        img = page.locator(f"section#{sid} .view img")
        img.scroll_into_view_if_needed()
        page.wait_for_function(f"document.querySelector('section#{sid} .view img').complete")
        assert img.get_attribute("src") == name and img.evaluate("i => i.naturalWidth") >= 1500
        assert (_shot(page, f"section#{sid} .view") < 100).any()  # a drawing, not a blank
    assert "page 3" in page.locator("section#added-2").inner_text()  # pages said 1-based

    assert errors == []


def test_each_change_shows_where_it_is_its_crops_and_zooms_to_it(set_report, browser):
    from buildtrace.engine.summary import grid_cell

    out, report = set_report
    i, pair = next((i, p) for i, p in enumerate(report["pairs"]) if p["changes"])
    ov = pair["overlay"]
    size_pt = (ov["width_px"] * 72 / ov["dpi"], ov["height_px"] * 72 / ov["dpi"])
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((out / "index.html").as_uri())
    rows = page.locator(f"section#s{i} table.changes tr[data-box]")
    assert rows.count() == len(pair["changes"])
    for n, c in enumerate(pair["changes"]):
        cells = rows.nth(n).locator("td").all_inner_texts()
        assert cells[0] == c["id"] and c["grid"] == grid_cell(c["bbox"], size_pt)
        assert cells[2].endswith(c["grid"])
        imgs = rows.nth(n).locator("td.crop img")
        assert [imgs.nth(k).get_attribute("src") for k in (0, 1)] == [c["crops"]["old"],
                                                                     c["crops"]["new"]]
    # the crops load (they are lazy: in view first)
    rows.nth(0).scroll_into_view_if_needed()
    page.wait_for_function(f"[...document.querySelectorAll('section#s{i} td.crop img')]"
                           ".slice(0, 2).every(i => i.complete && i.naturalWidth > 0)")
    # a row opens the zoom viewer on its change: the change, in its colours and its cloud,
    # fills the middle of the screen
    c = max(pair["changes"], key=lambda c: c["area_pt2"])
    rows.nth(pair["changes"].index(c)).click()
    assert page.locator("#zoomer").is_visible()
    page.wait_for_timeout(800)
    shot = _shot(page, "#zoomer canvas")
    h, w = shot.shape[:2]
    middle = shot[h // 4:3 * h // 4, w // 4:3 * w // 4]
    assert _has_colour(middle, (120, 0, 224), tol=30) > 50  # the cloud
    assert _has_colour(middle, (30, 30, 220)) + _has_colour(middle, (40, 160, 20)) > 50
    page.keyboard.press("Escape")
    assert not page.locator("#zoomer").is_visible()
    assert errors == []


def test_report_pdf_shows_each_change_before_and_after_and_the_added_and_removed_sheets(
        set_report):
    import pypdfium2 as pdfium

    from buildtrace.engine.report import DETAIL_GRID

    out, report = set_report
    pair = next(p for p in report["pairs"] if p["changes"])
    per_page = DETAIL_GRID[0] * DETAIL_GRID[1]
    detail_pages = -(-len(pair["changes"]) // per_page)
    pdf = pdfium.PdfDocument(str(out / "report.pdf"))
    # cover, the changed sheet, its changes in detail, the added sheet, the removed one
    assert len(pdf) == 2 + detail_pages + 2
    # its text is text: a reader searches it and copies from it
    words = [pdf[i].get_textpage().get_text_range().replace("\r\n", " ")
             for i in range(len(pdf))]
    assert "drawing set comparison" in words[0]
    assert " ".join(report["summary"].split()[:8]) in words[0]
    assert pair["number"] in words[1]
    assert all(f"{c['id']} " in words[1] for c in pair["changes"][:12])
    assert all(c["id"] in words[2] for c in pair["changes"][:per_page])

    def ink(i, box=None):  # share of dark pixels on page i (or in a box, fractions)
        img = np.asarray(pdf[i].render(scale=150 / 72, grayscale=True).to_pil())  # 1650×1275
        if box:
            h, w = img.shape
            img = img[int(box[1] * h):int(box[3] * h), int(box[0] * w):int(box[2] * w)]
        return float((img < 128).mean())

    # each change's cell holds its two crops: ink in the cell's lower part, both halves
    cols, _ = DETAIL_GRID
    for n in range(min(len(pair["changes"]), per_page)):
        col, row = n % cols, n // cols
        x0, y0 = (40 + col * (1570 // cols)) / 1650, (70 + row * (1175 // 3) + 50) / 1275
        x1, y1 = x0 + (1570 // cols) / 1650, y0 + (1175 // 3 - 70) / 1275
        mid = (x0 + x1) / 2
        assert ink(2, (x0, y0, mid, y1)) > 0.002 or ink(2, (mid, y0, x1, y1)) > 0.002
    # an empty cell holds nothing
    if len(pair["changes"]) < per_page:
        n = len(pair["changes"])
        col, row = n % cols, n // cols
        x0, y0 = (40 + col * (1570 // cols)) / 1650, (70 + row * (1175 // 3)) / 1275
        assert ink(2, (x0, y0, x0 + 0.25, y0 + 0.25)) == 0
    assert ink(len(pdf) - 2) > 0.01 and ink(len(pdf) - 1) > 0.01  # the sheets, drawn


def test_points_clicked_on_a_pair_that_could_not_be_aligned_become_the_align_option(
        tmp_path, browser):
    """A pair the engine could not align shows both sheets; clicking the same points on
    each writes the command line's --align option, which the CLI reads back."""
    from buildtrace.cli import _parse_align
    from buildtrace.engine.report import render_html
    from conftest import compare_with_a_blank_sheet

    r = compare_with_a_blank_sheet(tmp_path, (36, 24), "p004")
    assert r["status"] == "not_aligned"
    assert r["sheet_sizes_pt"] == {"old": [2448.0, 1584.0], "new": [2592.0, 1728.0]}
    entry = {"old_page": 3, "new_page": 4, "number": "M101", "title": "", "renumbered": False,
             "match": {"method": "user", "confidence": 1.0}, **r}
    report = {"old": {"file": "a.pdf", "sheets": []}, "new": {"file": "b.pdf", "sheets": []},
              "pairs": [entry], "added_pages": [], "removed_pages": [], "summary": ""}
    (tmp_path / "index.html").write_text(render_html(report), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((tmp_path / "index.html").as_uri())
    cmd = page.locator("code.align-cmd")
    assert cmd.inner_text() == "points picked: old 0, new 0"
    fractions = {"old": [(0.1, 0.2), (0.9, 0.7)], "new": [(0.15, 0.25), (0.8, 0.9)]}
    for side in ("old", "new"):
        img = page.locator(f"figure[data-side={side}] img")
        img.scroll_into_view_if_needed()
        box = img.bounding_box()
        for fx, fy in fractions[side]:
            page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
    assert page.locator(".pick .dot").count() == 4
    option = cmd.inner_text()
    assert option.startswith("--align 3:4@")
    (pages, matrix) = _parse_align(option.split(" ", 1)[1])
    assert pages == (3, 4)
    # the matrix takes each point clicked on the old sheet to the one clicked on the new
    size = r["sheet_sizes_pt"]
    for (ox, oy), (nx, ny) in zip(fractions["old"], fractions["new"]):
        q = np.array(matrix) @ [ox * size["old"][0], oy * size["old"][1], 1]
        assert q == pytest.approx([nx * size["new"][0], ny * size["new"][1]], abs=3)
    page.locator("button.align-reset").click()
    assert page.locator(".pick .dot").count() == 0 and cmd.inner_text().endswith("new 0")
    assert errors == []


def test_a_long_set_loads_its_sheet_images_as_they_come_into_view(set_report, browser,
                                                                   tmp_path):
    """A set of hundreds of sheets opens at once: a sheet's images are asked for only near
    the view (40 sheets here, each with its own preview)."""
    import copy

    from buildtrace.engine.report import render_html

    out, report = set_report
    pair = next(p for p in report["pairs"] if not p["changes"])
    long = copy.deepcopy(report)
    long["pairs"] = []
    for i in range(40):
        p = copy.deepcopy(pair)
        p["new_page"] = p["old_page"] = i
        p["overlay"]["preview"] = f"sheet{i:02d}.png"
        shutil.copy(out / pair["overlay"]["preview"], tmp_path / p["overlay"]["preview"])
        long["pairs"].append(p)
    long["added_sheets"] = long["removed_sheets"] = []
    (tmp_path / "index.html").write_text(render_html(long), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    urls = []
    page.on("request", lambda r: urls.append(r.url))
    page.goto((tmp_path / "index.html").as_uri())
    # the first sheet's image shows (a busy machine took more than 0.8 s for it)
    page.wait_for_function("document.querySelector('section#s0 .view img').naturalWidth > 0")
    page.wait_for_timeout(800)

    def asked(i):
        return any(u.endswith(f"/sheet{i:02d}.png") for u in urls)

    assert asked(0) and not asked(39)
    page.locator("section#s39 .view img").scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('section#s39 .view img').naturalWidth > 0")
    assert asked(39)


def _pdf_links(pdf, i: int) -> list[tuple[int, float]]:
    """(target page, middle of the link's box in layout pixels from the top) of the links
    on page ``i``, read by PDFium."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    page, pos, link, found = pdf[i], ctypes.c_int(0), pdfium_c.FPDF_LINK(), []
    h_pt = page.get_height()
    while pdfium_c.FPDFLink_Enumerate(page.raw, ctypes.byref(pos), ctypes.byref(link)):
        dest = pdfium_c.FPDFLink_GetDest(pdf.raw, link)
        r = pdfium_c.FS_RECTF()
        pdfium_c.FPDFLink_GetAnnotRect(link, r)
        found.append((pdfium_c.FPDFDest_GetDestPageIndex(pdf.raw, dest),
                      (h_pt - (r.bottom + r.top) / 2) * 150 / 72))
    return found


def _line_at(page, y_px: float) -> str:
    """The text of ``page`` on the line at ``y_px`` (layout pixels from the top)."""
    h_pt, w_pt = page.get_height(), page.get_width()
    y = h_pt - y_px * 72 / 150
    return page.get_textpage().get_text_bounded(0, y - 3, w_pt, y + 3).replace("\r\n", " ")


def test_report_pdf_cover_indexes_every_sheet_and_links_each_to_its_pages(set_report):
    """The forwarded PDF's cover lists every sheet in the page's groups with the page its
    section starts on, each row a link there; its bookmarks list the same sections."""
    import pypdfium2 as pdfium

    out, report = set_report
    pdf = pdfium.PdfDocument(str(out / "report.pdf"))
    cover = pdf[0].get_textpage().get_text_range().replace("\r\n", " ")
    heads = [cover.index(h) for h in ("Changed (1)", "Added (1)", "Removed (1)",
                                      "Unchanged (1)")]
    assert heads == sorted(heads)  # the page's order: what needs reading first
    assert "removed" in cover and "added" in cover and "unchanged" in cover  # the legend
    starts = {pdf[i].get_textpage().get_text_range().split()[0]: i for i in range(1, len(pdf))
              if "changes in detail" not in pdf[i].get_textpage().get_text_range()}
    assert set(starts) == {"M105", "M112", "M251"}  # the unchanged M106 has no page
    links = _pdf_links(pdf, 0)
    assert sorted(t for t, _ in links) == sorted(starts.values())
    for target, y in links:  # each row links to its own sheet's page, and says which
        number = pdf[target].get_textpage().get_text_range().split()[0]
        row = _line_at(pdf[0], y)
        assert row.split()[0] == number and row.rstrip().endswith(f"p. {target + 1}"), row
    m106 = _line_at(pdf[0], next(y for _, y in links) + 26 * 6)  # under "Unchanged (1)"
    assert "M106" in m106 and "p." not in m106
    changed = next(p for p in report["pairs"] if p["changes"])
    n = len(changed["changes"])
    assert f"{n} change{'' if n == 1 else 's'}" in _line_at(
        pdf[0], next(y for t, y in links if t == starts["M105"]))
    toc = [(b.level, b.get_title(), b.get_dest().get_index()) for b in pdf.get_toc()]
    assert toc[0] == (0, "Summary and sheet index", 0)
    assert [(lvl, title.split()[0], page) for lvl, title, page in toc[1:]] == [
        (0, "Changed", starts["M105"]), (1, "M105", starts["M105"]),
        (0, "Added", starts["M112"]), (1, "M112", starts["M112"]),
        (0, "Removed", starts["M251"]), (1, "M251", starts["M251"])]


def test_report_pdf_cover_index_runs_over_pages_for_a_large_set(tmp_path):
    """A 300-sheet set: the index continues over cover pages, every sheet listed once, a
    group's heading never alone at a page's foot, and the page numbers (and links) of the
    changed sheets are those their pages have, after the covers."""
    import pypdfium2 as pdfium

    from buildtrace.engine.report import write_pdf

    def pair(i, changed):
        return {"old_page": i, "new_page": i, "number": f"A{i:03d}", "title": f"PLAN {i}",
                "renumbered": False, "match": {"method": "number", "confidence": 1.0},
                "summary": "", "changes": ([{"id": "c1", "kind": "added", "bbox": [0, 0, 9, 9],
                                             "grid": "A-1"}] if changed else []),
                "overlay": ({"preview": "none.png", "width_px": 100, "dpi": 72}
                            if changed else None)}

    changed = {7, 150, 299}
    report = {"old": {"file": "a.pdf", "sheets": []}, "new": {"file": "b.pdf", "sheets": []},
              "pairs": [pair(i, i in changed) for i in range(300)], "added_pages": [],
              "removed_pages": [], "summary": "300 sheets compared."}
    write_pdf(report, str(tmp_path), str(tmp_path / "report.pdf"))
    pdf = pdfium.PdfDocument(str(tmp_path / "report.pdf"))
    texts = [pdf[i].get_textpage().get_text_range().replace("\r\n", "\n")
             for i in range(len(pdf))]
    covers = [i for i, t in enumerate(texts) if i == 0 or t.startswith("Sheets (continued)")]
    assert covers == list(range(len(covers))) and len(covers) >= 7
    listed = [w for i in covers for w in texts[i].split() if w.startswith("A") and w[1:].isdigit()]
    assert sorted(listed) == sorted(f"A{i:03d}" for i in range(300))
    for i in covers:
        lines = [ln.strip() for ln in texts[i].splitlines() if ln.strip()]
        assert not lines[-1].startswith(("Changed", "Unchanged")), lines[-1]
        if i:  # a page inside a group says which
            assert lines[2] == "Unchanged (297), continued", lines[:3]
    sheet_pages = {texts[i].split()[0]: i for i in range(len(covers), len(pdf))
                   if "changes in detail" not in texts[i]}
    # (each changed sheet's page, then its page of changes in detail)
    assert sheet_pages == {f"A{i:03d}": len(covers) + 2 * n
                           for n, i in enumerate(sorted(changed))}
    links = _pdf_links(pdf, 0)
    assert sorted(t for t, _ in links) == sorted(sheet_pages.values())
    for target, y in links:
        row = _line_at(pdf[0], y)
        assert row.split()[0] == texts[target].split()[0] and f"p. {target + 1}" in row
