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
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from requests_cache.backends.base import BaseCache
from requests_cache.backends.sqlite import SQLiteCache


@dataclass(frozen=True, slots=True)
class Stored:
    status: int
    body: Any  # the JSON body of a 200, None for a 404
    expired: bool


def read(cache: BaseCache, key: str, now: datetime) -> Stored | None:
    """The row of ``key``, or None when there is none or it is not one this module reads."""
    if not isinstance(cache, SQLiteCache) or not key.isalnum():  # our keys are hex digests (cache_key)
        return None
    table = cache.responses.table_name
    try:  # the key inline, as requests-cache reads it: placeholders and threads break sqlite3 on Python 3.12+
        with cache.responses.connection() as connection:
            row = connection.execute(f"SELECT value FROM {table} WHERE key = '{key}'").fetchone()
    except sqlite3.Error:
        return None
    if row is None or not isinstance(row[0], str):
        return None
    try:
        record = json.loads(row[0])
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
