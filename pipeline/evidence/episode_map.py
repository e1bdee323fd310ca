"""Where each MAL episode of a TV entry is on Trakt: its episode map, from Trakt's seasons and the sources.

A map is a list of ranges: MAL episodes ``first`` to ``last`` (None: to the last aired episode) are
Trakt season ``season`` from episode ``episode`` on. It starts where ``episodes`` (the verdict of
``pipeline.evidence.seasons``) puts MAL episode 1, and walks Trakt's regular seasons (specials never
count) with each season's ``episode_count`` (``aired_episodes`` where Trakt gives no count):

- one range for an entry that stays in its season (a plain season, a second cour);
- one range per Trakt season for an entry the sources say spans several: Anime-Lists' absolute
  numbering (``tmdbseason="a"``: the AniDB entry is the whole show, One Piece) or its mapping-list
  numbering the episodes into several seasons (``EpisodeRange``); such an entry runs to the show's last
  season when absolute, else to the last season the sources name.

The last range is open (``last`` None) when it is in the show's last regular season, which may still
air; otherwise it ends with its season. Where the sources number the episodes themselves and that
numbering does not fit Trakt's seasons, the map stops at the first MAL episode where they stop agreeing
and the entry goes to the review queue with both numberings (``NUMBERING_DISAGREES``). ``cut`` then
ends a map where another MAL entry of the same show starts (Spy x Family's first cour ends where Part 2
starts).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from pipeline.evidence.seasons import OFFSET_BEYOND, Episodes
from pipeline.published.models import MapRange as Range
from pipeline.published.models import Season
from pipeline.sources.anime_lists import AnimeListsRow, EpisodeRange
from pipeline.sources.joined import Joined, sole_row

NO_EPISODES = "no-episodes"  # the entry has no ``episodes``: nothing places its first episode
NO_EPISODE_COUNT = "no-episode-count"  # a season it spans has no episode count on Trakt
NUMBERING_DISAGREES = "numbering-disagrees"  # the sources' numbering does not fit Trakt's seasons (review)
OVERLAPS = "map-overlaps-another-entry"  # a season the map spanned is another MAL entry's (review)
REASONS = (NO_EPISODES, NO_EPISODE_COUNT, OFFSET_BEYOND, NUMBERING_DISAGREES, OVERLAPS)


Ranges = tuple[Range, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Numbering:
    """The sources' own numbering of a MAL entry on the show: where each of their ranges starts."""

    starts: Ranges  # ``last`` None: only starts are compared (the sources' last range may be older than Trakt's)
    absolute: bool  # the AniDB entry is the whole show (runs to its last season)
    source: str  # for the review: "Anime-Lists (AniDB 69), TMDB numbering"

    def describe(self) -> str:
        return f"{self.source}: " + ", ".join(f"MAL {r.first} = S{r.season}E{r.episode}" for r in self.starts)


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """The map (None where nothing supports one) and why it is null or stops short (one of REASONS)."""

    ranges: Ranges | None
    reason: str | None = None
    evidence: str = ""

    @property
    def review(self) -> bool:
        return self.reason in (NUMBERING_DISAGREES, OVERLAPS)


def numbering(joined: Joined | None, show_tmdb: int | None) -> Numbering | None:
    """What Anime-Lists says about the MAL entry's episodes on this show, or None where it says nothing usable.

    Usable: the MAL id is one AniDB entry (and only that MAL id's), whose TMDB tv id is the show's.
    Its TMDB mapping-list when it has one; else its TVDB one where the two numberings coincide (same
    numeric season and offset), as for Sailor Moon Crystal.
    """
    row = None if joined is None else sole_row(joined)
    if row is None or show_tmdb is None or row.tmdb_tv != show_tmdb:
        return None
    same = row.tvdb_season is not None and (row.tvdb_season, row.tvdb_offset) == (row.tmdb_season, row.tmdb_offset)
    ranges, name = (row.tmdb_ranges, "TMDB") if row.tmdb_ranges else (row.tvdb_ranges if same else (), "TVDB")
    if not ranges and not row.tmdb_absolute:
        return None
    return Numbering(
        starts=_starts(row, ranges),
        absolute=row.tmdb_absolute,
        source=f"Anime-Lists (AniDB {row.anidb_id}), {name} numbering",
    )


def _starts(row: AnimeListsRow, ranges: tuple[EpisodeRange, ...]) -> Ranges:
    starts = [Range(first=r.start, last=None, season=r.season, episode=r.start + r.offset) for r in ranges]
    if row.tmdb_season is not None and (not starts or starts[0].first > 1):  # the default season holds the rest
        starts.insert(0, Range(first=1, last=None, season=row.tmdb_season, episode=1 + row.tmdb_offset))
    return tuple(starts)


