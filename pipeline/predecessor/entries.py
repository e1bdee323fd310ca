"""The predecessor's entries as we publish them: each rebuilt through ``pipeline.published.models``, or held back.

Pure: the step (``pipeline.migrate``) reads the files and writes the result. An entry is converted
(``""`` or ``0`` ids made null, ``release_year`` and ``externals`` moved inside ``trakt``) and every
difference is recorded; one that cannot be carried over as it is is held back with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipeline.published import checks, schemas
from pipeline.published.models import (
    Kind,
    Mapping,
    Origin,
    letterboxd_of,
    movie_entry,
    not_found_entry,
    show_entry,
)
from pipeline.sources import upstream
from pipeline.trakt.parse import parse_movie, parse_seasons, parse_show

IMPORTED: Origin = "imported"  # the origin of an entry that came from the predecessor (see DECISIONS: origin)


class HeldBack(Exception):
    """An entry that cannot be carried over as it is; the message is the reason."""


@dataclass(frozen=True, slots=True)
class Provenance:
    repository: str
    commit: str
    published: datetime  # when the predecessor last published these files


@dataclass(frozen=True, slots=True)
class Note:
    """One entry held back: where it was in the predecessor's file, and why."""

    file: str
    position: int
    mal_id: int | None
    title: str
    reason: str

    def __str__(self) -> str:
        mal = f"MAL {self.mal_id}" if self.mal_id is not None else "no MAL id"
        title = f" {self.title!r}" if self.title else ""
        return f"{self.file}[{self.position}] {mal}{title}: {self.reason}"


@dataclass(slots=True)
class Imported:
    """One published file as imported: its entries by MAL id, and what happened on the way."""

    name: str
    read: int = 0
    entries: dict[int, dict[str, Any]] = field(default_factory=dict)
    origins: dict[int, tuple[int, dict[str, Any]]] = field(default_factory=dict)  # MAL id -> (position, raw)
    converted: dict[str, list[int]] = field(default_factory=dict)  # what changed -> MAL ids
    changed: set[int] = field(default_factory=set)  # MAL ids of the entries converted
    held_back: list[Note] = field(default_factory=list)

    def hold_back(self, position: int, raw: Any, reason: str) -> None:
        mal_id = _mal_id(raw)
        title = checks.dig(raw, ("myanimelist", "title")) or checks.dig(raw, ("title",))
        self.held_back.append(Note(self.name, position, mal_id, title if isinstance(title, str) else "", reason))

    def convert(self, mal_id: int, what: str) -> None:
        self.converted.setdefault(what, []).append(mal_id)
        self.changed.add(mal_id)

    @property
    def carried(self) -> int:
        return len(self.entries) - len(self.changed & self.entries.keys())


@dataclass(slots=True)
class Migration:
    files: dict[str, Imported]
    upstream: dict[Kind, upstream.UpstreamList]
    provenance: Provenance
    imported_at: datetime

    def published(self) -> dict[str, list[dict[str, Any]]]:
        """Each file's entries sorted by MAL id, as they are written."""
        return {name: [found.entries[mal_id] for mal_id in sorted(found.entries)] for name, found in self.files.items()}


def _mal_id(raw: Any) -> int | None:
    value = checks.dig(raw, ("myanimelist", "id"))
    value = checks.dig(raw, ("mal_id",)) if value is None else value
    return value if type(value) is int else None


def _imported_mapping(**fields: Any) -> Mapping:
    """A Mapping of imported data, with ``origin`` "imported"."""
    return Mapping(**fields, origin=IMPORTED)


def _spec_layout(raw: dict[str, Any], imported: Imported, mal_id: int) -> dict[str, Any]:
    """The entry with ``release_year`` and ``externals`` inside ``trakt`` (the spec's layout)."""
    trakt = dict(raw["trakt"])
    for key in ("release_year", "externals"):
        if key in raw and key in trakt and raw[key] != trakt[key]:
            imported.convert(mal_id, f"top-level {key} differed from trakt.{key}: the copy inside trakt kept")
        elif key in raw:
            trakt[key] = raw[key]
    rest = {key: value for key, value in raw.items() if key not in ("release_year", "externals", "trakt")}
    return {**rest, "trakt": trakt}


def _mapping(entry: dict[str, Any], kind: Kind, source: str, season: int | None) -> Mapping:
    return _imported_mapping(
        mal_id=entry["myanimelist"]["id"],
        mal_title=entry["myanimelist"]["title"],
        trakt_id=entry["trakt"]["id"],
        kind=kind,
        season=season,
        source=source,
    )


