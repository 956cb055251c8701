"""Change regions (regions.py): clusters of the change maps; and moves (moves.py): a moved
shape pairs with the removal it came from, the pieces of a moved detail are one move, a
detail moved a few points is a move."""

import cv2
import numpy as np
import pytest
from buildtrace.engine.moves import detect_moves, find_short_moves
from buildtrace.engine.regions import CLUSTER_GAP_PT, MIN_CHANGE_PT2, ChangeRegion, find_regions


def _box_crop(box):
    """A crop of a box holding one plain 3 pt bar (any bar looks like any other)."""
    h, w = int(box[3] - box[1]), int(box[2] - box[0])
    img = np.full((h, w), 255, np.uint8)
    img[h // 2 - 1:h // 2 + 2, :] = 0
    return img


def test_of_equally_good_sources_the_nearest_is_the_one_that_moved():
    far = ChangeRegion("r1", "removed", (100, 900, 160, 910), 60, 60, 0)
    near = ChangeRegion("r2", "removed", (700, 480, 760, 490), 60, 60, 0)
    added = ChangeRegion("a1", "added", (640, 400, 700, 410), 60, 0, 60)
    out = detect_moves([far, added, near], _box_crop, _box_crop)
    moved = [r for r in out if r.kind == "moved"]
    assert len(moved) == 1 and moved[0].from_bbox == near.bbox
    assert [r.id for r in out if r.kind == "removed"] == ["r1"]


def _clusters_by_labelling(removed, added):
    """Reference: the clusters found by labelling the whole (joined) map at 72 DPI, as
    (bbox, removed pt², added pt²) with one counted pixel = 1 pt²."""
    changed = ((removed + added) > 0).astype(np.uint8)
    gap = int(round(CLUSTER_GAP_PT))
    joined = cv2.dilate(changed, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (gap, gap)))
    n, labels = cv2.connectedComponents(joined, connectivity=8)
    out = []
    for i in range(1, n):
        mine = labels == i
        rem, add = float(removed[mine].sum()), float(added[mine].sum())
        if rem + add < MIN_CHANGE_PT2:
            continue
        ys, xs = np.nonzero(changed.astype(bool) & mine)
        out.append(((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1), rem, add))
    return sorted(out)


def test_clusters_are_the_connected_components_of_the_joined_changes():
    """Clusters are found from outer contours and labelled in their boxes only; they must be
    exactly the components of the whole map, including a change inside the hole of a
    ring-shaped one (which an outer-contours-only search would lose)."""
    ring_removed = np.zeros((300, 450), np.float32)
    cv2.rectangle(ring_removed, (80, 60), (260, 240), 5, 2)
    blob_added = np.zeros((300, 450), np.float32)
    blob_added[145:155, 165:175] = 3
    got = sorted((tuple(int(v) for v in r.bbox), r.removed_pt2, r.added_pt2)
                 for r in find_regions(ring_removed, blob_added, 72.0, 1.0))
    assert got == [((79, 59, 262, 242), float(ring_removed.sum()), 0.0),
                   ((165, 145, 175, 155), 0.0, 300.0)]
    rng = np.random.default_rng(0)
    for trial in range(25):
        removed = ring_removed.copy() if trial % 3 == 0 else np.zeros((300, 450), np.float32)
        added = blob_added.copy() if trial % 3 == 0 else np.zeros((300, 450), np.float32)
        for _ in range(rng.integers(0, 20)):
            y, x = rng.integers(0, 300), rng.integers(0, 450)
            h, w = rng.integers(1, 30), rng.integers(1, 30)
            (removed if rng.random() < 0.5 else added)[y:y + h, x:x + w] += rng.integers(1, 9)
        got = sorted((tuple(int(v) for v in r.bbox), r.removed_pt2, r.added_pt2)
                     for r in find_regions(removed, added, 72.0, 1.0))
        assert got == _clusters_by_labelling(removed, added)


