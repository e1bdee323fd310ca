"""The fake Trakt's world: what it knows and answers, apart from the HTTP server (``fake_trakt``) over it.

Pure data, no sockets. The public dicts ``shows``, ``seasons`` and ``movies`` hold Trakt's answers by
Trakt id; an id in ``not_found_shows`` / ``not_found_movies`` (or unknown) has none. Like Trakt, a
season list carries ``episode_count``, ``aired_episodes``, ``first_aired`` (and the other
``FULL_SEASON_FIELDS``) only when asked with ``?extended=full``: a season stored without them gets
stable synthesized ones (see ``full_season``). ``search[(id_kind, id)]`` holds Trakt's search results by
external id (``[]`` for an id it does not know); a key in ``search_ignores_type`` answers every result
whatever the type asked (as Trakt did during incidents). ``letterboxd_by_tmdb`` / ``letterboxd_by_imdb``
are what the Wikidata stand-in knows (film id -> Letterboxd slugs), and ``static`` the files served as is
(path -> status, body, content type).

The world starts from the recorded sample (``World.from_sample``, pipeline/demo/data/trakt-sample.json)
and grows deterministic answers for whatever upstream or the mapping sources name (``synthesize``,
``synthesize_search``): stable functions of the ids, never random.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Self

from pipeline.sources import catalog
from pipeline.sources.anime_lists import AnimeListsRow

FIXTURES = Path(__file__).resolve().parent / "data"
SAMPLE = FIXTURES / "trakt-sample.json"
UPSTREAM_TV = FIXTURES / "upstream" / "tv.json"
UPSTREAM_MOVIES = FIXTURES / "upstream" / "movies.json"
# Real Letterboxd slugs (the predecessor's, by TMDB id) of the 10 films of the recorded Trakt sample
LETTERBOXD_SAMPLE = FIXTURES / "wikidata-letterboxd.json"
SOURCES = FIXTURES / "sources"  # subsets of the three mapping sources (tests/fixture_writers/subset_sources.py)
# Variable -> mapping source file in demo/data/sources/, served as /sources/<file> (serve_sources).
SOURCE_FILES = {source.variable: source.file for source in catalog.SOURCES}
SOURCE_TYPE = "text/plain; charset=utf-8"  # as raw.githubusercontent.com serves each of them


# The synthesis rules: stable functions of the Trakt id, never random.
NOT_FOUND_EVERY = 53  # ~2% of shows and movies answer 404
SPLIT_COUR_EVERY = 33  # ~3% of shows lack the highest season upstream asks for
NO_YEAR_EVERY = 101  # year is null
# Search answers synthesized for the mapping sources (see World.synthesize_search).
SEARCH_SHOW_BASE, SEARCH_MOVIE_BASE, SEARCH_IMDB_BASE = 10_000_000, 20_000_000, 30_000_000
SEARCH_EMPTY_EVERY = 13
SEARCH_SEVERAL_EVERY = 17
SEARCH_WRONG_TYPE_EVERY = 19
SEASON_GAP_EVERY = 11
# What Trakt adds to a season at ``?extended=full`` (its default level gives ``number`` and ``ids`` only).
FULL_SEASON_FIELDS = (
    "rating",
    "votes",
    "episode_count",
    "aired_episodes",
    "title",
    "overview",
    "first_aired",
    "updated_at",
    "network",
)
SYNTHETIC_EPISODE_COUNTS = (12, 13, 24, 25, 11, 26)  # by season trakt id: cours and double cours


class World:
    """What the fake Trakt knows; edit the public dicts and sets freely between requests."""

    def __init__(
        self,
        *,
        shows: Mapping[int, dict[str, Any]] | None = None,
        seasons: Mapping[int, list[dict[str, Any]]] | None = None,
        movies: Mapping[int, dict[str, Any]] | None = None,
        not_found_shows: Iterable[int] = (),
        not_found_movies: Iterable[int] = (),
    ) -> None:
        self.shows: dict[int, dict[str, Any]] = dict(shows or {})
        self.seasons: dict[int, list[dict[str, Any]]] = dict(seasons or {})
        self.movies: dict[int, dict[str, Any]] = dict(movies or {})
        self.not_found_shows: set[int] = set(not_found_shows)
        self.not_found_movies: set[int] = set(not_found_movies)
        self.static: dict[str, tuple[int, bytes, str]] = {}
        self.search: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.search_ignores_type: set[tuple[str, str]] = set()
        self.letterboxd_by_tmdb: dict[int, list[str]] = {}
        self.letterboxd_by_imdb: dict[str, list[str]] = {}

    # -- what it knows: the sample, and answers synthesized for upstream ---------------------------

    @classmethod
    def from_sample(cls, path: str | Path = SAMPLE, **options: Any) -> Self:
        """A world (or fake) knowing the recorded Trakt answers in ``path`` (pipeline/demo/data/trakt-sample.json)."""
        sample = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(
            shows={int(key): value for key, value in sample["shows"].items()},
            seasons={int(key): value for key, value in sample["seasons"].items()},
            movies={int(key): value for key, value in sample["movies"].items()},
            not_found_shows=sample["not_found"]["shows"],
            not_found_movies=sample["not_found"]["movies"],
            **options,
        )

    def synthesize(self, tv_entries: Iterable[Mapping[str, Any]], movie_entries: Iterable[Mapping[str, Any]]) -> Self:
        """Add deterministic answers for every upstream trakt_id not known yet (see ``synthetic_*``)."""
        highest_season: dict[int, int] = {}
        for entry in tv_entries:
            trakt_id = _number(entry.get("trakt_id"))
            if trakt_id:
                number = _number(entry.get("season"), missing=1)  # 0 is specials
                highest_season[trakt_id] = max(highest_season.get(trakt_id, 0), number)
        for trakt_id, highest in sorted(highest_season.items()):
            self._synthesize_show(trakt_id, highest)
        for trakt_id in sorted({_number(entry.get("trakt_id")) for entry in movie_entries} - {0}):
            if trakt_id in self.movies or trakt_id in self.not_found_movies:
                continue
            if is_synthetic_not_found(trakt_id):
                self.not_found_movies.add(trakt_id)
            else:
                self.movies[trakt_id] = synthetic_movie(trakt_id)
        return self

    def _synthesize_show(self, trakt_id: int, highest_season: int) -> None:
        if trakt_id in self.not_found_shows:
            return
        if trakt_id not in self.shows:
            if is_synthetic_not_found(trakt_id):
                self.not_found_shows.add(trakt_id)
                return
            self.shows[trakt_id] = synthetic_show(trakt_id)
        if trakt_id not in self.seasons:
            self.seasons[trakt_id] = synthetic_seasons(trakt_id, highest_season)

    # -- what it answers ---------------------------------------------------------------------------

    def show(self, trakt_id: int) -> dict[str, Any] | None:
        return None if trakt_id in self.not_found_shows else self.shows.get(trakt_id)

    def season_list(self, trakt_id: int, *, full: bool) -> list[dict[str, Any]] | None:
        """The show's seasons, at ``?extended=full`` or at Trakt's default level."""
        listed = None if trakt_id in self.not_found_shows else self.seasons.get(trakt_id)
        if listed is None:
            return None
        return [full_season(season) if full else _default_level(season) for season in listed]

    def movie(self, trakt_id: int) -> dict[str, Any] | None:
        return None if trakt_id in self.not_found_movies else self.movies.get(trakt_id)

    def search_results(self, id_kind: str, external_id: str, wanted: set[str]) -> list[dict[str, Any]]:
        """The search results for the id, of the types ``wanted`` (every type when empty)."""
        results = self.search.get((id_kind, external_id), [])
        if not wanted or (id_kind, external_id) in self.search_ignores_type:
            return results
        return [result for result in results if result.get("type") in wanted]

    def letterboxd_rows(self, sparql: str) -> list[dict[str, Any]]:
        """Wikidata's result rows for the Letterboxd query ``sparql``: one per film id of its VALUES it knows."""
        rows: list[dict[str, Any]] = []
        for kind, known in (("tmdb", self.letterboxd_by_tmdb), ("imdb", self.letterboxd_by_imdb)):
            clause = re.search(rf"VALUES \?{kind} \{{([^}}]*)\}}", sparql)
            for value in re.findall(r'"([^"]+)"', clause[1] if clause else ""):
                key: Any = int(value) if kind == "tmdb" and value.isdigit() else value
                for slug in known.get(key, []):
                    literal = {"type": "literal", "value": value}
                    rows.append({"slug": {"type": "literal", "value": slug}, kind: literal})
        return rows

    # -- what it learns from files -------------------------------------------------------------------

    def serve_letterboxd(self, path: Path = LETTERBOXD_SAMPLE) -> Self:
        """Let the Wikidata stand-in know the slugs of ``path`` (``[{"tmdb": N, "slug": "..."}]``)."""
        for row in json.loads(path.read_text(encoding="utf-8")):
            self.letterboxd_by_tmdb.setdefault(int(row["tmdb"]), []).append(str(row["slug"]))
        return self

    def serve_sources(self, folder: Path = SOURCES) -> Self:
        """Serve the mapping-source files in ``folder`` at ``/sources/<file name>``."""
        for path in sorted(folder.iterdir()):
            if path.name in SOURCE_FILES.values():
                self.static[f"/sources/{path.name}"] = (200, path.read_bytes(), SOURCE_TYPE)
        return self

    def synthesize_search(self, rows: Iterable[AnimeListsRow]) -> Self:
        """Search answers, shows, seasons and movies for the TMDB/TVDB/IMDb ids of Anime-Lists rows.

        A TMDB tv id X is the show ``SEARCH_SHOW_BASE + X`` with seasons 0 to the highest season the rows
        give it; a TMDB movie id Y the movie ``SEARCH_MOVIE_BASE + Y``; an IMDb id ttZ (of a row without
        a TMDB id) the movie ``SEARCH_IMDB_BASE + Z``. Movie ids on a special (season 0) of a show are
        movies too, but every ``SEARCH_EMPTY_EVERY``-th such IMDb id (by Z) is an episode's, which a
        search with ``type=movie`` answers ``[]``. Stable variety, by the TMDB id: every
        ``SEARCH_EMPTY_EVERY``-th TMDB search answers ``[]`` (its TVDB search still finds the show), every
        ``SEARCH_SEVERAL_EVERY``-th answers two shows, every ``SEARCH_WRONG_TYPE_EVERY``-th answers a
        movie whatever the type asked, and every ``SEASON_GAP_EVERY``-th show lacks its highest season.
        """
        highest: dict[int, int] = {}
        tvdb_of: dict[int, int] = {}
        names: dict[int, str] = {}
        for row in rows:
            if row.tmdb_tv is not None:
                highest[row.tmdb_tv] = max(highest.get(row.tmdb_tv, 0), row.tmdb_season or 0)
                names.setdefault(row.tmdb_tv, row.name)
                if row.tvdb_id is not None:
                    tvdb_of.setdefault(row.tmdb_tv, row.tvdb_id)
            special = 0 in (row.tvdb_season, row.tmdb_season)  # maybe a film filed as a special
            if row.tmdb_tv is not None and not special:
                continue
            if len(row.tmdb_movies) == 1:
                tmdb = row.tmdb_movies[0]
                self._search_movie(("tmdb", str(tmdb)), SEARCH_MOVIE_BASE + tmdb, row.name, tmdb, None)
            elif len(row.imdb_ids) == 1 and row.imdb_ids[0][2:].isdigit():
                imdb, number = row.imdb_ids[0], int(row.imdb_ids[0][2:])
                if special and number % SEARCH_EMPTY_EVERY == 0:  # an episode's IMDb id: no movie has it
                    self.search.setdefault(("imdb", imdb), [])
                    continue
                self._search_movie(("imdb", imdb), SEARCH_IMDB_BASE + number, row.name, None, imdb)
        for tmdb, top in sorted(highest.items()):
            self._search_show(tmdb, tvdb_of.get(tmdb), names[tmdb], top)
        return self

    def _search_show(self, tmdb: int, tvdb: int | None, name: str, top: int) -> None:
        trakt_id = SEARCH_SHOW_BASE + tmdb
        ids = {"trakt": trakt_id, "slug": f"show-{trakt_id}", "tvdb": tvdb, "imdb": None, "tmdb": tmdb, "tvrage": None}
        show = {"title": name, "year": _year(tmdb, 1990, 36), "ids": ids}
        self.shows.setdefault(trakt_id, show)
        last = top - 1 if top > 1 and tmdb % SEASON_GAP_EVERY == 0 else top
        self.seasons.setdefault(trakt_id, synthetic_seasons(trakt_id, last))
        found = [{"type": "show", "score": 1000, "show": show}]
        if tvdb is not None:
            self.search.setdefault(("tvdb", str(tvdb)), found)
        key = ("tmdb", str(tmdb))
        if tmdb % SEARCH_EMPTY_EVERY == 0:
            self.search.setdefault(key, [])
        elif tmdb % SEARCH_SEVERAL_EVERY == 0:
            twin = {**show, "ids": {**ids, "trakt": trakt_id + 1, "slug": f"show-{trakt_id + 1}"}}
            self.search.setdefault(key, [*found, {"type": "show", "score": 1000, "show": twin}])
        elif tmdb % SEARCH_WRONG_TYPE_EVERY == 0:
            movie = {"title": name, "year": show["year"], "ids": {"trakt": SEARCH_MOVIE_BASE + tmdb, "tmdb": tmdb}}
            self.search.setdefault(key, [{"type": "movie", "score": 1000, "movie": movie}])
            self.search_ignores_type.add(key)
        else:
            self.search.setdefault(key, found)

    def _search_movie(self, key: tuple[str, str], trakt_id: int, name: str, tmdb: int | None, imdb: str | None) -> None:
        ids = {"trakt": trakt_id, "slug": f"movie-{trakt_id}", "imdb": imdb, "tmdb": tmdb}
        movie = {"title": name, "year": _year(trakt_id, 1970, 56), "ids": ids}
        self.movies.setdefault(trakt_id, movie)
        self.search.setdefault(key, [{"type": "movie", "score": 1000, "movie": movie}])


