"""The three mapping sources joined by MAL id, through Anime-IDs' AniDB -> MAL join: what every rule reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.sources.anime_ids import AnimeIdsRow
from pipeline.sources.anime_lists import AnimeListsRow
from pipeline.sources.shinkro import ShinkroRow


@dataclass(frozen=True, slots=True, kw_only=True)
class Joined:
    """Everything the sources say about one MAL id."""

    mal_id: int
    lists: tuple[AnimeListsRow, ...]  # Anime-Lists rows of its AniDB entries
    ids: tuple[AnimeIdsRow, ...]  # its Anime-IDs rows
    shinkro: ShinkroRow | None


def join(
    lists: Iterable[AnimeListsRow], ids: Iterable[AnimeIdsRow], shinkro: Iterable[ShinkroRow]
) -> dict[int, Joined]:
    """The three sources by MAL id, through Anime-IDs' AniDB -> MAL join."""
    by_anidb = {row.anidb_id: row for row in lists}
    by_mal_shinkro = {row.mal_id: row for row in shinkro}
    rows_of: dict[int, list[AnimeIdsRow]] = defaultdict(list)
    for row in ids:
        for mal_id in row.mal_ids:
            rows_of[mal_id].append(row)
    joined = {}
    for mal_id, found in rows_of.items():
        lists_rows = tuple(by_anidb[row.anidb_id] for row in found if row.anidb_id in by_anidb)
        joined[mal_id] = Joined(mal_id=mal_id, lists=lists_rows, ids=tuple(found), shinkro=by_mal_shinkro.get(mal_id))
    return joined
