"""Step: check ``output/`` and ``overrides/`` against ``schemas/`` and the invariants a schema cannot state.

Every problem is one line, ``<file>: <JSON path>: <what is wrong>``; all of them are printed, then the
step exits 1. The override files' checks live in ``pipeline.overrides``, shared with enrich and discover
(``load_overrides`` refuses to start on a malformed override file).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

from pipeline import logs, schemas
from pipeline.checks import OUTPUT_MAL_ID, Ids
from pipeline.checks import dig as _dig
from pipeline.checks import duplicates as _duplicates
from pipeline.checks import entries as _entries
from pipeline.checks import mal_ids as _ids
from pipeline.checks import read_checked as _read
from pipeline.checks import where as _where
from pipeline.config import Config, load_config
from pipeline.errors import PipelineError
from pipeline.models import KINDS, META_FILE, NOT_FOUND_FILE, OUTPUT_FILE
from pipeline.overrides import check_overrides as _overrides

logger = logging.getLogger(__name__)

NOT_FOUND_MAL_ID = ("mal_id",)


def _unsorted(label: str, ids: Ids, keys: Sequence[str]) -> list[str]:
    """The first place where MAL ids go down (one line, however unsorted the file is)."""
    drops = [(before, after) for before, after in pairwise(ids) if after[1] < before[1]]
    if not drops:
        return []
    (before_at, before_id), (after_at, after_id) = drops[0]
    more = f" ({len(drops) - 1} more places)" if len(drops) > 1 else ""
    return [
        f"{label}: {_where(after_at, keys)}: MAL id {after_id} comes after {before_id} at $[{before_at}]: "
        f"entries must be sorted by MAL id{more}"
    ]


def _in_both(not_found_label: str, not_found: Ids, output_label: str, output: Ids) -> list[str]:
    """MAL ids that are both published and listed as not found on Trakt."""
    published: dict[int, int] = {}
    for position, mal_id in output:
        published.setdefault(mal_id, position)
    return [
        f"{not_found_label}: {_where(position, NOT_FOUND_MAL_ID)}: MAL id {mal_id} is also in "
        f"{output_label} at $[{published[mal_id]}]; an entry is either found on Trakt or not"
        for position, mal_id in not_found
        if mal_id in published
    ]


def _split_cours(label: str, entries: list[Any]) -> list[str]:
    """``trakt.season`` is null exactly when ``trakt.is_split_cour`` is true."""
    found = []
    for position, entry in enumerate(entries):
        trakt = _dig(entry, ("trakt",))
        if not isinstance(trakt, dict) or "season" not in trakt or type(trakt.get("is_split_cour")) is not bool:
            continue  # the schema reports it
        where = _where(position, ("trakt", "season"))
        if trakt["is_split_cour"] and trakt["season"] is not None:
            found.append(f"{label}: {where}: must be null when trakt.is_split_cour is true")
        elif not trakt["is_split_cour"] and trakt["season"] is None:
            found.append(f"{label}: {where}: is null, but only a split cour (trakt.is_split_cour true) has no season")
    return found


def _outputs(output_dir: Path) -> tuple[list[str], dict[str, Any]]:
    """Problems of the published files, and the files that could be read, by name."""
    found: list[str] = []
    files: dict[str, Any] = {}
    if not any((output_dir / name).exists() for name in (*OUTPUT_FILE.values(), *NOT_FOUND_FILE.values())):
        logger.info("validate: %s holds no published files yet; the first nightly run creates them", output_dir)
        return found, files
    for name in (*OUTPUT_FILE.values(), *NOT_FOUND_FILE.values(), META_FILE):
        path = output_dir / name
        read = _read(path)
        if read is None:
            if name != META_FILE:
                found.append(f"{path}: file not found — run pipeline.enrich first")
            continue
        data, unreadable = read
        found += unreadable or schemas.problems(data, name, where=str(path))
        if not unreadable:
            files[name] = data
    for kind in KINDS:
        output, not_found = OUTPUT_FILE[kind], NOT_FOUND_FILE[kind]
        output_label, not_found_label = str(output_dir / output), str(output_dir / not_found)
        shows_or_movies, missing = _entries(files, output), _entries(files, not_found)
        output_ids, not_found_ids = _ids(shows_or_movies, OUTPUT_MAL_ID), _ids(missing, NOT_FOUND_MAL_ID)
        once = "each MAL id is published once per file"
        found += _duplicates(output_label, output_ids, OUTPUT_MAL_ID, once)
        found += _unsorted(output_label, output_ids, OUTPUT_MAL_ID)
        found += _duplicates(not_found_label, not_found_ids, NOT_FOUND_MAL_ID, once)
        found += _unsorted(not_found_label, not_found_ids, NOT_FOUND_MAL_ID)
        found += _in_both(not_found_label, not_found_ids, output_label, output_ids)
        if kind == "shows":
            found += _split_cours(output_label, shows_or_movies)
    return found, files


def validate_outputs(output_dir: Path) -> list[str]:
    """Every problem of the published files (and meta.json when present) in ``output_dir``."""
    return _outputs(output_dir)[0]


def validate_overrides(overrides_dir: Path) -> list[str]:
    """Every problem of the override files in ``overrides_dir``; a missing file counts as ``[]``."""
    return _overrides(overrides_dir)[0]


def validate_all(config: Config) -> list[str]:
    """Every problem of the published files and the override files."""
    return validate_outputs(config.output_dir) + validate_overrides(config.overrides_dir)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.validate",
        description="Check output/ and overrides/ against schemas/ and the published invariants.",
    )
    parser.add_argument("--output-dir", type=Path, help="the published files (default: output)")
    parser.add_argument("--overrides-dir", type=Path, help="the override files (default: overrides)")
    return parser


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _summary(outputs: dict[str, Any], overrides: dict[str, Any], overrides_dir: Path) -> str:
    present = sum((overrides_dir / name).exists() for name in overrides)
    shows, movies = (len(outputs.get(OUTPUT_FILE[kind], [])) for kind in KINDS)
    count = sum(len(data) for data in overrides.values())
    return (
        f"validate: {_count(len(outputs), 'output file')} and {_count(present, 'override file')} valid "
        f"({_count(shows, 'show')} + {_count(movies, 'movie')}, {_count(count, 'override')})"
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logs.setup()
    try:
        config = load_config({"output_dir": args.output_dir, "overrides_dir": args.overrides_dir})
        output_problems, outputs = _outputs(config.output_dir)
        override_problems, overrides = _overrides(config.overrides_dir)
    except PipelineError as exc:
        print(exc, file=sys.stderr)
        return 1
    found = output_problems + override_problems
    for problem in found:
        print(problem, file=sys.stderr)
    if found:
        logger.error("validate: %s; fix them before anything is published", _count(len(found), "problem"))
        return 1
    logger.info("%s", _summary(outputs, overrides, config.overrides_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
