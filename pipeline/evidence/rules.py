"""The discovery rules, as pure functions of the parsed sources (no I/O, no Trakt).

``propose`` joins the three sources by MAL id and keeps a claim only when it passes every rule; every
other MAL id the sources know is either already mapped (upstream, override) or dropped with the rule
that dropped it. ``check_search`` applies the rules that need Trakt's search answers (discover checks the season).

Rule names, as the report shows them:

- ``several-mal-ids``: one AniDB entry names several MAL ids (a split-cour-like case, to review)
- ``several-anidb-entries``: one MAL id is on several AniDB entries
- ``type-conflict``: the sources disagree on show or movie (to review)
- ``no-tmdb-id``: a show with no TMDB tv id, or a movie with neither a TMDB movie id nor one IMDb id
- ``absolute-numbering``: numbered absolutely (``tmdbseason="a"``) on a TMDB show other AniDB entries
  share; alone on its show, the MAL id is the whole show, a long runner from season 1 episode 1
- ``season-0``, ``no-season``: no TMDB season >= 1 to map to
- ``unconfirmed-show``: no source but Anime-Lists names its TVDB show (Anime-IDs' and shinkro's TVDB ids
  differ from it, or it has none), so nothing independent confirms the show
- ``shinkro-contradicts``: the MAL-keyed source names another TVDB show
- ``ids-disagree``: a movie's sources name different IMDb ids, or several TMDB movie ids
- ``movie-taken``: another MAL id (upstream, override) is on that movie
- ``season-taken``: another MAL id is on that show, season and episodes after the night's corrections
  (decided by enrich, ``pipeline.evidence.taken``)
- ``shared-season`` / ``shared-movie``: two discovered MAL ids on one show season and episodes / movie (to review)
- ``search-empty``, ``search-several``, ``search-wrong-type``, ``search-failed``: Trakt's search answer
- ``season-missing``: Trakt's seasons of the show lack the season (never published as a split cour)
- ``offset-beyond-episode-count``: a continuation cour's offset is past the season's episode count on Trakt

Anime-Lists' TMDB numbering (``tmdbtv``, ``tmdbseason``, ``tmdboffset``) is the claim, since Trakt
numbers seasons like TMDB; a TVDB season that differs from it is no disagreement (TVDB numbers later
seasons its own way). A claim with ``tmdboffset`` > 0 is a continuation cour: a split cour inside that
TMDB season from episode offset + 1.

Films filed as specials (``film-filed-as-special``, counted in the report): Anime-Lists files many
films as specials of a TVDB series (season 0) or as a season of a TMDB show that shinkro calls a movie.
Such a row that carries a TMDB movie id or an IMDb id is a movie claim (``MovieClaim.filed_as`` says
how it was filed), unless shinkro calls the MAL id something other than a movie (then ``season-0`` or
``type-conflict`` still drops it); Trakt's search with ``type=movie`` must then answer exactly one
movie, like any movie claim.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pipeline.evidence.seasons import OFFSET_BEYOND
from pipeline.published.models import SearchHit
from pipeline.sources.anime_ids import AnimeIdsRow
from pipeline.sources.anime_lists import AnimeListsRow
from pipeline.sources.joined import Joined

REVIEW_RULES = frozenset({"several-mal-ids", "type-conflict", "shared-season", "shared-movie"})
# Rules that drop a claim on Trakt's answer: a Trakt incident makes them drop what they would keep.
TRAKT_RULES = frozenset(
    {
        "search-empty",
        "search-several",
        "search-wrong-type",
        "search-failed",
        "season-missing",
        OFFSET_BEYOND,
    }
)
SHINKRO_MOVIE_TYPES = frozenset({"movie"})
SHINKRO_SHOW_TYPES = frozenset({"tv", "ona"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ShowClaim:
    """The sources agree: this MAL id is season ``season`` of the TMDB (and TVDB) show."""

    mal_id: int
    title: str
    anidb_id: int
    tmdb_id: int
    tvdb_id: int | None
    season: int
    offset: int = 0  # > 0: a continuation cour, from episode offset + 1 of the season
    absolute: bool = False  # a long runner numbered absolutely: the whole show, from season 1 episode 1

    @property
    def place(self) -> tuple[int, int, int]:
        """(TMDB show, season, offset): where its episodes are."""
        return self.tmdb_id, self.season, self.offset


@dataclass(frozen=True, slots=True, kw_only=True)
class MovieClaim:
    """The sources agree: this MAL id is the TMDB movie (or, without one, the IMDb title)."""

    mal_id: int
    title: str
    anidb_id: int
    tmdb_id: int | None
    imdb_id: str | None
    filed_as: str = ""  # how Anime-Lists files a film it keeps under a show: "a special of TVDB 73749", ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Dropped:
    mal_id: int
    kind: Literal["shows", "movies"]
    rule: str
    detail: str
    asked: tuple[str, ...] = ()  # the Trakt API paths whose answers dropped it (rules needing Trakt)

    @property
    def review(self) -> bool:
        """A case a maintainer may want to turn into an override."""
        return self.rule in REVIEW_RULES

    def as_json(self) -> dict[str, Any]:
        found = {"mal_id": self.mal_id, "kind": self.kind, "rule": self.rule, "detail": self.detail}
        return {**found, "asked": list(self.asked)} if self.asked else found


@dataclass(slots=True)
class Proposals:
    shows: dict[int, ShowClaim] = field(default_factory=dict)
    movies: dict[int, MovieClaim] = field(default_factory=dict)
    dropped: list[Dropped] = field(default_factory=list)
    already_mapped: int = 0  # MAL ids the sources know that upstream or an override maps


def _title(item: Joined) -> str:
    if item.shinkro is not None and item.shinkro.title:
        return item.shinkro.title
    return item.lists[0].name if item.lists else f"MAL {item.mal_id}"


def _is_movie(row: AnimeListsRow) -> bool:
    return row.tmdb_tv is None and (bool(row.tmdb_movies) or row.tvdb_label == "movie")


def _names_a_film(row: AnimeListsRow, ids_row: AnimeIdsRow) -> bool:
    return bool(row.tmdb_movies or row.imdb_ids or ids_row.imdb_ids)


def _filed_as_special(row: AnimeListsRow) -> str:
    """How a season-0 row files its entry ("" when it is no special)."""
    if row.tvdb_season == 0 and row.tvdb_id is not None:
        return f"a special of TVDB {row.tvdb_id}"
    if row.tmdb_season == 0 and row.tmdb_tv is not None:
        return f"a special of TMDB {row.tmdb_tv}"
    return ""


def whole_shows(joined: Mapping[int, Joined]) -> frozenset[int]:
    """The TMDB shows one AniDB entry alone names outside specials: numbered absolutely, it is the whole show."""
    entries: dict[int, set[int]] = defaultdict(set)
    for item in joined.values():
        for row in item.lists:
            if row.tmdb_tv is not None and row.tmdb_season != 0:
                entries[row.tmdb_tv].add(row.anidb_id)
    return frozenset(tmdb for tmdb, anidb_ids in entries.items() if len(anidb_ids) == 1)


def classify(item: Joined, whole: frozenset[int] = frozenset()) -> ShowClaim | MovieClaim | Dropped:
    """The claim one MAL id's sources support, or the first rule that drops it.

    ``whole``: the TMDB shows a single AniDB entry covers (``whole_shows``), where absolute numbering is a long runner.
    """
    mal_id = item.mal_id
    anidb = ", ".join(str(row.anidb_id) for row in item.ids)
    if len(item.ids) > 1:
        return Dropped(mal_id=mal_id, kind="shows", rule="several-anidb-entries", detail=f"on AniDB entries {anidb}")
    if not item.lists:
        return Dropped(mal_id=mal_id, kind="shows", rule="no-tmdb-id", detail=f"AniDB {anidb} is not in Anime-Lists")
    ids_row, row = item.ids[0], item.lists[0]
    kind: Literal["shows", "movies"] = "movies" if _is_movie(row) else "shows"
    if len(ids_row.mal_ids) > 1:
        others = ", ".join(str(other) for other in ids_row.mal_ids if other != mal_id)
        detail = f"AniDB {row.anidb_id} ({row.name}) also names MAL {others}"
        return Dropped(mal_id=mal_id, kind=kind, rule="several-mal-ids", detail=detail)
    shinkro = item.shinkro
    shinkro_type = shinkro.type if shinkro is not None else None
    if kind == "shows" and shinkro_type in SHINKRO_MOVIE_TYPES and row.tmdb_tv is not None:
        if _names_a_film(row, ids_row):  # a film Anime-Lists files under a show
            filed_as = _filed_as_special(row) or f"a season of TMDB {row.tmdb_tv}"
            return _movie(item, row, ids_row, filed_as=f"{filed_as}, shinkro says movie")
        detail = f"Anime-Lists says show, shinkro says {shinkro_type}"
        return Dropped(mal_id=mal_id, kind=kind, rule="type-conflict", detail=detail)
    if kind == "movies" and shinkro_type in SHINKRO_SHOW_TYPES:
        detail = f"Anime-Lists says movie, shinkro says {shinkro_type}"
        return Dropped(mal_id=mal_id, kind=kind, rule="type-conflict", detail=detail)
    special = _filed_as_special(row) if kind == "shows" else ""
    if special and _names_a_film(row, ids_row) and (shinkro_type is None or shinkro_type in SHINKRO_MOVIE_TYPES):
        return _movie(item, row, ids_row, filed_as=special)
    if kind == "movies":
        return _movie(item, row, ids_row)
    return _show(item, row, ids_row, whole)


def _show(item: Joined, row: AnimeListsRow, ids_row: AnimeIdsRow, whole: frozenset[int]) -> ShowClaim | Dropped:
    def drop(rule: str, detail: str) -> Dropped:
        return Dropped(mal_id=item.mal_id, kind="shows", rule=rule, detail=detail)

    if row.tmdb_tv is None:
        return drop("no-tmdb-id", f"AniDB {row.anidb_id} has no TMDB tv id")
    if row.tmdb_absolute and row.tmdb_tv not in whole:
        return drop("absolute-numbering", f"AniDB {row.anidb_id} is numbered absolutely on TMDB {row.tmdb_tv}, shared")
    if not row.tmdb_absolute and row.tmdb_season is None:
        return drop("no-season", f"AniDB {row.anidb_id} has no TMDB season")
    if row.tmdb_season == 0:
        return drop("season-0", f"AniDB {row.anidb_id} is a special (season 0)")
    shinkro = item.shinkro
    if shinkro is not None and shinkro.tvdb_id is not None and shinkro.tvdb_id != row.tvdb_id:
        return drop("shinkro-contradicts", f"shinkro says TVDB {shinkro.tvdb_id}, Anime-Lists TVDB {row.tvdb_id}")
    confirmed = ids_row.tvdb_id == row.tvdb_id or (shinkro is not None and shinkro.tvdb_id == row.tvdb_id)
    if row.tvdb_id is None or not confirmed:
        return drop(
            "unconfirmed-show",
            f"Anime-Lists TVDB {row.tvdb_id}, Anime-IDs TVDB {ids_row.tvdb_id},"
            f" shinkro {'TVDB ' + str(shinkro.tvdb_id) if shinkro else 'no entry'}",
        )
    return ShowClaim(
        mal_id=item.mal_id,
        title=_title(item),
        anidb_id=row.anidb_id,
        tmdb_id=row.tmdb_tv,
        tvdb_id=row.tvdb_id,
        season=1 if row.tmdb_absolute else (row.tmdb_season or 0),
        offset=0 if row.tmdb_absolute else row.tmdb_offset,
        absolute=row.tmdb_absolute,
    )


def _movie(item: Joined, row: AnimeListsRow, ids_row: AnimeIdsRow, filed_as: str = "") -> MovieClaim | Dropped:
    def drop(rule: str, detail: str) -> Dropped:
        return Dropped(mal_id=item.mal_id, kind="movies", rule=rule, detail=detail)

    imdb = set(row.imdb_ids) | set(ids_row.imdb_ids)
    if len(row.tmdb_movies) > 1 or len(imdb) > 1:
        return drop("ids-disagree", f"TMDB movies {list(row.tmdb_movies)}, IMDb ids {sorted(imdb)}")
    tmdb_id = row.tmdb_movies[0] if row.tmdb_movies else None
    imdb_id = next(iter(imdb)) if imdb else None
    if tmdb_id is None and imdb_id is None:
        return drop("no-tmdb-id", f"AniDB {row.anidb_id} has neither a TMDB movie id nor an IMDb id")
    return MovieClaim(
        mal_id=item.mal_id,
        title=_title(item),
        anidb_id=row.anidb_id,
        tmdb_id=tmdb_id,
        imdb_id=imdb_id,
        filed_as=filed_as,
    )


def propose(
    joined: Mapping[int, Joined],
    *,
    mapped: frozenset[int] | set[int],
    movies_taken: Mapping[int, frozenset[int]],
) -> Proposals:
    """Claims for the MAL ids not in ``mapped``, by the rules above.

    ``movies_taken`` is TMDB movie id -> the MAL ids upstream/overrides put there, as far as the
    published files tell; a movie claim landing on another MAL id's movie is dropped. A show claim on
    another MAL id's season is decided later, on the episodes, after the night's corrections (enrich).
    """
    found = Proposals()
    whole = whole_shows(joined)
    for mal_id in sorted(joined):
        if mal_id in mapped:
            found.already_mapped += 1
            continue
        claim = classify(joined[mal_id], whole)
        if isinstance(claim, Dropped):
            found.dropped.append(claim)
        elif isinstance(claim, ShowClaim):  # a season another MAL id holds is decided after the corrections
            found.shows[mal_id] = claim
        else:
            others = movies_taken.get(claim.tmdb_id, frozenset()) - {mal_id} if claim.tmdb_id else frozenset()
            if others:
                found.dropped.append(_movie_taken(claim, others))
            else:
                found.movies[mal_id] = claim
    _drop_shared(found)
    return found


def _movie_taken(claim: MovieClaim, others: Iterable[int]) -> Dropped:
    listed = ", ".join(str(other) for other in sorted(others))
    return Dropped(
        mal_id=claim.mal_id, kind="movies", rule="movie-taken", detail=f"TMDB {claim.tmdb_id} is already MAL {listed}'s"
    )


def _drop_shared(found: Proposals) -> None:
    """Two proposals on one show season (or one movie): neither is published; both go to review."""
    seasons: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for claim in found.shows.values():
        seasons[claim.place].append(claim.mal_id)
    movies: dict[object, list[int]] = defaultdict(list)
    for movie in found.movies.values():
        movies[movie.tmdb_id or movie.imdb_id].append(movie.mal_id)
    for (tmdb_id, season, offset), mal_ids in seasons.items():
        if len(mal_ids) > 1:
            for mal_id in mal_ids:
                del found.shows[mal_id]
                where = f"TMDB {tmdb_id} season {season}" + (f" from episode {offset + 1}" if offset else "")
                detail = f"{where} is claimed by MAL {', '.join(map(str, mal_ids))}"
                found.dropped.append(Dropped(mal_id=mal_id, kind="shows", rule="shared-season", detail=detail))
    for movie_id, mal_ids in movies.items():
        if len(mal_ids) > 1:
            for mal_id in mal_ids:
                del found.movies[mal_id]
                detail = f"movie {movie_id} is claimed by MAL {', '.join(map(str, mal_ids))}"
                found.dropped.append(Dropped(mal_id=mal_id, kind="movies", rule="shared-movie", detail=detail))
    found.dropped.sort(key=lambda dropped: (dropped.kind, dropped.mal_id))


# -- rules that need Trakt's answers ------------------------------------------------------------------


def check_search(hits: list[SearchHit] | None, wanted: Literal["show", "movie"]) -> tuple[int | None, str, str]:
    """(Trakt id, "", "") from a search answer with exactly one result of the wanted type, else (None, rule, detail).

    ``hits`` None means the search failed (after retries).
    """
    if hits is None:
        return None, "search-failed", "Trakt's search failed after retries"
    if not hits:
        return None, "search-empty", "Trakt's search answered []"
    if len(hits) > 1:
        return None, "search-several", f"Trakt's search answered {len(hits)} results"
    hit = hits[0]
    if hit.type != wanted:
        return (
            None,
            "search-wrong-type",
            f"Trakt's search answered a {hit.type or 'result without a type'}, not a {wanted}",
        )
    if hit.trakt_id is None:
        return None, "search-wrong-type", f"Trakt's search answered a {wanted} without its {wanted}"
    return hit.trakt_id, "", ""
