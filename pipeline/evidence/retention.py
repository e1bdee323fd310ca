"""Which mapping a published entry gets tonight, and what Trakt's answer does to it: silence is not evidence.

A published entry stays published while Trakt answers for its id and nothing stronger maps its MAL
id elsewhere. What names a MAL id tonight, strongest first: an override, an upstream row of its own,
a discovery proposal. When none does (the sources stopped naming it, or a discovery rule declines
it), the entry published before is looked up again as it is, with its origin, unless its origin is
itself what went quiet: an override or an upstream row (``corrected`` is upstream's row too) that is
gone removes the entry, because its own source removed it. Trakt's answer then decides: found, it is
published (refreshed); a 404 puts it in the not-found file, except a discovered mapping, which is
dropped (a discovered mapping never goes there); a failed call keeps what was published before.

The table in docs/sources.md ("What keeps an entry published") is ``outcome`` for every cell.
"""

from __future__ import annotations

from typing import Literal

from pipeline.published.models import Origin

# What names a MAL id tonight, strongest first; "silence": none of them.
Named = Literal["override", "upstream", "discovered", "silence"]
TraktAnswer = Literal["ok", "not_found", "failed"]
# What happens to the entry: published (with this origin), in the not-found file, removed, or kept as it was.
Fate = Literal["published", "not-found", "removed", "kept"]

# Origins whose mapping comes back only from their own source: gone from it, the entry goes.
OWN_SOURCE: dict[Origin, Named] = {"override": "override", "upstream": "upstream", "corrected": "upstream"}


def keeps(previous: Origin) -> bool:
    """Whether an entry published with ``previous`` stays mapped on a night nothing names its MAL id."""
    return previous not in OWN_SOURCE


def mapping_origin(previous: Origin | None, named: Named) -> Origin | None:
    """The origin of the mapping looked up tonight for a MAL id; None when it has none (removed).

    ``previous`` is the published entry's origin (None when the MAL id is not published).
    """
    if named != "silence":
        return named
    if previous is None or not keeps(previous):
        return None
    return previous


def on_trakt(origin: Origin, answer: TraktAnswer) -> Fate:
    """What Trakt's answer for a mapping's id does to its entry."""
    if answer == "ok":
        return "published"
    if answer == "failed":
        return "kept"
    return "removed" if origin == "discovered" else "not-found"


def outcome(previous: Origin, named: Named, answer: TraktAnswer) -> tuple[Fate, Origin | None]:
    """One cell of the table: the fate of an entry published with ``previous``, and the origin it is published with.

    A ``kept`` entry keeps its previous origin; ``corrected`` is published where the season evidence
    corrects an upstream or imported mapping (decided by pipeline.evidence.seasons, not here).
    """
    origin = mapping_origin(previous, named)
    if origin is None:
        return "removed", None
    fate = on_trakt(origin, answer)
    if fate == "kept":
        return fate, previous
    return fate, origin if fate == "published" else None
