"""The episode maps of one enrich run's TV entries: computed per entry, then settled across entries.

``outcome`` decides one entry's map (an override's wins; else ``pipeline.evidence.episode_map.build``
from its ``episodes``, Trakt's seasons and the sources' numbering; on a night without the sources, the
map published before while it still starts where ``episodes`` does). ``settle`` ends each map where
another MAL entry of its show starts and returns the review records of the maps that lost a range.
"""

from __future__ import annotations

from collections.abc import Mapping as Lookup
from typing import Any

from pipeline.evidence import episode_map as maps
from pipeline.evidence.seasons import Episodes
from pipeline.published.checks import episode_map_problems
from pipeline.published.models import Mapping, Season, Show, episode_map_of, with_episode_map
from pipeline.sources.joined import Joined


def outcome(
    mapping: Mapping,
    show: Show,
    seasons: list[Season],
    episodes: Episodes | None,
    joined: Lookup[int, Joined] | None,
    previous: dict[str, Any] | None,
) -> maps.Outcome:
    """The entry's map, or why it has none. ``joined`` None: no sources tonight (``previous`` is the entry
    published before, whose map stays while it still starts where ``episodes`` does)."""
    if mapping.episode_map is not None:
        return maps.Outcome(ranges=mapping.episode_map)
    if joined is None and previous is not None:
        kept = episode_map_of(previous["trakt"].get("episode_map"))
        if (
            kept is not None
            and previous["trakt"]["id"] == show.trakt_id
            and not episode_map_problems(kept, None if episodes is None else (episodes.season, episodes.offset))
        ):
            return maps.Outcome(ranges=kept)
    said = maps.numbering(None if joined is None else joined.get(mapping.mal_id), show.tmdb)
    return maps.build(episodes, seasons, said)


def settle(output: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """End each map (in place) where another MAL entry of its show starts, overrides' maps excepted;
    the review records of the maps that lost a whole range."""
    placed = {
        mal_id: (int(entry["trakt"]["id"]), ranges)
        for mal_id, entry in output.items()
        if (ranges := episode_map_of(entry["trakt"].get("episode_map"))) is not None and entry["origin"] != "override"
    }
    review = []
    for mal_id, (ranges, met) in sorted(maps.cut(placed).items()):
        entry = output[mal_id] = with_episode_map(output[mal_id], ranges)
        if len(ranges) < len(placed[mal_id][1]):
            review.append(
                {
                    "mal_id": mal_id,
                    "title": entry["myanimelist"]["title"],
                    "trakt_id": placed[mal_id][0],
                    "origin": entry["origin"],
                    "upstream_season": (entry["trakt"]["season"] or {}).get("number"),
                    "reason": maps.OVERLAPS,
                    "evidence": f"the map ran into {', '.join(f'MAL {m}' for m in met)};"
                    f" it now ends at MAL episode {ranges[-1].last}",
                }
            )
    return review
