"""Revision clouds (revision_clouds.py): the scalloped loops a designer draws around what a
revision changed are listed apart, and the changes they mark keep their own boxes."""

import cv2
import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from buildtrace.engine.compare import PairOptions, compare_pair
from buildtrace.engine.drawing_set import open_set
from buildtrace.engine.identify import identify_page
from buildtrace.engine.overlay import compare_ink
from buildtrace.engine.regions import box_iou as _iou
from buildtrace.engine.regions import boxes_overlap, grow_box
from buildtrace.engine.report import render_html
from buildtrace.engine.revision_clouds import find_clouds, find_tags
from buildtrace.synth import (add_vector_clouds, add_vector_tags, cloud_arcs, draw_cloud,
                              draw_tag, make_revision, score_pair, stroke_box, tag_triangle,
                              triangle_box)
from conftest import DRAWINGS, JP_HOUSE, TRANSATOMIC


def _sheet(dpi: float, w_pt: float = 400, h_pt: float = 300) -> np.ndarray:
    return np.full((int(h_pt * dpi / 72), int(w_pt * dpi / 72)), 255, np.uint8)


def _box(img, box_pt, dpi, width_px=2, fill=False):
    k = dpi / 72
    x0, y0, x1, y1 = (int(round(v * k)) for v in box_pt)
    cv2.rectangle(img, (x0, y0), (x1, y1), 0, -1 if fill else width_px)


@pytest.mark.parametrize("dpi", [100, 150])
@pytest.mark.parametrize("inverted", [False, True])
@pytest.mark.parametrize("arc_pt", [10, 20, 40])
def test_a_cloud_around_a_detail_is_found(dpi, inverted, arc_pt):
    """A REVCLOUD-like loop (arcs 10-40 pt, bowed out or in, chords varying ±30 %) around a
    detail: found, its box the loop's, its scallops counted (about its outline over the
    arc length)."""
    rng = np.random.default_rng(arc_pt)
    img = _sheet(dpi)
    arcs = cloud_arcs((60, 50, 330, 230), arc_pt, inverted=inverted, rng=rng)
    draw_cloud(img, arcs, dpi, 1.0)
    cloud_ink = img < 160
    _box(img, (150, 100, 200, 150), dpi)  # what it marks
    clouds = find_clouds(cloud_ink, dpi, img < 160)
    assert len(clouds) == 1
    k = dpi / 72
    x0, y0, x1, y1 = (v / k for v in clouds[0].bbox)
    margin = 0 if inverted else 0.35 * 1.3 * arc_pt + 2  # the arcs' crests, outside
    assert 58 - margin <= x0 <= 62 and 328 <= x1 <= 332 + margin, (x0, x1)
    assert 48 - margin <= y0 <= 52 and 228 <= y1 <= 232 + margin, (y0, y1)
    expected = 2 * (270 + 180) / arc_pt
    assert 0.6 * expected <= clouds[0].scallops <= 1.4 * expected
    assert not clouds[0].loop[int(125 * k), int(150 * k)]  # the detail is not the loop's


def test_a_cloud_scanned_with_noise_is_found():
    """A 1.4 pt cloud on a 150 DPI scan: blurred, and grain of 20 grey levels."""
    rng = np.random.default_rng(5)
    img = _sheet(150)
    draw_cloud(img, cloud_arcs((60, 50, 330, 230), 15, rng=rng), 150, 1.4)
    _box(img, (150, 100, 200, 150), 150)
    img = cv2.GaussianBlur(img, (3, 3), 0.8)
    img = np.clip(img + rng.normal(0, 20, img.shape), 0, 255).astype(np.uint8)
    assert len(find_clouds(img < 160, 150, img < 160)) == 1


