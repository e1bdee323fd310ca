"""Checks of the published files that steps share: ``pipeline.validate`` and ``pipeline.migrate``.

Every problem is one line, ``<file>: <JSON path>: <what is wrong>``. The schema checks live in
``pipeline.published.schemas``; this module adds what a schema cannot state: each MAL id once per file,
sorted files, no entry both published and not found, a season exactly when not a split cour, and
``trakt.episodes`` on the entry's own season (or, for a split cour, a second cour inside another),
``trakt.episode_map`` in order and starting where ``episodes`` does, and the top-level copies of
``release_year`` and ``externals`` as ``trakt``'s.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

from pipeline.errors import PipelineError
from pipeline.published import schemas
from pipeline.published.jsonio import load_json
from pipeline.published.models import (
    KINDS,
    META_FILE,
    NOT_FOUND_FILE,
    OUTPUT_FILE,
    TOP_LEVEL_COPIES,
    UNKNOWN_TOP_LEVEL_YEAR,
    MapRange,
    episode_map_of,
    top_level_year,
)

logger = logging.getLogger(__name__)

# The way out of a published file that no longer validates, e.g. after an edit by hand.
RESTORE = (
    "output/ is written by the pipeline: if it was edited by hand, `git checkout output/` restores the published"
    " files; corrections go to overrides/"
)

OUTPUT_MAL_ID = ("myanimelist", "id")
NOT_FOUND_MAL_ID = ("mal_id",)

# (position in the file, MAL id) of the entries that have an integer MAL id
Ids = list[tuple[int, int]]


def read_file(path: Path, *, name_entry: bool = False) -> tuple[Any, list[str]] | None:
    """None when there is no file; else its JSON (None when unreadable) and why it is unreadable."""
    if not path.exists():
        return None
    try:
        return load_json(path, required=True, name_entry=name_entry), []
    except PipelineError as exc:
        return None, [str(exc)]


def dig(value: Any, keys: Sequence[str]) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def mal_ids(entries: list[Any], keys: Sequence[str]) -> Ids:
    """The MAL ids that are integers; the schema reports the others."""
    found = ((position, dig(entry, keys)) for position, entry in enumerate(entries))
    return [(position, value) for position, value in found if type(value) is int]


def location(position: int, keys: Sequence[str]) -> str:
    return schemas.json_path([position, *keys])


def duplicates(label: str, ids: Ids, keys: Sequence[str], what: str) -> list[str]:
    """Each repeat of a MAL id, pointing at its first place in the file."""
    first: dict[int, int] = {}
    found = []
    for position, mal_id in ids:
        if mal_id in first:
            at = location(position, keys)
            found.append(f"{label}: {at}: MAL id {mal_id} is already at $[{first[mal_id]}]; {what}")
        else:
            first[mal_id] = position
    return found


def _unsorted(label: str, ids: Ids, keys: Sequence[str]) -> list[str]:
    """The first place where MAL ids go down (one line, however unsorted the file is)."""
    drops = [(before, after) for before, after in pairwise(ids) if after[1] < before[1]]
    if not drops:
        return []
    (before_at, before_id), (after_at, after_id) = drops[0]
    more = f" ({len(drops) - 1} more places)" if len(drops) > 1 else ""
    return [
        f"{label}: {location(after_at, keys)}: MAL id {after_id} comes after {before_id} at $[{before_at}]: "
        f"entries must be sorted by MAL id{more}"
    ]


def _in_both(not_found_label: str, not_found: Ids, output_label: str, output: Ids) -> list[str]:
    """MAL ids that are both published and listed as not found on Trakt."""
    published: dict[int, int] = {}
    for position, mal_id in output:
        published.setdefault(mal_id, position)
    return [
        f"{not_found_label}: {location(position, NOT_FOUND_MAL_ID)}: MAL id {mal_id} is also in "
        f"{output_label} at $[{published[mal_id]}]; an entry is either found on Trakt or not"
        for position, mal_id in not_found
        if mal_id in published
    ]


def _split_cours(label: str, entries: list[Any]) -> list[str]:
    """``trakt.season`` is null exactly when ``trakt.is_split_cour`` is true."""
    found = []
    for position, entry in enumerate(entries):
        trakt = dig(entry, ("trakt",))
        if not isinstance(trakt, dict) or "season" not in trakt or type(trakt.get("is_split_cour")) is not bool:
            continue  # the schema reports it
        at = location(position, ("trakt", "season"))
        if trakt["is_split_cour"] and trakt["season"] is not None:
            found.append(f"{label}: {at}: must be null when trakt.is_split_cour is true")
        elif not trakt["is_split_cour"] and trakt["season"] is None:
            found.append(f"{label}: {at}: is null, but only a split cour (trakt.is_split_cour true) has no season")
    return found


def _episodes(label: str, entries: list[Any]) -> list[str]:
    """``trakt.episodes`` names the entry's own season (offset 0 or more), or for a split cour the season
    holding it from an offset of at least 1 (a second cour); the schema checks its shape."""
    found = []
    for position, entry in enumerate(entries):
        trakt = dig(entry, ("trakt",))
        episodes = trakt.get("episodes") if isinstance(trakt, dict) else None
        if not isinstance(episodes, dict) or type(episodes.get("season")) is not int:
            continue  # null, or the schema reports it
        at = location(position, ("trakt", "episodes"))
        season = dig(trakt, ("season", "number"))
        split = trakt.get("is_split_cour") is True and trakt.get("season") is None  # else _split_cours reports
        offset = episodes.get("offset")
        if episodes["season"] < 0 or type(offset) is not int or offset < 0:  # not left to the schema alone
            found.append(f"{label}: {at}: season {episodes['season']} and offset {offset!r} must be integers >= 0")
        elif split and offset == 0:
            found.append(f"{label}: {at}: a split cour inside a season starts after its first episode (offset >= 1)")
        elif trakt.get("is_split_cour") is False and type(season) is int and episodes["season"] != season:
            found.append(f"{label}: {at}: season {episodes['season']} is not the entry's trakt.season.number {season}")
    return found


def episode_map_problems(ranges: tuple[MapRange, ...], start: tuple[int, int] | None = None) -> list[str]:
    """What is wrong with a map (published or an override's): its ranges start at MAL episode 1, follow
    each other without gap or overlap, in Trakt order, only the last may be open; its first range is
    where ``start`` (``trakt.episodes``' season and offset) puts MAL episode 1 when that is known."""
    found = []
    if ranges[0].first != 1:
        found.append(f"the first range starts at MAL episode {ranges[0].first}, not 1")
    for before, after in pairwise(ranges):
        if before.last is None:
            found.append(f"the range from MAL episode {before.first} is open (null) but another follows it")
        elif after.first != before.last + 1:
            found.append(f"MAL episode {before.last + 1} is not where the next range starts ({after.first})")
        elif (after.season, after.episode) <= (before.season, before.episode):
            found.append(f"the range from MAL episode {after.first} is not after the one before it on Trakt")
    found += [
        f"the range from MAL episode {r.first} ends before it starts" for r in ranges if (r.last or r.first) < r.first
    ]
    if start is not None and (ranges[0].season, ranges[0].episode) != (start[0], start[1] + 1):
        season, offset = start
        found.append(
            f"its first range starts at S{ranges[0].season}E{ranges[0].episode}, but episodes says "
            f"S{season}E{offset + 1} (season {season}, offset {offset})"
        )
    return found


def map_problems(label: str, at: str, value: Any, episodes: Any) -> list[str]:
    """A (schema-valid) ``episode_map``'s ranges in order, its first where ``episodes`` (if an object) starts."""
    ranges = episode_map_of(value)
    if ranges is None:
        return []
    start = (episodes["season"], episodes["offset"]) if isinstance(episodes, dict) else None
    return [f"{label}: {at}: {problem}" for problem in episode_map_problems(ranges, start)]


def _episode_maps(label: str, entries: list[Any]) -> list[str]:
    """``trakt.episode_map``: in order, from MAL episode 1, where ``trakt.episodes`` starts (null with it)."""
    found = []
    for position, entry in enumerate(entries):
        trakt = dig(entry, ("trakt",))
        if not isinstance(trakt, dict) or trakt.get("episode_map") is None:
            continue
        at = location(position, ("trakt", "episode_map"))
        if trakt.get("episodes") is None:
            found.append(f"{label}: {at}: a map needs trakt.episodes (where its first range starts); it is null")
            continue
        found += map_problems(label, at, trakt["episode_map"], trakt["episodes"])
    return found


def _differences(top: Any, inner: Any) -> str:
    """What differs between two copies: the keys whose values differ, or both whole values."""
    if isinstance(top, dict) and isinstance(inner, dict):
        keys = [key for key in {**inner, **top} if top.get(key, ...) != inner.get(key, ...)]
        return "; ".join(f"{key}: {_shown(top, key)} here, {_shown(inner, key)} in trakt" for key in keys)
    return f"{top!r} here, {inner!r} in trakt"


def _shown(value: dict[str, Any], key: str) -> str:
    return repr(value[key]) if key in value else "missing"


def _copies(label: str, entries: list[Any]) -> list[str]:
    """The top-level ``externals`` equals ``trakt.externals``; the top-level ``release_year`` equals
    ``trakt.release_year``, or is 0 where that is null (the predecessor's convention)."""
    found = []
    for position, entry in enumerate(entries):
        trakt = dig(entry, ("trakt",))
        if not isinstance(trakt, dict):
            continue  # the schema reports it
        for key in TOP_LEVEL_COPIES:
            if key not in entry or key not in trakt:
                continue
            expected = top_level_year(trakt[key]) if key == "release_year" and trakt[key] is None else trakt[key]
            if entry[key] == expected and type(entry[key]) is type(expected):
                continue
            at = location(position, (key,))
            if key == "release_year":
                found.append(
                    f"{label}: {at}: is {entry[key]!r}, trakt.release_year is {trakt[key]!r}; the top-level copy"
                    f" must equal trakt.release_year, or be {UNKNOWN_TOP_LEVEL_YEAR} where that is null"
                )
            else:
                found.append(
                    f"{label}: {at}: differs from trakt.{key} "
                    f"({_differences(entry[key], trakt[key])}); the two copies must be equal"
                )
    return found


def entries(files: dict[str, Any], name: str) -> list[Any]:
    """The entries of a file that holds a list (the schema reports one that does not)."""
    data = files.get(name)
    return data if isinstance(data, list) else []


def output_problems(files: dict[str, Any], output_dir: Path) -> list[str]:
    """Problems across the published files of ``output_dir`` already read (by name): the invariants
    between entries and files that a schema cannot state. Each file's schema is checked by the caller."""
    found: list[str] = []
    for kind in KINDS:
        output, not_found = OUTPUT_FILE[kind], NOT_FOUND_FILE[kind]
        output_label, not_found_label = str(output_dir / output), str(output_dir / not_found)
        shows_or_movies, missing = entries(files, output), entries(files, not_found)
        output_ids, not_found_ids = mal_ids(shows_or_movies, OUTPUT_MAL_ID), mal_ids(missing, NOT_FOUND_MAL_ID)
        once = "each MAL id is published once per file"
        found += duplicates(output_label, output_ids, OUTPUT_MAL_ID, once)
        found += _unsorted(output_label, output_ids, OUTPUT_MAL_ID)
        found += duplicates(not_found_label, not_found_ids, NOT_FOUND_MAL_ID, once)
        found += _unsorted(not_found_label, not_found_ids, NOT_FOUND_MAL_ID)
        found += _in_both(not_found_label, not_found_ids, output_label, output_ids)
        found += _copies(output_label, shows_or_movies)
        if kind == "shows":
            found += _split_cours(output_label, shows_or_movies)
            found += _episodes(output_label, shows_or_movies)
            found += _episode_maps(output_label, shows_or_movies)
    return found


def check_files(files: dict[str, Any], output_dir: Path) -> list[str]:
    """Every problem of published files held in memory (by name), as if they were in ``output_dir``."""
    found: list[str] = []
    for name, data in files.items():
        found += schemas.problems(data, name, where=str(output_dir / name))
    return found + output_problems(files, output_dir)


def read_outputs(output_dir: Path) -> tuple[list[str], dict[str, Any]]:
    """Problems of the published files, and the files that could be read, by name."""
    found: list[str] = []
    files: dict[str, Any] = {}
    if not any((output_dir / name).exists() for name in (*OUTPUT_FILE.values(), *NOT_FOUND_FILE.values())):
        logger.info("validate: %s holds no published files yet; the first nightly run creates them", output_dir)
        return found, files
    for name in (*OUTPUT_FILE.values(), *NOT_FOUND_FILE.values(), META_FILE):
        path = output_dir / name
        read = read_file(path)
        if read is None:
            if name != META_FILE:
                found.append(f"{path}: file not found — run pipeline.enrich first")
            continue
        data, unreadable = read
        found += unreadable or schemas.problems(data, name, where=str(path))
        if not unreadable:
            files[name] = data
    return found + output_problems(files, output_dir), files


def validate_outputs(output_dir: Path) -> list[str]:
    """Every problem of the published files (and meta.json when present) in ``output_dir``."""
    return read_outputs(output_dir)[0]
