"""Typed records, and the one place that turns them into the published JSON (keys in the spec's order)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["shows", "movies"]
KINDS: tuple[Kind, ...] = ("shows", "movies")
# Where a published entry's mapping came from (its top-level "origin" key).
# "corrected": upstream's show with the season the sources and Trakt agree on (pipeline.evidence.seasons).
Origin = Literal["upstream", "override", "discovered", "corrected", "imported"]
ORIGINS: tuple[Origin, ...] = ("upstream", "override", "discovered", "corrected", "imported")

# Upstream list, output file and not-found file of each kind.
UPSTREAM_FILE: dict[Kind, str] = {"shows": "tv.json", "movies": "movies.json"}
OUTPUT_FILE: dict[Kind, str] = {"shows": "tv_ex.json", "movies": "movies_ex.json"}
NOT_FOUND_FILE: dict[Kind, str] = {"shows": "not_exist_tv_ex.json", "movies": "not_exist_movies_ex.json"}
OVERRIDE_FILE: dict[Kind, str] = {"shows": "override_tv.json", "movies": "override_movies.json"}
META_FILE = "meta.json"
SCHEMA_VERSION = 1

# Keys of ``trakt`` that every output entry repeats at its top level, after ``trakt``, where the
# predecessor's files kept them and its consumers read them. The copies are equal, except that an
# unknown year is null in ``trakt`` and 0 at the top level (the predecessor's convention: its strict
# parsers require a number there).
TOP_LEVEL_COPIES = ("release_year", "externals")
UNKNOWN_TOP_LEVEL_YEAR = 0


# How every timestamp the pipeline publishes is written (meta.json, status.json, the run summary): UTC, seconds.
STAMP = "%Y-%m-%dT%H:%M:%SZ"


def top_level_year(year: int | None) -> int:
    """The top-level copy of ``trakt.release_year``: the year, or 0 where Trakt has none."""
    return UNKNOWN_TOP_LEVEL_YEAR if year is None else year


@dataclass(frozen=True, slots=True, kw_only=True)
class Mapping:
    """One MAL entry to look up on Trakt, from an upstream list or an override."""

    mal_id: int
    mal_title: str
    trakt_id: int
    kind: Kind
    season: int | None  # shows only
    source: str  # where it came from, for messages: "tv.json[12]" or "override_tv.json[0]"
    override_title: str | None = None  # the override's trakt.title, to spot mistyped ids
    origin: Origin = "upstream"
    episode_map: tuple[MapRange, ...] | None = (
        None  # an override's ``trakt.episode_map``: it wins over the computed one
    )
    # (season, offset): where the mapping says its episodes are, an override's trakt.episodes or a discovered
    # continuation cour (a split cour, season None)
    episodes: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MapRange:
    """One range of an episode map: MAL episodes ``first`` to ``last`` (None: to the last aired) are Trakt
    season ``season`` from episode ``episode`` on (``pipeline.evidence.episode_map``)."""

    first: int
    last: int | None
    season: int
    episode: int

    def trakt(self, mal_episode: int) -> tuple[int, int] | None:
        """(season, episode) of a MAL episode inside this range, else None."""
        if mal_episode < self.first or (self.last is not None and mal_episode > self.last):
            return None
        return self.season, self.episode + mal_episode - self.first

    def mal(self, season: int, episode: int) -> int | None:
        """The MAL episode of a Trakt episode inside this range, else None."""
        if season != self.season or episode < self.episode:
            return None
        found = self.first + episode - self.episode
        return found if self.last is None or found <= self.last else None


def episode_map_json(ranges: tuple[MapRange, ...] | None) -> list[dict[str, Any]] | None:
    """``trakt.episode_map``: ``[{"mal": [first, last or null], "season": S, "episode": E}, ...]`` or null."""
    if ranges is None:
        return None
    return [{"mal": [r.first, r.last], "season": r.season, "episode": r.episode} for r in ranges]


def episodes_of(value: Any) -> tuple[int, int] | None:
    """A published (override, proposed) ``episodes`` object as (season, offset); None for null."""
    return None if value is None else (int(value["season"]), int(value["offset"]))


def episode_map_of(value: Any) -> tuple[MapRange, ...] | None:
    """The ranges of a published (or override) ``episode_map``; None for null (the shape is the schema's to check)."""
    if not isinstance(value, list) or not value:
        return None
    return tuple(
        MapRange(first=item["mal"][0], last=item["mal"][1], season=item["season"], episode=item["episode"])
        for item in value
    )


# AniDB and AniList ids in ``externals`` (both copies): the ids the mapping sources join to the MAL id, a
# list (a MAL id may be several AniDB entries), or null where the sources join none (pipeline.evidence.crossref).
ANIME_IDS = ("anidb", "anilist")


@dataclass(frozen=True, slots=True, kw_only=True)
class Show:
    trakt_id: int
    title: str
    slug: str
    year: int | None
    tvdb: int | None
    tmdb: int | None
    imdb: str | None
    tvrage: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Season:
    trakt_id: int
    number: int
    tvdb: int | None
    tmdb: int | None
    tvrage: int | None
    episode_count: int | None = None  # from ``?extended=full``; None when Trakt gave none
    aired_episodes: int | None = None
    first_aired: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Movie:
    trakt_id: int
    title: str
    slug: str
    year: int | None
    tmdb: int | None
    imdb: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Letterboxd:
    """A film's Letterboxd ids: the slug of its URL, its short link id (``lid``) and numeric id (``uid``).

    Not Trakt's: imported from the predecessor, resolved from Wikidata (the slug only) or set by an override.
    """

    slug: str | None
    lid: str | None
    uid: int | None


def letterboxd_json(ids: Letterboxd | None) -> dict[str, Any] | None:
    """``externals.letterboxd`` of a movie: the three ids, or null when none is known."""
    if ids is None or (ids.slug, ids.lid, ids.uid) == (None, None, None):
        return None
    return {"slug": ids.slug, "lid": ids.lid, "uid": ids.uid}


def letterboxd_of(value: Any) -> Letterboxd | None:
    """The ids in a published (or override) ``letterboxd`` object; None for null or an object of nulls.

    Empty strings and ids that are not positive numbers are null, as for Trakt's ids.
    """
    if not isinstance(value, dict):
        return None
    slug, lid, uid = value.get("slug"), value.get("lid"), value.get("uid")
    ids = Letterboxd(
        slug=slug if isinstance(slug, str) and slug else None,
        lid=lid if isinstance(lid, str) and lid else None,
        uid=uid if type(uid) is int and uid > 0 else None,
    )
    return None if letterboxd_json(ids) is None else ids


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchHit:
    """One result of Trakt's search by external id."""

    type: str  # "show", "movie", "episode", ...
    trakt_id: int | None  # of the show or movie the result names; None when it has none
    title: str | None


def _both_layouts(myanimelist: dict[str, Any], trakt: dict[str, Any], origin: str) -> dict[str, Any]:
    """The spec's entry, ``trakt``'s release year and external ids again at the predecessor's place, the origin."""
    return {
        "myanimelist": myanimelist,
        "trakt": trakt,
        "release_year": top_level_year(trakt["release_year"]),
        "externals": dict(trakt["externals"]),  # equal to trakt's, not the same object
        "origin": origin,
    }


def show_entry(
    mapping: Mapping,
    show: Show,
    season: Season | None,
    episodes: tuple[int, int] | None = None,
    origin: Origin | None = None,
    episode_map: tuple[MapRange, ...] | None = None,
) -> dict[str, Any]:
    """An OutputShow; ``season`` None means a split cour (MAL's season is missing on Trakt, or the
    evidence places the MAL entry inside another season). ``episodes`` is (season, offset): MAL
    episode n is episode n + offset of that Trakt season; ``origin`` replaces the mapping's;
    ``episode_map`` the ranges of MAL episodes and where each starts on Trakt."""
    return _both_layouts(
        {"title": mapping.mal_title, "id": mapping.mal_id},
        {
            "title": show.title,
            "id": show.trakt_id,
            "slug": show.slug,
            "type": "shows",
            "is_split_cour": season is None,
            "release_year": show.year,
            "season": None
            if season is None
            else {
                "id": season.trakt_id,
                "number": season.number,
                "externals": {"tvdb": season.tvdb, "tmdb": season.tmdb, "tvrage": season.tvrage},
            },
            "episodes": None if episodes is None else {"season": episodes[0], "offset": episodes[1]},
            "episode_map": episode_map_json(episode_map),
            "externals": {
                "tvdb": show.tvdb,
                "tmdb": show.tmdb,
                "imdb": show.imdb,
                "tvrage": show.tvrage,
                **dict.fromkeys(ANIME_IDS),
            },
        },
        origin or mapping.origin,
    )


def _todays_trakt(trakt: dict[str, Any]) -> dict[str, Any]:
    """A ``trakt`` block published before a key existed, with that key null: a show's ``episodes`` (after
    ``season``) and ``episode_map`` (after ``episodes``), a movie's ``externals.letterboxd``, the AniDB and
    AniList ids (at the end of ``externals``)."""
    externals = dict(trakt["externals"])
    if trakt.get("type") == "movies":
        externals.setdefault("letterboxd", None)
    for key in ANIME_IDS:
        externals.setdefault(key, None)
    rebuilt: dict[str, Any] = {}
    for key, value in trakt.items():
        rebuilt[key] = externals if key == "externals" else value
        if trakt.get("type") != "shows":
            continue
        if key == "season" and "episodes" not in trakt:
            rebuilt["episodes"] = None
        if key in ("season", "episodes") and "episode_map" not in trakt and "episodes" in rebuilt:
            rebuilt.setdefault("episode_map", None)
    return rebuilt


def with_episode_map(entry: dict[str, Any], ranges: tuple[MapRange, ...] | None) -> dict[str, Any]:
    """A published show entry with ``trakt.episode_map`` set to ``ranges``."""
    return {**entry, "trakt": {**entry["trakt"], "episode_map": episode_map_json(ranges)}}


def with_anime_ids(entry: dict[str, Any], ids: dict[str, list[int] | None]) -> dict[str, Any]:
    """A published entry with its AniDB and AniList ids (``ANIME_IDS``) set in both copies of ``externals``."""
    return _with_externals(entry, ids)


def movie_entry(mapping: Mapping, movie: Movie, letterboxd: Letterboxd | None = None) -> dict[str, Any]:
    """An OutputMovie; ``letterboxd`` is not Trakt's (see ``pipeline.letterboxd``)."""
    return _both_layouts(
        {"title": mapping.mal_title, "id": mapping.mal_id},
        {
            "title": movie.title,
            "id": movie.trakt_id,
            "slug": movie.slug,
            "type": "movies",
            "release_year": movie.year,
            "externals": {
                "tmdb": movie.tmdb,
                "imdb": movie.imdb,
                "letterboxd": letterboxd_json(letterboxd),
                **dict.fromkeys(ANIME_IDS),
            },
        },
        mapping.origin,
    )


def with_letterboxd(entry: dict[str, Any], ids: Letterboxd | None) -> dict[str, Any]:
    """A published movie entry with ``externals.letterboxd`` set to ``ids`` in both copies."""
    return _with_externals(entry, {"letterboxd": letterboxd_json(ids)})


def _with_externals(entry: dict[str, Any], changed: dict[str, Any]) -> dict[str, Any]:
    """A published entry with these keys of ``externals`` changed, in both copies (``republished``)."""
    externals = {**entry["trakt"]["externals"], **changed}
    return republished({**entry, "trakt": {**entry["trakt"], "externals": externals}}, entry["origin"])


def republished(entry: dict[str, Any], origin: Origin) -> dict[str, Any]:
    """A previously published output entry in today's layout (its top-level copies made from ``trakt``).

    For entries kept as they were (a failed refresh), which may predate the top-level copies or the
    origin: an entry without one gets ``origin``, its mapping's; one that has one keeps it. A movie
    published before the Letterboxd ids gets ``externals.letterboxd`` null.
    """
    rebuilt = _both_layouts(entry["myanimelist"], _todays_trakt(entry["trakt"]), str(entry.get("origin", origin)))
    return {**rebuilt, **{key: value for key, value in entry.items() if key not in rebuilt}}


PUBLISHED_BEFORE = "published before"  # the source of a mapping looked up again as it was published


def published_mapping(kind: Kind, entry: dict[str, Any]) -> Mapping:
    """The mapping a published output entry stands for, with its origin, to look it up again as it is."""
    trakt = entry["trakt"]
    season, episodes = trakt.get("season"), trakt.get("episodes")
    split = entry.get("origin") == "discovered" and not isinstance(season, dict) and isinstance(episodes, dict)
    return Mapping(
        mal_id=int(entry["myanimelist"]["id"]),
        mal_title=str(entry["myanimelist"]["title"]),
        trakt_id=int(trakt["id"]),
        kind=kind,
        season=int(season["number"]) if kind == "shows" and isinstance(season, dict) else None,
        source=PUBLISHED_BEFORE,
        origin=entry.get("origin", "upstream"),
        episodes=episodes_of(episodes) if split else None,
    )


def count_origins(entries: list[dict[str, Any]]) -> dict[str, int]:
    """Entries of an output file by ``origin``, every origin named (an entry without one counts as upstream)."""
    found: dict[str, int] = dict.fromkeys(ORIGINS, 0)
    for entry in entries:
        origin = entry.get("origin", "upstream")
        found[origin] = found.get(origin, 0) + 1
    return found


def not_found_entry(mapping: Mapping) -> dict[str, Any]:
    return {"mal_id": mapping.mal_id, "title": mapping.mal_title}


def entry_mal_id(entry: dict[str, Any]) -> int:
    """The MAL id of a published entry, output or not-found."""
    if "myanimelist" in entry:
        return int(entry["myanimelist"]["id"])
    return int(entry["mal_id"])
