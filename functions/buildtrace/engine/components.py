"""Connected components: which of n things belong together once some pairs are linked
(the words of one text change, the pieces of one moved detail)."""

from __future__ import annotations

from collections.abc import Iterable


def components(n: int, links: Iterable[tuple[int, int]]) -> list[list[int]]:
    """The groups of the indices ``0..n-1`` that ``links`` (pairs of indices) join,
    chained: each group in increasing order, the groups in the order of their first
    index. An index linked to nothing is a group of its own."""
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in links:
        parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())
