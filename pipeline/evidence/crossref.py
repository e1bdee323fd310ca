"""The AniDB and AniList ids of published entries: what the mapping sources join to each MAL id.

Anime-IDs (Kometa) is keyed by AniDB id and names each entry's MAL id(s) and AniList id. A MAL id is
sometimes several AniDB entries (a series AniDB splits, a recap counted apart): ``anidb`` then lists
them all, ascending, and ``anilist`` every distinct AniList id among them (usually one); an AniDB entry
that names several MAL ids gives its AniList id to none of them (it is one of theirs; the row does not
say whose). Null where the sources join nothing to the MAL id. On a night without usable sources, an
entry keeps the ids it was published with; a MAL id the sources stop naming keeps them too (nothing
here removes an id on a source's silence, as for the entries themselves).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline.published.models import ANIME_IDS, with_anime_ids
from pipeline.sources.joined import Joined

Ids = dict[str, list[int] | None]


def joined_ids(joined: Joined | None) -> Ids:
    """``{"anidb": [...], "anilist": [...]}`` of one MAL id, each None when the sources join none."""
    rows = () if joined is None else joined.ids
    anidb = sorted({row.anidb_id for row in rows})
    # An AniDB entry of several MAL ids has one AniList id, of one of them: which one, the row does not say.
    anilist = sorted({row.anilist_id for row in rows if row.anilist_id is not None and len(row.mal_ids) == 1})
    return {"anidb": anidb or None, "anilist": anilist or None}


def _published(entry: Mapping[str, Any] | None) -> Ids:
    # an entry published in the predecessor's layout has its externals at the top level only
    externals = {} if entry is None else entry["trakt"].get("externals") or entry.get("externals") or {}
    return {key: externals.get(key) for key in ANIME_IDS}


def fill(
    output: dict[int, dict[str, Any]],
    joined: Mapping[int, Joined] | None,
    previous: Mapping[int, dict[str, Any]],
) -> None:
    """Set each entry's AniDB and AniList ids (in place): the sources', else those it was published with."""
    for mal_id, entry in output.items():
        found = joined_ids(None if joined is None else joined.get(mal_id))
        kept = _published(previous.get(mal_id))
        ids = {key: found[key] if found[key] is not None else kept[key] for key in ANIME_IDS}
        if ids != _published(entry):
            output[mal_id] = with_anime_ids(entry, ids)
