"""Anime-Lists' ``anime-list-master.xml``: AniDB id -> TVDB id and season, TMDB tv id and season,
TMDB movie ids and IMDb ids (parsed with the standard library's ElementTree).

``tvdbid`` is a number, or a word for what has no TVDB series ("movie", "OVA", "hentai", ...);
``defaulttvdbseason`` and ``tmdbseason`` are a number or ``a`` (absolute episode numbering);
``episodeoffset`` and ``tmdboffset`` say where in that season the AniDB entry starts (12: its first
episode is the season's 13th, a second cour), empty for 0.

A row's ``mapping-list`` may number the AniDB episodes itself: ``<mapping anidbseason="1"
tmdbseason="2" start="62" end="77" offset="-61"/>`` says AniDB episodes 62 to 77 are episodes 1 to 16
of TMDB season 2 (``tvdbseason`` the same in TVDB's numbering). Those ranges of regular episodes are
kept (``tmdb_ranges``, ``tvdb_ranges``); the episode-by-episode text form and specials are not.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from pipeline.sources import SourceError, int_or_none, split_ids

FILE = "anime-list-master.xml"
VARIABLE = "ANIME_LISTS_URL"
ABSOLUTE = "a"


@dataclass(frozen=True, slots=True, kw_only=True)
class EpisodeRange:
    """AniDB episodes ``start`` to ``end`` (None: open) are episode n + ``offset`` of ``season``."""

    season: int
    start: int
    end: int | None
    offset: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AnimeListsRow:
    anidb_id: int
    name: str
    tvdb_id: int | None
    tvdb_label: str | None  # the word when tvdbid is not a number: "movie", "OVA", "hentai", ...
    tvdb_season: int | None  # None when missing or absolute
    tvdb_absolute: bool
    tvdb_offset: int  # episodeoffset: AniDB episode n is episode n + offset of the TVDB season
    tmdb_tv: int | None
    tmdb_season: int | None
    tmdb_absolute: bool
    tmdb_offset: int  # tmdboffset: AniDB episode n is episode n + offset of the TMDB season
    tmdb_movies: tuple[int, ...]
    imdb_ids: tuple[str, ...]
    tmdb_ranges: tuple[EpisodeRange, ...] = ()  # from the mapping-list, by start
    tvdb_ranges: tuple[EpisodeRange, ...] = ()


def _season(value: str | None) -> tuple[int | None, bool]:
    """(season number, absolute): "1" -> (1, False), "a" -> (None, True), "" -> (None, False)."""
    text = (value or "").strip()
    if text == ABSOLUTE:
        return None, True
    return (int(text), False) if text.isdigit() else (None, False)


def _offset(value: str | None) -> int:
    """An episode offset: "12" -> 12; empty or not a number -> 0 (Anime-Lists leaves 0 empty)."""
    text = (value or "").strip()
    return int(text) if text.isdigit() else 0


def _signed(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.lstrip("-").isdigit() else None


def _ranges(element: ET.Element, numbering: str) -> tuple[EpisodeRange, ...]:
    """The mapping-list's ranges of regular AniDB episodes in one numbering ("tmdbseason" or "tvdbseason")."""
    found = []
    for mapping in element.iterfind("mapping-list/mapping"):
        season, start = _signed(mapping.get(numbering)), _signed(mapping.get("start"))
        if mapping.get("anidbseason") != "1" or season is None or season < 1 or start is None or start < 1:
            continue
        found.append(
            EpisodeRange(
                season=season, start=start, end=_signed(mapping.get("end")), offset=_signed(mapping.get("offset")) or 0
            )
        )
    return tuple(sorted(found, key=lambda found_range: found_range.start))


def parse(payload: bytes) -> list[AnimeListsRow]:
    try:
        root = ET.fromstring(payload)
    except ET.ParseError as exc:
        raise SourceError(f"{FILE}: not XML ({exc}) - truncated or an error page (check {VARIABLE})") from None
    if root.tag != "anime-list":
        raise SourceError(f"{FILE}: root element is <{root.tag}>, expected <anime-list> (check {VARIABLE})")
    rows = []
    for element in root.iter("anime"):
        anidb_id = int_or_none(element.get("anidbid"))
        if anidb_id is None:
            continue
        tvdb = (element.get("tvdbid") or "").strip()
        tvdb_season, tvdb_absolute = _season(element.get("defaulttvdbseason"))
        tmdb_season, tmdb_absolute = _season(element.get("tmdbseason"))
        rows.append(
            AnimeListsRow(
                anidb_id=anidb_id,
                name=(element.findtext("name") or "").strip(),
                tvdb_id=int_or_none(tvdb),
                tvdb_label=None if tvdb.isdigit() or not tvdb else tvdb.lower(),
                tvdb_season=tvdb_season,
                tvdb_absolute=tvdb_absolute,
                tvdb_offset=_offset(element.get("episodeoffset")),
                tmdb_tv=int_or_none(element.get("tmdbtv")),
                tmdb_season=tmdb_season,
                tmdb_absolute=tmdb_absolute,
                tmdb_offset=_offset(element.get("tmdboffset")),
                tmdb_movies=tuple(n for n in map(int_or_none, split_ids(element.get("tmdbid"))) if n),
                imdb_ids=split_ids(element.get("imdbid")),
                tmdb_ranges=_ranges(element, "tmdbseason"),
                tvdb_ranges=_ranges(element, "tvdbseason"),
            )
        )
    if not rows:
        raise SourceError(f"{FILE}: no <anime> rows (check {VARIABLE})")
    return rows