def build(start: Episodes | None, seasons: Iterable[Season], said: Numbering | None = None) -> Outcome:
    """The map of an entry whose MAL episode 1 is at ``start``, over Trakt's ``seasons``."""
    if start is None:
        return Outcome(ranges=None, reason=NO_EPISODES)
    regular = {season.number: season for season in seasons if season.number >= 1}
    if start.season not in regular:  # specials (season 0): one open range, no counts
        return Outcome(ranges=(Range(first=1, last=None, season=start.season, episode=start.offset + 1),))
    walked = _walk(start, regular, _spanned(start.season, regular, said))
    if isinstance(walked, Outcome) or said is None:
        return walked if isinstance(walked, Outcome) else Outcome(ranges=walked)
    return _agreed(walked, said, regular)


def _spanned(first: int, regular: Mapping[int, Season], said: Numbering | None) -> list[int]:
    """The Trakt seasons the entry spans, from its first."""
    later = sorted(number for number in regular if number >= first)
    if said is None:
        return [first]
    if said.absolute:
        return later
    return [number for number in later if number <= max(r.season for r in said.starts)] or [first]


def _count(season: Season) -> int | None:
    return season.episode_count if season.episode_count is not None else season.aired_episodes


def _walk(start: Episodes, regular: Mapping[int, Season], spanned: list[int]) -> Ranges | Outcome:
    ranges: list[Range] = []
    first, episode, final = 1, start.offset + 1, max(regular)
    for position, number in enumerate(spanned):
        count = _count(regular[number])
        ends_here = position == len(spanned) - 1
        if ends_here and (number == final or count is None):
            ranges.append(Range(first=first, last=None, season=number, episode=episode))
            break
        if count is None:
            return Outcome(ranges=None, reason=NO_EPISODE_COUNT, evidence=f"Trakt S{number}: no episode count")
        if count < episode:
            return Outcome(
                ranges=None, reason=OFFSET_BEYOND, evidence=f"Trakt S{number}: {count} episodes, starts at {episode}"
            )
        last = first + count - episode
        ranges.append(Range(first=first, last=last, season=number, episode=episode))
        first, episode = last + 1, 1
    return tuple(ranges)


def _agreed(ranges: Ranges, said: Numbering, regular: Mapping[int, Season]) -> Outcome:
    """``ranges`` up to the first MAL episode where the sources' numbering stops fitting them."""
    if not said.starts:  # absolute numbering without ranges: nothing to compare
        return Outcome(ranges=ranges)
    horizon = said.starts[-1].first
    ours = [(r.first, r.season, r.episode) for r in ranges if r.first <= horizon]
    theirs = [(r.first, r.season, r.episode) for r in said.starts]
    split = next((min(a[0], b[0]) for a, b in zip(ours, theirs, strict=False) if a != b), None)
    if split is None and len(ours) != len(theirs):
        split = (ours if len(ours) > len(theirs) else theirs)[min(len(ours), len(theirs))][0]
    if split is None:
        return Outcome(ranges=ranges)
    counts = ", ".join(f"S{number} {_count(regular[number])}" for number in sorted(regular))
    evidence = f"{said.describe()}; Trakt's episode counts: {counts}; they disagree from MAL episode {split}"
    return Outcome(ranges=_until(ranges, split - 1), reason=NUMBERING_DISAGREES, evidence=evidence)


def _until(ranges: Ranges, last: int) -> Ranges | None:
    """The ranges up to MAL episode ``last`` (None when that is before the first)."""
    kept = tuple(r for r in ranges if r.first <= last)
    if not kept:
        return None
    final = kept[-1]
    return (*kept[:-1], replace(final, last=last if final.last is None else min(final.last, last)))


def trakt_episode(ranges: Ranges, mal_episode: int) -> tuple[int, int] | None:
    """(season, episode) on Trakt of a MAL episode, or None where the map does not reach it."""
    return next((found for r in ranges if (found := r.trakt(mal_episode)) is not None), None)


def mal_episode(ranges: Ranges, season: int, episode: int) -> int | None:
    """The MAL episode of a Trakt episode, or None where the map does not hold it."""
    return next((found for r in ranges if (found := r.mal(season, episode)) is not None), None)


Placed = tuple[int, Ranges]  # (Trakt show id, the map)


def cut(placed: Mapping[int, Placed]) -> dict[int, tuple[Ranges, list[int]]]:
    """The maps that run into another MAL entry of the same show, ended just before it starts.

    Returns each such MAL id with its shortened map and the MAL ids it met. Two entries that start at
    the same Trakt episode are left alone (``pipeline.evidence.seasons.collisions`` handles those).
    """
    starts: dict[int, list[tuple[int, int, int]]] = defaultdict(list)  # show -> (season, episode, MAL id)
    for mal_id, (show, ranges) in placed.items():
        starts[show].append((ranges[0].season, ranges[0].episode, mal_id))
    shortened: dict[int, tuple[Ranges, list[int]]] = {}
    for mal_id, (show, ranges) in placed.items():
        own = (ranges[0].season, ranges[0].episode)
        inside = sorted(
            (found, other)
            for season, episode, other in starts[show]
            if (season, episode) > own and (found := mal_episode(ranges, season, episode)) is not None
        )
        if inside:
            first_met = inside[0][0]
            kept = _until(ranges, first_met - 1)
            if kept is not None:
                shortened[mal_id] = (kept, [other for found, other in inside if found == first_met])
    return shortened
