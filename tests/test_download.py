"""Every download of fetch rides out rate limits, 5xx and dropped connections, and says what to check when it cannot."""

from __future__ import annotations

import dataclasses
import json
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from pipeline import fetch
from pipeline.config import Config
from pipeline.demo.fake_trakt import FakeTrakt, Fault
from pipeline.errors import PipelineError
from pipeline.net.download import download
from pipeline.net.retry import retry_after
from pipeline.published.models import Kind
from pipeline.sources.upstream import UpstreamList
from tests.conftest import make_config, movie_entry, tv_entry, write_upstream
from tests.standins.faultkit import snapshot

TV = json.dumps([tv_entry(1, 10), tv_entry(2, 11)]).encode()
MOVIES = json.dumps([movie_entry(3, 20)]).encode()
PATH = r"^/db/tv\.json$"


@pytest.fixture
def served(workdir: Path, fake: FakeTrakt) -> FakeTrakt:
    fake.static["/db/tv.json"] = (200, TV, "application/json")
    fake.static["/db/movies.json"] = (200, MOVIES, "application/json")
    return fake


def config(fake: FakeTrakt, **changes: Any) -> Config:
    """Production waits (they are recorded, never waited), five retries."""
    settings = {"download_backoff": 2.0, "download_backoff_max": 60.0, "download_retry_after_max": 120.0}
    return make_config(fake, **{"download_max_retries": 5, **settings, **changes})


def fetch_recording(cfg: Config) -> tuple[list[float], dict[Kind, UpstreamList]]:
    """Run fetch with every wait recorded instead of waited."""
    waits: list[float] = []
    checked = fetch.fetch(cfg, sleep=waits.append)
    return waits, checked


def test_429_with_retry_after_then_200_is_stored_after_the_wait_it_asked(workdir: Path, served: FakeTrakt) -> None:
    """A 429 asking for 7 s, then the list: fetch waits exactly 7 s and stores it."""
    served.add_fault(Fault(status=429, headers={"Retry-After": "7"}, path=PATH, times=1))
    waits, _ = fetch_recording(config(served))
    assert waits == [7.0]
    assert served.count("/db/tv.json") == 2
    assert (workdir / ".cache" / "upstream" / "tv.json").read_bytes() == TV


def test_retry_after_as_an_http_date_is_honoured(workdir: Path, served: FakeTrakt) -> None:
    """``Retry-After`` given as an HTTP date 40 s ahead makes a wait of about 40 s."""
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=40), usegmt=True)
    served.add_fault(Fault(status=503, headers={"Retry-After": when}, path=PATH, times=1))
    waits, _ = fetch_recording(config(served))
    assert len(waits) == 1 and 37.0 <= waits[0] <= 40.0  # the date has a one-second resolution
    assert (workdir / ".cache" / "upstream" / "tv.json").read_bytes() == TV


def test_retry_after_is_capped_by_the_configured_maximum(workdir: Path, served: FakeTrakt) -> None:
    """A server asking for a day is waited on only for ``download_retry_after_max`` seconds."""
    served.add_fault(Fault(status=429, headers={"Retry-After": "86400"}, path=PATH, times=2))
    waits, _ = fetch_recording(config(served, download_retry_after_max=90.0))
    assert waits == [90.0, 90.0]


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault(status=429), id="429-no-header"),
        *(pytest.param(Fault(status=status), id=str(status)) for status in (500, 502, 503, 504, 520, 521, 522)),
        pytest.param(Fault(reset=True), id="connection-reset"),
        pytest.param(Fault(cut=True), id="transfer-cut-short"),
        pytest.param(Fault(delay=1.0), id="slower-than-timeout"),
    ],
)
def test_transient_fault_is_retried_with_exponential_backoff(workdir: Path, served: FakeTrakt, fault: Fault) -> None:
    """Three faulty answers, then the list: waits of 2, 4 and 8 s, and the list is stored."""
    served.add_fault(dataclasses.replace(fault, path=PATH, times=3))
    waits, checked = fetch_recording(config(served, download_timeout=0.2))
    assert waits == [2.0, 4.0, 8.0]
    assert served.count("/db/tv.json") == 4
    assert [entry["mal_id"] for _, entry in checked["shows"].entries] == [1, 2]


