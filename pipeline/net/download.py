"""Downloading one file for fetch: retried with backoff through rate limits, 5xx and dropped connections.

raw.githubusercontent.com rate-limits downloads (429) since May 2025, and GitHub's CDN answers
5xx or drops the connection now and then; every file fetch stores comes through ``download``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import requests

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.net.budget import Budget
from pipeline.net.retry import RETRYABLE, TRANSIENT_ERRORS, backoff, retry_after

logger = logging.getLogger(__name__)

OFFLINE = "`uv run python -m pipeline --demo` runs the whole chain offline"


def download(
    session: requests.Session,
    url: str,
    label: str,
    variable: str,
    config: Config,
    *,
    sleep: Callable[[float], None] = time.sleep,
    budget: Budget | None = None,
) -> bytes:
    """The body of a 200 answer for ``url``, or a PipelineError naming ``label``, the URL and ``variable``.

    429, 5xx (520-522 included), resets and timeouts are retried ``config.download_max_retries``
    times, waiting what ``Retry-After`` asks (capped at ``config.download_retry_after_max``) or else
    an exponential backoff. Any other status fails at once: a 404 is a wrong URL, not a fault.
    ``budget``: the source's time tonight, shared by its downloads; no retry waits beyond it.
    """
    attempts = config.download_max_retries + 1
    problem, unreachable = "", False
    for attempt in range(1, attempts + 1):
        wait = backoff(attempt, config.download_backoff, config.download_backoff_max)
        timeout = config.download_timeout if budget is None else min(config.download_timeout, budget.remaining())
        if timeout <= 0:
            break
        try:
            response = session.get(url, timeout=timeout)
        except TRANSIENT_ERRORS as exc:
            problem = f"{type(exc).__name__} from {url}"
            unreachable = isinstance(exc, requests.ConnectionError) and not isinstance(exc, requests.Timeout)
        except requests.RequestException as exc:  # a malformed URL, a bad scheme: no retry cures it
            raise PipelineError(f"{label}: {type(exc).__name__} for {url}: {exc} (check {variable})") from None
        else:
            if response.status_code == 200:
                return response.content
            problem, unreachable = f"HTTP {response.status_code} from {url}", False
            if response.status_code not in RETRYABLE:
                raise PipelineError(f"{label}: {problem} (check {variable})")
            asked = retry_after(response)
            if asked is not None:
                wait = min(asked, config.download_retry_after_max)
        if attempt < attempts and budget is not None and not budget.allows(wait):
            raise PipelineError(f"{label}: {budget.skipped(f'{problem}, {attempt} attempts')} (check {variable})")
        if attempt < attempts:
            logger.info("fetch: %s: %s, retrying in %.1f s", label, problem, wait)
            sleep(wait)
    if unreachable:  # no answer at all: offline, or a wrong host
        raise PipelineError(
            f"{label}: cannot reach {url} ({attempts} attempts): check your network, or set {variable} to a"
            f" reachable copy; {OFFLINE}"
        )
    raise PipelineError(f"{label}: {problem} after {attempts} attempts (check {variable}, or run again later)")
