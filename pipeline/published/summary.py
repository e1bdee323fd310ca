"""The run summary enrich writes for the report: the files' counts and changes, and what the run decided."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pipeline.published import changes
from pipeline.published.meta import file_coverage
from pipeline.published.models import STAMP, Kind, count_origins
from pipeline.published.run import Decided, Run

if TYPE_CHECKING:
    from pipeline.sources import upstream
    from pipeline.trakt.client import Stats


def summary(
    run: Run,
    decided: Decided,
    lists: dict[Kind, upstream.UpstreamList],
    stats: Stats,
    *,
    force: bool,
    started: datetime,
    discovered_from: str,
) -> dict[str, Any]:
    """The summary's record, in the order the report and its tests read it."""
    files: dict[str, Any] = {}
    kind_changes: dict[str, Any] = {}
    for kind, files_of_kind in run.published.items():
        new_output, new_missing = decided[kind]
        files[files_of_kind.output_path.name] = {"entries": len(new_output)}
        files[files_of_kind.not_found_path.name] = {"entries": len(new_missing)}
        kind_changes[kind] = changes.diff(
            files_of_kind.old_output, new_output, files_of_kind.old_not_found, new_missing
        )
    return {
        "started": started.strftime(STAMP),
        "finished": datetime.now(UTC).strftime(STAMP),
        "force": force,
        "files": files,
        "changes": kind_changes,
        "duplicates": list(run.duplicates.values()),
        "override_title_mismatches": run.title_mismatches,
        "stale": run.stale,
        "failed_new": run.failed_new,
        "skipped_upstream": [message for listed in lists.values() for message in listed.skipped],
        "origins": {
            files_of_kind.output_path.name: count_origins(decided[kind][0])
            for kind, files_of_kind in run.published.items()
        },
        "discovered_from": discovered_from,
        "discovered_dropped": run.discovered_dropped,
        "coverage": {
            files_of_kind.output_path.name: file_coverage(decided[kind][0], kind)
            for kind, files_of_kind in run.published.items()
        },
        "no_episode_map": dict(sorted(run.no_map.items())),
        "corrections": [run.corrections[mal_id] for mal_id in sorted(run.corrections)],
        "review": sorted(run.review, key=lambda record: record["mal_id"]),
        "requests": {
            "made": stats.requests,
            "from_cache": stats.from_cache,
            "retries": stats.retries,
            "throttled": stats.throttled,
            "failed": stats.failed,
        },
    }
