"""The fake Trakt server itself: routes, headers, faults, rate limit, request log, synthesis, CLI."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from pipeline.demo.fake_trakt import (
    SAMPLE,
    SPLIT_COUR_EVERY,
    UPSTREAM_MOVIES,
    UPSTREAM_TV,
    FakeTrakt,
    Fault,
    is_synthetic_not_found,
)

HEADERS = {"trakt-api-key": "test-key", "trakt-api-version": "2", "Content-Type": "application/json"}
SAMPLE_DATA = json.loads(SAMPLE.read_text(encoding="utf-8"))
# A client timeout, and a latency or delay far beyond it (never waited out: the fake's stop ends it).
SHORT, LONG = 0.2, 60.0


@dataclass(slots=True)
class Clock:
    """The fake's clock, moved by the test."""

    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> Iterator[FakeTrakt]:
    with FakeTrakt.from_sample() as server:
        yield server


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as client:
        client.headers.update(HEADERS)
        yield client


def get(session: requests.Session, fake: FakeTrakt, path: str, **kwargs: object) -> requests.Response:
    return session.get(fake.url + path, timeout=2, **kwargs)  # type: ignore[arg-type]


def test_routes_answer_the_recorded_sample(fake: FakeTrakt, session: requests.Session) -> None:
    """Shows, seasons and movies answer the sample's JSON on a kept-alive HTTP/1.1 connection."""
    show = get(session, fake, "/shows/46086")
    seasons = get(session, fake, "/shows/46086/seasons")
    movie = get(session, fake, "/movies/10904")

    assert [show.status_code, seasons.status_code, movie.status_code] == [200, 200, 200]
    assert show.headers["Content-Type"].startswith("application/json")
    assert show.json() == SAMPLE_DATA["shows"]["46086"]
    assert seasons.json() == SAMPLE_DATA["seasons"]["46086"]
    assert movie.json() == SAMPLE_DATA["movies"]["10904"]
    assert show.raw.version == 11
    assert len({request.client_port for request in fake.requests}) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/shows/199250",  # in the sample's not_found
        "/shows/199250/seasons",  # a 404 show is a 404 for its seasons too
        "/movies/798926",
        "/shows/1",  # unknown id
        "/movies/1",
        "/shows/kobato",
        "/shows/46086/seasons/1",
        "/search/trakt/46086",
        "/",
    ],
)
def test_unknown_and_not_found_paths_answer_404(fake: FakeTrakt, session: requests.Session, path: str) -> None:
    """Every path that is not a known record answers 404 with a small JSON error."""
    response = get(session, fake, path)

    assert response.status_code == 404
    assert response.json() == {"error": "not found"}


def test_edits_between_requests_take_effect(fake: FakeTrakt, session: requests.Session) -> None:
    """Tests may change the public dicts and sets between two requests."""
    fake.shows[7] = {"title": "Seven", "year": 2000, "ids": {"trakt": 7}}
    assert get(session, fake, "/shows/7").json()["title"] == "Seven"

    fake.not_found_shows.add(7)
    assert get(session, fake, "/shows/7").status_code == 404


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"trakt-api-version": "2"}, 401),
        ({"trakt-api-key": "expected"}, 401),
        ({"trakt-api-key": "expected", "trakt-api-version": "1"}, 401),
        ({"trakt-api-key": "other", "trakt-api-version": "2"}, 403),
        ({"trakt-api-key": "expected", "trakt-api-version": "2"}, 200),
    ],
)
def test_required_headers_are_checked(headers: dict[str, str], status: int) -> None:
    """A missing key or version answers 401; a key other than expected_key answers 403."""
    with FakeTrakt.from_sample(expected_key="expected") as fake:
        response = requests.get(f"{fake.url}/shows/46086", headers=headers, timeout=2)

    assert response.status_code == status
    assert "error" in response.json() or status == 200


def test_request_log_records_arrivals_in_order(fake: FakeTrakt, session: requests.Session) -> None:
    """Each request is logged with its method, path, lower-cased headers and arrival time."""
    get(session, fake, "/shows/46086")
    get(session, fake, "/movies/10904", params={"extended": "full"})
    get(session, fake, "/shows/46086")

    first, second, _ = fake.requests
    assert [request.path for request in fake.requests] == ["/shows/46086", "/movies/10904", "/shows/46086"]
    assert (first.method, first.headers["trakt-api-key"]) == ("GET", "test-key")
    assert second.query == "extended=full"
    assert first.time <= second.time
    assert (fake.count(), fake.count("/shows/46086"), fake.count("/shows/1")) == (3, 2, 0)

    fake.reset_log()
    assert fake.requests == []
    assert fake.count() == 0