@pytest.mark.parametrize("box, arc_pt, bulge, wall_pt, line_x, dpi", [
    ((60, 50, 130, 230), 12, 0.2, 1.0, 56, 100),  # a line along its left crests
    ((60, 50, 130, 230), 12, 0.2, 1.0, 60, 150),  # ... through its left cusps
    ((60, 50, 130, 230), 18, 0.3, 1.5, 54, 100),  # a wall along its crests
    ((60, 50, 130, 230), 12, 0.2, 1.5, 59, 100),  # a wall over its arcs
    ((60, 50, 330, 230), 18, 0.15, 1.5, 58, 150),  # a shallow cloud's arcs under a wall
])
def test_a_cloud_drawn_along_a_line_is_found(box, arc_pt, bulge, wall_pt, line_x, dpi):
    """A cloud drawn along a line both sheets have (a wall, a grid line). Where it runs on
    the line the tolerance matches its ink: its changed ink breaks there for a stretch
    longer than the bridging's reach, and the line straightens that side's outer edge.
    Found, with the box of its drawn side. (Missed before: 2 of the 4 clouds the cloud
    bench missed on its fresh seeds of stop 28 ran along a line.)"""
    k = dpi / 72
    base = _sheet(dpi)
    cv2.line(base, (int(line_x * k), 0), (int(line_x * k), base.shape[0]), 0,
             max(1, int(round(wall_pt * k))))
    _box(base, (box[0] + 20, 90, box[0] + 50, 120), dpi)  # what it marks
    new = base.copy()
    draw_cloud(new, cloud_arcs(box, arc_pt, bulge=bulge, rng=np.random.default_rng(3)), dpi)
    added = compare_ink(base, new, dpi, 0.75).added.astype(bool)
    clouds = find_clouds(added, dpi, (base < 160) | (new < 160), new < 160, base < 160)
    assert len(clouds) == 1
    x0, y0, x1, y1 = (v / k for v in clouds[0].bbox)
    crest = bulge * 1.3 * arc_pt + 2
    assert box[0] - crest <= x0 <= box[0] + 10 and box[2] - 2 <= x1 <= box[2] + crest
    assert box[1] - crest <= y0 <= box[1] + 2 and box[3] - 2 <= y1 <= box[3] + crest


def test_a_line_erased_beside_a_dropped_cloud_is_not_the_clouds():
    """A line runs through a dropped cloud, and the revision erased a stretch of it just
    outside the cloud. The rest of the line (both sheets') bridges the erased stretch to
    the cloud's broken loop, which took it for its own ink: the cloud's box reached 50 pt
    past it and the erased line was reported nowhere (cloud bench, fresh seed 31). What
    pokes out of the loop thinner than a scallop and longer than a cusp is not the
    cloud's."""
    dpi = 150
    k = dpi / 72
    new = _sheet(dpi)
    cv2.line(new, (int(20 * k), int(140 * k)), (int(380 * k), int(140 * k)), 0, int(2.5 * k))
    _box(new, (150, 90, 200, 120), dpi)  # what the cloud marked
    old = new.copy()
    draw_cloud(old, cloud_arcs((100, 60, 300, 230), 15, rng=np.random.default_rng(4)), dpi)
    new[int(136 * k):int(145 * k), int(40 * k):int(95 * k)] = 255  # the line erased there
    removed = compare_ink(old, new, dpi, 0.75).removed.astype(bool)
    clouds = find_clouds(removed, dpi, (old < 160) | (new < 160), old < 160, new < 160)
    assert len(clouds) == 1
    x0, y0, x1, y1 = (v / k for v in clouds[0].bbox)
    assert 92 <= x0 <= 101 and 299 <= x1 <= 308, (x0, x1)
    assert not clouds[0].loop[int(140 * k), int(45 * k):int(90 * k)].any()


@pytest.mark.parametrize("shape", ["rectangle", "circle", "hexagon", "wavy line", "tree",
                                   "circle with tags", "empty cloud"])
