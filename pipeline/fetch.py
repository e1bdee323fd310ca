"""Workflow step 1: download the upstream lists, check them, store them under ``.cache/upstream/``.

Both lists are downloaded and checked before either is stored, so a bad download (an HTML error
page, truncated JSON, an empty list) leaves the previous files in place.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable, Sequence

import requests

from pipeline import logs, upstream
from pipeline.config import Config, load_config
from pipeline.download import download
from pipeline.errors import PipelineError
from pipeline.jsonio import write_bytes_atomic
from pipeline.models import KINDS, UPSTREAM_FILE, Kind

logger = logging.getLogger(__name__)

URL_VARIABLE: dict[Kind, str] = {"shows": "ANITRAKT_TV_URL", "movies": "ANITRAKT_MOVIES_URL"}


def fetch(config: Config, *, sleep: Callable[[float], None] = time.sleep) -> dict[Kind, upstream.UpstreamList]:
    urls: dict[Kind, str] = {"shows": config.tv_url, "movies": config.movies_url}
    payloads: dict[Kind, bytes] = {}
    checked: dict[Kind, upstream.UpstreamList] = {}
    with requests.Session() as session:
        for kind in KINDS:
            label = f"upstream {UPSTREAM_FILE[kind]}"
            payloads[kind] = download(session, urls[kind], label, URL_VARIABLE[kind], config, sleep=sleep)
            checked[kind] = upstream.check(
                payloads[kind], kind, where=UPSTREAM_FILE[kind], hint=f"check {URL_VARIABLE[kind]}"
            )
    for kind in KINDS:
        write_bytes_atomic(config.upstream_dir / UPSTREAM_FILE[kind], payloads[kind])
        listed = checked[kind]
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.fetch",
        description="Download the upstream anitrakt lists into .cache/upstream/ (URLs from ANITRAKT_TV_URL, "
        "ANITRAKT_MOVIES_URL or pipeline/config.yaml).",
    )
    parser.parse_args(argv)
    logs.setup()
    try:
        fetch(load_config())
    except PipelineError as exc:
        logger.error("fetch: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
