"""What the import holds back across entries: MAL ids that share a Trakt season, MAL ids both found and not.

Pure decisions over the imported records (``pipeline.predecessor.entries``); ``pipeline.migrate``
calls them once every file is read.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pipeline.evidence import shared_seasons
from pipeline.predecessor.entries import Imported
from pipeline.sources import upstream
from pipeline.sources.joined import Joined


def hold_back_shared_seasons(shows: Imported, listed: upstream.UpstreamList, joined: dict[int, Joined]) -> None:
    """Two MAL ids on one Trakt show and season: keep those upstream maps there and those the sources place at
    distinct episodes in it (``pipeline.evidence.shared_seasons``), hold back the others."""
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    for mal_id, entry in shows.entries.items():
        if entry["trakt"]["season"] is not None:
            groups[entry["trakt"]["id"], entry["trakt"]["season"]["number"]].append(mal_id)
    upstream_maps = {(entry["mal_id"], entry["trakt_id"], entry.get("season")) for _, entry in listed.entries}
    for (trakt_id, number), mal_ids in sorted(groups.items()):
        if len(mal_ids) < 2:
            continue
        vouched = [mal_id for mal_id in mal_ids if (mal_id, trakt_id, number) in upstream_maps]
        tmdb = shows.entries[mal_ids[0]]["trakt"]["externals"]["tmdb"]
        placed = shared_seasons.come_back(tmdb, number, mal_ids, vouched, joined)
        for mal_id in mal_ids:
            if mal_id in vouched:
                continue
            if mal_id in placed:
                shows.entries[mal_id] = _placed(shows.entries[mal_id], number, placed[mal_id])
                shows.convert(mal_id, "shared a Trakt season: placed at the sources' distinct episode offset")
                continue
            others = ", ".join(str(other) for other in sorted(mal_ids) if other != mal_id)
            why = (
                f"upstream {listed.name} maps MAL {', '.join(map(str, vouched))} there"
                if vouched
                else f"upstream {listed.name} maps none of them there, so which one is right is unknown"
            )
            position, raw = shows.origins[mal_id]
            shows.hold_back(position, raw, f"shares Trakt show {trakt_id} season {number} with MAL {others}; {why}")
            del shows.entries[mal_id]


def _placed(entry: dict[str, Any], season: int, offset: int) -> dict[str, Any]:
    """An imported show entry at ``offset`` in ``season``: from its first episode, the season; past it, a split cour."""
    trakt = {**entry["trakt"], "episodes": {"season": season, "offset": offset}}
    if offset:
        trakt.update(is_split_cour=True, season=None)
    return {**entry, "trakt": trakt}


def hold_back_both(found: Imported, missing: Imported) -> None:
    """A MAL id both published and not found: the published entry wins."""
    for mal_id in sorted(found.entries.keys() & missing.entries.keys()):
        position, raw = missing.origins[mal_id]
        missing.hold_back(position, raw, f"also published in {found.name}, which is kept")
        del missing.entries[mal_id]
