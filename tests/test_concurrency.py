"""Lookups in parallel: each URL still asked once, the rate-limit window never exceeded, outages still stop."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path
from typing import Any

import pytest

from pipeline import enrich
from pipeline.config import Config
from pipeline.demo.fake_trakt import FakeTrakt, Fault, most_in_window
from pipeline.enrich import Options
from pipeline.errors import PipelineError
from pipeline.trakt.client import TraktClient
from tests.conftest import make_config, movie, movie_entry, read, seasons, show, tv_entry, write_upstream

QUIET = Options(progress=False)


def many(workdir: Path, fake: FakeTrakt, shows: int, movies: int) -> int:
    """Upstream lists of ``shows`` shows and ``movies`` movies; returns the URLs a cold run needs."""
    for trakt_id in range(1, shows + 1):
        fake.shows[trakt_id] = show(trakt_id)
        fake.seasons[trakt_id] = seasons(trakt_id, 1)
    for trakt_id in range(1, movies + 1):
        fake.movies[trakt_id] = movie(trakt_id)
    write_upstream(
        workdir,
        [tv_entry(i, i) for i in range(1, shows + 1)],
        [movie_entry(10_000 + i, i) for i in range(1, movies + 1)],
    )
    return 2 * shows + movies


def test_parallel_lookups_ask_each_url_once_within_the_window(workdir: Path, fake: FakeTrakt) -> None:
    """Four lookups at a time against a slow, rate-limited Trakt: no 429, no window over the limit."""
    needed = many(workdir, fake, shows=60, movies=60)
    fake.latency = 0.02
    fake.rate_limit, fake.rate_period = 50, 0.5
    summary = enrich.enrich(make_config(fake, concurrency=4, rate_limit_calls=50, rate_limit_period=0.5), QUIET)
    paths = [request.path for request in fake.requests]
    assert sorted(paths) == sorted(set(paths)) and len(paths) == needed == summary["requests"]["made"]
    # Both hold whatever the machine's load: a request is let through only once the one 50 before it
    # was answered a window ago, so its arrival at the fake is a window after that one's arrival.
    assert fake.throttled == 0
    assert most_in_window([request.time for request in fake.requests], 0.5) <= 50


def test_four_lookups_are_under_way_at_once(workdir: Path, fake: FakeTrakt) -> None:
    """With concurrency 4, four lookups are under way at once: the first four wait for each other, then go."""
    needed = many(workdir, fake, shows=20, movies=20)
    together = threading.Barrier(4, timeout=30)  # broken, failing the run, unless four lookups reach it
    first_requests = itertools.count()

    def gated_client(config: Config, **options: Any) -> TraktClient:
        client = TraktClient(config, **options)
        acquire = client.limiter.acquire

        def acquire_together() -> None:
            if next(first_requests) < 4:
                together.wait()
            acquire()

        client.limiter.acquire = acquire_together  # type: ignore[method-assign]
        return client

    summary = enrich.enrich(make_config(fake, concurrency=4), QUIET, client_factory=gated_client)
    assert not together.broken
    assert summary["requests"]["made"] == fake.count() == needed
    assert len(read(workdir, "tv_ex.json")) == 20


def test_outage_stops_every_thread(workdir: Path, fake: FakeTrakt) -> None:
    """When the breaker trips in one thread, the others stop too: few requests after the outage began."""
    many(workdir, fake, shows=40, movies=40)
    before = (workdir / "output").exists()
    fake.outage_from(10)
    config = make_config(fake, concurrency=4)
    with pytest.raises(PipelineError, match="Trakt looks unavailable: 8 failed attempts in a row"):
        enrich.enrich(config, QUIET)
    after_outage = fake.count() - 10
    assert after_outage <= config.circuit_breaker_failures + config.concurrency * (config.max_retries + 1)
    assert (workdir / "output").exists() == before  # nothing written


def test_retry_after_holds_back_the_other_lookup_threads(workdir: Path, fake: FakeTrakt) -> None:
    """While one lookup waits out a 429's Retry-After, a lookup in another thread waits for it too."""
    fake.movies[20], fake.movies[21] = movie(20), movie(21)
    fake.add_fault(Fault(status=429, headers={"Retry-After": "7"}, path=r"^/movies/20$", times=1))
    now = [0.0]
    events: list[tuple[str, float, int]] = []  # (what, seconds or virtual time, requests for /movies/21 so far)

    def other_lookup() -> None:
        status = client.movie(21).status
        events.append((status, now[0], fake.count("/movies/21")))

    def sleep(seconds: float) -> None:
        events.append(("sleep", seconds, fake.count("/movies/21")))
        if len(events) == 1:  # the throttled lookup waits; meanwhile another thread looks a movie up
            other = threading.Thread(target=other_lookup)
            other.start()
            other.join(timeout=60)
        now[0] += seconds

    client = TraktClient(make_config(fake, retry_after_max=30.0), sleep=sleep, clock=lambda: now[0])
    try:
        assert client.movie(20).status == "ok"
    finally:
        client.close()
    assert events == [("sleep", 7.0, 0), ("sleep", 7.0, 0), ("ok", 7.0, 1)]
    assert [request.path for request in fake.requests] == ["/movies/20", "/movies/21", "/movies/20"]
