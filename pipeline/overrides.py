"""The override files: checked against their schema and with each other; loaded for enrich and discover.

Shared by three steps: validate reports the problems, enrich and discover refuse to start on them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.errors import PipelineError
from pipeline.published import schemas
from pipeline.published.checks import (
    OUTPUT_MAL_ID,
    dig,
    duplicates,
    entries,
    location,
    mal_ids,
    map_problems,
    read_file,
)
from pipeline.published.models import KINDS, OVERRIDE_FILE

# The way out of a malformed override file, for the pull-request check, validate and enrich.
HOW_TO_FIX = (
    "overrides/: fix each entry named above: an override is a list of {myanimelist: {id, title}, trakt: {id, title,"
    " type: shows|movies, season: {number} for shows, optional episodes: {season, offset}}, description};"
    " docs/overrides.md shows a complete one and"
    " schemas/override.schema.json has every rule; then run `uv run python -m pipeline.validate` again"
)


def check_overrides(overrides_dir: Path) -> tuple[list[str], dict[str, Any]]:
    """Problems of the override files, and the files that could be read, by name (a missing one is [])."""
    found: list[str] = []
    files: dict[str, Any] = {}
    targets: dict[tuple[int, str], tuple[str, int]] = {}  # (MAL id, trakt.type) -> (file, position)
    for name in OVERRIDE_FILE.values():
        path = overrides_dir / name
        read = read_file(path, name_entry=True)
        data, unreadable = ([], []) if read is None else read
        shape = unreadable or schemas.problems(data, name, where=str(path))
        found += shape
        if unreadable:
            continue
        files[name] = data
        overrides = entries(files, name)
        ids = mal_ids(overrides, OUTPUT_MAL_ID)
        found += duplicates(str(path), ids, OUTPUT_MAL_ID, "keep one override per MAL id")
        found += [] if shape else _episode_maps(str(path), overrides)  # on well-formed maps only
        for position, mal_id in ids:
            kind = dig(overrides[position], ("trakt", "type"))
            if kind not in KINDS:
                continue  # the schema reports it
            other, at = targets.setdefault((mal_id, kind), (name, position))
            if other != name:
                found.append(
                    f"{path}: {location(position, OUTPUT_MAL_ID)}: MAL id {mal_id} with trakt.type {kind!r} is "
                    f"also overridden in {overrides_dir / other} at $[{at}]; which one applies is ambiguous, "
                    "keep one"
                )
    return found, files


def _episode_maps(label: str, overrides: list[Any]) -> list[str]:
    """An override's ``trakt.episode_map`` (its shape is the schema's): in order, from where its episodes start
    (``trakt.episodes`` when it gives them, else episode 1 of its ``season.number``)."""
    found = []
    for position, override in enumerate(overrides):
        value, season = dig(override, ("trakt", "episode_map")), dig(override, ("trakt", "season", "number"))
        episodes = dig(override, ("trakt", "episodes"))
        if not isinstance(value, list) or not value:
            continue
        at = location(position, ("trakt", "episode_map"))
        found += map_problems(label, at, value, episodes)
        if not isinstance(episodes, dict) and type(season) is int and value[0]["season"] != season:
            found.append(
                f"{label}: {at}: its first range is in season {value[0]['season']}, the override's season.number"
                f" is {season}: make them the same (the map starts in the entry's season)"
            )
    return found


def load_overrides(overrides_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    """(file name, override) pairs in file order; PipelineError listing every problem when there is one."""
    found, files = check_overrides(overrides_dir)
    if found:
        raise PipelineError("\n".join([*found, HOW_TO_FIX]))
    return [(name, override) for name in OVERRIDE_FILE.values() for override in files[name]]
