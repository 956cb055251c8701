"""Connected components of linked indices (words of one text change, pieces of one move)."""

from buildtrace.engine.components import components


def test_links_chain_and_groups_keep_the_order_of_their_first_index():
    assert components(6, [(4, 1), (1, 3), (5, 2)]) == [[0], [1, 3, 4], [2, 5]]


def test_no_links_leave_every_index_alone_and_nothing_is_no_group():
    assert components(3, []) == [[0], [1], [2]]
    assert components(0, iter(())) == []
