"""A re-scan's paper stretch: the smooth field beyond the affine alignment (stretch.py), how
the alignment measures it (align.py) and what it spares the overlay (compare.py)."""

import cv2
import numpy as np
import pytest

from buildtrace.engine.align import align_rasters
from buildtrace.engine.compare import PairOptions, compare_pair
from buildtrace.engine.drawing_set import open_set
from buildtrace.engine.identify import identify_page
from buildtrace.engine.report import render_html
from buildtrace.engine.stretch import OUTLIER_PT, StretchField, fit_stretch
from buildtrace.synth import make_revision, score_pair, stretched
from conftest import TRANSATOMIC

W_PT, H_PT = 2448.0, 1584.0  # a 34×22 in sheet


def _wave(p, amp=1.5):
    """A stretch like a roller scanner's: x moves with y and y with x, one wave each way."""
    return amp * np.stack([np.sin(2 * np.pi * p[:, 1] / H_PT + 1.0),
                           np.sin(2 * np.pi * p[:, 0] / W_PT + 2.0)], axis=1)


def test_the_field_follows_a_smooth_stretch_through_noise_lines_and_edits():
    rng = np.random.default_rng(5)
    xs, ys = np.meshgrid(np.arange(36, W_PT, 72), np.arange(36, H_PT, 72))
    pts = np.stack([xs.ravel(), ys.ravel()], axis=1) + rng.uniform(-20, 20, (xs.size, 2))
    shifts = _wave(pts) + rng.normal(0, 0.05, pts.shape)
    tensors = np.repeat(np.eye(2)[None], len(pts), axis=0)
    # a third of the patches hold one line: their shift along it is noise
    lines = rng.random(len(pts)) < 0.33
    normals = rng.normal(size=(len(pts), 2))
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    tensors[lines] = np.einsum("ni,nj->nij", normals[lines], normals[lines]) + 0.01 * np.eye(2)
    along = np.stack([-normals[:, 1], normals[:, 0]], axis=1)
    shifts[lines] += along[lines] * rng.uniform(-4, 4, (lines.sum(), 1))
    # and a few are edits: nothing to do with the paper
    edits = rng.choice(len(pts), 12, replace=False)
    shifts[edits] += rng.choice([-1, 1], (12, 2)) * rng.uniform(3, 5, (12, 2))
    field, kept = fit_stretch(pts, shifts, tensors, (W_PT, H_PT))
    # (an edit on a patch of one line may be off along it, where the line says nothing)
    assert not kept[edits[~lines[edits]]].any()
    fx, fy = field.at(pts[:, 0], pts[:, 1])
    error = np.hypot(fx - _wave(pts)[:, 0], fy - _wave(pts)[:, 1])
    assert np.percentile(error, 95) < 0.2 and error.max() < OUTLIER_PT, error.max()


def test_a_local_matrix_matches_the_matrix_plus_the_field_there():
    nodes = np.array([[x, y] for y in np.arange(0, H_PT + 72, 72)
                      for x in np.arange(0, W_PT + 72, 72)])
    d = _wave(nodes, amp=3.0)
    field = StretchField(72.0, d[:, 0].reshape(-1, 35), d[:, 1].reshape(-1, 35))
    m = np.array([[1.01, 0.01, 5.0], [-0.01, 0.99, -3.0]])
    box = (700.0, 400.0, 772.0, 472.0)
    local = field.local_matrix(m, box)
    for q in ([730.0, 440.0], [705.0, 470.0]):
        p = local @ [*q, 1.0]
        dx, dy = field.at(p[0], p[1])
        # an old point lands where the matrix takes it, moved by the field at its landing
        assert np.allclose(p, m @ [*q, 1.0] + [dx, dy], atol=0.02)


def test_a_stretched_rescan_is_aligned_within_a_fraction_of_a_point_where_there_is_ink():
    with open_set(TRANSATOMIC / "M101.pdf") as s:
        old = s.page(0).render(dpi=100)
        w_pt, h_pt = s.page(0).size_pt
    h, w = old.shape
    k = 100 / 72
    m = cv2.getRotationMatrix2D((w_pt / 2, h_pt / 2), 0.6, 1.008)
    m[:, 2] += (7, -5)
    m_px = (np.diag([k, k, 1]) @ np.vstack([m, [0, 0, 1]]) @ np.diag([1 / k, 1 / k, 1]))[:2]
    new = cv2.warpAffine(old, m_px, (w, h), flags=cv2.INTER_AREA, borderValue=255)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    amp = 1.5 * k  # the content at p comes from p + δ(p): it moved by -δ
    new = cv2.remap(new, xs + amp * np.sin(2 * np.pi * ys / h + 1.0).astype(np.float32),
                    ys + amp * np.sin(2 * np.pi * xs / w + 2.0).astype(np.float32),
                    cv2.INTER_LINEAR, borderValue=255)
    new = np.clip(new + np.random.default_rng(1).normal(0, 10, new.shape), 0, 255)
    truth = {"amp_pt": 1.5, "phase": [1.0, 2.0], "period_pt": [w / k, h / k]}
    grid = np.array([[x, y] for x in np.linspace(36, w_pt - 36, 25)
                     for y in np.linspace(36, h_pt - 36, 17)])
    inked = np.array([(old[int((y - 36) * k):int((y + 36) * k),
                           int((x - 36) * k):int((x + 36) * k)] < 160).mean() > 0.01
                      for x, y in grid])
    want = stretched(grid[inked], m, truth)

    def error(a):
        got = stretched(grid[inked], a.matrix,
                        None if a.stretch is None else a.stretch.to_dict())
        return np.hypot(*(got - want).T)

    rigid = align_rasters(old, 100, new.astype(np.uint8), 100)
    flexible = align_rasters(old, 100, new.astype(np.uint8), 100, flexible=True)
    assert rigid.stretch is None and np.percentile(error(rigid), 90) > 1.5
    assert flexible.ok and flexible.stretch is not None
    assert flexible.method.endswith("+stretch")
    assert np.median(error(flexible)) < 0.25 and np.percentile(error(flexible), 90) < 0.75


