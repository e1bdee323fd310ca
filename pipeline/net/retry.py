"""What is worth a retry, and how long to wait before it: shared by the Trakt client and the downloads."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests

# 429, the 5xx a retry can cure, and Cloudflare's 520-522 (origin down, refused, timed out).
RETRYABLE = frozenset({429, 500, 502, 503, 504, 520, 521, 522})
# Worth a retry too: a connection refused or reset, a timeout, a body cut short or garbled on the way.
TRANSIENT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


def backoff(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff: ``base`` before the first retry, doubling, never more than ``cap``."""
    return float(min(cap, base * 2 ** max(0, attempt - 1)))


def retry_after(response: requests.Response, now: datetime | None = None) -> float | None:
    """Seconds ``Retry-After`` asks us to wait (delay-seconds or an HTTP-date), or None without a usable one."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110: an HTTP-date is always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
