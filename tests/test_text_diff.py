"""Word-level text changes (boxes in points of the new sheet)."""

import numpy as np

from buildtrace.engine.drawing_set import Word
from buildtrace.engine.text_diff import diff_words, map_words


def W(text, x, y, w=None, h=10.0):
    return Word(text, (x, y, x + (w or 6.0 * len(text)), y + h))


def test_a_changed_dimension_is_one_change_with_before_and_after():
    old = [W("GRID", 100, 100), W("31'-6", 200, 300), W('7/8"', 236, 300), W("NOTE", 400, 500)]
    new = [W("GRID", 100, 100), W("8'-8", 200, 300), W('1/8"', 230, 300), W("NOTE", 400, 500)]
    changes = diff_words(old, new)
    assert [(c.kind, c.text_before, c.text_after) for c in changes] == [
        ("changed", "31'-6 7/8\"", "8'-8 1/8\"")]


def test_added_and_removed_notes_and_a_shortened_phrase():
    old = [W("KEEP", 10, 10), W("OLD", 10, 200), W("NOTE", 34, 200),
           W("12'-0", 300, 300), W('1/2"', 336, 300)]
    new = [W("KEEP", 10, 10), W("NEW", 500, 40), W("NOTE", 524, 40), W("14'-0", 300, 300)]
    got = {(c.kind, c.text_before, c.text_after) for c in diff_words(old, new)}
    assert got == {("removed", "OLD NOTE", None), ("added", None, "NEW NOTE"),
                   ("changed", "12'-0 1/2\"", "14'-0")}


def test_a_rewritten_word_is_not_merged_with_an_unrelated_neighbour():
    # the neighbour changed too, but it is only adjacent on the new sheet
    old = [W("xx__yy", 100, 50, w=60), W("MAIN", 200, 50)]
    new = [W("x__yy", 100, 50, w=95), W("MAZQ", 200, 50)]
    got = {(c.text_before, c.text_after) for c in diff_words(old, new)}
    assert ("MAIN", "MAZQ") in got


def test_words_are_matched_after_alignment_within_tolerance():
    m = np.array([[1.0, 0.0, 20.0], [0.0, 1.0, -5.0]])
    old = [W("A-101", 100, 100), W("DOOR", 200, 200)]
    new = [W("A-101", 121, 94.5), W("DOOR", 220.5, 195)]
    assert diff_words(map_words(old, m), new) == []


def test_two_labels_a_sheet_repeats_moved_together_pair_each_with_its_own_place():
    """Two closets labelled "物入" side by side, moved 61 pt left and 37 pt down in one CAD
    selection (CAD seed 606 of the floor plans): nearest first paired each new label with the
    other's old place (51 pt and 95 pt away, two displacements), so the pair was not one
    move. A pairing whose displacement another pair beside it shares comes first."""
    old = [W("物入", 467.7, 334.8, w=12.7), W("物入", 493.5, 334.8, w=12.7), W("KEEP", 10, 10)]
    new = [W("物入", 406.3, 371.9, w=12.7), W("物入", 432.1, 371.9, w=12.7), W("KEEP", 10, 10)]
    got = sorted((c.kind, c.from_bbox[0], c.bbox[0]) for c in diff_words(old, new))
    assert got == [("moved", 467.7, 406.3), ("moved", 493.5, 432.1)]


def test_a_repeated_label_moved_alone_still_pairs_with_the_nearest():
    # two "WC" removed, two added: no displacement is shared, so nearest first
    old = [W("WC", 100, 100), W("WC", 400, 100)]
    new = [W("WC", 130, 100), W("WC", 380, 160)]
    got = sorted((c.kind, c.from_bbox[0], c.bbox[0]) for c in diff_words(old, new))
    assert got == [("moved", 100, 130), ("moved", 400, 380)]