# -- synthesized answers ---------------------------------------------------------------------------


def is_synthetic_not_found(trakt_id: int) -> bool:
    return trakt_id % NOT_FOUND_EVERY == 0


def is_synthetic_split_cour(trakt_id: int) -> bool:
    return trakt_id % SPLIT_COUR_EVERY == 0


def synthetic_show(trakt_id: int) -> dict[str, Any]:
    return {
        "title": f"Show {trakt_id}",
        "year": _year(trakt_id, 1990, 35),
        "ids": {
            "trakt": trakt_id,
            "slug": f"show-{trakt_id}",
            "tvdb": _maybe_id(trakt_id, 100_000 + trakt_id, none_every=47, zero_every=43),
            "imdb": _imdb(trakt_id),
            "tmdb": _maybe_id(trakt_id, 20_000 + trakt_id, none_every=41, zero_every=37),
            "tvrage": None,
        },
    }


def synthetic_seasons(trakt_id: int, highest_asked: int) -> list[dict[str, Any]]:
    """Seasons 0..highest_asked, or 0..highest_asked-1 for a split cour; season trakt id = id*100+n."""
    last = highest_asked - 1 if highest_asked >= 1 and is_synthetic_split_cour(trakt_id) else highest_asked
    seasons = []
    for number in range(last + 1):
        season_id = trakt_id * 100 + number
        specials = number == 0
        seasons.append(
            {
                "number": number,
                "ids": {
                    "trakt": season_id,
                    "tvdb": None if specials or season_id % 17 == 0 else 3_000_000 + season_id,
                    "tmdb": None if specials else 600_000 + season_id,
                    "tvrage": None,
                },
            }
        )
    return seasons