def test_what_is_not_a_revision_cloud(shape):
    """Loops without scallops (a room's rectangle, a circle, a polygon), a wavy line that
    is not closed, a scalloped tree symbol under 24 pt, a circle with tags joined to it
    inside and out (bumps on one edge at a time: the M201 sheet has one), and a cloud
    around nothing: none is a cloud. Each has a detail inside it."""
    dpi, k = 150, 150 / 72
    img = _sheet(dpi)
    centre = (int(200 * k), int(150 * k))
    if shape == "rectangle":
        _box(img, (60, 50, 330, 230), dpi, 3)
    elif shape == "circle":
        cv2.circle(img, centre, int(90 * k), 0, 3)
    elif shape == "hexagon":
        pts = np.array([[200 + 90 * np.cos(a), 150 + 90 * np.sin(a)]
                        for a in np.linspace(0, 2 * np.pi, 7)[:-1]]) * k
        cv2.polylines(img, [pts.astype(np.int32)], True, 0, 3)
    elif shape == "wavy line":
        xs = np.arange(60, 330, 0.5)
        line = np.c_[xs, 150 + 8 * np.sin(xs / 4)] * k
        cv2.polylines(img, [line.astype(np.int32)], False, 0, 3)
    elif shape == "tree":
        draw_cloud(img, cloud_arcs((190, 140, 210, 160), 5), dpi, 1.0)
    elif shape == "circle with tags":
        cv2.circle(img, centre, int(90 * k), 0, 3)
        for a in np.linspace(0, 2 * np.pi, 9)[:-1]:
            for r in (80, 100):  # a hexagonal tag touching the circle, inside and out
                c = (200 + r * np.cos(a + 0.2 * (r > 90)), 150 + r * np.sin(a + 0.2 * (r > 90)))
                pts = np.array([[c[0] + 10 * np.cos(b), c[1] + 10 * np.sin(b)]
                                for b in np.linspace(0, 2 * np.pi, 7)[:-1]]) * k
                cv2.polylines(img, [pts.astype(np.int32)], True, 0, 3)
    elif shape == "empty cloud":
        draw_cloud(img, cloud_arcs((60, 50, 330, 230), 18), dpi, 1.0)
    if shape != "empty cloud":
        _box(img, (185, 135, 215, 165), dpi)
    assert find_clouds(img < 160, dpi, img < 160) == []


@pytest.mark.parametrize("dpi", [100, 150])
def test_no_drawing_of_the_examples_holds_a_cloud(dpi):
    """The whole ink of every example sheet (22 sheets of mechanical and architectural
    drawings: circles with tags, valves, trees, tables) at 100 and 150 DPI: no cloud. The
    rule runs on changed ink only; here it faces far more. (At 150 DPI, M200's rotating
    plug, a circle that leaders and centre lines meet inside and out, passed for a cloud
    of 7 scallops until :data:`MIN_PAIRED_SHARE`.)"""
    found = []
    for path in sorted(DRAWINGS.glob("*/*.pdf")):
        with open_set(str(path)) as s:
            for i in range(len(s)):
                ink = s.page(i).render(dpi=dpi) < 160
                found += [(path.name, i, c.bbox) for c in find_clouds(ink, dpi, ink)]
    assert found == []


def _with_boxes(src, boxes, out) -> None:
    """Copy page 0 of ``src`` to ``out`` with a rectangle stroked around each of ``boxes``
    (points): details added."""
    pdf = pdfium.PdfDocument(str(src))
    page = pdf[0]
    for b in boxes:
        stroke_box(page, b)
    pdfium_c.FPDFPage_GenerateContent(page.raw)
    page.close()
    pdf.save(str(out))
    pdf.close()


def _compare(old, new, tmp_path, dpi=150):
    with open_set(str(old)) as so, open_set(str(new)) as sn:
        po, pn = so.page(0), sn.page(0)
        return compare_pair(po, pn, identify_page(po), identify_page(pn), str(tmp_path), "p",
                            PairOptions(dpi=dpi, tiles=False))