def _show(entry: dict[str, Any], source: str) -> dict[str, Any]:
    trakt = entry["trakt"]
    ids = {"trakt": trakt["id"], "slug": trakt["slug"], **trakt["externals"]}
    show = parse_show({"title": trakt["title"], "year": trakt["release_year"], "ids": ids})
    raw_season, split_cour = trakt["season"], trakt["is_split_cour"]
    if raw_season is None and split_cour is not True:
        raise HeldBack("no season and not a split cour: which Trakt season it maps to is unknown")
    if raw_season is not None and split_cour is not False:
        raise HeldBack(f"has season {raw_season.get('number')!r} but is_split_cour is {split_cour!r}")
    season = None
    if raw_season is not None:
        season_ids = {"trakt": raw_season["id"], **raw_season["externals"]}
        (season,) = parse_seasons([{"number": raw_season["number"], "ids": season_ids}])
    return show_entry(_mapping(entry, "shows", source, None if season is None else season.number), show, season)


def _movie(entry: dict[str, Any], source: str) -> dict[str, Any]:
    """A movie, with the Letterboxd ids the predecessor resolved (not Trakt's: they are not in ``ids``)."""
    trakt = entry["trakt"]
    externals = dict(trakt["externals"])
    letterboxd = letterboxd_of(externals.pop("letterboxd", None))
    ids = {"trakt": trakt["id"], "slug": trakt["slug"], **externals}
    movie = parse_movie({"title": trakt["title"], "year": trakt["release_year"], "ids": ids})
    return movie_entry(_mapping(entry, "movies", source, None), movie, letterboxd)


def _differences(old: Any, new: Any, path: str = "") -> Iterator[str]:
    """What the import changed in an entry's values, one line per kind of change (not per value)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key, value in old.items():
            inner = f"{path}.{key}" if path else key
            if key not in new:
                if value is not None:  # a null key unknown to the published format loses nothing
                    yield f"{inner} dropped: not part of the published format"
            else:
                yield from _differences(value, new[key], inner)
    elif old != new or type(old) is not type(new):
        if new is None and old in ("", 0) and not isinstance(old, bool):
            yield f"{path} {json.dumps(old)} made null"
        else:
            yield f"{path} changed"


def _convert(raw: Any, kind: Kind, imported: Imported, position: int) -> tuple[int, dict[str, Any]]:
    """The published entry built from one of the predecessor's entries, or HeldBack."""
    mal_id = _mal_id(raw)
    if not isinstance(raw, dict) or not isinstance(raw.get("trakt"), dict) or mal_id is None:
        raise HeldBack("not an entry with myanimelist.id and trakt")
    if raw["trakt"].get("type") != kind:
        raise HeldBack(f"trakt.type is {raw['trakt'].get('type')!r} in {imported.name}, not {kind!r}")
    old = _spec_layout(raw, imported, mal_id)
    source = f"{imported.name}[{position}]"
    try:
        entry = _show(old, source) if kind == "shows" else _movie(old, source)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise HeldBack(f"unreadable entry ({type(exc).__name__}: {exc})") from None
    return _checked(mal_id, old, entry, imported)


def _not_found(raw: Any, kind: Kind, imported: Imported, position: int) -> tuple[int, dict[str, Any]]:
    mal_id = _mal_id(raw)
    if not isinstance(raw, dict) or mal_id is None or not isinstance(raw.get("title"), str):
        raise HeldBack("not an entry with mal_id and title")
    mapping = _imported_mapping(
        mal_id=mal_id, mal_title=raw["title"], trakt_id=0, kind=kind, season=None, source=f"{imported.name}[{position}]"
    )
    return _checked(mal_id, raw, not_found_entry(mapping), imported)


def _checked(mal_id: int, old: Any, entry: dict[str, Any], imported: Imported) -> tuple[int, dict[str, Any]]:
    """``entry`` rebuilt from ``old``: held back when it breaks the schema, else each difference recorded."""
    problems = schemas.problems(entry, imported.name, where="", pointer="/items")
    if problems:
        raise HeldBack("; ".join(problem.removeprefix(": ") for problem in problems))
    for what in dict.fromkeys(_differences(old, entry)):
        imported.convert(mal_id, what)
    return mal_id, entry


def import_entries(name: str, raw_entries: list[Any], kind: Kind, found: bool) -> Imported:
    """One of the predecessor's files, its entries read; a MAL id listed twice is kept once when both are the same."""
    imported = Imported(name)
    imported.read = len(raw_entries)
    twice: set[int] = set()
    for position, raw in enumerate(raw_entries):
        try:
            mal_id, entry = (_convert if found else _not_found)(raw, kind, imported, position)
        except HeldBack as exc:
            imported.hold_back(position, raw, str(exc))
            continue
        if mal_id in imported.entries:
            first, _ = imported.origins[mal_id]
            if imported.entries[mal_id] == entry:
                imported.convert(mal_id, "listed twice: kept once")
                continue
            twice.add(mal_id)
            imported.hold_back(position, raw, f"MAL id listed twice with different data (also at [{first}])")
            continue
        imported.entries[mal_id] = entry
        imported.origins[mal_id] = (position, raw)
    for mal_id in twice:  # which of the two is right is unknown: neither is carried over
        position, raw = imported.origins[mal_id]
        imported.hold_back(position, raw, "MAL id listed twice with different data")
        del imported.entries[mal_id]
    return imported