def test_words_reading_up_the_sheet_are_one_phrase_in_the_order_they_read():
    """A vertical "1,820" read in two pieces (cut at its comma) and retyped "4,775": one
    change, its pieces in reading order (upwards: "1," lies below "820"). Grouped as level
    text they were two lines, and two changes."""
    old = [Word("820", (100, 100, 106, 115), 1.0, 1), Word("1,", (100, 117, 106, 124), 1.0, 1),
           W("KEEP", 10, 10)]
    new = [Word("4,775", (100, 100, 106, 124), 1.0, 1), W("KEEP", 10, 10)]
    assert [(c.kind, c.text_before, c.text_after) for c in diff_words(old, new)] == [
        ("changed", "1, 820", "4,775")]


def test_text_changes_without_a_letter_or_digit_are_not_listed():
    """A lone dash or dot (a scan's text layer or the OCR reading a leader or a speck) is no
    text change a reader can use: the region keeps its changed ink and no such text; one
    outside every region makes no region. A dimension beside it is kept."""
    from buildtrace.engine.compare import _attach_text
    from buildtrace.engine.regions import ChangeRegion
    from buildtrace.engine.text_diff import TextChange

    region = ChangeRegion("r1", "removed", (100, 100, 200, 140), 50, 50, 0)
    changes = [TextChange("removed", (105, 105, 110, 130), "-", None),
               TextChange("changed", (150, 110, 190, 120), "12'-6\"", "12'-8\""),
               TextChange("added", (400, 400, 404, 404), None, "."),
               TextChange("added", (500, 500, 520, 510), None, "-5")]
    out = _attach_text([region], changes, None, ())
    # (the region of removed ink holds a changed dimension: "modified")
    assert [(r.kind, r.text_before, r.text_after) for r in out] == [
        ("modified", "12'-6\"", "12'-8\""), ("added", None, "-5")]
    assert [t["text_before"] for t in out[0].text_changes] == ["12'-6\""]


def test_a_word_split_differently_is_no_text_change_even_over_a_speck_of_ink():
    """A CJK label read as one word on one sheet and letter by letter on the other (a
    re-plot a fraction of a pixel off): its letters are the same, nothing printed changed.
    A speck of changed ink under it (a glyph snapped to another pixel, 0.06 pt²) made it a
    "modified" change reading 隣地境界線 → 隣 地 境 界 線. The speck stays what it is; a
    moved text keeps its letters and is still said."""
    from buildtrace.engine.compare import _attach_text
    from buildtrace.engine.regions import ChangeRegion
    from buildtrace.engine.text_diff import TextChange

    speck = ChangeRegion("r1", "added", (366.5, 93.5, 367.0, 94.0), 0.06, 0, 0.06)
    label = ChangeRegion("r2", "added", (500, 500, 540, 510), 30, 0, 30)
    changes = [TextChange("changed", (347.2, 92.4, 387.0, 101.1), "隣地境界線", "隣 地 境 界 線"),
               TextChange("moved", (500, 500, 540, 510), "LIVING ROOM", "LIVING ROOM",
                          from_bbox=(400, 400, 440, 410))]
    out = _attach_text([speck, label], changes, None, ())
    assert [(r.kind, r.text_before, r.text_after) for r in out] == [
        ("added", None, None), ("added", "LIVING ROOM", "LIVING ROOM")]


def test_a_moved_text_over_no_changed_ink_is_a_move_from_where_it_was():
    """A label whose text moved where no ink changed under it (``make bench``'s label seed
    9323633 on the floor plans) became a "moved" change with nowhere it came from, and
    joining moved texts then failed on it (TypeError: the pair's comparison was lost)."""
    from buildtrace.engine.compare import _attach_text
    from buildtrace.engine.moves import join_moved_texts
    from buildtrace.engine.regions import ChangeRegion
    from buildtrace.engine.text_diff import TextChange

    was = ChangeRegion("r1", "removed", (400, 400, 440, 410), 30, 30, 0)
    moved = TextChange("moved", (500, 500, 540, 510), "LIVING ROOM", "LIVING ROOM",
                       from_bbox=(400, 400, 440, 410))
    other = TextChange("moved", (600, 300, 630, 310), "HALL", "HALL", from_bbox=(600, 340, 630, 350))
    out = _attach_text([was], [moved, other], None, ())
    assert [(r.kind, r.from_bbox) for r in out[1:]] == [
        ("moved", (400, 400, 440, 410)), ("moved", (600, 340, 630, 350))]
    joined = join_moved_texts(out)
    # the removed ink where the label was is its own: part of its move
    assert [(r.kind, r.text_after, r.removed_pt2) for r in joined] == [
        ("moved", "LIVING ROOM", 30), ("moved", "HALL", 0.0)]


