"""What a run changed in the published files, for the report and the commit message."""

from __future__ import annotations

from typing import Any

from pipeline.published.models import entry_mal_id


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(_flatten(inner, f"{prefix}.{key}" if prefix else key))
        return flat or {prefix: {}}
    return {prefix: value}


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Dotted paths of the fields that differ, e.g. ``["trakt.release_year", "trakt.season.id"]``."""
    before, after = _flatten(old), _flatten(new)
    return sorted(key for key in before.keys() | after.keys() if before.get(key, ...) != after.get(key, ...))


def by_mal_id(entries: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {entry_mal_id(entry): entry for entry in entries}


def diff(
    old_output: list[dict[str, Any]],
    new_output: list[dict[str, Any]],
    old_not_found: list[dict[str, Any]],
    new_not_found: list[dict[str, Any]],
) -> dict[str, Any]:
    """Created, updated (with fields), removed, newly not found and recovered MAL ids of one kind."""
    old, new = by_mal_id(old_output), by_mal_id(new_output)
    old_missing, new_missing = set(by_mal_id(old_not_found)), set(by_mal_id(new_not_found))
    return {
        "created": sorted(new.keys() - old.keys()),
        "updated": [
            {"mal_id": mal_id, "fields": fields}
            for mal_id in sorted(old.keys() & new.keys())
            if old[mal_id] != new[mal_id] and (fields := changed_fields(old[mal_id], new[mal_id]))
        ],
        "removed": sorted(old.keys() - new.keys()),
        "not_found_new": sorted(new_missing - old_missing),
        "recovered": sorted(old_missing & new.keys()),
        "not_found_gone": sorted(old_missing - new_missing - new.keys()),
    }
