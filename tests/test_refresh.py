"""Refreshes spread over the nights, the cache stays bounded, and the rate limiter uses its burst."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from pipeline.config import Config
from pipeline.demo.fake_trakt import FakeTrakt
from pipeline.enrich import Options, enrich
from pipeline.trakt import stored
from pipeline.trakt.client import TraktClient, cache_key, refresh_seconds, seasons_path
from pipeline.trakt.ratelimit import RateLimiter
from tests.conftest import API_KEY, make_config, movie_entry, tv_entry, write_upstream
from tests.standins.fake_clock import DAY, FakeClock

REPO = Path(__file__).resolve().parent.parent
START = 1_750_000_000.0  # a fixed night, so the simulations do not depend on today
REFRESH_DAYS = 30
SYNTHETIC_URLS = [f"https://api.trakt.tv/shows/{i}" for i in range(3_500)] + [
    f"https://api.trakt.tv/shows/{i}/seasons" for i in range(3_500)
]


# -- refresh slots ----------------------------------------------------------------------------------


def test_refresh_slot_is_stable_per_url() -> None:
    """Whenever a URL is fetched, its next refresh falls on the same phase of the cycle, its own."""
    cycle = (REFRESH_DAYS - 1) * DAY
    phase_of = {}
    for url in SYNTHETIC_URLS[:200]:
        phases = {
            round((now + refresh_seconds(url, now, REFRESH_DAYS)) % cycle, 3)
            for now in (START, START + 0.3 * DAY, START + 7 * DAY, START + 400 * DAY)
        }
        assert len(phases) == 1, url
        phase_of[url] = phases.pop()
    assert len(set(phase_of.values())) == len(phase_of)  # a phase per URL, not one for all


def test_refresh_slot_is_the_same_in_every_process() -> None:
    """Each night is a new process: a URL's slot must not depend on the process (as Python's str hash does)."""
    urls = SYNTHETIC_URLS[:50]
    code = (
        "import json, sys; from pipeline.trakt.client import refresh_seconds;"
        f" print(json.dumps([refresh_seconds(url, {START!r}, {REFRESH_DAYS}) for url in json.load(sys.stdin)]))"
    )
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"  # another hash seed than this process's
    there = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(urls),
        env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(there) == [refresh_seconds(url, START, REFRESH_DAYS) for url in urls]


@pytest.mark.parametrize("refresh_days", [2, 7, 30])
def test_refresh_slot_is_between_a_day_and_refresh_days(refresh_days: int) -> None:
    """An answer stays at least a day (back-to-back runs never re-ask) and at most refresh_days."""
    for i, url in enumerate(SYNTHETIC_URLS):
        seconds = refresh_seconds(url, START + i * 997.0, refresh_days)
        assert DAY <= seconds <= refresh_days * DAY, url


def test_refresh_slots_spread_over_the_nights() -> None:
    """After a cold start of 7,000 URLs, no night holds more than 1/20 of the refreshes."""
    nights = Counter(int(refresh_seconds(url, START, REFRESH_DAYS) // DAY) for url in SYNTHETIC_URLS)
    assert set(nights) == set(range(1, REFRESH_DAYS))
    assert max(nights.values()) <= len(SYNTHETIC_URLS) / 20


# -- nights on a fake clock, through enrich and the real SQLite cache -----------------------------------


@dataclass(slots=True)
class Nights:
    """Runs enrich once a night on a fake clock; keeps each URL's refresh slot as the client set it."""

    fake: FakeTrakt
    config: Config
    clock: FakeClock = field(default_factory=lambda: FakeClock(START))
    slots: dict[str, float] = field(default_factory=dict)  # path -> when its answer expires

    statements: list[str] = field(default_factory=list)  # the SQL of the last night, on the cache's connections

    def run(self, **options: Any) -> set[str]:
        """One night's enrich; the paths it asked Trakt."""
        self.fake.reset_log()
        self.statements.clear()
        with self.clock.patched():
            enrich(self.config, Options(progress=False, **options), client_factory=self._traced_client)
        asked = {request.path + (f"?{request.query}" if request.query else "") for request in self.fake.requests}
        for path in asked:
            now = self.clock.now
            self.slots[path] = now + refresh_seconds(self.fake.url + path, now, self.config.refresh_days)
        return asked

    def _traced_client(self, config: Config, **options: Any) -> TraktClient:
        client = self.clock.client_factory(config, **options)
        cache = client.session.cache
        for table in (cache.responses, cache.redirects):
            with table.connection() as connection:  # requests-cache keeps one connection a table
                connection.set_trace_callback(self.statements.append)
        return client

    def reads(self) -> list[str]:
        return [sql for sql in self.statements if sql.lstrip().upper().startswith("SELECT")]

    def due(self) -> set[str]:
        return {path for path, expires in self.slots.items() if expires <= self.clock.now}

    def next_night(self) -> None:
        self.clock.advance(days=1)

    def cached_expiry(self) -> dict[str, int]:
        """Each known path with a row in the SQLite cache, and the Unix time its row expires."""
        keys = {cache_key(requests.Request("GET", self.fake.url + path)): path for path in self.slots}
        with closing(sqlite3.connect(self.config.trakt_cache)) as connection:
            rows = connection.execute("SELECT key, expires FROM responses").fetchall()
        return {keys[key]: expires for key, expires in rows if key in keys}

    def cached_paths(self, *paths: str) -> set[str]:
        """Which of ``paths`` have a row in the SQLite cache."""
        return set(paths) & set(self.cached_expiry())


