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
