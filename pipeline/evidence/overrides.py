"""What an override says about a show's episodes, checked against Trakt like the evidence; and its mistakes.

An override may give ``trakt.episodes`` (``{"season": N, "offset": K}``: MAL episode n is episode n + K
of Trakt season N), with ``season`` null for a second cour inside another season. ``judge`` accepts it
on the evidence's terms (Trakt lists the season; the offset is inside its episode count where Trakt
gives one) or refuses it with the reason; ``problems`` lists, for the report, every override Trakt
refused (404, episodes refused) or that shares its show, season and offset with another MAL id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.evidence.seasons import Episodes, Placed, Verdict, by_place
from pipeline.published.models import Kind, Season, episodes_of

REFUSED = "override-episodes-refused"  # the review reason of a refused override's verdict


def of_override(trakt: Mapping[str, Any]) -> tuple[int, int] | None:
    """An override's ``trakt.episodes`` as (season, offset); None when it gives none."""
    episodes = trakt.get("episodes")
    return episodes_of(episodes) if isinstance(episodes, dict) else None


def refusal(season: int | None, episodes: Episodes, seasons: Iterable[Season]) -> str | None:
    """Why Trakt's seasons contradict an override's season and episodes; None when they agree."""
    listed = {found.number: found for found in seasons}
    numbers = ", ".join(str(number) for number in sorted(listed)) or "none"
    if season is not None and season != episodes.season:
        return (
            f"season {season} but episodes in season {episodes.season}: give the same season, or season null for"
            " a second cour inside another season"
        )
    if season is None and episodes.offset == 0:
        return (
            f"season null with episodes from the first of season {episodes.season}: that is the whole season, give"
            f' "season": {{"number": {episodes.season}}}'
        )
    target = listed.get(episodes.season)
    if target is None:
        return f"Trakt lists no season {episodes.season} for this show (its seasons: {numbers})"
    count = target.episode_count
    if episodes.offset > 0 and count is not None and episodes.offset >= count:
        return f"offset {episodes.offset} is beyond the {count} episodes Trakt lists in season {episodes.season}"
    return None


def judge(season: int | None, episodes: tuple[int, int], seasons: Sequence[Season]) -> Verdict:
    """The override's season and episodes when Trakt agrees; else its season alone (if listed), no episodes, and why."""
    listed = {found.number for found in seasons}
    placed = Episodes(season=episodes[0], offset=episodes[1])
    reason = refusal(season, placed, seasons)
    published_season = season if season in listed else None
    if reason is None:
        return Verdict(season=published_season, episodes=placed)
    return Verdict(season=published_season, episodes=None, review=REFUSED, evidence=reason)


@dataclass(frozen=True, slots=True, kw_only=True)
class Overridden:
    """One override as enrich applied it: where it came from and what Trakt answered."""

    kind: Kind
    mal_id: int
    source: str  # "override_tv.json[3]"
    trakt_id: int


def problems(
    overridden: Iterable[Overridden],
    not_found: Mapping[Kind, set[int]],
    refused: Mapping[int, str],
    places: Mapping[int, Placed],
) -> list[dict[str, Any]]:
    """The overrides Trakt answered 404 for, whose episodes it refused, or that share a place with another MAL id.

    ``not_found``: the MAL ids put in each kind's not-found file; ``refused``: MAL id -> why its episodes
    were refused; ``places``: every published show's (Trakt id, episodes), by MAL id.
    """
    together = by_place(places)
    found = []
    for item in sorted(overridden, key=lambda o: (o.kind, o.mal_id)):
        record = {"kind": item.kind, "mal_id": item.mal_id, "source": item.source, "trakt_id": item.trakt_id}
        if item.mal_id in not_found.get(item.kind, set()):
            found.append({**record, "problem": "Trakt answered 404: the entry went to the not-found file"})
        if item.mal_id in refused:
            found.append({**record, "problem": f"episodes not published: {refused[item.mal_id]}"})
        show, episodes = places.get(item.mal_id, (0, None))
        if item.kind == "shows" and episodes is not None:
            at = together.get((show, episodes.season, episodes.offset), [])
            others = [other for other in at if other != item.mal_id]
            if others:
                shared = ", ".join(f"MAL {other}" for other in sorted(others))
                found.append(
                    {
                        **record,
                        "problem": f"same season and episodes as {shared} (show {show} S{episodes.season}"
                        f"+{episodes.offset}): one of them is wrong",
                    }
                )
    return found
