"""Reading a change region's old and new rasters as one (``ocr.recognize_pair``): what did
not change reads the same on both sides, and a space the recogniser only half sees in a
wide gap of the ink is read."""

import numpy as np

from buildtrace.engine.ocr import (SPACE_MIN_PROB, _decode_pair, _line_groups, _wide_gaps)

CHARS = ["blank", "1", "2", " ", "'"]


def _probs(rows):
    """Timesteps × characters from {character: probability} rows, the rest blank."""
    p = np.zeros((len(rows), len(CHARS)), np.float32)
    for t, row in enumerate(rows):
        for ch, v in row.items():
            p[t, CHARS.index(ch)] = v
        p[t, 0] = 1.0 - sum(row.values())
    return p


def test_unchanged_timesteps_are_decoded_from_both_sides():
    """A "1" turned "2" beside a faint inch mark: read apart, the new side drops the mark
    ("12'" against "11"); the mark's timesteps are shared, so both keep it."""
    old = _probs([{"1": 0.9}, {}, {"1": 0.9}, {}, {"'": 0.8}, {}])
    new = _probs([{"1": 0.9}, {}, {"2": 0.9}, {}, {"'": 0.3}, {}])
    own = np.array([False, False, True, False, False, False])
    (a, _), (b, _) = _decode_pair(old, new, own, CHARS)
    assert (a, b) == ("11'", "12'")
    # every timestep its own side's: the faint mark is lost, as RapidOCR alone reads it
    (a, _), (b, _) = _decode_pair(old, new, np.ones(6, bool), CHARS)
    assert (a, b) == ("11'", "12")


def test_a_space_is_read_in_a_wide_gap_on_less_evidence():
    p = _probs([{"1": 0.9}, {" ": 2 * SPACE_MIN_PROB}, {"2": 0.9}])
    own = np.zeros(3, bool)
    gap = np.array([False, True, False])
    assert _decode_pair(p, p, own, CHARS, [gap, gap])[0][0] == "1 2"
    # not where the ink has no gap, nor where the space is less likely than that
    assert _decode_pair(p, p, own, CHARS, [~gap, ~gap])[0][0] == "12"
    q = _probs([{"1": 0.9}, {" ": SPACE_MIN_PROB / 2}, {"2": 0.9}])
    assert _decode_pair(q, q, own, CHARS, [gap, gap])[0][0] == "12"


def test_wide_gaps_are_runs_without_ink_wider_than_a_share_of_its_height():
    crop = np.full((20, 60, 3), 255, np.uint8)
    crop[5:15, 0:10] = 0   # ink 10 px high
    crop[5:15, 12:22] = 0  # 2 px apart: a gap between characters
    crop[5:15, 30:40] = 0  # 8 px apart: a space
    gaps = set(_wide_gaps(crop).tolist())
    assert set(range(22, 30)) <= gaps and not gaps & {10, 11}
    assert set(range(40, 60)) <= gaps  # the paper after the line


def test_lines_of_both_sides_are_grouped_where_they_overlap():
    boxes = [(10, 10, 60, 24), (12, 11, 70, 25),  # one line, read a little apart
             (10, 40, 60, 54),                    # the next line
             (58, 21, 90, 35)]                    # overlaps the first by less than half
    groups = sorted(_line_groups(boxes))
    assert groups == [(10, 10, 70, 25), (10, 40, 60, 54), (58, 21, 90, 35)]
