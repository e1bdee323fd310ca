"""Small checks of JSON files shared by validate and the override loader: MAL ids, duplicates, places.

Every problem is one line, ``<file>: <JSON path>: <what is wrong>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline import schemas
from pipeline.errors import PipelineError
from pipeline.jsonio import load_json

OUTPUT_MAL_ID = ("myanimelist", "id")

# (position in the file, MAL id) of the entries that have an integer MAL id
Ids = list[tuple[int, int]]


def read_checked(path: Path) -> tuple[Any, list[str]] | None:
    """None when there is no file; else its JSON (None when unreadable) and why it is unreadable."""
    if not path.exists():
        return None
    try:
        return load_json(path, required=True), []
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


def where(position: int, keys: Sequence[str]) -> str:
    return schemas.json_path([position, *keys])


def duplicates(label: str, ids: Ids, keys: Sequence[str], what: str) -> list[str]:
    """Each repeat of a MAL id, pointing at its first place in the file."""
    first: dict[int, int] = {}
    found = []
    for position, mal_id in ids:
        if mal_id in first:
            found.append(f"{label}: {where(position, keys)}: MAL id {mal_id} is already at $[{first[mal_id]}]; {what}")
        else:
            first[mal_id] = position
    return found


def entries(files: dict[str, Any], name: str) -> list[Any]:
    """The entries of a file that holds a list (the schema reports one that does not)."""
    data = files.get(name)
    return data if isinstance(data, list) else []
