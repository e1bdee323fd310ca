"""Kometa's ``anime_ids.json``: AniDB id -> MAL id(s), AniList id, TVDB id and season, IMDb id(s).

The AniDB <-> MAL join.

``mal_id`` is a number or a comma-separated string when several MAL entries share one AniDB entry;
``tvdb_season`` -1 means absolute numbering.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pipeline.sources import SourceError, int_or_none, split_ids

FILE = "anime_ids.json"
VARIABLE = "ANIME_IDS_URL"


@dataclass(frozen=True, slots=True, kw_only=True)
class AnimeIdsRow:
    anidb_id: int
    mal_ids: tuple[int, ...]
    anilist_id: int | None = None
    tvdb_id: int | None
    tvdb_season: int | None  # None when missing or absolute
    tvdb_absolute: bool
    imdb_ids: tuple[str, ...]


def _season(value: object) -> tuple[int | None, bool]:
    if isinstance(value, int) and not isinstance(value, bool):
        return (None, True) if value < 0 else (value, False)
    return None, False


def parse(payload: bytes) -> list[AnimeIdsRow]:
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError(f"{FILE}: not JSON ({exc}) - truncated or an error page (check {VARIABLE})") from None
    if not isinstance(data, dict) or not data:
        raise SourceError(f"{FILE}: expected a non-empty JSON object keyed by AniDB id (check {VARIABLE})")
    rows = []
    for key, value in data.items():
        anidb_id = int_or_none(key)
        if anidb_id is None or not isinstance(value, dict):
            continue
        season, absolute = _season(value.get("tvdb_season"))
        rows.append(
            AnimeIdsRow(
                anidb_id=anidb_id,
                mal_ids=tuple(n for n in map(int_or_none, split_ids(value.get("mal_id"))) if n),
                anilist_id=int_or_none(value.get("anilist_id")),
                tvdb_id=int_or_none(value.get("tvdb_id")),
                tvdb_season=season,
                tvdb_absolute=absolute,
                imdb_ids=split_ids(value.get("imdb_id")),
            )
        )
    return rows
