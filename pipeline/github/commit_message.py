"""The data commit's message: per published kind, its entries and what the run changed in them.

The changes come from the run summary enrich writes, else from the files before and after the commit.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from pipeline.errors import PipelineError
from pipeline.github.gh import run_url
from pipeline.published import changes
from pipeline.published.jsonio import load_json
from pipeline.published.models import KINDS as MODEL_KINDS
from pipeline.published.models import NOT_FOUND_FILE, OUTPUT_FILE

logger = logging.getLogger(__name__)

Reader = Callable[[str], list[dict[str, Any]]]  # a published file's entries, by file name


@dataclass(frozen=True, slots=True, kw_only=True)
class Kind:
    """One published kind: its label in the commit subject, its files, its key in the run summary."""

    label: str
    data_file: str
    not_found_file: str
    summary_key: str


KINDS = tuple(
    Kind(
        label="tv" if kind == "shows" else kind,
        data_file=OUTPUT_FILE[kind],
        not_found_file=NOT_FOUND_FILE[kind],
        summary_key=kind,
    )
    for kind in MODEL_KINDS
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Changes:
    created: int
    updated: int
    removed: int
    not_found_new: int
    recovered: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Counts:
    kind: Kind
    entries: int
    not_found: int
    changes: Changes
    from_summary: bool  # False: no run summary, changes counted against the previous commit


def _changes_from_summary(summary: Any, key: str) -> Changes | None:
    by_kind = summary.get("changes") if isinstance(summary, dict) else None
    section = by_kind.get(key) if isinstance(by_kind, dict) else None
    if not isinstance(section, dict):
        return None
    lists = {f.name: section.get(f.name) for f in fields(Changes)}
    return Changes(**{name: len(ids) if isinstance(ids, list) else 0 for name, ids in lists.items()})


def _changes_from_files(kind: Kind, read_old: Reader, read_new: Reader) -> Changes:
    found = changes.diff(
        read_old(kind.data_file),
        read_new(kind.data_file),
        read_old(kind.not_found_file),
        read_new(kind.not_found_file),
    )
    return Changes(**{f.name: len(found[f.name]) for f in fields(Changes)})


def _load_summary(path: Path) -> Any:
    try:
        return load_json(path)
    except PipelineError as exc:  # the data passed validation; a broken summary only costs the counts
        logger.warning("publish: ignoring the run summary: %s", exc)
        return None


def collect_counts(summary_path: Path, read_old: Reader, read_new: Reader) -> list[Counts]:
    """Entries from the files; changes from the run summary, else from the files before and after (each file
    read once: ``read_new`` serves the counts and the changes)."""
    read_new = functools.cache(read_new)
    summary = _load_summary(summary_path)
    counts = []
    for kind in KINDS:
        from_summary = _changes_from_summary(summary, kind.summary_key)
        counts.append(
            Counts(
                kind=kind,
                entries=len(read_new(kind.data_file)),
                not_found=len(read_new(kind.not_found_file)),
                changes=from_summary if from_summary else _changes_from_files(kind, read_old, read_new),
                from_summary=from_summary is not None,
            )
        )
    return counts


def _subject_part(counts: Counts) -> str:
    c = counts.changes
    delta = f"+{c.created:,} ~{c.updated:,} -{c.removed:,}"
    return f"{counts.kind.label} {counts.entries:,} ({delta}, {counts.not_found:,} not found)"


def _body_lines(counts: Counts) -> list[str]:
    c, kind = counts.changes, counts.kind
    return [
        f"{kind.data_file}: {counts.entries:,} entries; "
        f"{c.created:,} created, {c.updated:,} updated, {c.removed:,} removed",
        f"{kind.not_found_file}: {counts.not_found:,} entries; "
        f"{c.not_found_new:,} newly not found, {c.recovered:,} recovered",
    ]


def commit_message(counts: Sequence[Counts], environ: Mapping[str, str] = os.environ) -> str:
    subject = "data: " + ", ".join(_subject_part(c) for c in counts)
    body = [line for c in counts for line in _body_lines(c)]
    if not all(c.from_summary for c in counts):
        body += ["", "No run summary: changes counted against the previous commit."]
    url = run_url(environ)
    if url:
        body += ["", f"Run: {url}"]
    return subject + "\n\n" + "\n".join(body) + "\n"