def test_a_move_is_matched_whatever_the_pixel_rounding_of_its_boxes():
    """A region's box is a whole number of map cells, so a thin bar's box can cut its
    anti-aliased edge at one place and not at the other. Compared in place, the true source
    (near, its box a row low) scored below a longer look-alike far away, which was taken as
    the source; matched over small shifts both fit, and the nearest wins."""
    old = np.full((700, 1100), 255, np.uint8)
    new = np.full((700, 1100), 255, np.uint8)
    old[200, 300:356], old[201:204, 300:356] = 128, 0  # the bar that moved
    old[500, 900:966], old[501:504, 900:966] = 128, 0  # a longer bar far away, also removed
    new[100, 100:156], new[101:104, 100:156] = 128, 0  # the moved bar

    def crop(img):  # 1 px = 1 pt
        return lambda b: img[max(0, round(b[1])):round(b[3]), max(0, round(b[0])):round(b[2])]

    near = ChangeRegion("r1", "removed", (300, 201, 356, 205), 210, 210, 0)  # a row low
    far = ChangeRegion("r2", "removed", (900, 500, 966, 504), 250, 250, 0)
    added = ChangeRegion("a1", "added", (100, 100, 156, 104), 210, 0, 210)
    out = detect_moves([far, added, near], crop(old), crop(new))
    assert [(r.id, r.kind, r.from_bbox) for r in out] == [
        ("r2", "removed", None), ("a1", "moved", near.bbox)]


def test_a_shape_inside_a_longer_look_alike_is_not_its_source():
    """A moved bar found whole inside a longer bar matches perfectly one way round only:
    the score is the lower of both ways, so the true source (nearer, its copy noisier, as a
    re-scan's is) wins over the longer bar further away."""
    rng = np.random.default_rng(3)
    old = np.full((700, 1100), 255, np.uint8)
    new = np.full((700, 1100), 255, np.uint8)
    old[200, 300:356], old[201:204, 300:356] = 128, 0  # the bar that moved (56 pt)
    noise = rng.random((4, 56)) < 0.03
    old[200:204, 300:356][noise] = 160  # its copy on the old sheet, speckled (score 0.93)
    old[500, 900:966], old[501:504, 900:966] = 128, 0  # a longer bar far away (66 pt)
    new[100, 100:156], new[101:104, 100:156] = 128, 0  # the moved bar

    def crop(img):  # 1 px = 1 pt
        return lambda b: img[max(0, round(b[1])):round(b[3]), max(0, round(b[0])):round(b[2])]

    near = ChangeRegion("r1", "removed", (300, 200, 356, 204), 210, 210, 0)
    far = ChangeRegion("r2", "removed", (900, 500, 966, 504), 250, 250, 0)
    added = ChangeRegion("a1", "added", (100, 100, 156, 104), 210, 0, 210)
    out = detect_moves([far, added, near], crop(old), crop(new))
    assert [(r.id, r.kind, r.from_bbox) for r in out] == [
        ("r2", "removed", None), ("a1", "moved", near.bbox)]


