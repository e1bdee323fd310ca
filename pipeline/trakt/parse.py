"""Trakt's answers turned into records: a show, its seasons, a movie, search results (ids given as ``""`` or 0 are
null, as everywhere in the published files)."""

from __future__ import annotations

from typing import Any

from pipeline.published.models import Movie, SearchHit, Season, Show


def _int_id(value: Any) -> int | None:
    """Trakt gives a missing id as null, "" or 0; all of them publish as null."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value or None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value) or None
    return None


def _str_id(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _year(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def parse_show(data: Any) -> Show:
    ids = data["ids"]
    return Show(
        trakt_id=int(ids["trakt"]),
        title=str(data["title"]),
        slug=str(ids["slug"]),
        year=_year(data.get("year")),
        tvdb=_int_id(ids.get("tvdb")),
        tmdb=_int_id(ids.get("tmdb")),
        imdb=_str_id(ids.get("imdb")),
        tvrage=_int_id(ids.get("tvrage")),
    )


def _count(value: Any) -> int | None:
    """An episode count (0 allowed), or None when Trakt did not give one."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def parse_seasons(data: Any) -> list[Season]:
    seasons = []
    for item in data:
        ids = item["ids"]
        seasons.append(
            Season(
                trakt_id=int(ids["trakt"]),
                number=int(item["number"]),
                tvdb=_int_id(ids.get("tvdb")),
                tmdb=_int_id(ids.get("tmdb")),
                tvrage=_int_id(ids.get("tvrage")),
                episode_count=_count(item.get("episode_count")),
                aired_episodes=_count(item.get("aired_episodes")),
                first_aired=item.get("first_aired") if isinstance(item.get("first_aired"), str) else None,
            )
        )
    return seasons


def parse_movie(data: Any) -> Movie:
    ids = data["ids"]
    return Movie(
        trakt_id=int(ids["trakt"]),
        title=str(data["title"]),
        slug=str(ids["slug"]),
        year=_year(data.get("year")),
        tmdb=_int_id(ids.get("tmdb")),
        imdb=_str_id(ids.get("imdb")),
    )


def parse_search(data: Any) -> list[SearchHit]:
    """A search answer: a list of ``{"type": "show", "score": ..., "show": {... "ids": {"trakt": ...}}}``."""
    if not isinstance(data, list):
        raise TypeError(f"expected a list of results, got {type(data).__name__}")
    hits = []
    for item in data:
        kind = str(item.get("type", ""))
        named = item.get(kind)
        named = named if isinstance(named, dict) else {}
        ids = named.get("ids")
        ids = ids if isinstance(ids, dict) else {}
        title = named.get("title")
        hits.append(
            SearchHit(type=kind, trakt_id=_int_id(ids.get("trakt")), title=title if isinstance(title, str) else None)
        )
    return hits
