"""Statistical disclosure control for published figures (the national view and every export).

Primary suppression: any count below 5 is hidden. Secondary suppression: a figure must not be
derivable from the ones shown, so in every set of cells that add up (the cells of a breakdown
and their total), a set with exactly one hidden cell also hides its next-smallest shown cell;
repeated until no set has a lone hidden cell (one hidden cell can make another set's cell lone).
"""

from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

THRESHOLD = 5
HIDDEN = "*"
K = TypeVar("K", bound=Hashable)


def hidden_cells(
    cells: Mapping[K, int],
    sets: Iterable[Iterable[K]],
    threshold: int = THRESHOLD,
) -> set[K]:
    """The keys of `cells` to show as `*`. `sets`: groups of keys that sum to a shown total,
    that total included (e.g. the authorities of a column and the Wales row)."""
    groups = [[k for k in s if k in cells] for s in sets]
    hidden = {k for k, v in cells.items() if v < threshold}
    changed = True
    while changed:
        changed = False
        for group in groups:
            if sum(1 for k in group if k in hidden) != 1:
                continue
            shown = [k for k in group if k not in hidden]
            if shown:
                hidden.add(min(shown, key=lambda k: (cells[k], str(k))))
                changed = True
    return hidden