def test_latency_holds_back_every_answer_but_static_files() -> None:
    """With a latency, a found record and a 404 are not answered within a client timeout; a static file is."""
    with FakeTrakt.from_sample(latency=LONG) as fake:
        fake.static["/db/tv.json"] = (200, b"[]", "application/json")
        assert requests.get(f"{fake.url}/db/tv.json", timeout=2).json() == []
        for path in ("/shows/46086", "/shows/1"):
            with pytest.raises(requests.Timeout):
                requests.get(fake.url + path, headers=HEADERS, timeout=SHORT)
        assert fake.count() == 3


def test_rate_limit_answers_429_with_retry_after(session: requests.Session) -> None:
    """Past the limit the fake answers 429 with Retry-After (when a slot frees) and a Trakt-shaped X-Ratelimit."""
    clock = Clock()
    with FakeTrakt.from_sample(rate_limit=2, rate_period=60, clock=clock) as fake:
        answers = [get(session, fake, "/shows/46086")]
        clock.now = 10.0
        answers += [get(session, fake, "/shows/46086") for _ in range(2)]

        assert [answer.status_code for answer in answers] == [200, 200, 429]
        assert json.loads(answers[0].headers["X-Ratelimit"])["remaining"] == 1
        assert json.loads(answers[1].headers["X-Ratelimit"])["remaining"] == 0
        limit = json.loads(answers[2].headers["X-Ratelimit"])
        assert limit["name"] == "UNAUTHED_API_GET_LIMIT"
        assert (limit["period"], limit["limit"], limit["remaining"]) == (60, 2, 0)
        assert limit["until"].endswith("Z")
        assert answers[2].headers["Retry-After"] == "50"  # the first request leaves the window at 60
        assert fake.throttled == 1


def test_throttled_requests_take_no_slot_in_the_window(session: requests.Session) -> None:
    """Once the window slides past the answered requests, the next ones are answered, whatever was throttled."""
    clock = Clock()
    with FakeTrakt.from_sample(rate_limit=2, rate_period=0.3, clock=clock) as fake:
        first = [get(session, fake, "/movies/10904").status_code for _ in range(2)]
        clock.now = 0.2
        throttled = [get(session, fake, "/movies/10904") for _ in range(3)]
        clock.now = 0.35  # the two answered at 0 left the window; the three throttled at 0.2 never entered it
        later = [get(session, fake, "/movies/10904").status_code for _ in range(2)]

        assert first == [200, 200]
        assert [answer.status_code for answer in throttled] == [429, 429, 429]
        assert throttled[0].headers["Retry-After"] == "1"  # at least 1 second, even for a short window
        assert later == [200, 200]
        assert fake.throttled == 3
        assert [request.time for request in fake.requests] == [0.0] * 2 + [0.2] * 3 + [0.35] * 2


def test_fault_applies_in_order_to_matching_paths_for_its_times(fake: FakeTrakt, session: requests.Session) -> None:
    """The first matching active fault answers; once its times are used up, the next one does."""
    fake.add_fault(Fault(status=502, times=1, path=r"/seasons$"))
    fake.add_fault(Fault(status=429, headers={"Retry-After": "3"}, times=1))
    fake.add_fault(Fault(status=520, body=b"<html>Cloudflare</html>", times=1))

    statuses = [get(session, fake, path).status_code for path in ["/shows/46086/seasons"] * 4]

    assert statuses == [502, 429, 520, 200]
    assert fake.throttled == 1


def test_fault_bodies_and_headers_are_sent_as_given(fake: FakeTrakt, session: requests.Session) -> None:
    """A truncated JSON body answers 200; an HTML page answers text/html; headers are added."""
    fake.add_fault(Fault(body=b'{"title": "Cow', times=1))
    fake.add_fault(Fault(status=429, headers={"Retry-After": "7"}, body=b"<html>slow down</html>", times=1))

    truncated = get(session, fake, "/shows/46086")
    html = get(session, fake, "/shows/46086")

    assert (truncated.status_code, truncated.content) == (200, b'{"title": "Cow')
    with pytest.raises(ValueError):
        truncated.json()
    assert html.status_code == 429
    assert html.headers["Retry-After"] == "7"
    assert html.headers["Content-Type"].startswith("text/html")


def test_reset_fault_resets_the_connection(fake: FakeTrakt, session: requests.Session) -> None:
    """A reset fault closes the socket without answering; the next request is answered."""
    fake.add_fault(Fault(reset=True, times=1))

    with pytest.raises(requests.ConnectionError):
        get(session, fake, "/shows/46086")
    assert get(session, fake, "/shows/46086").status_code == 200


def test_delay_fault_exceeds_the_client_timeout(fake: FakeTrakt, session: requests.Session) -> None:
    """A delay-only fault makes the client time out, then lets later requests through normally."""
    fake.add_fault(Fault(delay=LONG, times=1))

    with pytest.raises(requests.Timeout):
        session.get(f"{fake.url}/shows/46086", timeout=SHORT)
    assert get(session, fake, "/shows/46086").status_code == 200


