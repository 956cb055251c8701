"""Change regions: a moved shape pairs with the removal it came from."""

import numpy as np
from buildtrace.engine.regions import ChangeRegion, detect_moves


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
