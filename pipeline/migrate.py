"""Step (run once, by hand): import the predecessor's published files into ``output/``.

    uv run python -m pipeline.migrate DIR

Load the predecessor's four files from DIR (its layout, ``release_year`` and ``externals`` beside
``trakt``, or the spec's, inside it) and the upstream lists; turn every entry into records and
rebuild it through ``pipeline.published.models`` (ids given as ``""`` or ``0`` become null, a year of 0 null
inside ``trakt`` and 0 at the top level, the Letterboxd ids of movies kept);
hold back, with the reason and the MAL id, what cannot be carried over as it is; check the result
with ``pipeline.published.checks``; write the files sorted, then ``meta.json`` saying where the data came
from; print the report. Nothing is written when the result would not validate.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline import heap, logs
from pipeline.config import load_config
from pipeline.errors import PipelineError
from pipeline.predecessor.entries import Imported, Migration, Provenance, import_entries
from pipeline.predecessor.holds import hold_back_both, hold_back_shared_seasons
from pipeline.predecessor.report import report
from pipeline.published import checks
from pipeline.published.jsonio import load_json, write_json
from pipeline.published.models import (
    KINDS,
    META_FILE,
    NOT_FOUND_FILE,
    OUTPUT_FILE,
    SCHEMA_VERSION,
    STAMP,
    UPSTREAM_FILE,
    Kind,
    count_origins,
)
from pipeline.sources import upstream
from pipeline.sources.catalog import load_joined
from pipeline.sources.joined import Joined

logger = logging.getLogger(__name__)

REPOSITORY = "rensetsu/db.trakt.extended-anitrakt"
COMMIT = "91a8adb"
LAST_UPDATED = "last_updated.txt"


# -- reading the files ------------------------------------------------------------------------------


def _read_list(source: Path, name: str) -> list[Any]:
    path = source / name
    data = load_json(path, required=True)
    if not isinstance(data, list):
        raise PipelineError(f"{path}: expected a JSON list of entries, got {type(data).__name__}")
    return data


def _import_file(source: Path, name: str, kind: Kind, found: bool) -> Imported:
    """One of the predecessor's files, its entries converted (``pipeline.predecessor.entries``)."""
    return import_entries(name, _read_list(source, name), kind, found)


def read_published_date(source: Path) -> datetime:
    """When the predecessor last published: ``last_updated.txt`` ("2026-07-24 07:26:20 UTC")."""
    path = source / LAST_UPDATED
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise PipelineError(f"{path}: not found; give the predecessor's publication date with --published") from None
    return parse_date(text, str(path))