def test_an_unstretched_rescan_keeps_its_affine_alignment():
    with open_set(TRANSATOMIC / "M205.pdf") as s:
        old = s.page(0).render(dpi=100)
    m = np.array([[1.0, 0.004, 6.0], [-0.004, 1.0, -4.0]])
    new = cv2.warpAffine(old, (100 / 72) * m @ np.diag([72 / 100, 72 / 100, 1]),
                         old.shape[::-1], flags=cv2.INTER_AREA, borderValue=255)
    a = align_rasters(old, 100, new, 100, flexible=True)
    assert a.ok and a.stretch is None, a.notes


@pytest.mark.parametrize("dpi", [150, 300])
def test_a_rescan_stretched_by_a_point_and_a_half_shows_only_its_edits(tmp_path, dpi):
    """Without the field this pair reported 266 changes on 4 sheets (a third of the area on
    edits), nearly every line near a crest of the stretch drawn red and green."""
    truth = make_revision(TRANSATOMIC / "M201.pdf", tmp_path, 102, n_edits=7, harsh=True,
                          stretch_pt=1.5, kinds=("note", "text", "erase", "move", "add"))
    with open_set(truth["old"]) as so, open_set(truth["new"]) as sn:
        po, pn = so.page(0), sn.page(0)
        result = compare_pair(po, pn, identify_page(po), identify_page(pn), str(tmp_path),
                              "p", PairOptions(dpi=dpi, tiles=False))
        size = pn.size_pt
    s = score_pair(result, truth, size)
    assert result["alignment"]["stretch"] is not None
    # the report page says so in the sheet's line of facts
    page = render_html({"old": {"file": "old.pdf"}, "new": {"file": "new.pdf"},
                        "pairs": [{**result, "old_page": 0, "new_page": 0,
                                   "number": "M201", "match": {"method": "number"}}]})
    assert "paper stretch (up to" in page
    assert s["found"] == s["edits"]
    assert s["precision"] >= 0.98, (s, result["changes"])
    assert s["text_recall"] == 1.0


def test_score_pair_weighs_the_whole_mapping_matrix_and_stretch():
    truth = {"edits": [], "matrix": [[1.0, 0, 3.0], [0, 1.0, -2.0]],
             "stretch": {"amp_pt": 1.5, "phase": [1.0, 2.0], "period_pt": [W_PT, H_PT]}}
    affine_only = {"changes": [], "alignment": {"matrix": truth["matrix"], "stretch": None}}
    assert score_pair(affine_only, truth, (W_PT, H_PT))["alignment_error_pt"] > 1.4
    # the field that the truth describes, sampled on the report's grid
    nodes = np.array([[x, y] for y in np.arange(0, H_PT + 72, 72)
                      for x in np.arange(0, W_PT + 72, 72)])
    d = -_wave(nodes)
    field = {"step_pt": 72.0, "dx": d[:, 0].reshape(-1, 35).tolist(),
             "dy": d[:, 1].reshape(-1, 35).tolist()}
    whole = {"changes": [], "alignment": {"matrix": truth["matrix"], "stretch": field}}
    assert score_pair(whole, truth, (W_PT, H_PT))["alignment_error_pt"] < 0.05


def test_the_old_sheet_is_warped_piece_by_piece_by_matrix_and_field(tmp_path):
    """A constant field is a shift: warped in pieces, the old sheet comes out as the matrix
    with that shift added, warped whole, would give it."""
    from buildtrace.engine.compare import PageImage, old_region_in_new_frame

    with open_set(TRANSATOMIC / "M101.pdf") as s:
        page = s.page(0)
        img = PageImage(page, 100)
        m = np.array([[1.0, 0.003, 4.0], [-0.003, 1.0, -2.0]])
        field = StretchField(72.0, np.full((23, 35), 1.25), np.full((23, 35), -0.5))
        region = (300.0, 200.0, 900.0, 500.0)
        shape = (int(300 / 72 * 100), int(600 / 72 * 100))
        pieces = old_region_in_new_frame(img, m, region, 100, shape, field)
        whole = old_region_in_new_frame(img, m + [[0, 0, 1.25], [0, 0, -0.5]], region, 100,
                                        shape)
    assert pieces.shape == whole.shape
    assert np.abs(pieces.astype(int) - whole.astype(int)).max() <= 1
    assert (whole < 160).sum() > 1000  # there is ink to compare
