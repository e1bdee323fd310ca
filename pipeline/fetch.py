"""Workflow step 1: download the upstream lists and the mapping sources, check them, store them under ``.cache/``.

Both lists are downloaded and checked before either is stored, so a bad download (an HTML error
page, truncated JSON, an empty list) leaves the previous files in place and fails the step.
Each mapping source is checked by its parser and stored on its own; a bad one keeps its previous
copy, is recorded in ``.cache/sources/status.json`` and only makes discover skip the night.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable, Sequence

import requests

from pipeline import heap, logs
from pipeline.config import Config, load_config
from pipeline.errors import PipelineError
from pipeline.net.budget import Budget
from pipeline.net.download import download
from pipeline.published.jsonio import write_bytes_atomic
from pipeline.published.models import KINDS, UPSTREAM_FILE, Kind
from pipeline.sources import parsed, upstream
from pipeline.sources.catalog import SOURCES, write_status

logger = logging.getLogger(__name__)

URL_VARIABLE: dict[Kind, str] = {"shows": "ANITRAKT_TV_URL", "movies": "ANITRAKT_MOVIES_URL"}


def fetch(config: Config, *, sleep: Callable[[float], None] = time.sleep) -> dict[Kind, upstream.UpstreamList]:
    urls: dict[Kind, str] = {"shows": config.tv_url, "movies": config.movies_url}
    payloads: dict[Kind, bytes] = {}
    checked: dict[Kind, upstream.UpstreamList] = {}
    with requests.Session() as session:
        for kind in KINDS:
            label = f"upstream {UPSTREAM_FILE[kind]}"
            budget = Budget(source=label, seconds=config.download_budget)
            payloads[kind] = download(
                session, urls[kind], label, URL_VARIABLE[kind], config, sleep=sleep, budget=budget
            )
            checked[kind] = upstream.check(
                payloads[kind], kind, where=UPSTREAM_FILE[kind], hint=f"check {URL_VARIABLE[kind]}"
            )
    for kind in KINDS:
        write_bytes_atomic(config.upstream_dir / UPSTREAM_FILE[kind], payloads[kind])
        listed = checked[kind]
        parsed.keep(config.upstream_dir / UPSTREAM_FILE[kind], payloads[kind], listed, key=kind)  # for enrich
        logger.info(
            "fetch: %s: %s entries stored in %s%s",
            listed.name,
            f"{listed.total:,}",
            config.upstream_dir,
            f", {len(listed.skipped)} invalid entries will be skipped" if listed.skipped else "",
        )
        for message in listed.skipped:
            logger.warning("fetch: %s", message)
    return checked


def fetch_sources(config: Config, *, sleep: Callable[[float], None] = time.sleep) -> dict[str, str | None]:
    """Download, check and store each mapping source; returns the problem of each (None: stored).

    Never raises for a bad source: the previous copy stays and discover skips the night.
    """
    problems: dict[str, str | None] = {}
    with requests.Session() as session:
        for source in SOURCES:
            try:
                budget = Budget(source=source.file, seconds=config.download_budget)
                payload = download(
                    session, source.url(config), source.file, source.variable, config, sleep=sleep, budget=budget
                )
                rows = source.parse(payload)
            except PipelineError as exc:
                problems[source.file] = str(exc)
                logger.warning("fetch: %s; the previous copy is kept and discovery skips this night", exc)
                continue
            write_bytes_atomic(config.sources_dir / source.file, payload)
            parsed.keep(config.sources_dir / source.file, payload, rows)  # discover and enrich read it back
            problems[source.file] = None
            logger.info("fetch: %s: %s rows stored in %s", source.file, f"{len(rows):,}", config.sources_dir)
    write_status(config.sources_dir, problems)
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.fetch",
        description="Download the upstream anitrakt lists into .cache/upstream/ and the mapping sources into "
        ".cache/sources/ (URLs from ANITRAKT_TV_URL, ANITRAKT_MOVIES_URL, ANIME_LISTS_URL, ANIME_IDS_URL, "
        "SHINKRO_TVDB_URL or pipeline/config.yaml).",
    )
    parser.add_argument("--no-sources", action="store_true", help="skip the mapping sources (no discovery)")
    args = parser.parse_args(argv)
    logs.setup()
    heap.tune()
    try:
        config = load_config()
        fetch(config)
        if not args.no_sources:
            fetch_sources(config)
    except PipelineError as exc:
        logger.error("fetch: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