def test_vector_clouds_drawn_and_dropped_are_listed_apart(tmp_path):
    """The site plan revised: three details added, two of them clouded (one cloud 6 pt off
    its detail, so the overlay's clustering joins them), and the last revision's cloud
    dropped. The three clouds are listed apart (two drawn, one dropped); the details are
    changes with their own boxes, the clouded ones saying which cloud; the summary says
    which change nobody clouded; the page lists the clouds."""
    src = JP_HOUSE / "site-plan.pdf"
    edits = [(150, 150, 230, 220), (450, 120, 520, 200), (300, 380, 380, 430)]
    _with_boxes(src, edits, tmp_path / "edited.pdf")
    dropped = add_vector_clouds(src, tmp_path / "old.pdf", [(600, 350, 700, 430)], seed=1)
    near = add_vector_clouds(tmp_path / "edited.pdf", tmp_path / "one.pdf", edits[:1], seed=2,
                             margin_pt=6)
    far = add_vector_clouds(tmp_path / "one.pdf", tmp_path / "new.pdf", edits[1:2], seed=3)
    r = _compare(tmp_path / "old.pdf", tmp_path / "new.pdf", tmp_path)
    clouds = r["revision_clouds"]
    assert sorted(c["kind"] for c in clouds) == ["added", "added", "removed"], clouds
    for truth, kind in ((dropped[0], "removed"), (near[0], "added"), (far[0], "added")):
        assert any(c["kind"] == kind and _iou(c["bbox"], truth) > 0.85 for c in clouds), truth
    changes = r["changes"]
    assert len(changes) == 3, changes
    for edit, cloud in zip(edits, ("near", "far", None)):
        (c,) = [c for c in changes if _iou(c["bbox"], edit) > 0.85]
        by_id = {x["id"]: x for x in clouds}
        if cloud is None:
            assert "in_cloud" not in c
            assert f"Not clouded: 1 change ({c['id']})" in r["summary"]
        else:
            assert c["id"] in by_id[c["in_cloud"]]["marks"]
    assert "2 clouds drawn and 1 cloud of the last revision dropped" in r["summary"]
    page = render_html({"old": {"file": "old.pdf"}, "new": {"file": "new.pdf"},
                        "pairs": [{**r, "old_page": 0, "new_page": 0, "number": "A-1",
                                   "match": {"method": "number"}}]})
    assert "Revision clouds: 3 clouds" in page and "cloud drawn around" in page


def test_clouds_on_a_rescan_are_listed_apart(tmp_path):
    """A re-scanned revision of M201 whose first two edits are clouded, and whose old
    scan had two clouds of the last revision: the four clouds are listed apart, every edit
    is found, and every reported change lies on an edit."""
    truth = make_revision(TRANSATOMIC / "M201.pdf", tmp_path, 12, n_edits=6, clouds=2)
    r = _compare(truth["old"], truth["new"], tmp_path)
    assert len(truth["clouds"]) == 4
    for t in truth["clouds"]:
        assert any(c["kind"] == t["kind"] and _iou(c["bbox"], t["bbox"]) > 0.7
                   for c in r["revision_clouds"]), (t, r["revision_clouds"])
    with open_set(truth["new"]) as sn:
        s = score_pair(r, truth, sn.page(0).size_pt)
    assert s["found"] == s["edits"] and s["precision"] == 1.0, (s, r["changes"])
    assert not [c for c in r["changes"] for t in truth["clouds"]
                if _iou(c["bbox"], t["bbox"]) > 0.8]


@pytest.mark.parametrize("sheet, seed, cloud", [
    # a dropped cloud next to a line the revision erased (the bridging joined them)
    ("M105", 31, 3),
    # a dropped cloud whose edge runs along an arrow's line and over its head for 24 pt
    ("M111", 93, 2),
])
def test_clouds_beside_and_along_the_sheets_lines_on_a_rescan(tmp_path, sheet, seed, cloud):
    """Two of the cloud bench's misses on its fresh seeds of stop 31 (with revision tags):
    the cloud is listed apart with its own box, and every edit is found (seed 31's erased
    line was taken into the cloud and reported nowhere)."""
    truth = make_revision(TRANSATOMIC / f"{sheet}.pdf", tmp_path, seed, n_edits=6, clouds=2,
                          tags=True, kinds=("erase", "add", "move", "text"))
    r = _compare(truth["old"], truth["new"], tmp_path)
    t = truth["clouds"][cloud]
    assert any(c["kind"] == t["kind"] and _iou(c["bbox"], t["bbox"]) > 0.7
               for c in r["revision_clouds"] if c.get("revision_cloud")), (t, r["revision_clouds"])
    with open_set(truth["new"]) as sn:
        s = score_pair(r, truth, sn.page(0).size_pt)
    assert s["found"] == s["edits"], (s, r["changes"])


