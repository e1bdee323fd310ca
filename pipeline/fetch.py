"""Workflow step 1: download the upstream lists, check them, store them under ``.cache/upstream/``.

Both lists are downloaded and checked before either is stored, so a bad download (an HTML error
page, truncated JSON, an empty list) leaves the previous files in place.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Sequence

import requests

from pipeline import logs, upstream
from pipeline.config import Config, load_config
from pipeline.errors import PipelineError
from pipeline.jsonio import write_bytes_atomic
from pipeline.models import KINDS, UPSTREAM_FILE, Kind

logger = logging.getLogger(__name__)

URL_VARIABLE: dict[Kind, str] = {"shows": "ANITRAKT_TV_URL", "movies": "ANITRAKT_MOVIES_URL"}
ATTEMPTS = 3
OFFLINE = "`uv run python -m pipeline --demo` runs the whole chain offline"


def download(session: requests.Session, url: str, kind: Kind, config: Config) -> bytes:
    """The body of a 200 answer, retrying connection faults and 5xx a few times."""
    hint = f"check {URL_VARIABLE[kind]}"
    problem = ""
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(2.0 * attempt)
        try:
            response = session.get(url, timeout=config.download_timeout)
        except requests.RequestException as exc:
            problem = f"cannot reach {url}: {type(exc).__name__}"
            hint = f"check your network, or set {URL_VARIABLE[kind]} to a reachable copy; {OFFLINE}"
            continue
        if response.status_code == 200:
            return response.content
        problem, hint = f"HTTP {response.status_code} from {url}", f"check {URL_VARIABLE[kind]}"
        if response.status_code < 500:
            break
    raise PipelineError(f"upstream {UPSTREAM_FILE[kind]}: {problem} ({hint})")


def fetch(config: Config) -> dict[Kind, upstream.UpstreamList]:
    urls: dict[Kind, str] = {"shows": config.tv_url, "movies": config.movies_url}
    payloads: dict[Kind, bytes] = {}
    checked: dict[Kind, upstream.UpstreamList] = {}
    with requests.Session() as session:
        for kind in KINDS:
            payloads[kind] = download(session, urls[kind], kind, config)
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
