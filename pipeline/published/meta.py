"""``meta.json``'s record: the entries in each file, their origins and coverage, the upstream lists."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.published.jsonio import load_json
from pipeline.published.models import (
    KINDS,
    NOT_FOUND_FILE,
    OUTPUT_FILE,
    SCHEMA_VERSION,
    STAMP,
    UPSTREAM_FILE,
    Kind,
    count_origins,
)
from pipeline.published.run import Decided

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from pipeline.sources import upstream


def _files(output_dir: Path, decided: Decided) -> Decided:
    """Each kind's output and not-found entries: this run's, or (for a list not processed) the published
    files', read once for ``files``, ``origins`` and ``coverage`` alike."""
    return {
        kind: decided[kind]
        if kind in decided
        else (
            load_json(output_dir / OUTPUT_FILE[kind], missing=[]),
            load_json(output_dir / NOT_FOUND_FILE[kind], missing=[]),
        )
        for kind in KINDS
    }


def file_coverage(entries: list[dict[str, Any]], kind: str) -> dict[str, int]:
    """``meta.json``'s ``coverage`` of one output file: its entries, how many carry an AniDB id, an AniList
    id, several AniDB ids, and for shows an episode map and one of several ranges."""
    externals = [entry["trakt"]["externals"] for entry in entries]
    found = {
        "entries": len(entries),
        "anidb": sum(1 for ids in externals if ids.get("anidb")),
        "anilist": sum(1 for ids in externals if ids.get("anilist")),
        "several_anidb": sum(1 for ids in externals if len(ids.get("anidb") or ()) > 1),
    }
    if kind == "shows":
        maps = [entry["trakt"].get("episode_map") for entry in entries]
        found["episode_map"] = sum(1 for ranges in maps if ranges)
        found["several_ranges"] = sum(1 for ranges in maps if ranges and len(ranges) > 1)
    return found


def record(
    old: object,
    output_dir: Path,
    lists: dict[Kind, upstream.UpstreamList],
    decided: Decided,
    changed: bool,
    now: datetime,
) -> dict[str, Any] | None:
    """The new ``meta.json``, or None when the old one stays: no data file changed and its counts are the files'
    (they differ when a run stopped between the data files and meta.json), or one list alone describes nothing.
    """
    published = _files(output_dir, decided)
    files = {
        name: {"entries": len(entries)}
        for kind in KINDS
        for name, entries in zip((OUTPUT_FILE[kind], NOT_FOUND_FILE[kind]), published[kind], strict=True)
    }
    origins = {OUTPUT_FILE[kind]: count_origins(published[kind][0]) for kind in KINDS}
    covered = {OUTPUT_FILE[kind]: file_coverage(published[kind][0], kind) for kind in KINDS}
    if (
        not changed
        and isinstance(old, dict)
        and (old.get("files"), old.get("origins"), old.get("coverage")) == (files, origins, covered)
    ):
        return None
    previous_upstream = old.get("upstream", {}) if isinstance(old, dict) else {}
    sources = {}
    for kind in KINDS:
        name = UPSTREAM_FILE[kind]
        if kind in lists:
            sources[name] = {"sha256": lists[kind].sha256, "entries": lists[kind].total}
        elif name in previous_upstream:
            sources[name] = previous_upstream[name]
        else:  # one list processed, and no earlier meta.json describes the other: nothing true to say
            logger.info("enrich: meta.json not written: it needs both upstream lists (run without --tv/--movies)")
            return None
    meta = {
        "schema_version": SCHEMA_VERSION,
        "last_changed": now.strftime(STAMP),
        "trakt_fetched": now.strftime(STAMP),  # this run asked Trakt (or its cache) for every entry
        "built_by": "enrich",  # no longer the import: every entry was looked up (meta.schema.json)
        "files": files,
        "upstream": sources,
        "origins": origins,
        "coverage": covered,
    }
    if isinstance(old, dict) and "imported" in old:  # where the dataset started (pipeline.migrate) stays known
        meta["imported"] = old["imported"]
    return meta
