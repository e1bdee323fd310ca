"""The predecessor's real consumers, written down as rules: which entries each parser keeps, which ids it reads.

AIOStreams (a Stremio add-on) downloads ``tv_ex.json`` and ``movies_ex.json`` from the ``latest``
release and builds its anime database from them. Two of its parsers are deployed:

- the current one keeps an entry when ``myanimelist.id`` and ``trakt.id`` are numbers, ``trakt.type``
  is ``"shows"`` (``"movies"``), ``trakt.slug`` and ``trakt.title`` are strings and, for shows,
  ``trakt.is_split_cour`` is a boolean. It reads the external ids from the *top-level*
  ``externals`` (``tvdb`` and ``tmdb`` when numbers, ``imdb`` when a non-empty string) and the
  season's from ``trakt.season.externals`` (``tvdb``, ``tmdb`` when numbers);
- the earlier one (still run by people who have not updated) also wants truthy titles and a
  numeric *top-level* ``release_year``, and drops the entry otherwise; it reads the top-level
  ``externals`` ids that are not null (``tvdb`` for shows only) and keeps ``trakt.season`` whole.

"Number" is JavaScript's ``typeof x === "number"``: an int or a float, never a bool. Used by
tests/test_consumers.py and tests/consumer_figures.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

Ids = dict[str, Any]  # id name ("tvdb", "season.tmdb", ...) -> the value read


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _season_ids(entry: dict[str, Any]) -> Ids:
    season_externals = _dict(_dict(_dict(entry.get("trakt")).get("season")).get("externals"))
    return {f"season.{key}": season_externals[key] for key in ("tvdb", "tmdb") if is_number(season_externals.get(key))}


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
    """AIOStreams' earlier parser: as the current one, with truthy titles and a numeric top-level release_year."""
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


def ids_present(entry: dict[str, Any], kind: str) -> Ids:
    """Every external id the entry carries, read where the spec puts it (inside ``trakt``).

    A file without ``trakt.externals`` (the predecessor's) carries them at the top level only.
    """
    trakt = _dict(entry.get("trakt"))
    return _numbers_and_imdb(_dict(trakt["externals"] if "externals" in trakt else entry.get("externals")), entry, kind)


def _numbers_and_imdb(externals: dict[str, Any], entry: dict[str, Any], kind: str) -> Ids:
    """``tvdb`` (shows only) and ``tmdb`` when numbers, ``imdb`` when a non-empty string, then the season's ids."""
    names = ("tvdb", "tmdb") if kind == "shows" else ("tmdb",)
    ids = {key: externals[key] for key in names if is_number(externals.get(key))}
    if isinstance(externals.get("imdb"), str) and externals["imdb"]:
        ids["imdb"] = externals["imdb"]
    return {**ids, **_season_ids(entry)} if kind == "shows" else ids


@dataclass(frozen=True, slots=True)
class Parser:
    name: str
    accepts: Callable[[object, str], bool]
    ids: Callable[[dict[str, Any], str], Ids]


CURRENT = Parser("current", current_accepts, current_ids)
EARLIER = Parser("earlier", earlier_accepts, earlier_ids)
PARSERS = (CURRENT, EARLIER)


@dataclass(frozen=True, slots=True)
class Reading:
    """What one parser made of one file; ids counted by name ("tvdb", "season.tmdb", ...)."""

    entries: int
    accepted: int
    present: Counter[str]  # in all the entries, accepted or not
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
        present=Counter(name for entry in listed for name in ids_present(entry, kind)),
        kept=Counter(name for entry in accepted for name in parser.ids(entry, kind)),
    )