def parse_date(text: str, where: str) -> datetime:
    for pattern in ("%Y-%m-%d %H:%M:%S UTC", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise PipelineError(f"{where}: {text!r} is not a date like 2026-07-24 or '2026-07-24 07:26:20 UTC'")


def migrate(
    source: Path,
    upstream_dir: Path,
    provenance: Provenance,
    imported_at: datetime,
    sources_dir: Path | None = None,
) -> Migration:
    """Everything the import decided, checked; nothing written yet.

    ``sources_dir``: the mapping sources (as fetch stores them), to place MAL ids that share a Trakt season.
    """
    for kind in KINDS:
        if not (upstream_dir / UPSTREAM_FILE[kind]).exists():
            raise PipelineError(
                f"{upstream_dir / UPSTREAM_FILE[kind]}: not found; run `uv run python -m pipeline.fetch` first,"
                " or give the folder of the upstream tv.json and movies.json with --upstream DIR"
            )
    lists = {kind: upstream.load(upstream_dir / UPSTREAM_FILE[kind], kind) for kind in KINDS}
    joined = _joined(sources_dir)
    files: dict[str, Imported] = {}
    for kind in KINDS:
        found = files[OUTPUT_FILE[kind]] = _import_file(source, OUTPUT_FILE[kind], kind, True)
        missing = files[NOT_FOUND_FILE[kind]] = _import_file(source, NOT_FOUND_FILE[kind], kind, False)
        if kind == "shows":
            hold_back_shared_seasons(found, lists[kind], joined)
        hold_back_both(found, missing)
    return Migration(files, lists, provenance, imported_at)


def _joined(sources_dir: Path | None) -> dict[int, Joined]:
    if sources_dir is None:
        return {}
    joined, warnings = load_joined(sources_dir)
    if warnings:
        raise PipelineError(f"--sources {sources_dir}: {'; '.join(warnings)} (the folder fetch stores them in)")
    return joined


def meta(migration: Migration) -> dict[str, Any]:
    """``meta.json`` of the imported data: the usual keys, plus where it came from (``imported``)."""
    provenance = migration.provenance
    return {
        "schema_version": SCHEMA_VERSION,
        "last_changed": migration.imported_at.strftime(STAMP),
        "trakt_fetched": provenance.published.strftime(STAMP),  # the predecessor's Trakt answers are that old
        "built_by": "import",  # until a nightly looks every entry up (enrich writes "enrich")
        "files": {name: {"entries": len(found.entries)} for name, found in migration.files.items()},
        "origins": {  # every entry is imported until a nightly refreshes it
            name: count_origins(list(found.entries.values()))
            for name, found in migration.files.items()
            if name in OUTPUT_FILE.values()
        },
        "upstream": {
            listed.name: {"sha256": listed.sha256, "entries": listed.total} for listed in migration.upstream.values()
        },
        "imported": {
            "repository": provenance.repository,
            "commit": provenance.commit,
            "published": provenance.published.strftime(STAMP),
            "imported_at": migration.imported_at.strftime(STAMP),
        },
    }


def write(migration: Migration, output_dir: Path, *, replace: bool) -> None:
    """Check everything, then write the four files and meta.json (last)."""
    present = [name for name in (*migration.files, META_FILE) if (output_dir / name).exists()]
    if present and not replace:
        raise PipelineError(
            f"{output_dir} already holds published files ({', '.join(present)}); migrate starts a dataset from"
            " scratch: pass --replace to overwrite them (`git checkout output/` undoes it)"
        )
    files: dict[str, Any] = {**migration.published(), META_FILE: meta(migration)}
    problems = checks.check_files(files, output_dir)
    if problems:
        raise PipelineError("the imported data does not validate; nothing written:\n" + "\n".join(problems))
    for name, data in files.items():
        write_json(output_dir / name, data)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.migrate",
        description="Import the predecessor's published files (tv_ex.json, movies_ex.json and the two"
        " not_exist_*.json) from DIR into output/, as the project's starting data.",
    )
    parser.add_argument("source", type=Path, metavar="DIR", help="the predecessor's published files")
    parser.add_argument("--output-dir", type=Path, help="where to write (default: output)")
    parser.add_argument(
        "--upstream", type=Path, metavar="DIR", help="the upstream tv.json and movies.json (default: .cache/upstream)"
    )
    parser.add_argument(
        "--sources",
        type=Path,
        metavar="DIR",
        help="the mapping sources, to bring back MAL ids that share a Trakt season at distinct episodes",
    )
    parser.add_argument("--repository", default=REPOSITORY, help=f"where DIR comes from (default: {REPOSITORY})")
    parser.add_argument("--commit", default=COMMIT, help=f"the commit DIR was taken at (default: {COMMIT})")
    parser.add_argument("--published", help=f"when the predecessor published DIR (default: DIR/{LAST_UPDATED})")
    parser.add_argument("--replace", action="store_true", help="overwrite published files already in output/")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logs.setup()
    heap.tune()
    try:
        config = load_config({"output_dir": args.output_dir, "upstream_dir": args.upstream})
        if not (args.source / OUTPUT_FILE["shows"]).exists():
            raise PipelineError(f"{args.source / OUTPUT_FILE['shows']}: not found; DIR is the predecessor's files")
        published = parse_date(args.published, "--published") if args.published else read_published_date(args.source)
        provenance = Provenance(args.repository, args.commit, published)
        migration = migrate(args.source, config.upstream_dir, provenance, datetime.now(UTC), args.sources)
        write(migration, config.output_dir, replace=args.replace)
    except PipelineError as exc:
        logger.error("migrate: %s", exc)
        return 1
    print(report(migration, config.output_dir), end="")
    written = sum(len(found.entries) for found in migration.files.values())
    logger.info(
        "migrate: %s entries written to %s; check them with `uv run python -m pipeline.validate`",
        f"{written:,}",
        config.output_dir,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