def test_outage_from_fails_every_request_after_the_first_n(fake: FakeTrakt, session: requests.Session) -> None:
    """outage_from(n) lets n requests through, then answers 503 to all of them, forever."""
    get(session, fake, "/shows/46086")  # received before the fault was added: not counted
    fake.outage_from(2)

    statuses = [get(session, fake, "/shows/46086").status_code for _ in range(5)]

    assert statuses == [200, 200, 503, 503, 503]


def test_static_files_are_served_without_headers(fake: FakeTrakt) -> None:
    """Static paths are answered before the Trakt routes, with no header check."""
    fake.static["/db/tv.json"] = (200, b"[]", "application/json")
    fake.static["/db/movies.json"] = (200, b"<html>oops</html>", "text/html")

    tv = requests.get(f"{fake.url}/db/tv.json", timeout=2)
    movies = requests.get(f"{fake.url}/db/movies.json", timeout=2)

    assert (tv.status_code, tv.json()) == (200, [])
    assert movies.headers["Content-Type"] == "text/html"
    assert fake.count("/db/tv.json") == 1


def test_synthesize_answers_every_upstream_id_deterministically() -> None:
    """Every upstream id gets an answer or a 404; the sample wins; the rules depend on the id only."""
    tv = json.loads(UPSTREAM_TV.read_text(encoding="utf-8"))
    movies = json.loads(UPSTREAM_MOVIES.read_text(encoding="utf-8"))
    fake = FakeTrakt.from_sample().synthesize(tv, movies)
    again = FakeTrakt.from_sample().synthesize(tv, movies)

    highest: dict[int, int] = {}
    for entry in tv:
        highest[entry["trakt_id"]] = max(highest.get(entry["trakt_id"], 0), entry["season"])
    synthesized = {trakt_id for trakt_id in highest if str(trakt_id) not in SAMPLE_DATA["shows"]}
    split = {trakt_id for trakt_id in synthesized if len(fake.seasons.get(trakt_id, [])) == highest[trakt_id]}

    assert (fake.shows, fake.seasons, fake.movies) == (again.shows, again.seasons, again.movies)
    assert all((trakt_id in fake.shows) != (trakt_id in fake.not_found_shows) for trakt_id in highest)
    assert {entry["trakt_id"] for entry in movies} <= set(fake.movies) | fake.not_found_movies
    assert fake.shows[46086] == SAMPLE_DATA["shows"]["46086"]
    assert all(is_synthetic_not_found(i) for i in fake.not_found_shows - set(SAMPLE_DATA["not_found"]["shows"]))
    assert 0.01 < len(fake.not_found_shows) / len(highest) < 0.03
    assert 0.015 < len(fake.not_found_movies) / len(movies) < 0.03
    assert split and all(trakt_id % SPLIT_COUR_EVERY == 0 for trakt_id in split)
    assert 0.02 < len(split) / len(synthesized) < 0.045
    season_ids = [season["ids"]["trakt"] for seasons in fake.seasons.values() for season in seasons]
    assert len(season_ids) == len(set(season_ids))
    ids = [show["ids"] for show in fake.shows.values()]
    assert {"", None} <= {show_ids["imdb"] for show_ids in ids}
    assert 0 in {show_ids["tvdb"] for show_ids in ids}
    assert fake.shows[9494]["year"] is None  # 9494 = 101 * 94


def test_cli_serves_the_fixtures_and_prints_the_environment() -> None:
    """`python -m pipeline.demo.fake_trakt --port 0` prints the exports, serves, and stops on Ctrl-C."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline.demo.fake_trakt", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(8)]
        url = lines[0].removeprefix("export TRAKT_API_URL=")
        assert lines == [
            f"export TRAKT_API_URL={url}",
            f"export ANITRAKT_TV_URL={url}/db/tv.json",
            f"export ANITRAKT_MOVIES_URL={url}/db/movies.json",
            f"export ANIME_LISTS_URL={url}/sources/anime-list-master.xml",
            f"export ANIME_IDS_URL={url}/sources/anime_ids.json",
            f"export SHINKRO_TVDB_URL={url}/sources/tvdb-mal.yaml",
            f"export WIKIDATA_SPARQL_URL={url}/sparql",
            "export TRAKT_API_KEY=local-fake-key",
        ]
        assert requests.get(f"{url}/sources/anime_ids.json", timeout=2).json()["1"]["mal_id"] == 290
        tv = requests.get(f"{url}/db/tv.json", timeout=2)
        show = requests.get(f"{url}/shows/30857", headers={**HEADERS, "trakt-api-key": "local-fake-key"}, timeout=2)
        assert tv.json()[0]["trakt_id"] == 30857
        assert show.json()["title"] == "Show 30857"
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=5) == 0