def _glyphs(text, x, y, w=3.7, h=7.2, drift=0.05):
    """``text`` as one word per glyph, as some PDF producers write it (each glyph a text
    object, the line a little turned)."""
    return [Word(ch, (x + i * w, y + i * drift, x + (i + 1) * w, y + h + i * drift))
            for i, ch in enumerate(text)]


def test_a_text_split_into_glyphs_on_one_sheet_is_the_same_text():
    """A re-plot's text layer holds "7.370" and "隣地境界線" glyph by glyph where the first
    plot held them as words: nothing printed changed. They are shared (left out of the
    small-change test, as any unchanged word is), and no text change is made of them;
    the layers agree on every word."""
    from buildtrace.engine.text_diff import agreement, same_words

    old = [Word("7.370", (293.6, 139.0, 312.1, 146.2)), Word("隣地境界線", (282.4, 146.0, 322.4, 154.0)),
           W("KEEP", 10, 10)]
    new = (_glyphs("7.370", 293.6, 139.0) + _glyphs("隣地境界線", 282.4, 146.0, w=8.0, h=8.0)
           + [W("KEEP", 10, 10)])
    assert diff_words(old, new) == []
    assert len(same_words(old, new)) == len(new)
    assert agreement(old, new) == 1.0
    # and the other way round: words on the new sheet that were glyphs on the old
    assert diff_words(new, old) == [] and len(same_words(new, old)) == len(old)


def test_a_text_split_otherwise_and_changed_is_still_a_change():
    """Split otherwise *and* changed (a dimension 7.370 → 7.307, or a word beside it
    now): the joined texts differ, so the change is said with its before and after."""
    from buildtrace.engine.text_diff import same_words

    old = [Word("7.370", (293.6, 139.0, 312.1, 146.2))]
    new = _glyphs("7.307", 293.6, 139.0)
    changes = diff_words(old, new)
    assert [(c.kind, c.text_before, c.text_after) for c in changes] == [
        ("changed", "7.370", "7 . 3 0 7")]
    assert same_words(old, new) == []
    # the same glyphs 5 pt lower are no longer in its place: removed and added
    lower = _glyphs("7.370", 293.6, 144.0)
    assert diff_words(old, lower) and same_words(old, lower) == []


def test_a_text_turned_90_degrees_split_into_glyphs_is_the_same_text():
    """Text running up the sheet (a label turned 90°): its glyphs are read bottom to top."""
    from buildtrace.engine.text_diff import same_words

    old = [Word("A-101", (50.0, 100.0, 57.0, 137.0))]
    new = [Word(ch, (50.0, 137.0 - (i + 1) * 7.4, 57.0, 137.0 - i * 7.4))
           for i, ch in enumerate("A-101")]
    assert diff_words(old, new) == [] and len(same_words(old, new)) == 5
    swapped = [Word(ch, (50.0, 137.0 - (i + 1) * 7.4, 57.0, 137.0 - i * 7.4))
               for i, ch in enumerate("A-110")]
    assert same_words(old, swapped) == []
    assert "A-101" in {c.text_before for c in diff_words(old, swapped)}


def test_a_label_moved_across_its_room_is_one_moved_text():
    old = [W("KEEP", 10, 10), W("LIVING", 100, 200), W("ROOM", 140, 200)]
    new = [W("KEEP", 10, 10), W("LIVING", 130, 240), W("ROOM", 170, 240)]
    [c] = diff_words(old, new)
    assert (c.kind, c.text_before, c.text_after) == ("moved", "LIVING ROOM", "LIVING ROOM")
    assert c.bbox == (130, 240, 170 + 24, 250)
    assert c.from_bbox == (100, 200, 140 + 24, 210)
    assert c.to_dict()["from_bbox"] == [100, 200, 164, 210]


