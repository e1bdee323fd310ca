"""Shared by the fault-injection tests: the transient faults, virtual time, a small world, snapshots."""

from __future__ import annotations

import json
import logging
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import Config
from pipeline.demo.fake_trakt import FakeTrakt, Fault
from pipeline.trakt.client import TraktClient
from tests.conftest import movie, movie_entry, seasons, show, tv_entry, write_upstream

# Each lookup of the small world that the "persistent fault" tests break: a seasons call (the old
# tool's split cours), a show call and a movie call (its false not-founds). MAL 3 (show 12) stays fine.
FAILING = r"^/(shows/10/seasons|shows/11|movies/20)$"
FAILING_PATHS = ("/shows/10/seasons", "/shows/11", "/movies/20")
FAILING_MAL = [("movies", 4), ("shows", 1), ("shows", 2)]

# The "slower than the timeout" case: the client gives up after SLOW_TIMEOUT, the fault answers after
# SLOW_DELAY; both far from how long a normal answer takes, even on a busy machine.
SLOW_TIMEOUT = 0.5
SLOW_DELAY = 30.0  # never waited out: the fake's stop ends it
VIRTUAL_EPOCH = 1_800_000_000.0  # the Unix time at which a VirtualTime starts (2027-01-15T08:00:00Z)


class VirtualTime:
    """Clocks that move only when the client sleeps: every wait is recorded, none is waited.

    ``clock`` is the monotonic clock (from 0); ``wall`` the Unix time, from ``VIRTUAL_EPOCH``.
    """

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += max(0.0, seconds)

    def clock(self) -> float:
        return self.now

    def wall(self) -> float:
        return VIRTUAL_EPOCH + self.now

    def factory(self, config: Config, force: bool = False) -> TraktClient:
        return TraktClient(config, force=force, sleep=self.sleep, clock=self.clock, wall_clock=self.wall)


def _ratelimit_until(seconds: float) -> dict[str, str]:
    """An X-Ratelimit header whose window ends ``seconds`` after a VirtualTime started."""
    until = datetime.fromtimestamp(VIRTUAL_EPOCH + seconds, UTC)
    limit = {"name": "UNAUTHED_API_GET_LIMIT", "period": 300, "limit": 1000, "remaining": 0}
    return {"X-Ratelimit": json.dumps({**limit, "until": until.strftime("%Y-%m-%dT%H:%M:%SZ")})}


@dataclass(frozen=True)
class Transient:
    """One transient fault: how the fake answers, the client config it needs, the waits it causes."""

    make: Callable[[], Fault]
    config: dict[str, Any] = field(default_factory=dict)
    waits: tuple[float, ...] | None = None  # the waits two such answers ask for; None: the client's own backoff


def _bad(status: int) -> Transient:
    return Transient(lambda: Fault(status=status))


TRANSIENT = {
    "429-retry-after": Transient(lambda: Fault(status=429, headers={"Retry-After": "7"}), waits=(7.0, 7.0)),
    # The same "until" twice: the first answer asks 30 s; once they passed, the second asks nothing, and
    # the client backs off as without a header (2 s before the second retry) rather than retrying at once.
    "429-x-ratelimit-only": Transient(lambda: Fault(status=429, headers=_ratelimit_until(30)), waits=(30.0, 2.0)),
    "429-no-headers": _bad(429),
    **{str(status): _bad(status) for status in (500, 502, 503, 504, 520, 521, 522)},
    "connection-reset": Transient(lambda: Fault(reset=True)),
    "transfer-cut-short": Transient(lambda: Fault(cut=True)),
    "slower-than-timeout": Transient(lambda: Fault(delay=SLOW_DELAY), config={"timeout": SLOW_TIMEOUT}),
    "200-truncated-json": Transient(lambda: Fault(body=b'{"title": "Show 10", "ids": {"trakt": 1')),
    "200-html": Transient(lambda: Fault(body=b"<!DOCTYPE html><html><body>502 Bad gateway</body></html>")),
}


def transient_params() -> list[Any]:
    return [pytest.param(case, id=name) for name, case in TRANSIENT.items()]


def small_world(fake: FakeTrakt, workdir: Path) -> None:
    """Three shows (MAL 1-3) and a movie (MAL 4) that Trakt knows, as the upstream lists."""
    for trakt_id in (10, 11, 12):
        fake.shows[trakt_id] = show(trakt_id)
        fake.seasons[trakt_id] = seasons(trakt_id, 1, 2)
    fake.movies[20] = movie(20)
    write_upstream(
        workdir, [tv_entry(1, 10, season=2), tv_entry(2, 11), tv_entry(3, 12)], [movie_entry(4, 20, title="Film")]
    )


def rename_failing(fake: FakeTrakt) -> None:
    """Change what Trakt says about the entries FAILING breaks, so that a refresh would show."""
    fake.shows[10]["title"] = fake.shows[11]["title"] = "Renamed"
    fake.seasons[10][1]["ids"]["tvdb"] = 1
    fake.movies[20]["title"] = "Renamed film"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path, with its bytes."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Steps' ``main`` replace the root handlers, ``sys.excepthook`` and SIGTERM's; put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level, hook, on_term = list(root.handlers), root.level, sys.excepthook, signal.getsignal(signal.SIGTERM)
    levels = {name: logging.getLogger(name).level for name in ("pipeline", "urllib3", "requests_cache")}
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    sys.excepthook = hook
    signal.signal(signal.SIGTERM, on_term)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)
