"""The one place enrich writes the published files: the output and not-found lists, then ``meta.json``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.config import Config
from pipeline.published import meta as meta_json
from pipeline.published.jsonio import load_json, write_json
from pipeline.published.models import META_FILE, Kind
from pipeline.published.run import Decided, Published

if TYPE_CHECKING:
    from pipeline.sources import upstream


def pending(config: Config) -> Path:
    """Present from before the data files are written until meta.json is: a run stopped in between
    (killed, out of time) leaves it, so the next run rewrites meta.json even when the data files it
    writes are already the new ones, and ``last_changed`` never stays older than the data."""
    return config.cache_dir / "meta-pending"


def data(config: Config, published: dict[Kind, Published], decided: Decided, *, default_files: bool) -> bool:
    """Write the output and not-found files; True when any changed (or an earlier run left meta.json behind)."""
    marker = pending(config)
    changed = default_files and marker.exists()
    if default_files:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    for kind, files in published.items():
        changed |= write_json(files.not_found_path, decided[kind][1])
        changed |= write_json(files.output_path, decided[kind][0])
    return changed


def meta(
    config: Config, lists: dict[Kind, upstream.UpstreamList], decided: Decided, changed: bool, now: datetime
) -> None:
    """``meta.json`` describes the data; rewritten only when a data file changed, so it never commits alone.

    Also when its counts are not the files' (a run stopped between the data files and meta.json).
    """
    path = config.output_dir / META_FILE
    new = meta_json.record(load_json(path, missing={}), config.output_dir, lists, decided, changed, now)
    if new is not None:
        write_json(path, new)
