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


def sole_row(joined: Joined) -> AnimeListsRow | None:
    """The Anime-Lists row of a MAL id that is one AniDB entry, and that AniDB entry's only MAL id; else None
    (several AniDB entries, or an AniDB entry's offsets shared by several MAL ids)."""
    if len(joined.lists) != 1 or len(joined.ids) != 1 or len(joined.ids[0].mal_ids) != 1:
        return None
    return joined.lists[0]


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