def test_5xx_past_the_retries_names_the_url_and_the_variable(workdir: Path, served: FakeTrakt) -> None:
    """A 503 that lasts: 6 attempts, backoff capped at its maximum, then one message; nothing stored."""
    write_upstream(workdir, [tv_entry(1, 10)], [movie_entry(3, 20)])
    before = snapshot(workdir / ".cache" / "upstream")
    served.add_fault(Fault(status=503, path=r"^/db/movies\.json$"))
    with pytest.raises(PipelineError) as caught:
        fetch_recording(config(served, download_backoff_max=10.0))
    assert str(caught.value) == (
        f"upstream movies.json: HTTP 503 from {served.url}/db/movies.json after 6 attempts"
        " (check ANITRAKT_MOVIES_URL, or run again later)"
    )
    assert served.count("/db/movies.json") == 6
    assert snapshot(workdir / ".cache" / "upstream") == before


def test_404_is_not_retried(workdir: Path, served: FakeTrakt) -> None:
    """A 404 is a wrong URL, not a fault: one request, no wait, the variable to check."""
    served.static["/db/tv.json"] = (404, b"404: Not Found", "text/plain")
    waits: list[float] = []
    with pytest.raises(PipelineError) as caught:
        fetch.fetch(config(served), sleep=waits.append)
    assert str(caught.value) == f"upstream tv.json: HTTP 404 from {served.url}/db/tv.json (check ANITRAKT_TV_URL)"
    assert (waits, served.count("/db/tv.json")) == ([], 1)


def test_connection_refused_past_the_retries_names_the_url_and_the_variable(workdir: Path, served: FakeTrakt) -> None:
    """Nothing listens at the URL: retried, then the message names the URL and the variable."""
    url = refused_url()
    waits: list[float] = []
    with pytest.raises(PipelineError) as caught, requests.Session() as session:
        download(session, url, "mapping source anime_ids.json", "ANIME_IDS_URL", config(served), sleep=waits.append)
    assert str(caught.value) == (
        f"mapping source anime_ids.json: cannot reach {url} (6 attempts): check your network, or set ANIME_IDS_URL"
        " to a reachable copy; `uv run python -m pipeline --demo` runs the whole chain offline"
    )
    assert waits == [2.0, 4.0, 8.0, 16.0, 32.0]


def test_malformed_url_fails_at_once(workdir: Path, served: FakeTrakt) -> None:
    """A URL no retry can cure (no scheme) fails on the first attempt, naming the variable."""
    waits: list[float] = []
    with pytest.raises(PipelineError) as caught:
        fetch.fetch(config(served, tv_url="raw.githubusercontent.com/tv.json"), sleep=waits.append)
    assert str(caught.value).startswith("upstream tv.json: MissingSchema for raw.githubusercontent.com/tv.json: ")
    assert str(caught.value).endswith(" (check ANITRAKT_TV_URL)")
    assert waits == []


def refused_url() -> str:
    """A 127.0.0.1 URL on a port that was free a moment ago: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/anime_ids.json"


NOW = datetime(2026, 11, 22, 3, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "wait"),
    [
        ("7", 7.0),
        ("0.5", 0.5),
        ("-3", 0.0),
        ("Sun, 22 Nov 2026 03:01:30 GMT", 90.0),
        ("Sun, 22 Nov 2026 02:59:00 GMT", 0.0),  # a date in the past: no wait
        ("soon", None),
        ("", None),
    ],
)
def test_retry_after_reads_seconds_or_an_http_date(value: str, wait: float | None) -> None:
    """``Retry-After`` is delay-seconds or an HTTP date (RFC 9110); anything else is no answer."""
    response = requests.Response()
    response.headers["Retry-After"] = value
    assert retry_after(response, now=NOW) == wait