def test_text_far_from_where_the_same_text_was_is_removed_and_added():
    old = [W("1,820", 100, 200)]
    new = [W("1,820", 100, 200 + 300)]
    got = sorted((c.kind, c.text_before, c.text_after) for c in diff_words(old, new))
    assert got == [("added", None, "1,820"), ("removed", "1,820", None)]


def test_repeated_texts_moved_pair_with_the_nearest():
    # two "D1" tags moved 20 pt right each: each pairs with its own, not across
    old = [W("D1", 100, 100), W("D1", 100, 220)]
    new = [W("D1", 120, 100), W("D1", 120, 220)]
    changes = diff_words(old, new)
    assert [c.kind for c in changes] == ["moved", "moved"]
    for c in changes:
        assert c.bbox[1] == c.from_bbox[1] and c.bbox[0] - c.from_bbox[0] == 20


def test_moved_texts_with_nowhere_they_came_from_are_left_as_they_are():
    """Two added regions holding moved texts of one displacement, with no removed region
    where the texts were (their old ink lies in a region holding other text): nothing to
    join them with, and nothing breaks."""
    from buildtrace.engine.moves import join_moved_texts
    from buildtrace.engine.regions import ChangeRegion

    def moved_text(x):
        return {"kind": "moved", "bbox": [x, 100, x + 10, 108], "text_before": "A",
                "text_after": "A", "from_bbox": [x - 40, 100, x - 30, 108]}

    regions = [ChangeRegion("", "added", (x, 100, x + 10, 108), 20, 0, 20,
                            text_changes=[moved_text(x)]) for x in (100, 130)]
    regions.append(ChangeRegion("", "modified", (55, 98, 95, 110), 40, 20, 20,
                                text_changes=[{"kind": "changed", "bbox": [55, 98, 95, 110],
                                               "text_before": "B", "text_after": "C"}]))
    assert [r.kind for r in join_moved_texts(regions)] == ["added", "added", "modified"]


def test_a_moved_label_takes_in_only_the_changed_ink_on_its_two_places():
    """A label moved by about its width, part of it onto a line: its added region is
    smaller than its removed one (unlike boxes), and joins it because both lie on the
    words' two places. A removal reaching past those places (a wall erased where the label
    was) is an edit of its own and stays one, as does the label's addition."""
    from buildtrace.engine.compare import _attach_text
    from buildtrace.engine.moves import join_moved_texts
    from buildtrace.engine.regions import ChangeRegion
    from buildtrace.engine.text_diff import TextChange

    def label():
        return TextChange("moved", (705, 388, 744, 395), "BALCONY", "BALCONY",
                          from_bbox=(747, 383, 786, 389))

    def regions(removed_box):  # the tail of the new label clustered with where it was
        return [ChangeRegion("r1", "removed", removed_box, 23, 23, 0),
                ChangeRegion("a1", "added", (706, 388, 727, 395), 9, 0, 9)]

    out = join_moved_texts(_attach_text(regions((737, 383, 786, 392)), [label()], None, ()))
    assert [(r.kind, r.bbox, r.from_bbox) for r in out] == [
        ("moved", (705, 388, 744, 395), (747, 383, 786, 389))]
    out = join_moved_texts(_attach_text(regions((737, 383, 900, 392)), [label()], None, ()))
    assert sorted(r.kind for r in out) == ["added", "removed"]


