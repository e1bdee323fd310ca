"""Issue 23, item 6: a cached Trakt answer read straight from its SQLite row is requests-cache's answer."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pipeline.demo.fake_trakt import FakeTrakt
from pipeline.published.models import Show
from pipeline.trakt import client as trakt_client
from pipeline.trakt import stored
from pipeline.trakt.client import TraktClient
from tests.conftest import make_config, seasons, show

PATHS = ("/shows/10", "/shows/10/seasons?extended=full", "/shows/11")


def cached_client(fake: FakeTrakt) -> TraktClient:
    fake.shows[10] = show(10)
    fake.seasons[10] = seasons(10, 1, 2)
    fake.not_found_shows.add(11)
    client = TraktClient(make_config(fake))
    client.look_up("shows", 10)
    client.look_up("shows", 11)
    return client


def test_a_stored_answer_is_what_requests_cache_gives(workdir: Path, fake: FakeTrakt) -> None:
    """The 200s (their JSON bodies), the 404 and whether each has expired, for any moment."""
    client = cached_client(fake)
    try:
        cache = client.session.cache
        for path in PATHS:
            key = client._key(path)
            response = cache.get_response(key)
            assert response is not None, path
            for now in (datetime.now(UTC), datetime.now(UTC) + timedelta(days=400)):
                found = stored.read(cache, key, now)
                assert found is not None, path
                body = response.json() if response.status_code == 200 else None
                expired = response.expires is not None and now >= response.expires
                assert (found.status, found.body, found.expired) == (response.status_code, body, expired), path
    finally:
        client.close()


def test_a_row_of_another_shape_is_left_to_requests_cache(workdir: Path, fake: FakeTrakt) -> None:
    """No row, or a row written differently (a decoded body): None, and the client asks requests-cache."""
    client = cached_client(fake)
    try:
        cache = client.session.cache
        key = client._key("/shows/10")
        assert stored.read(cache, "0" * 40, datetime.now(UTC)) is None
        with cache.responses.connection(commit=True) as connection:
            connection.execute(
                f"UPDATE {cache.responses.table_name} SET value = ? WHERE key = ?",
                ('{"status_code": 200, "expires": null, "_decoded_content": {"a": 1}}', key),
            )
        assert stored.read(cache, key, datetime.now(UTC)) is None
    finally:
        client.close()


def test_rows_read_together_are_the_rows_read_one_by_one(
    workdir: Path, fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``read_many`` (a warm night's prefetch) over several queries gives each key's ``read``; a key with no row
    or a key that is no digest is absent."""
    monkeypatch.setattr(stored, "CHUNK", 2)  # three keys and a missing one: two queries
    client = cached_client(fake)
    try:
        cache = client.session.cache
        keys = [client._key(path) for path in PATHS]
        now = datetime.now(UTC) + timedelta(days=400)  # every row expired: ``expired`` is read too
        together = stored.read_many(cache, [*keys, "0" * 32, "x'; DROP TABLE responses; --"], now)
        assert together == {key: stored.read(cache, key, now) for key in keys}
        assert all(found.expired for found in together.values())
    finally:
        client.close()


def test_an_answer_is_parsed_into_its_record_once_a_run(
    workdir: Path, fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The prefetch parses a show to know whether to ask its seasons; deciding its entries reads that record."""
    parsed: Counter[int] = Counter()
    real = trakt_client.parse_show

    def counting(body: Any) -> Show:
        parsed[body["ids"]["trakt"]] += 1
        return real(body)

    monkeypatch.setattr(trakt_client, "parse_show", counting)
    client = cached_client(fake)  # look_up(10) parses show 10
    try:
        first, again = client.show(10), client.show(10)
        assert first.value is not None and first.value.trakt_id == 10
        assert again == first
        assert parsed == {10: 1}
    finally:
        client.close()
