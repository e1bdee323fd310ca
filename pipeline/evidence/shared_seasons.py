"""Which MAL ids sharing one Trakt season come back at the import: those the sources place at distinct episodes.

The predecessor published some Trakt seasons for two or more MAL ids (a show's two cours, or OVAs filed
in its season). The import holds such entries back unless upstream maps them there; but where the
mapping sources place each of them in that season at an episode offset no other of them has (Anime-Lists'
``tmdbtv``, ``tmdbseason``, ``tmdboffset``: *Part 2* from episode 13), confirmed as a correction's evidence is
(``Claim.agrees``: another source names the same TVDB show, shinkro says the same), they do not collide and come back,
with ``episodes`` saying where. Pure: no files, no Trakt.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from pipeline.evidence.seasons import claim
from pipeline.sources.joined import Joined


def offsets(show_tmdb: int | None, season: int, mal_ids: Iterable[int], joined: Mapping[int, Joined]) -> dict[int, int]:
    """Each MAL id the sources place in TMDB show ``show_tmdb``'s ``season``, with its episode offset there."""
    found = {}
    for mal_id in mal_ids:
        said = claim(joined.get(mal_id))
        if show_tmdb is None or said is None or not said.agrees():  # as strong as a correction's evidence
            continue
        if (said.tmdb_tv, said.tmdb_season) == (show_tmdb, season):
            found[mal_id] = said.tmdb_offset
    return found


def come_back(
    show_tmdb: int | None, season: int, mal_ids: Iterable[int], kept: Iterable[int], joined: Mapping[int, Joined]
) -> dict[int, int]:
    """The MAL ids of one shared season that come back, with their offsets: placed at an offset no other has.

    ``kept`` are the MAL ids that stay anyway (upstream maps them there); one the sources do not place
    is taken to hold the whole season, so offset 0 is then not distinct.
    """
    group, vouched = list(mal_ids), set(kept)
    placed = offsets(show_tmdb, season, group, joined)
    taken = Counter(placed.values())
    if any(mal_id not in placed for mal_id in vouched):
        taken[0] += 1
    return {mal_id: offset for mal_id, offset in placed.items() if mal_id not in vouched and taken[offset] == 1}