def test_a_digit_changed_inside_a_cloud_is_still_found(tmp_path):
    """A scan without text whose dimensions each had one digit changed (floor plans, seed
    123443: all 8 are found without clouds), two of them clouded on the new scan. The clouds
    are listed apart, and the two digits inside them are still found, as small changes
    inside their clouds: the small-change search keeps off a cloud's ring only."""
    from buildtrace.synth import SYNTH_DPI, make_dimension_revision, raster_pdf

    truth = make_dimension_revision(JP_HOUSE / "floor-plans.pdf", tmp_path, 123443)
    with open_set(truth["new"]) as sn:
        size = sn.page(0).size_pt
        scan = sn.page(0).render(dpi=SYNTH_DPI)
    clouded = truth["edits"][:2]
    for e in clouded:
        x0, y0, x1, y1 = e["bbox"]
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        hw, hh = max(20.0, (x1 - x0) / 2 + 10), max(20.0, (y1 - y0) / 2 + 10)
        draw_cloud(scan, cloud_arcs((cx - hw, cy - hh, cx + hw, cy + hh), 12), SYNTH_DPI, 1.0)
    new = raster_pdf(scan, [], size, tmp_path / "clouded.pdf")
    r = _compare(truth["old"], new, tmp_path)
    assert len(r["revision_clouds"]) == 2, r["revision_clouds"]
    s = score_pair(r, truth, size)
    assert s["found"] == s["edits"] and s["precision"] == 1.0, (s, r["changes"])
    for e in clouded:
        inside = [c for c in r["changes"] if c.get("in_cloud")
                  and boxes_overlap(c["bbox"], grow_box(e["bbox"], 3))]
        assert inside and all(c.get("small") for c in inside), (e, r["changes"])


@pytest.mark.parametrize("dpi", [100, 150])
@pytest.mark.parametrize("side", [18, 26, 40])
@pytest.mark.parametrize("offset", [0.3, 0.6])
def test_a_revision_tag_beside_its_cloud_is_found(dpi, side, offset):
    """A numbered triangle (a "delta") at a cloud's corner, overlapping the cloud's line
    (offset 0.3 of its side) or just off it (0.6): found, its box the triangle's."""
    img = _sheet(dpi)
    draw_cloud(img, cloud_arcs((60, 50, 300, 220), 15), dpi, 1.0)
    triangle = tag_triangle((54, 44, 306, 226), side, 2, offset)
    draw_tag(img, triangle, "2", dpi)
    k = dpi / 72
    tags = find_tags(img < 160, dpi)
    assert len(tags) == 1, [t.bbox for t in tags]
    assert _iou([v / k for v in tags[0].bbox], triangle_box(triangle)) > 0.7


@pytest.mark.parametrize("shape", ["empty triangle", "filled triangle", "square", "circle",
                                   "hexagon", "narrow triangle"])