def _default_level(season: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in season.items() if key not in FULL_SEASON_FIELDS}


def full_season(season: dict[str, Any]) -> dict[str, Any]:
    """A season as ``?extended=full`` gives it: the stored fields, else stable ones from its trakt id.

    Specials and every fifth season have fewer aired episodes than listed (a season still airing);
    ``first_aired`` is null where nothing aired, as on Trakt.
    """
    season_id = int(season["ids"]["trakt"])
    count = season.get("episode_count", SYNTHETIC_EPISODE_COUNTS[season_id % len(SYNTHETIC_EPISODE_COUNTS)])
    aired = max(0, count - 2) if season_id % 5 == 0 else count
    year = 1995 + season_id % 30
    synthesized = {
        "rating": 7.5,
        "votes": season_id % 1000,
        "episode_count": count,
        "aired_episodes": aired,
        "title": f"Season {season['number']}",
        "overview": None,
        "first_aired": f"{year}-04-0{1 + season_id % 9}T15:00:00.000Z" if aired else None,
        "updated_at": "2026-05-01T00:00:00.000Z",
        "network": None,
    }
    return {**season, **{key: season.get(key, value) for key, value in synthesized.items()}}


def synthetic_movie(trakt_id: int) -> dict[str, Any]:
    return {
        "title": f"Movie {trakt_id}",
        "year": _year(trakt_id, 1970, 55),
        "ids": {
            "trakt": trakt_id,
            "slug": f"movie-{trakt_id}",
            "imdb": _imdb(trakt_id),
            "tmdb": _maybe_id(trakt_id, 40_000 + trakt_id, none_every=41, zero_every=37),
        },
    }


def _year(trakt_id: int, first: int, span: int) -> int | None:
    return None if trakt_id % NO_YEAR_EVERY == 0 else first + trakt_id % span


def _imdb(trakt_id: int) -> str | None:
    if trakt_id % 31 == 0:
        return None
    if trakt_id % 29 == 0:
        return ""
    return f"tt{trakt_id:07d}"


def _maybe_id(trakt_id: int, value: int, *, none_every: int, zero_every: int) -> int | None:
    if trakt_id % none_every == 0:
        return None
    if trakt_id % zero_every == 0:
        return 0  # Trakt sometimes sends 0 for a missing id
    return value


def _number(value: object, missing: int = 0) -> int:
    """An upstream id or season number, or ``missing`` when it is absent or not a number >= 0."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return missing
