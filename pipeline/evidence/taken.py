"""Which proposed mappings land on episodes another MAL id holds (``season-taken``), decided after the corrections.

Two MAL ids collide only on the same episodes: the same Trakt show, season and episode offset. A second
cour at offset 12 does not take the season from the first cour at offset 0, and a season upstream's
shifted entry held before the night's corrections moved it is free again. Discovery proposes; enrich
places every mapping (corrections included), then asks ``taken`` which proposals to drop: the entries
published otherwise (upstream, override, corrected, imported, discovered before) hold their places.
"""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.evidence.seasons import Placed, by_place

RULE = "season-taken"


def taken(held: Mapping[int, Placed], proposed: Mapping[int, Placed]) -> dict[int, list[int]]:
    """The proposed MAL ids whose show, season and offset a held MAL id has, each with those MAL ids."""
    at = by_place(held)
    found = {}
    for mal_id, (show, episodes) in sorted(proposed.items()):
        if episodes is None:
            continue
        others = sorted(other for other in at.get((show, episodes.season, episodes.offset), []) if other != mal_id)
        if others:
            found[mal_id] = others
    return found
