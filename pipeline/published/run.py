"""What one enrich run holds for each kind's published files: what is there now, then what it decided."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import changes
from pipeline.models import Kind

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


def decided(published: dict[Kind, Published]) -> Decided:
    """Each kind's output and not-found entries, by MAL id: the files' order."""
    return {kind: (_sorted(files.output), _sorted(files.not_found)) for kind, files in published.items()}


def _sorted(entries: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    return [entries[mal_id] for mal_id in sorted(entries)]