def test_what_is_not_a_revision_tag(shape):
    """Shapes near a cloud that are not its tag, each with a digit in it where it has an
    inside: an empty triangle (a truss's), a filled one (an arrowhead), a keynote's square,
    circle or hexagon, a narrow triangle (a north arrow's)."""
    dpi = 150
    k = dpi / 72
    img = _sheet(dpi)
    draw_cloud(img, cloud_arcs((60, 50, 300, 220), 15), dpi, 1.0)
    cx, cy, r = 330, 250, 14
    if shape in ("empty triangle", "filled triangle", "narrow triangle"):
        tri = tag_triangle((cx, cy, cx, cy), 2 * r, 0, 0.0)
        if shape == "narrow triangle":
            tri = [(cx, cy - 2 * r), (cx - 0.4 * r, cy + r), (cx + 0.4 * r, cy + r)]
        pts = np.round(np.array(tri) * k).astype(np.int32)
        if shape == "filled triangle":
            cv2.fillConvexPoly(img, pts, 0)
        else:
            cv2.polylines(img, [pts], True, 0, 2)
    else:
        n = {"square": 4, "circle": 64, "hexagon": 6}[shape]
        a = np.radians(np.arange(n) * 360 / n + (45 if n == 4 else 0))
        pts = np.round(np.column_stack([cx + r * np.cos(a), cy + r * np.sin(a)]) * k)
        cv2.polylines(img, [pts.astype(np.int32)], True, 0, 2)
    if shape not in ("empty triangle", "filled triangle", "narrow triangle"):
        cv2.putText(img, "4", (int((cx - 4) * k), int((cy + 5) * k)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.5 * k, 0, 1, cv2.LINE_AA)
    assert find_tags(img < 160, dpi) == []


def test_vector_revision_tags_are_listed_with_their_clouds(tmp_path):
    """The site plan revised: two details added and clouded, each cloud with a tag "2"
    (one drawn over the cloud's line, one just off it), and the last revision's cloud
    dropped with its tag "1". The tags are listed apart with the clouds, each naming its
    cloud and its number (read from the text layer); their numbers are not text changes;
    the clouds' boxes leave the tags out; the summary names the revisions; the page lists
    the tags."""
    src = JP_HOUSE / "site-plan.pdf"
    edits = [(150, 150, 230, 220), (450, 120, 520, 200)]
    _with_boxes(src, edits, tmp_path / "edited.pdf")
    dropped = add_vector_clouds(src, tmp_path / "old0.pdf", [(600, 350, 700, 430)], seed=1)
    old_tags = add_vector_tags(tmp_path / "old0.pdf", tmp_path / "old.pdf", dropped, "1", 4)
    drawn = add_vector_clouds(tmp_path / "edited.pdf", tmp_path / "clouded.pdf", edits, seed=2)
    new_tags = (add_vector_tags(tmp_path / "clouded.pdf", tmp_path / "one.pdf", drawn[:1], "2",
                                5, offset=0.25)
                + add_vector_tags(tmp_path / "one.pdf", tmp_path / "new.pdf", drawn[1:], "2", 6))
    r = _compare(tmp_path / "old.pdf", tmp_path / "new.pdf", tmp_path)
    marks = r["revision_clouds"]
    clouds = {c["id"]: c for c in marks if c.get("revision_cloud")}
    tags = [c for c in marks if c.get("revision_tag")]
    assert len(clouds) == 3 and len(tags) == 3, marks
    for truth, cloud, kind, label in ((old_tags[0], dropped[0], "removed", "1"),
                                      (new_tags[0], drawn[0], "added", "2"),
                                      (new_tags[1], drawn[1], "added", "2")):
        (tag,) = [t for t in tags if _iou(t["bbox"], truth) > 0.5]
        assert tag["kind"] == kind and tag["label"] == label, tag
        assert _iou(clouds[tag["cloud"]]["bbox"], cloud) > 0.85, (clouds[tag["cloud"]], cloud)
    assert len(r["changes"]) == 2 and not any(c.get("text_after") or c.get("text_before")
                                              for c in r["changes"]), r["changes"]
    assert ("2 clouds drawn (revision 2) and 1 cloud of the last revision (revision 1) "
            "dropped") in r["summary"]
    page = render_html({"old": {"file": "old.pdf"}, "new": {"file": "new.pdf"},
                        "pairs": [{**r, "old_page": 0, "new_page": 0, "number": "A-1",
                                   "match": {"method": "number"}}]})
    assert "Revision clouds: 3 clouds, 3 tags" in page and "revision tag 2 of rc" in page


def test_revision_tags_on_a_rescan_are_listed_apart(tmp_path):
    """A re-scanned revision of M105 (seed 11) whose two clouded edits and two dropped
    clouds each have a numbered tag (the text layer holds the numbers, as OCR reads them):
    the tags found are listed apart, each where a tag was drawn or dropped and with its
    number; at most one of the four is missed (one drawn over a cloud's corner, whose cusp
    closes a wedge against it) and left a change; every edit is found, and every change
    lies on an edit or on that one tag."""
    truth = make_revision(TRANSATOMIC / "M105.pdf", tmp_path, 11, n_edits=6, clouds=2,
                          tags=True)
    r = _compare(truth["old"], truth["new"], tmp_path)
    changed = [t for t in truth["clouds"] if not t.get("tag_kept")]
    tags = [c for c in r["revision_clouds"] if c.get("revision_tag")]
    found = [t for t in changed
             if any(c["kind"] == t["kind"] and boxes_overlap(c["bbox"], t["tag"])
                    and c.get("label") == ("2" if t["kind"] == "added" else "1") for c in tags)]
    assert len(found) >= len(changed) - 1 and len(changed) == 4, (changed, tags)
    assert all(any(boxes_overlap(c["bbox"], t["tag"]) for t in changed) for c in tags), tags
    with open_set(truth["new"]) as sn:
        s = score_pair(r, truth, sn.page(0).size_pt)
    assert s["found"] == s["edits"], s
    missed = [t["tag"] for t in changed if t not in found]
    off = [c for c in r["changes"]
           if not any(boxes_overlap(c["bbox"], grow_box(e["bbox"], 6)) for e in truth["edits"])
           and not any(boxes_overlap(c["bbox"], b) for b in missed)]
    assert not off, off
