"""How a step's process collects its garbage: seldom, since most of what it allocates lives until it ends.

CPython's cyclic collector runs after every 700 net allocations of container objects, and each tenth and
hundredth run walks older generations too. A step holds the night's records (the lists, the sources'
rows, ~10,000 cached Trakt answers) until it exits, so the collector walked the same objects again and
again: a third of a warm enrich (measured with ``gc.disable()``: 1.8 s -> 1.25 s, the full lists).
Young collections every 50,000 allocations keep almost all of that gain and still collect cycles (the
threads' and the HTTP responses' of a cold night), so memory stays bounded.
"""

from __future__ import annotations

import gc

YOUNG = 50_000  # allocations between young collections (CPython's default: 700)


def tune() -> None:
    """Collect seldom (see the module's text); the older generations keep CPython's ratios."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG, middle, old)