SHOWS = range(1_001, 1_121)  # 120 shows (a few are 404s) and 40 movies: about 270 URLs
MOVIES = range(5_001, 5_041)


@pytest.fixture
def nights(workdir: Path) -> Iterator[Nights]:
    tv = [tv_entry(mal_id, trakt_id) for mal_id, trakt_id in enumerate(SHOWS, start=1)]
    movies = [movie_entry(mal_id, trakt_id) for mal_id, trakt_id in enumerate(MOVIES, start=10_001)]
    write_upstream(workdir, tv, movies)
    with FakeTrakt(expected_key=API_KEY).synthesize(tv, movies) as fake:
        yield Nights(fake, make_config(fake))


def test_a_month_refreshes_every_url_once_and_only_the_slots_that_came(nights: Nights) -> None:
    """After a cold start, each night asks exactly the URLs whose slot passed: each once in 30 nights."""
    everything = nights.run()
    per_night = []
    for night in range(1, REFRESH_DAYS + 1):
        nights.next_night()
        due, before = nights.due(), dict(nights.slots)
        asked = nights.run()
        assert asked == due, f"night {night}"
        per_night.append(len(asked))
        for path in asked:  # the next slot is a whole cycle later, so every cycle is like the first
            assert nights.slots[path] - before[path] == pytest.approx((REFRESH_DAYS - 1) * DAY, abs=1.0), path
    assert per_night[0] == 0  # nothing is refreshed the night after it was fetched
    assert sum(per_night) == len(everything)
    assert max(per_night) <= len(everything) / 10  # ~1/29 a night; 1/20 is checked on 7,000 URLs above
    assert nights.cached_expiry() == pytest.approx({path: round(at) for path, at in nights.slots.items()}, abs=1)


def test_force_refreshes_everything_and_keeps_the_spread(nights: Nights) -> None:
    """A forced run asks every URL again, and the nights after it still ask only the slots that came."""
    everything = nights.run()
    for _ in range(2):
        nights.next_night()
        nights.run()
    nights.next_night()
    assert nights.run(force=True) == everything
    for night in range(1, 6):
        nights.next_night()
        due = nights.due()
        assert nights.run() == due, f"night {night} after the forced run"
        assert len(due) <= len(everything) / 10


