"""The predecessor's real consumers, written down as rules: which entries each parser keeps, which ids it reads.

Each rule is transcribed from the consumer's code, cited below by repository, commit and file. Used by
tests/test_consumers.py and tests/measurements/consumer_figures.py. "Number" is JavaScript's ``typeof x === "number"``
(zod's ``z.number()``): an int or a float, never a bool; "truthy" is JavaScript's (``0``, ``""`` and
``null`` are not).

- **nattadasu/animeApi v3**, daily, raw URLs ``main/json/output/{tv,movies}_ex.json``
  (``generator/fetcher.py`` ``get_anitrakt``; ``generator/combiner.py`` ``combine_anitrakt``, the copy
  stored as index id 65756755334, the v3 branch of 2026). Matches by ``myanimelist.id``; reads
  ``trakt.{id,slug,type}``, ``trakt.is_split_cour``, ``trakt.season.{number,id,externals.tvdb,tmdb}``
  (unless a split cour), the *top-level* ``externals.{tvdb,tmdb,imdb}`` and, for movies,
  ``externals.letterboxd.{slug,lid,uid}``, each with ``dict.get``: a ``None`` where it expects a dict
  (``myanimelist``, ``trakt``, ``externals``, a season, a truthy ``letterboxd``) raises and stops the
  whole generator. AIOStreams and aiometadata read its output.
- **Viren070/AIOStreams**, the ``latest`` release assets. Three parsers have shipped:
  - *zod* (nightlies 2025-09-13 to 2025-09-18, after v2.12.2; ``packages/core/src/utils/anime-database.ts``
    at 70b99378, ``ExtendedAnitrakt{Movie,Tv}EntrySchema``): ``z.object`` schemas, an entry failing
    them is dropped. Both kinds require a numeric top-level ``release_year`` and a top-level
    ``externals`` object; movies require the key ``externals.letterboxd``: ``{slug: string|null,
    lid: string|null, uid: number|null}`` or ``null``; shows require ``trakt.is_split_cour`` boolean
    and ``trakt.season`` null or ``{id, number, externals: {tvdb: number|null, tmdb: number|null}}``.
  - *earlier* (v2.13.0 at 30b3e358 to v2.30.3, same file, ``validateExtendedAnitrakt*Entry``): truthy
    titles, numeric ``myanimelist.id``/``trakt.id``, string slug, the type, a split-cour boolean for
    shows, and a numeric top-level ``release_year``; reads the top-level ``externals`` that are not
    null (``tvdb`` for shows only) and keeps ``trakt.season`` whole.
  - *current* (v2.30.4 on, v2.33.2 at f36d0f93, main at 861ee6b3,
    ``packages/core/src/anime-database/sources/anitrakt-{movies,tv}.ts``): numeric ids, the type,
    string slug and title, a split-cour boolean for shows; reads the top-level ``externals``
    (``tvdb``/``tmdb`` when numbers, ``imdb`` when a non-empty string) and the season's
    ``externals.{tvdb,tmdb}`` when numbers.
- **cedya77/aiometadata** (cebae83, ``addon/lib/id-mapper.js`` ``processAndIndexTraktAnimeMovies``;
  ``addon/index.js``, ``addon/lib/getMeta.js``, ``addon/lib/getSearch.ts``), the release asset
  ``movies_ex.json`` only: indexes by truthy ``myanimelist.id``, top-level ``externals.tmdb`` and
  ``externals.imdb``; reads ``getTraktAnimeMovieByMalId(id)?.externals.imdb``, which throws a
  TypeError when the top-level ``externals`` is missing or null.
- **DSmart33/Usenet-Ultimate** (499efbd, ``src/anime/animeDatabase.ts``, ``src/anime/animeIdResolver.ts``),
  raw URLs, daily: indexes by truthy ``myanimelist.id``; reads ``myanimelist.title``, the top-level
  ``externals.{imdb,tmdb}`` (and ``tvdb`` for shows) when truthy, ``movie.externals.imdb`` without a
  guard (throws when ``externals`` is missing), ``trakt.season.number`` for shows, and the top-level
  ``release_year`` when truthy (else it asks another database for the year).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

Ids = dict[str, Any]  # id name ("tvdb", "season.tmdb", "letterboxd.slug", "year", ...) -> the value read
LETTERBOXD = ("letterboxd.slug", "letterboxd.lid", "letterboxd.uid")


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _season(entry: dict[str, Any]) -> dict[str, Any]:
    return _dict(_dict(entry.get("trakt")).get("season"))


def _season_ids(entry: dict[str, Any]) -> Ids:
    season_externals = _dict(_season(entry).get("externals"))
    return {f"season.{key}": season_externals[key] for key in ("tvdb", "tmdb") if is_number(season_externals.get(key))}


def _letterboxd(externals: dict[str, Any]) -> Ids:
    ids = _dict(externals.get("letterboxd"))
    return {f"letterboxd.{key}": ids[key] for key in ("slug", "lid", "uid") if ids.get(key) is not None}


# -- what an entry carries ------------------------------------------------------------------------------


def ids_present(entry: dict[str, Any], kind: str) -> Ids:
    """Every id the entry carries, read where the spec puts it (inside ``trakt``): ``tvdb`` (shows) and
    ``tmdb`` when numbers, ``imdb`` when a non-empty string, the season's ``tvdb``/``tmdb`` and number,
    the Letterboxd ids (movies), and ``year`` when Trakt has one.

    A file without ``trakt.externals`` (the predecessor's) carries them at the top level only.
    """
    trakt = _dict(entry.get("trakt"))
    externals = _dict(trakt["externals"] if "externals" in trakt else entry.get("externals"))
    ids = _numbers_and_imdb(externals, entry, kind)
    year = trakt["release_year"] if "release_year" in trakt else entry.get("release_year")
    if is_number(year) and year:
        ids["year"] = year
    if kind == "shows" and is_number(_season(entry).get("number")):
        ids["season.number"] = _season(entry)["number"]
    return {**ids, **_letterboxd(externals)} if kind == "movies" else ids


def _numbers_and_imdb(externals: dict[str, Any], entry: dict[str, Any], kind: str) -> Ids:
    """``tvdb`` (shows only) and ``tmdb`` when numbers, ``imdb`` when a non-empty string, then the season's ids."""
    names = ("tvdb", "tmdb") if kind == "shows" else ("tmdb",)
    ids = {key: externals[key] for key in names if is_number(externals.get(key))}
    if isinstance(externals.get("imdb"), str) and externals["imdb"]:
        ids["imdb"] = externals["imdb"]
    return {**ids, **_season_ids(entry)} if kind == "shows" else ids


# -- AIOStreams --------------------------------------------------------------------------------------------


def current_accepts(entry: object, kind: str) -> bool:
    """AIOStreams' current parser: numeric ids, the right type, string slug and title, a split-cour boolean."""
    if not isinstance(entry, dict):
        return False
    myanimelist, trakt = _dict(entry.get("myanimelist")), _dict(entry.get("trakt"))
    return (
        is_number(myanimelist.get("id"))
        and is_number(trakt.get("id"))
        and trakt.get("type") == kind
        and isinstance(trakt.get("slug"), str)
        and isinstance(trakt.get("title"), str)
        and (kind != "shows" or isinstance(trakt.get("is_split_cour"), bool))
    )


def current_ids(entry: dict[str, Any], kind: str) -> Ids:
    """The ids the current parser reads: top-level ``externals``, and the season's for shows."""
    return _numbers_and_imdb(_dict(entry.get("externals")), entry, kind)


def earlier_accepts(entry: object, kind: str) -> bool:
    """AIOStreams v2.13-v2.30.3: as the current one, with truthy titles and a numeric top-level release_year."""
    if not isinstance(entry, dict) or not current_accepts(entry, kind):
        return False
    myanimelist, trakt = _dict(entry.get("myanimelist")), _dict(entry.get("trakt"))
    return bool(myanimelist.get("title")) and bool(trakt.get("title")) and is_number(entry.get("release_year"))


def earlier_ids(entry: dict[str, Any], kind: str) -> Ids:
    """The ids the earlier parser reads: top-level ``externals`` that are not null, and the season's."""
    externals = _dict(entry.get("externals"))
    names = ("tvdb", "tmdb", "imdb") if kind == "shows" else ("tmdb", "imdb")
    ids = {key: externals[key] for key in names if externals.get(key) is not None}
    return {**ids, **_season_ids(entry)} if kind == "shows" else ids


def _nullable(value: object, check: Callable[[object], bool]) -> bool:
    return value is None or check(value)


def _optional_nullable(holder: dict[str, Any], key: str, check: Callable[[object], bool]) -> bool:
    return key not in holder or _nullable(holder[key], check)


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def zod_accepts(entry: object, kind: str) -> bool:
    """AIOStreams' zod schemas (2025-09-13 to 09-18): ``ExtendedAnitrakt{Movie,Tv}EntrySchema.safeParse``."""
    if not isinstance(entry, dict):
        return False
    myanimelist, trakt, externals = entry.get("myanimelist"), entry.get("trakt"), entry.get("externals")
    if not (isinstance(myanimelist, dict) and isinstance(trakt, dict) and isinstance(externals, dict)):
        return False
    base = (
        _is_str(myanimelist.get("title"))
        and is_number(myanimelist.get("id"))
        and _is_str(trakt.get("title"))
        and is_number(trakt.get("id"))
        and _is_str(trakt.get("slug"))
        and trakt.get("type") == kind
        and is_number(entry.get("release_year"))
        and _optional_nullable(externals, "tmdb", is_number)
        and _optional_nullable(externals, "imdb", _is_str)
    )
    if kind == "movies":
        return base and "letterboxd" in externals and _nullable(externals["letterboxd"], _zod_letterboxd)
    return (
        base
        and isinstance(trakt.get("is_split_cour"), bool)
        and "season" in trakt
        and _nullable(trakt["season"], _zod_season)
        and _optional_nullable(externals, "tvdb", is_number)
    )


def _zod_letterboxd(value: object) -> bool:
    """``z.object({slug: z.string().nullable(), lid: z.string().nullable(), uid: z.number().nullable()})``."""
    if not isinstance(value, dict) or not all(key in value for key in ("slug", "lid", "uid")):
        return False
    return _nullable(value["slug"], _is_str) and _nullable(value["lid"], _is_str) and _nullable(value["uid"], is_number)


def _zod_season(value: object) -> bool:
    if not isinstance(value, dict) or not is_number(value.get("id")) or not is_number(value.get("number")):
        return False
    externals = value.get("externals")
    return (
        isinstance(externals, dict)
        and all(key in externals and _nullable(externals[key], is_number) for key in ("tvdb", "tmdb"))
        and _optional_nullable(externals, "imdb", _is_str)
    )


def zod_ids(entry: dict[str, Any], kind: str) -> Ids:
    """What the zod schemas pass on: the top-level ``externals`` not null (Letterboxd's too), the season's."""
    externals = _dict(entry.get("externals"))
    ids = earlier_ids(entry, kind)
    return {**ids, **_letterboxd(externals)} if kind == "movies" else ids


# -- animeApi, aiometadata, Usenet-Ultimate ------------------------------------------------------------------


def animeapi_accepts(entry: object, kind: str) -> bool:
    """animeApi's ``combine_anitrakt`` reads the entry without raising (one raise stops the whole generator)."""
    if not isinstance(entry, dict):
        return False
    if not isinstance(entry.get("myanimelist", {}), dict) or not isinstance(entry.get("trakt", {}), dict):
        return False
    trakt, externals = entry.get("trakt", {}), entry.get("externals", {})
    if not isinstance(externals, dict):
        return False  # show_externals.get / movie_externals.get on None
    if kind == "shows":
        season = trakt.get("season")
        split = trakt.get("is_split_cour", False)
        readable = isinstance(season, dict) and isinstance(season.get("externals", {}), dict)
        return season is None or bool(split) or readable
    letterboxd = externals.get("letterboxd", {})
    return not letterboxd or isinstance(letterboxd, dict)


def animeapi_ids(entry: dict[str, Any], kind: str) -> Ids:
    """What animeApi copies into its rows (``thetvdb``, ``themoviedb``, ``imdb``, the season, ``letterboxd_*``):
    every value that is not None; the season only when not a split cour."""
    externals = _dict(entry.get("externals"))
    names = ("tvdb", "tmdb", "imdb") if kind == "shows" else ("tmdb", "imdb")
    ids = {key: externals[key] for key in names if externals.get(key) is not None}
    if kind == "movies":
        return {**ids, **_letterboxd(externals)}
    trakt = _dict(entry.get("trakt"))
    if trakt.get("is_split_cour", False):
        return ids
    season = _season(entry)
    season_externals = _dict(season.get("externals"))
    found = {
        f"season.{key}": season_externals[key] for key in ("tvdb", "tmdb") if season_externals.get(key) is not None
    }
    if season.get("number") is not None:
        found["season.number"] = season["number"]
    return {**ids, **found}


def aiometadata_accepts(entry: object, kind: str) -> bool:
    """aiometadata indexes the movie by its MAL id and reads ``?.externals.imdb``: a top-level externals object."""
    return (
        isinstance(entry, dict)
        and bool(_dict(entry.get("myanimelist")).get("id"))
        and isinstance(entry.get("externals"), dict)
    )


def aiometadata_ids(entry: dict[str, Any], kind: str) -> Ids:
    """Its indexes and lookups: the top-level ``externals.tmdb`` and ``externals.imdb`` when truthy."""
    externals = _dict(entry.get("externals"))
    return {key: externals[key] for key in ("tmdb", "imdb") if externals.get(key)}


def usenet_accepts(entry: object, kind: str) -> bool:
    """Usenet-Ultimate indexes by a truthy MAL id and reads ``entry.externals.imdb`` unguarded."""
    return (
        isinstance(entry, dict)
        and bool(_dict(entry.get("myanimelist")).get("id"))
        and isinstance(entry.get("externals"), dict)
    )


def usenet_ids(entry: dict[str, Any], kind: str) -> Ids:
    """``externals.{imdb,tmdb}`` (and ``tvdb``) when truthy, ``trakt.season.number``, a truthy ``release_year``."""
    externals = _dict(entry.get("externals"))
    names = ("tvdb", "tmdb", "imdb") if kind == "shows" else ("tmdb", "imdb")
    ids = {key: externals[key] for key in names if externals.get(key)}
    if entry.get("release_year"):
        ids["year"] = entry["release_year"]
    number = _season(entry).get("number")
    if kind == "shows" and number is not None:
        ids["season.number"] = number
    return ids


# -- the parsers, and what they make of a file ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Parser:
    name: str
    accepts: Callable[[object, str], bool]
    ids: Callable[[dict[str, Any], str], Ids]
    looks_for: dict[str, tuple[str, ...]]  # kind -> the ids (of ids_present's names) it reads
    kinds: tuple[str, ...] = ("shows", "movies")
    reads: str = field(default="")  # the files and URL it reads, for the figures

    def wanted(self, entry: dict[str, Any], kind: str) -> Ids:
        """The ids this parser looks for that the entry carries."""
        return {name: value for name, value in ids_present(entry, kind).items() if name in self.looks_for[kind]}


SHOW_IDS = ("tvdb", "tmdb", "imdb", "season.tvdb", "season.tmdb")
MOVIE_IDS = ("tmdb", "imdb")

ANIMEAPI = Parser(
    "nattadasu/animeApi v3",
    animeapi_accepts,
    animeapi_ids,
    {"shows": (*SHOW_IDS, "season.number"), "movies": (*MOVIE_IDS, *LETTERBOXD)},
    reads="raw main/json/output/{tv,movies}_ex.json",
)
ZOD = Parser(
    "AIOStreams zod (2025-09-13..18)",
    zod_accepts,
    zod_ids,
    {"shows": SHOW_IDS, "movies": (*MOVIE_IDS, *LETTERBOXD)},
    reads="release assets",
)
EARLIER = Parser(
    "AIOStreams v2.13-v2.30.3",
    earlier_accepts,
    earlier_ids,
    {"shows": SHOW_IDS, "movies": MOVIE_IDS},
    reads="release assets",
)
CURRENT = Parser(
    "AIOStreams v2.30.4+",
    current_accepts,
    current_ids,
    {"shows": SHOW_IDS, "movies": MOVIE_IDS},
    reads="release assets",
)
AIOMETADATA = Parser(
    "cedya77/aiometadata",
    aiometadata_accepts,
    aiometadata_ids,
    {"shows": (), "movies": MOVIE_IDS},
    kinds=("movies",),
    reads="release asset movies_ex.json",
)
USENET_ULTIMATE = Parser(
    "DSmart33/Usenet-Ultimate",
    usenet_accepts,
    usenet_ids,
    {"shows": ("tvdb", "tmdb", "imdb", "season.number", "year"), "movies": (*MOVIE_IDS, "year")},
    reads="raw main/json/output/{tv,movies}_ex.json",
)
PARSERS = (CURRENT, EARLIER)  # AIOStreams' two deployed parsers (issue 8)
ALL = (ANIMEAPI, ZOD, EARLIER, CURRENT, AIOMETADATA, USENET_ULTIMATE)


@dataclass(frozen=True, slots=True)
class Reading:
    """What one parser made of one file; ids counted by name ("tvdb", "season.tmdb", ...)."""

    entries: int
    accepted: int
    present: Counter[str]  # the ids it looks for, in all the entries, accepted or not
    kept: Counter[str]

    @property
    def ids_present(self) -> int:
        return sum(self.present.values())

    @property
    def ids_kept(self) -> int:
        return sum(self.kept.values())


def read_file(parser: Parser, entries: Iterable[Any], kind: str) -> Reading:
    listed = list(entries)
    accepted = [entry for entry in listed if parser.accepts(entry, kind)]
    return Reading(
        entries=len(listed),
        accepted=len(accepted),
        present=Counter(name for entry in listed for name in parser.wanted(entry, kind)),
        kept=Counter(name for entry in accepted for name in parser.ids(entry, kind) if name in parser.looks_for[kind]),
    )