def test_the_pieces_of_a_moved_label_its_text_layer_does_not_hold_move_with_it():
    """"トータル面積表 (㎡)": the "(㎡)" 80 pt after the words is not in the text layer. The
    words moved (a ``moved`` region, by their text); the "(㎡)" left an addition and a
    removal as far apart as the words moved, or was found moved by its ink: either is part
    of the label's move. A piece of the label's ink on its new place that clustered apart
    from the words' region joins it too. An addition and a removal as far apart by another
    displacement, and an edit beside the label, stay what they are."""
    from buildtrace.engine.moves import join_moved_texts
    from buildtrace.engine.regions import ChangeRegion

    d = (-6.0, -74.0)
    words = {"kind": "moved", "bbox": [891, 482, 957, 489], "text_before": "面積表",
             "text_after": "面積表", "from_bbox": [897, 556, 963, 563]}

    def shifted(box, by=d):
        return (box[0] + by[0], box[1] + by[1], box[2] + by[0], box[3] + by[1])

    def regions(piece_moved_by_ink: bool):
        head = ChangeRegion("", "moved", (891, 482, 957, 489), 60, 60, 60,
                            from_bbox=(897, 556, 963, 563), text_changes=[dict(words)])
        unit = (1039, 555, 1051, 562)
        if piece_moved_by_ink:
            pieces = [ChangeRegion("", "moved", shifted(unit), 20, 20, 20, from_bbox=unit)]
        else:
            pieces = [ChangeRegion("", "removed", unit, 20, 20, 0),
                      ChangeRegion("", "added", shifted(unit), 19, 0, 19)]
        other = (1200, 700, 1212, 707)  # moved by another displacement
        return [head, *pieces,
                ChangeRegion("", "removed", other, 20, 20, 0),
                ChangeRegion("", "added", shifted(other, (-6, -40)), 20, 0, 20),
                ChangeRegion("", "added", (930, 470, 950, 478), 15, 0, 15),  # beside it
                ChangeRegion("", "added", (900, 483, 910, 488), 5, 0, 5)]  # on its place

    for by_ink in (False, True):
        out = join_moved_texts(regions(by_ink))
        assert [r.kind for r in out] == ["moved", "removed", "added", "added"], out
        head = out[0]
        assert head.bbox == (891, 481, 1045, 489) and head.from_bbox == (897, 555, 1051, 563)
        assert head.added_pt2 == 60 + (20 if by_ink else 19) + 5


def test_a_word_two_moved_labels_share_pairs_as_the_rest_of_its_label_moved():
    """"(m) Y" moved 60 pt down and "(m) XX" 200 pt right (the label bench's seed 4501890:
    the site plan's two "(m)" labels). The nearest pairing took the second label's old
    "(m)" for the first label's new one (20 pt apart), so neither label's words moved
    together. A word the sheet removed and added more than once pairs first where its
    displacement is that of a word beside it that moved unambiguously ("Y", "XX")."""
    # (words 22 pt apart: two phrases, as the site plan's are)
    old = [W("(m)", 100, 100), W("Y", 140, 100), W("(m)", 100, 140), W("XX", 140, 140)]
    new = [W("(m)", 100, 160), W("Y", 140, 160), W("(m)", 300, 140), W("XX", 340, 140)]
    changes = diff_words(old, new)
    assert sorted((c.kind, c.text_after, c.bbox[0] - c.from_bbox[0], c.bbox[1] - c.from_bbox[1])
                  for c in changes) == [("moved", "(m)", 0, 60), ("moved", "(m)", 200, 0),
                                        ("moved", "XX", 200, 0), ("moved", "Y", 0, 60)]


def test_a_label_moved_by_less_than_its_width_is_a_moved_text():
    """A label 24 pt wide moved 18 pt left and 2 pt up (the label bench's seed 14683099)
    overlaps where it was, so its old and new words paired as one "changed" text of the
    same letters, which is dropped as a text layer's split: the move's text went unsaid. The
    same words drawn elsewhere overlapping their old place moved; read in one place,
    split otherwise, they did not."""
    old = [W("オリジナル玄関ドア", 266.3, 425.6, w=24.1, h=7.0)]
    new = [W("オリジナル玄関ドア", 248.1, 423.5, w=24.1, h=7.0)]
    (c,) = diff_words(old, new)
    assert (c.kind, c.text_after) == ("moved", "オリジナル玄関ドア")
    assert c.bbox == new[0].bbox and c.from_bbox == old[0].bbox
    split = [W("オリジナル", 266.3, 425.6, w=13.4, h=7.0), W("玄関ドア", 279.7, 425.6, w=10.7, h=7.0)]
    assert not any(c.kind == "moved" for c in diff_words(old, split))
