"""What one enrich run holds for each kind's published files: what is there now, then what it decided."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import PipelineError
from pipeline.published import changes
from pipeline.published.checks import NOT_FOUND_MAL_ID, OUTPUT_MAL_ID, RESTORE, dig
from pipeline.published.jsonio import load_json
from pipeline.published.models import Kind

Duplicates = dict[tuple[Kind, int], dict[str, Any]]  # (kind, MAL id) -> the report's record
Decided = dict[Kind, tuple[list[dict[str, Any]], list[dict[str, Any]]]]  # kind -> (output, not found)


@dataclass(slots=True)
class Published:
    """One kind's files: what is there now, then what this run decided."""

    output_path: Path
    not_found_path: Path
    old_output: list[dict[str, Any]]
    old_not_found: list[dict[str, Any]]
    output: dict[int, dict[str, Any]] = field(default_factory=dict)
    not_found: dict[int, dict[str, Any]] = field(default_factory=dict)
    old_output_by_id: dict[int, dict[str, Any]] = field(init=False)
    old_not_found_by_id: dict[int, dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.old_output_by_id = changes.by_mal_id(self.old_output)
        self.old_not_found_by_id = changes.by_mal_id(self.old_not_found)


@dataclass(slots=True)
class Run:
    """Everything one enrich run decided, for the files and the summary."""

    published: dict[Kind, Published]
    duplicates: Duplicates
    title_mismatches: list[dict[str, Any]] = field(default_factory=list)
    stale: list[dict[str, Any]] = field(default_factory=list)
    failed_new: list[dict[str, Any]] = field(default_factory=list)
    discovered_dropped: list[dict[str, Any]] = field(default_factory=list)  # 404 or season missing on Trakt
    corrections: dict[int, dict[str, Any]] = field(default_factory=dict)  # MAL id -> the report's record
    fallbacks: dict[int, dict[str, Any]] = field(default_factory=dict)  # MAL id -> its entry uncorrected
    review: list[dict[str, Any]] = field(default_factory=list)  # the sources disagree with what is published
    no_map: dict[str, int] = field(default_factory=dict)  # why published TV entries have no episode map
    proposed: set[int] = field(default_factory=set)  # shows published from tonight's discovery candidates


def load(output_path: Path, not_found_path: Path) -> Published:
    """One kind's files as they are published now."""
    return Published(output_path, not_found_path, _load(output_path), _load(not_found_path))


def _load(path: Path) -> list[dict[str, Any]]:
    """A published file, as the previous data of its entries; each needs its MAL id."""
    try:
        data = load_json(path, missing=[])
    except PipelineError as exc:
        raise PipelineError(f"{exc}; {RESTORE}") from None
    if not isinstance(data, list):
        raise PipelineError(f"{path}: expected a JSON list; {RESTORE}")
    for position, entry in enumerate(data):
        if not any(type(dig(entry, keys)) is int for keys in (OUTPUT_MAL_ID, NOT_FOUND_MAL_ID)):
            raise PipelineError(f"{path}: $[{position}]: no MAL id (myanimelist.id or mal_id); {RESTORE}")
    return data


def decided(published: dict[Kind, Published]) -> Decided:
    """Each kind's output and not-found entries, by MAL id: the files' order."""
    return {kind: (_sorted(files.output), _sorted(files.not_found)) for kind, files in published.items()}


def _sorted(entries: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    return [entries[mal_id] for mal_id in sorted(entries)]
