"""What the whole chain checks before its first step: the Trakt key, then one quick try of the first URL.

Without these, ``python -m pipeline`` with no key and no network spent a minute retrying the upstream
download before it said so, and found the missing key only at discover, after every download. Each
check fails at once with the way out; the steps keep their own checks (and their retries) when run alone.
"""

from __future__ import annotations

import getpass
import logging
import sys

import requests

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.net.download import OFFLINE
from pipeline.trakt.client import NO_KEY

logger = logging.getLogger(__name__)

QUICK_TIMEOUT = 5.0  # seconds for the one try: a reachable host answers within it, a dead one fails at once


def api_key(config: Config, flag: str | None) -> str:
    """The key from ``--api-key``, the environment or ``.env``; on a terminal, asked for (without echo)."""
    key = (flag or "").strip() or config.api_key
    if key:
        return key
    if sys.stdin.isatty() and sys.stderr.isatty():
        key = getpass.getpass("Trakt API key (client id): ").strip()
        if key:
            return key
    raise PipelineError(NO_KEY)


def reachable(url: str, variable: str, *, timeout: float = QUICK_TIMEOUT) -> None:
    """One GET of ``url``, headers only, no retry: any HTTP answer will do (fetch judges it, with retries).

    Only no answer at all (offline, a wrong host, a closed port, a timeout) fails, naming the URL and ``variable``.
    """
    try:
        with requests.get(url, timeout=timeout, stream=True):
            pass
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise PipelineError(
            f"cannot reach {url} ({type(exc).__name__}, one quick try): check your network, or set {variable} to a"
            f" reachable copy; {OFFLINE}"
        ) from None
    except requests.RequestException as exc:  # a malformed URL, a bad scheme
        raise PipelineError(f"{type(exc).__name__} for {url}: {exc} (check {variable})") from None


def check(config: Config, key_flag: str | None) -> str:
    """The key first (no request needed), then the upstream TV list's host; returns the key for the steps."""
    key = api_key(config, key_flag)
    reachable(config.tv_url, "ANITRAKT_TV_URL")
    logger.info("pipeline: the key is set and %s answers", config.tv_url)
    return key
