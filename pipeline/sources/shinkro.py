"""shinkro-mapping's ``tvdb-mal.yaml``: MAL id -> TVDB id, season and type, under ``AnimeMap``.

An independent, MAL-keyed check of the other two sources (parsed with PyYAML, its C loader when
present: the pure-Python one takes seconds on this file).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from pipeline.sources import SourceError, int_or_none

FILE = "tvdb-mal.yaml"
VARIABLE = "SHINKRO_TVDB_URL"
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True, kw_only=True)
class ShinkroRow:
    mal_id: int
    title: str
    type: str  # "tv", "movie", "ova", "ona", "special", "tv_special", ...
    tvdb_id: int | None
    tvdb_season: int | None
    episode_offset: int  # from ``start`` (13: MAL episode 1 is the season's 13th): MAL episode n is n + offset
    uses_mapping: bool  # episodes spread over several TVDB seasons (animeMapping): no single season


def parse(payload: bytes) -> list[ShinkroRow]:
    try:
        data = yaml.load(payload, Loader=_LOADER)  # a safe loader (CSafeLoader or SafeLoader)
    except yaml.YAMLError as exc:
        raise SourceError(f"{FILE}: not YAML ({exc}) (check {VARIABLE})".replace("\n", " ")) from None
    entries = data.get("AnimeMap") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise SourceError(f"{FILE}: no AnimeMap list (check {VARIABLE})")
    rows = []
    for entry in entries:
        mal_id = int_or_none(entry.get("malid")) if isinstance(entry, dict) else None
        if mal_id is None:
            continue
        season = entry.get("tvdbseason")
        start = entry.get("start")
        rows.append(
            ShinkroRow(
                mal_id=mal_id,
                title=str(entry.get("title") or ""),
                type=str(entry.get("type") or "").lower(),
                tvdb_id=int_or_none(entry.get("tvdbid")),
                tvdb_season=season
                if isinstance(season, int) and not isinstance(season, bool) and season >= 0
                else None,
                episode_offset=start - 1 if isinstance(start, int) and not isinstance(start, bool) and start > 1 else 0,
                uses_mapping=bool(entry.get("useMapping")),
            )
        )
    return rows