def test_id_that_left_the_lists_is_pruned_after_its_expiry(nights: Nights, workdir: Path) -> None:
    """Answers for a show no longer listed stay until their refresh slot, then leave the SQLite cache."""
    nights.run()
    leaving = next(trakt_id for trakt_id in SHOWS if trakt_id in nights.fake.shows)
    paths = {f"/shows/{leaving}", seasons_path(leaving)}
    tv = [tv_entry(mal_id, trakt_id) for mal_id, trakt_id in enumerate(SHOWS, start=1) if trakt_id != leaving]
    movies = [movie_entry(mal_id, trakt_id) for mal_id, trakt_id in enumerate(MOVIES, start=10_001)]
    write_upstream(workdir, tv, movies)
    first, last = sorted(nights.slots[path] for path in paths)
    nights.clock.advance(days=(first - nights.clock.now) // DAY)  # the night before the first slot
    assert not nights.run() & paths
    assert nights.cached_paths(*paths) == paths
    nights.clock.advance(days=(last - nights.clock.now) // DAY + 1)  # the night after the last slot
    assert not nights.run() & paths
    assert nights.cached_paths(*paths) == set()


def test_a_warm_night_reads_its_cached_answers_a_few_hundred_a_query(nights: Nights) -> None:
    """Issue 23, item 6: the ~270 answers of a night with nothing due come from a couple of reads, not one
    query an answer (a fifth of a warm enrich on the full lists)."""
    everything = nights.run()
    nights.next_night()
    assert nights.run() == set()
    answers_read = [sql for sql in nights.reads() if "FROM responses WHERE key IN" in sql]
    assert answers_read, nights.statements
    assert len(answers_read) == -(-len(everything) // stored.CHUNK)  # whole chunks, ids from every list
    assert len(nights.reads()) <= len(answers_read) + 5, nights.reads()  # and no query an answer besides


def test_a_night_with_nothing_expired_does_not_rewrite_the_cache(nights: Nights) -> None:
    """Issue 23, item 6: requests-cache vacuums the whole SQLite file after deleting the expired answers,
    even when there are none (0.15 s a warm night); a night with nothing expired deletes nothing."""
    nights.run()
    nights.next_night()
    nights.run()
    written = [sql for sql in nights.statements if sql.lstrip().upper().startswith(("DELETE", "VACUUM"))]
    assert written == []


def test_a_night_with_an_expired_answer_deletes_it_and_compacts_the_cache(nights: Nights, workdir: Path) -> None:
    """The expired answer of an id no longer listed still leaves the cache, and the file is compacted."""
    nights.run()
    leaving = MOVIES[0]
    tv = [tv_entry(mal_id, trakt_id) for mal_id, trakt_id in enumerate(SHOWS, start=1)]
    movies = [movie_entry(mal_id, trakt_id) for mal_id, trakt_id in enumerate(MOVIES, start=10_001)][1:]
    write_upstream(workdir, tv, movies)
    nights.clock.advance(days=(nights.slots[f"/movies/{leaving}"] - nights.clock.now) // DAY + 1)
    nights.run()
    assert nights.cached_paths(f"/movies/{leaving}") == set()
    assert any(sql.strip().upper() == "VACUUM" for sql in nights.statements), nights.statements


# -- the rate limiter ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Timeline:
    """A monotonic clock that only sleeping moves; the sleeps are recorded."""

    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def send_all(calls: int, period: float, requests_to_send: int, latency: float) -> tuple[Timeline, list[float]]:
    """Send requests one after another through a limiter; when each went out."""
    timeline = Timeline()
    limiter = RateLimiter(calls, period, clock=timeline.clock, sleep=timeline.sleep)
    sent = []
    for _ in range(requests_to_send):
        limiter.acquire()
        sent.append(timeline.now)
        timeline.now += latency  # the answer arrives
        limiter.record()
    return timeline, sent


def test_rate_limiter_lets_the_first_burst_through_without_waiting() -> None:
    """The first ``calls`` requests go out at once, with no sleep; the next one waits for the window."""
    timeline, sent = send_all(100, 5.0, 101, latency=0.0)
    assert sent[:100] == [0.0] * 100
    assert len(timeline.sleeps) == 1
    assert sent[100] == pytest.approx(5.0)


@pytest.mark.parametrize("latency", [0.0, 0.003, 0.2])
def test_rate_limiter_never_allows_more_than_calls_in_any_window(latency: float) -> None:
    """However fast the answers come, no ``period`` seconds ever hold more than ``calls`` requests."""
    calls, period = 50, 5.0
    _, sent = send_all(calls, period, 7 * calls + 13, latency)
    for k in range(len(sent) - calls):
        assert sent[k + calls] >= sent[k] + period, k
    assert sent[-1] < 7 * (period + calls * latency) + 13 * latency + 1e-6  # bursts, not even pacing


def test_rate_limiter_waits_as_long_as_trakt_asks() -> None:
    """After a Retry-After, no request goes out before the time Trakt gave."""
    timeline = Timeline()
    limiter = RateLimiter(10, 5.0, clock=timeline.clock, sleep=timeline.sleep)
    limiter.block_for(3.0)
    limiter.acquire()
    assert timeline.now == pytest.approx(3.0)