def _detail(img, x, y, half_tag=True):
    """A section marker drawn at (x, y) (points = pixels): a tag (circle and number), a
    leader with an arrowhead 40 pt to the right, a note 45 pt below; pieces farther apart
    than CLUSTER_GAP_PT, so each is a region of its own. ``half_tag=False`` leaves out the
    tag's right half (what a move that cut through the tag carried)."""
    cv2.circle(img, (x + 12, y + 12), 11, 0, 2)
    cv2.putText(img, "7", (x + 7, y + 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, 0, 1)
    cv2.line(img, (x + 40, y + 12), (x + 90, y + 12), 0, 2)
    cv2.fillPoly(img, [np.array([(x + 90, y + 6), (x + 102, y + 12), (x + 90, y + 18)])], 0)
    cv2.putText(img, "TYP. NOTE", (x, y + 60), cv2.FONT_HERSHEY_SIMPLEX, 0.45, 0, 1)


def _regions_of(old, new):
    from buildtrace.engine.overlay import compare_ink

    masks = compare_ink(old, new, 72.0, 0.75)
    return find_regions(masks.removed.astype(np.float32), masks.added.astype(np.float32),
                        72.0, 1.0)


def _crop(img):  # 1 px = 1 pt
    return lambda b: img[max(0, round(b[1])):max(0, round(b[3])),
                         max(0, round(b[0])):max(0, round(b[2]))]


def test_the_pieces_of_one_moved_detail_are_one_move():
    """A marker (tag, leader, note: three regions each side) moved by (230, 140) pt is one
    ``moved`` change whose boxes hold all of it; before, each piece was a move of its own."""
    old = np.full((500, 700), 255, np.uint8)
    new = old.copy()
    _detail(old, 60, 60)
    _detail(new, 290, 200)
    regions = _regions_of(old, new)
    assert len(regions) == 6  # each piece is a cluster of its own, each side
    added = sum(r.added_pt2 for r in regions)
    removed = sum(r.removed_pt2 for r in regions)
    out = detect_moves(regions, _crop(old), _crop(new))
    assert [r.kind for r in out] == ["moved"]
    (m,) = out
    assert m.bbox[0] <= 291 and m.bbox[1] <= 201 and m.bbox[2] >= 392 and m.bbox[3] >= 256
    assert m.from_bbox[0] <= 61 and m.from_bbox[1] <= 61 and m.from_bbox[2] >= 162
    assert m.from_bbox[3] >= 116 and m.from_bbox[2] < 290  # the old place only
    assert (m.added_pt2, m.removed_pt2) == (added, removed)


def test_moves_apart_or_by_other_displacements_stay_apart_and_an_edit_beside_one_stays():
    """Two markers moved by different displacements are two moves; the same displacement
    far apart (beyond MOVE_GROUP_GAP_PT) too; a removal beside a move whose ink did not go
    where the move went stays a removal, and an addition beside it stays an addition."""
    old = np.full((900, 1400), 255, np.uint8)
    new = old.copy()
    _detail(old, 60, 60)
    _detail(new, 290, 200)  # moved by (230, 140)
    _detail(old, 60, 600)
    _detail(new, 200, 520)  # moved by (140, -80)
    _detail(old, 900, 60)
    _detail(new, 1130, 200)  # moved by (230, 140) too, 700 pt from the first
    cv2.rectangle(old, (180, 70), (200, 90), 0, 2)  # removed beside the first marker's old place
    cv2.line(new, (420, 190), (440, 230), 0, 2)  # added beside its new place
    out = detect_moves(_regions_of(old, new), _crop(old), _crop(new))
    moved = sorted((r for r in out if r.kind == "moved"), key=lambda r: r.bbox[0])
    assert len(moved) == 3
    for r in moved:
        shift = np.subtract(r.bbox[:2], r.from_bbox[:2])
        assert tuple(np.round(shift / 10) * 10) in {(230, 140), (140, -80)}
    assert any(r.kind == "removed" and r.bbox[0] >= 178 and r.bbox[2] <= 202 for r in out)
    assert any(r.kind == "added" and r.bbox[0] >= 418 and r.bbox[2] <= 442 for r in out)


def test_a_piece_of_a_moved_detail_left_unmatched_joins_its_move():
    """Clusters of one moved detail can differ on the two sheets: here a short stroke
    between the tag and the leader lands on a bar that was already there, so on the new
    sheet the tag is a region apart, while on the old sheet tag, stroke and leader are one.
    The leader matches that removal; the tag alone is too unlike it to be matched. Its ink
    is found where the move puts it, so it is part of the move, not an addition."""
    old = np.full((400, 900), 255, np.uint8)
    d = (250, 150)

    def piece(img, x, y, stroke=True):
        cv2.circle(img, (x + 6, y + 6), 5, 0, 2)  # the tag
        if stroke:
            cv2.line(img, (x + 12, y + 6), (x + 30, y + 6), 0, 2)
        cv2.line(img, (x + 30, y + 6), (x + 400, y + 6), 0, 3)  # the leader
        cv2.fillPoly(img, [np.array([(x + 400, y), (x + 412, y + 6), (x + 400, y + 12)])], 0)

    new = old.copy()
    bar = (slice(50 + d[1] - 4, 50 + d[1] + 17), slice(40 + 12 + d[0], 40 + 29 + d[0]))
    old[bar] = new[bar] = 0  # the bar, on both sheets
    piece(old, 40, 50)
    piece(new, 40 + d[0], 50 + d[1])
    regions = _regions_of(old, new)
    assert sorted(r.kind for r in regions) == ["added", "added", "removed"]
    out = detect_moves(regions, _crop(old), _crop(new))
    assert [r.kind for r in out] == ["moved"]
    assert out[0].bbox[0] <= 40 + d[0] + 1 and out[0].bbox[2] >= 40 + d[0] + 410


def test_a_sliver_inside_a_moved_details_box_is_part_of_the_move():
    """A move cuts what it moves out of the sheet: a line the moved box cut leaves a sliver
    of removed ink (7×1 pt) inside where the detail was, too thin to match its other end.
    Wholly inside the move's box on its side, it is part of the move, not a removal of its
    own; one just outside that box stays a removal."""
    old = np.full((500, 700), 255, np.uint8)
    new = old.copy()
    _detail(old, 60, 60)
    _detail(new, 290, 200)
    old[95, 115:122] = 0  # inside where the marker was, 15 pt and more from its ink
    old[95, 200:207] = 0  # 38 pt right of its box
    regions = _regions_of(old, new)
    assert len(regions) == 8
    out = detect_moves(regions, _crop(old), _crop(new))
    assert sorted(r.kind for r in out) == ["moved", "removed"]
    (m,) = [r for r in out if r.kind == "moved"]
    (left,) = [r for r in out if r.kind == "removed"]
    assert m.from_bbox[0] <= 115 and m.from_bbox[2] >= 122 and left.bbox[0] >= 199


def test_the_sides_of_a_moved_box_are_matched_to_their_own_sources():
    """Two parallel bars (a box's top and bottom, 60 pt apart) moved by (60, 45): the old
    bottom bar is nearer the new top one than the old top bar is, and any bar matches any
    other. Matched by nearness alone, the sides crossed (two moves by different
    displacements); the displacement the other side can share picks the right ones, and
    the box is one move."""
    old = np.full((400, 500), 255, np.uint8)
    new = old.copy()
    for img, (x, y) in ((old, (100, 100)), (new, (160, 145))):
        for top in (y, y + 60):  # a bar with an anti-aliased edge, as rendered
            img[top, x:x + 120], img[top + 1:top + 4, x:x + 120] = 128, 0
    regions = _regions_of(old, new)
    assert sorted(r.kind for r in regions) == ["added", "added", "removed", "removed"]
    out = detect_moves(regions, _crop(old), _crop(new))
    assert [r.kind for r in out] == ["moved"]
    assert np.allclose(out[0].from_bbox, (100, 100, 220, 164), atol=1.5)
    assert np.allclose(out[0].bbox, (160, 145, 280, 209), atol=1.5)


def _two_bars(faded: tuple[bool, bool]):
    """Old and new sheets: two vertical bars 13 pt apart (farther than CLUSTER_GAP_PT: four
    regions) moved together by (100, 150) pt; the old copy of a ``faded`` bar speckled as a
    worn print re-scanned is, so it matches its moved self by about 0.72 only."""
    old = np.full((400, 400), 255, np.uint8)
    new = old.copy()
    for img, (x, y) in ((old, (60, 50)), (new, (160, 200))):
        for left in (x, x + 13):  # a bar with an anti-aliased edge, as rendered
            img[y:y + 66, left], img[y:y + 66, left + 1:left + 3] = 128, 0
    rng = np.random.default_rng(0)
    for left, fade in zip((60, 73), faded):
        if fade:
            bar = old[50:116, left:left + 3]
            bar[rng.random(bar.shape) < 0.1] = 200
    return old, new


def test_a_weaker_match_counts_when_the_piece_beside_it_moved_the_same_way():
    """Two bars moved together, the left one's old copy speckled (it matches its moved
    self by about 0.72, under MOVE_MIN_CORRELATION; the other bar by 1.0). Before, the new
    left bar was paired with the old right one (any bar looks like any other): a move by
    the wrong displacement, a removal and an addition. The right bar's match (1.0) moved
    by the left bar's weaker one's displacement, so the two are one move."""
    old, new = _two_bars((True, False))
    regions = _regions_of(old, new)
    assert sorted(r.kind for r in regions) == ["added", "added", "removed", "removed"]
    out = detect_moves(regions, _crop(old), _crop(new))
    assert [r.kind for r in out] == ["moved"]
    assert np.allclose(out[0].from_bbox, (60, 50, 76, 116), atol=1.5)
    assert np.allclose(out[0].bbox, (160, 200, 176, 266), atol=1.5)


@pytest.mark.parametrize("faded", [(True, True), (True, None)])
def test_a_weaker_match_alone_or_beside_another_weak_one_is_no_move(faded):
    """A match under MOVE_MIN_CORRELATION needs a strong one beside it: a speckled bar
    alone (the other bar not drawn), or two speckled bars vouching for each other, stay
    removals and additions."""
    old, new = _two_bars((faded[0], bool(faded[1])))
    if faded[1] is None:  # the right bar on neither sheet
        old[:, 72:80], new[:, 172:180] = 255, 255
    out = detect_moves(_regions_of(old, new), _crop(old), _crop(new))
    assert "moved" not in {r.kind for r in out}
    assert sorted(r.kind for r in out) == sorted(["added", "removed"] * (2 if faded[1] else 1))


def test_a_box_whose_sides_lay_on_other_lines_moved_as_two_bars_is_one_move():
    """A 44 x 22 pt box whose sides lay on two lines of the sheet moved to empty paper: only
    its top and bottom bars are removed (two regions 18 pt apart), and neither alone is
    like the whole box added (stop 31's harsh bench, seed 405). Matched together, they are
    one move."""
    old = np.full((400, 500), 255, np.uint8)
    old[:, 60:62] = old[:, 102:104] = 0  # the two lines, on both sheets
    new = old.copy()
    for img, (x, y) in ((old, (60, 100)), (new, (300, 250))):
        img[y:y + 2, x:x + 44] = img[y + 20:y + 22, x:x + 44] = 0
        img[y:y + 22, x:x + 2] = img[y:y + 22, x + 42:x + 44] = 0
    regions = _regions_of(old, new)
    assert sorted(r.kind for r in regions) == ["added", "removed", "removed"]
    out = detect_moves(regions, _crop(old), _crop(new))
    assert [r.kind for r in out] == ["moved"]
    assert np.allclose(out[0].from_bbox, (62, 100, 102, 122), atol=1.5)
    assert np.allclose(out[0].bbox, (300, 250, 344, 272), atol=1.5)


def _light_detail(light: float, other_shape: bool = False):
    """Old and new sheets: a detail (a ring and a bar) moved by (180, 140) pt and drawn on
    the new sheet blurred and ``light`` as dark (a harsh re-scan's thin strokes), so less of
    it counts as ink; or, ``other_shape``, a box of about its size drawn there instead."""
    old = np.full((300, 400), 255, np.uint8)
    moved = old.copy()
    for img, (x, y) in ((old, (40, 40)), (moved, (220, 180))):
        if img is moved and other_shape:
            cv2.rectangle(img, (x + 3, y + 3), (x + 78, y + 27), 0, 3)
            continue
        cv2.circle(img, (x + 15, y + 15), 12, 0, 3)
        img[y + 13:y + 16, x + 30:x + 80] = 0
    moved = cv2.GaussianBlur(moved, (0, 0), 1.0)
    return old, (255 - (255 - moved.astype(np.float32)) * light).astype(np.uint8)


@pytest.mark.parametrize("light", [0.45, 0.5])
def test_a_moved_detail_drawn_lighter_is_a_move(light):
    """Its added ink is 0.55-0.61 of its removed ink, less than any plain pair's
    (:func:`moves._alike`), and it matches by 0.94: a move (on harsh re-scans of the site
    plan two moves kept 0.52 and 0.59 of their ink, and were a removal and an addition)."""
    old, new = _light_detail(light)
    regions = _regions_of(old, new)
    (a,), (r,) = ([x for x in regions if x.kind == k] for k in ("added", "removed"))
    assert 0.5 < a.added_pt2 / r.removed_pt2 < 0.7
    out = detect_moves(regions, _crop(old), _crop(new))
    assert [r.kind for r in out] == ["moved"]


def test_another_shape_drawn_lighter_is_no_move():
    old, new = _light_detail(0.5, other_shape=True)
    out = detect_moves(_regions_of(old, new), _crop(old), _crop(new))
    assert sorted(r.kind for r in out) == ["added", "removed"]


@pytest.mark.parametrize("shift_pt", [(4, 0), (7, 0), (-5, 3), (8, 8)])
def test_a_wall_moved_a_few_points_is_a_move(shift_pt):
    """A wall (two lines 6 pt apart) moved by less than CLUSTER_GAP_PT leaves one region of
    red and green, which was "modified"; it is a move, from where it was to where it is.
    Moved by 7 pt, part of each line overlaps the other's old place (unchanged ink)."""
    dx, dy = shift_pt
    old = np.full((500, 500), 255, np.uint8)
    new = old.copy()
    for img, (x, y) in ((old, (200, 60)), (new, (200 + dx, 60 + dy))):
        img[y:y + 300, x:x + 2] = 0
        img[y:y + 300, x + 6:x + 8] = 0
    regions = detect_moves(_regions_of(old, new), _crop(old), _crop(new))
    assert [r.kind for r in regions] == ["modified"]
    (r,) = find_short_moves(regions, _crop(old), _crop(new))
    assert r.kind == "moved"
    assert np.allclose(np.subtract(r.bbox[:2], r.from_bbox[:2]), (dx, dy), atol=1.5)


def test_a_changed_shape_or_a_relettered_word_is_no_short_move():
    """A door swing redrawn with another radius, a circle become a square, and a word whose
    ink shifted a little but whose letters changed (its text change says so) stay
    "modified"."""
    old = np.full((400, 600), 255, np.uint8)
    new = old.copy()
    cv2.ellipse(old, (100, 100), (40, 40), 0, 0, 90, 0, 2)
    cv2.ellipse(new, (100, 100), (46, 46), 0, 0, 90, 0, 2)
    cv2.circle(old, (300, 100), 15, 0, 2)
    cv2.rectangle(new, (286, 86), (314, 114), 0, 2)
    cv2.putText(old, "HEATER", (100, 300), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 0, 2)
    cv2.putText(new, "HEATEB", (103, 302), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 0, 2)
    regions = detect_moves(_regions_of(old, new), _crop(old), _crop(new))
    word = [r for r in regions if r.bbox[1] > 250]
    assert len(word) == 1
    word[0].text_changes = [{"kind": "changed", "bbox": list(word[0].bbox),
                             "text_before": "HEATER", "text_after": "HEATEB"}]
    assert [r.kind for r in find_short_moves(regions, _crop(old), _crop(new))] == \
        ["modified"] * 3
    # the same word moved, its letters the same: a move
    word[0].text_changes[0]["text_after"] = "HEATER"
    new[250:350] = 255
    cv2.putText(new, "HEATER", (103, 302), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 0, 2)
    assert [r.kind for r in find_short_moves(word, _crop(old), _crop(new))] == ["moved"]
