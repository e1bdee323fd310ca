"""A cached Trakt answer read straight from its row in requests-cache's SQLite table.

A warm night reads ~10,000 cached answers; requests-cache turns each row into a whole
``CachedResponse`` (cattrs: headers, the request, cookies...) to give back a status and a body, and
that was half of a warm enrich. For the rows its JSON serializer writes (``serializer="json"``:
``status_code``, ``expires`` as ISO 8601, the body base64 in ``_content``), this reads the three
fields the client needs. Any other row (a decoded body, a redirect, a field missing or of another
shape) answers None, and the client asks requests-cache as before: a row is never guessed at.
"""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from requests_cache.backends.base import BaseCache
from requests_cache.backends.sqlite import SQLiteCache

CHUNK = 500  # keys a query: far below SQLite's limits on a statement's length


@dataclass(frozen=True, slots=True)
class Stored:
    status: int
    body: Any  # the JSON body of a 200, None for a 404
    expired: bool


def read(cache: BaseCache, key: str, now: datetime) -> Stored | None:
    """The row of ``key``, or None when there is none or it is not one this module reads."""
    return read_many(cache, [key], now).get(key)


def read_many(cache: BaseCache, keys: Iterable[str], now: datetime) -> dict[str, Stored]:
    """The rows of ``keys`` this module reads, a few hundred keys a query (one query each was a fifth of
    a warm enrich); a key absent from the answer has no row, or one left to requests-cache."""
    if not isinstance(cache, SQLiteCache):
        return {}
    wanted = sorted({key for key in keys if key.isalnum()})  # our keys are hex digests (cache_key)
    table = cache.responses.table_name
    found: dict[str, Stored] = {}
    try:  # the keys inline, as requests-cache reads them: placeholders and threads break sqlite3 on Python 3.12+
        with cache.responses.connection() as connection:
            for start in range(0, len(wanted), CHUNK):
                listed = ",".join(f"'{key}'" for key in wanted[start : start + CHUNK])
                for key, value in connection.execute(f"SELECT key, value FROM {table} WHERE key IN ({listed})"):
                    stored = _decode(value, now)
                    if stored is not None:
                        found[key] = stored
    except sqlite3.Error:
        return found
    return found


def _decode(value: object, now: datetime) -> Stored | None:
    """A row's value as requests-cache's JSON serializer writes it, or None for any other shape."""
    if not isinstance(value, str):
        return None
    try:
        record = json.loads(value)
        status = int(record["status_code"])
        expires = record["expires"]
        expired = expires is not None and now >= datetime.fromisoformat(expires)
        if "_decoded_content" in record or status not in (200, 404):
            return None
        if status == 404:
            return Stored(status, None, expired)
        body = json.loads(base64.b64decode(record["_content"], validate=True))
    except (ValueError, TypeError, KeyError, binascii.Error):
        return None
    return Stored(status, body, expired) if isinstance(body, dict | list) else None
