"""What the sources and Trakt's seasons answer say about one TV mapping: its season and episode offset.

Anime-Lists gives each AniDB entry a TMDB tv id, season and offset (``tmdbtv``, ``tmdbseason``,
``tmdboffset``: AniDB episode n is episode n + offset of that season) and the same in TVDB numbering;
Anime-IDs joins AniDB to MAL (it copies Anime-Lists' numbering, so it is the join, not a second
opinion); shinkro, keyed by MAL id, gives TVDB id, season and start episode: the independent check.

``judge`` turns them, with the Trakt show's TMDB id and its seasons (``?extended=full``: episode
counts), into a ``Verdict``: the season to publish, ``episodes`` and, only on strong evidence, a
correction of upstream's season. Strong means all of: the sources name the Trakt show (Anime-Lists'
TMDB tv id is the show's), an independent source confirms the show (Anime-IDs' or shinkro's TVDB id is
Anime-Lists' and shinkro names no other, nor another season or offset in TVDB's numbering; TMDB's
numbering is the claim, a TVDB season that differs from it is no disagreement), Trakt lists the
season, and the offset is inside its episode count. The last
condition, that no other MAL id ends up on the same season and episodes, needs every verdict:
``collisions`` applies it. Anything weaker leaves the mapping as it is; a disagreement is queued for
review with its evidence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pipeline.published.models import Season
from pipeline.sources.joined import Joined, sole_row

Correction = Literal["continuation", "shifted", "special"]
# The kinds, as the report and the benchmark name them.
CORRECTIONS: tuple[Correction, ...] = ("continuation", "shifted", "special")
ANOTHER_SHOW = "sources-name-another-show"
DISAGREE = "sources-disagree"
SEASON_MISSING = "season-not-on-trakt"
OFFSET_BEYOND = "offset-beyond-episode-count"
COLLISION = "same-season-and-episodes"
REVIEW_REASONS = (ANOTHER_SHOW, DISAGREE, SEASON_MISSING, OFFSET_BEYOND, COLLISION)


@dataclass(frozen=True, slots=True, kw_only=True)
class Episodes:
    """MAL episode n is episode n + ``offset`` of Trakt season ``season``."""

    season: int
    offset: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    """What the sources say about one MAL id: a show, a season and an offset, in both numberings."""

    anidb_id: int
    tmdb_tv: int | None
    tmdb_season: int | None
    tmdb_offset: int
    tvdb_id: int | None
    tvdb_season: int | None
    tvdb_offset: int
    shinkro: tuple[int | None, int | None, int] | None  # (TVDB id, season, offset), None when it lacks the MAL id
    ids_tvdb: int | None = None  # Anime-IDs' TVDB id for the AniDB entry
    shinkro_tvdb: int | None = None  # shinkro's TVDB id, also when it spreads the episodes over several seasons

    def agrees(self) -> bool:
        """An independent source names Anime-Lists' TVDB show, none names another, and shinkro, in TVDB's
        numbering, says what Anime-Lists' TVDB numbering says (season and offset).

        Trakt numbers seasons like TMDB, so TMDB's season and offset are the claim; a TVDB numbering that
        differs from them (TVDB's season 17 for TMDB's season 2) is no disagreement (issue 21).
        """
        if self.tvdb_id is None or (self.shinkro_tvdb is not None and self.shinkro_tvdb != self.tvdb_id):
            return False
        confirmed = self.tvdb_id in (self.ids_tvdb, self.shinkro_tvdb)
        return confirmed and self.shinkro in (None, (self.tvdb_id, self.tvdb_season, self.tvdb_offset))

    def describe(self) -> str:
        found = (
            f"Anime-Lists (AniDB {self.anidb_id}): TMDB tv {self.tmdb_tv} S{self.tmdb_season}+{self.tmdb_offset},"
            f" TVDB {self.tvdb_id} S{self.tvdb_season}+{self.tvdb_offset}"
        )
        if self.shinkro is None:
            return f"{found}; shinkro: no entry"
        tvdb, season, offset = self.shinkro
        return f"{found}; shinkro: TVDB {tvdb} S{season}+{offset}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """The season to publish (None: a split cour), its episodes, and why."""

    season: int | None
    episodes: Episodes | None
    correction: Correction | None = None  # set when upstream's season is replaced
    review: str | None = None  # one of REVIEW_REASONS when the sources disagree with what is published
    evidence: str = ""


def claim(joined: Joined | None) -> Claim | None:
    """The sources' one claim for a MAL id, or None when they have none or an ambiguous one.

    Ambiguous: several AniDB entries for the MAL id, an AniDB entry for several MAL ids (its offset
    is the AniDB entry's, not the MAL entry's), absolute numbering, or shinkro spreading the MAL
    entry over several seasons.
    """
    row = None if joined is None else sole_row(joined)
    if joined is None or row is None or row.tmdb_absolute or row.tmdb_tv is None or row.tmdb_season is None:
        return None
    mapped = joined.shinkro
    return Claim(
        anidb_id=row.anidb_id,
        tmdb_tv=row.tmdb_tv,
        tmdb_season=row.tmdb_season,
        tmdb_offset=row.tmdb_offset,
        tvdb_id=row.tvdb_id,
        tvdb_season=None if row.tvdb_absolute else row.tvdb_season,
        tvdb_offset=row.tvdb_offset,
        shinkro=None
        if mapped is None or mapped.uses_mapping
        else (mapped.tvdb_id, mapped.tvdb_season, mapped.episode_offset),
        ids_tvdb=joined.ids[0].tvdb_id,
        shinkro_tvdb=None if mapped is None else mapped.tvdb_id,
    )


def _trakt(season: Season | None, number: int) -> str:
    if season is None:
        return f"Trakt: no season {number}"
    counts = f"{season.episode_count} episodes, {season.aired_episodes} aired"
    return f"Trakt S{number}: {counts}, first {season.first_aired}"


def judge(
    season: int | None,
    show_tmdb: int | None,
    seasons: Iterable[Season],
    joined: Joined | None,
    *,
    may_correct: bool,
) -> Verdict:
    """What to publish for a mapping to ``season`` of a Trakt show, given the sources about its MAL id.

    ``may_correct`` is False for an override (a maintainer's pin) and a discovered mapping (its
    season already is the sources'): their season stays; only their episode offset is read.
    """
    listed = {found.number: found for found in seasons}
    as_is = Verdict(
        season=season if season in listed else None,
        episodes=Episodes(season=season, offset=0) if season is not None and season in listed else None,
    )
    said = claim(joined)
    if said is None or said.tmdb_season is None:
        return as_is
    number, offset = said.tmdb_season, said.tmdb_offset
    if (number, offset) == (season, 0) and show_tmdb == said.tmdb_tv:
        return as_is
    evidence = f"{said.describe()}; Trakt show TMDB {show_tmdb}; {_trakt(listed.get(number), number)}"
    if show_tmdb is None or said.tmdb_tv != show_tmdb:
        return Verdict(season=as_is.season, episodes=as_is.episodes, review=ANOTHER_SHOW, evidence=evidence)
    reason = (
        DISAGREE
        if not said.agrees()
        else SEASON_MISSING
        if number not in listed
        else OFFSET_BEYOND
        if not fits(offset, listed[number])
        else None
    )
    if reason is not None:
        return Verdict(season=as_is.season, episodes=as_is.episodes, review=reason, evidence=evidence)
    episodes = Episodes(season=number, offset=offset)
    if not may_correct:  # the season stays; the offset is known only where it is the same season
        return Verdict(season=as_is.season, episodes=episodes if number == season else as_is.episodes)
    kind: Correction = "special" if 0 in (number, season) else "continuation" if offset else "shifted"
    return Verdict(season=None if offset else number, episodes=episodes, correction=kind, evidence=evidence)


def fits(offset: int, season: Season) -> bool:
    """An offset fits a Trakt season when episodes remain after it (an unknown count fits an offset of 0 only)."""
    return offset == 0 or offset < (season.episode_count or 0)


def continuation(season: int, offset: int, seasons: Iterable[Season]) -> Verdict:
    """A discovered continuation cour: a split cour inside ``season`` from episode ``offset`` + 1, while it fits."""
    listed = {found.number: found for found in seasons}
    if season not in listed or not fits(offset, listed[season]):
        return Verdict(season=None, episodes=None)
    return Verdict(season=None, episodes=Episodes(season=season, offset=offset))


def as_published(
    entry: Mapping[str, Any], trakt_id: int, season: int | None, seasons: Iterable[Season]
) -> Verdict | None:
    """A correction published before, kept on a night without the sources, while Trakt still lists its season.

    ``trakt_id`` and ``season``: tonight's mapping (upstream's). None when ``entry`` is no correction of
    this Trakt show, or its season is gone. Labelled as ``judge`` labels it: ``special`` when either
    season is 0.
    """
    trakt = entry.get("trakt", {})
    episodes = trakt.get("episodes")
    if entry.get("origin") != "corrected" or trakt.get("id") != trakt_id or not isinstance(episodes, dict):
        return None
    if episodes.get("season") not in {listed.number for listed in seasons}:
        return None
    number = trakt["season"]["number"] if isinstance(trakt.get("season"), dict) else None
    placed = Episodes(season=int(episodes["season"]), offset=int(episodes["offset"]))
    kind: Correction = "special" if 0 in (placed.season, season) else "continuation" if placed.offset else "shifted"
    return Verdict(
        season=number, episodes=placed, correction=kind, evidence="kept: published before (no sources tonight)"
    )


Placed = tuple[int, Episodes | None]  # (Trakt show id, episodes)


def by_place(placed: Mapping[int, Placed]) -> dict[tuple[int, int, int], list[int]]:
    """The MAL ids at each (Trakt show, season, offset), in ``placed``'s order; a split cour has no place."""
    together: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for mal_id, (show, episodes) in placed.items():
        if episodes is not None:
            together[show, episodes.season, episodes.offset].append(mal_id)
    return dict(together)


def collisions(placed: Mapping[int, Placed], fallback: Mapping[int, Placed]) -> dict[int, list[int]]:
    """The corrected MAL ids (keys of ``fallback``) that share a show, season and offset with another MAL id.

    ``placed`` is every entry's place with the corrections; a colliding correction goes back to its
    ``fallback`` place, which may make another collide, until none does. Returns each reverted MAL id
    with the MAL ids it met.
    """
    where = dict(placed)
    reverted: dict[int, list[int]] = {}
    while True:
        clashing = {
            mal_id: [other for other in group if other != mal_id]
            for group in by_place(where).values()
            if len(group) > 1
            for mal_id in group
            if mal_id in fallback and mal_id not in reverted
        }
        if not clashing:
            return reverted
        for mal_id, others in clashing.items():
            reverted[mal_id] = sorted(others)
            where[mal_id] = fallback[mal_id]
