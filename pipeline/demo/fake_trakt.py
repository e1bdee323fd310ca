"""A real local HTTP server that fakes the Trakt API, for the tests, the benchmark and by hand.

    with FakeTrakt.from_sample() as fake:
        fake.synthesize(tv_entries, movie_entries)
        fake.add_fault(Fault(status=503, times=2))
        ...  # point the client at fake.url
        assert fake.count("/shows/1") == 1

Routes: ``GET /shows/{id}``, ``GET /shows/{id}/seasons`` and ``GET /movies/{id}`` answer from the
public dicts ``shows``, ``seasons`` and ``movies``; an unknown id, or one in ``not_found_shows`` /
``not_found_movies``, answers 404. Like Trakt, a season list carries ``episode_count``,
``aired_episodes``, ``first_aired`` (and the other ``FULL_SEASON_FIELDS``) only when asked with
``?extended=full``: a season stored without them gets stable synthesized ones (see ``full_season``).
``GET /search/{tmdb|tvdb|imdb}/{id}?type=show|movie`` answers like
Trakt's search by id: the results in ``search[(id_kind, id)]`` whose type is asked (``[]`` for an id
it does not know), every result whatever the type for a key in ``search_ignores_type`` (as Trakt
did during incidents). Each request goes through these steps, in order:

1. it is recorded in ``requests``;
2. the first matching active fault (``add_fault``) is applied;
3. a path in ``static`` is served as is (no header check, no rate limit, no latency);
4. ``trakt-api-key`` and ``trakt-api-version: 2`` are checked (401, or 403 for a key other than
   ``expected_key``);
5. the rate limit is applied (429 with ``Retry-After`` and ``X-Ratelimit``);
6. the route answers.

``GET /sparql?query=...`` stands in for Wikidata's SPARQL endpoint (WIKIDATA_SPARQL_URL), for the
Letterboxd ids: it reads the query's ``VALUES ?tmdb {...}`` and ``VALUES ?imdb {...}`` and answers,
in the SPARQL JSON results format, one row per film id it knows in ``letterboxd_by_tmdb`` /
``letterboxd_by_imdb`` (id -> slugs; a film known by both ids answers two rows, as Wikidata's UNION
does). Like Wikimedia's servers it refuses (403) a request without a descriptive User-Agent; it
checks no Trakt header and has no rate limit (faults with ``path="/sparql"`` add 429s and 5xx). Its
requests are logged apart, in ``sparql_requests``: ``requests`` and ``count()`` stay Trakt's (and the
static files').

Every answer but a static file waits ``latency`` seconds first (faults add their ``delay``).

By hand: ``uv run python -m pipeline.demo.fake_trakt --port 8765`` serves the recorded sample plus
synthesized answers for the upstream lists in pipeline/demo/data, and prints the environment to export.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import re
import socket
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

from pipeline.sources import anime_lists, catalog
from pipeline.sources.anime_lists import AnimeListsRow

FIXTURES = Path(__file__).resolve().parents[1] / "demo" / "data"
SAMPLE = FIXTURES / "trakt-sample.json"
UPSTREAM_TV = FIXTURES / "upstream" / "tv.json"
UPSTREAM_MOVIES = FIXTURES / "upstream" / "movies.json"
SPARQL_PATH = "/sparql"  # the stand-in for Wikidata's SPARQL endpoint
# Real Letterboxd slugs (the predecessor's, by TMDB id) of the 10 films of the recorded Trakt sample
LETTERBOXD_SAMPLE = FIXTURES / "wikidata-letterboxd.json"
SOURCES = FIXTURES / "sources"  # subsets of the three mapping sources (tests/subset_sources.py)
# Variable -> mapping source file in demo/data/sources/, served as /sources/<file> (serve_sources).
SOURCE_FILES = {source.variable: source.file for source in catalog.SOURCES}
SOURCE_TYPE = "text/plain; charset=utf-8"  # as raw.githubusercontent.com serves each of them

CLI_API_KEY = "local-fake-key"
JSON_TYPE = "application/json; charset=utf-8"
RATE_LIMIT_NAME = "UNAUTHED_API_GET_LIMIT"

_SHOW = re.compile(r"/shows/(\d+)")
_SEASONS = re.compile(r"/shows/(\d+)/seasons")
_MOVIE = re.compile(r"/movies/(\d+)")
_SEARCH = re.compile(r"/search/(tmdb|tvdb|imdb)/([^/]+)")

# The synthesis rules: stable functions of the Trakt id, never random.
NOT_FOUND_EVERY = 53  # ~2% of shows and movies answer 404
SPLIT_COUR_EVERY = 33  # ~3% of shows lack the highest season upstream asks for
NO_YEAR_EVERY = 101  # year is null
# Search answers synthesized for the mapping sources (see FakeTrakt.synthesize_search).
SEARCH_SHOW_BASE, SEARCH_MOVIE_BASE, SEARCH_IMDB_BASE = 10_000_000, 20_000_000, 30_000_000
SEARCH_EMPTY_EVERY = 13
SEARCH_SEVERAL_EVERY = 17
SEARCH_WRONG_TYPE_EVERY = 19
SEASON_GAP_EVERY = 11
# What Trakt adds to a season at ``?extended=full`` (its default level gives ``number`` and ``ids`` only).
FULL_SEASON_FIELDS = (
    "rating",
    "votes",
    "episode_count",
    "aired_episodes",
    "title",
    "overview",
    "first_aired",
    "updated_at",
    "network",
)
SYNTHETIC_EPISODE_COUNTS = (12, 13, 24, 25, 11, 26)  # by season trakt id: cours and double cours


def most_in_window(times: Sequence[float], period: float) -> int:
    """The most arrivals in any half-open window of ``period`` seconds (what a rate limit caps)."""
    times = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(times):
        while times[first] <= at - period:
            first += 1
        most = max(most, last - first + 1)
    return most


@dataclass(frozen=True, slots=True)
class Fault:
    """What to do instead of (or before) the normal answer, for the requests it matches.

    ``status``/``headers``/``body`` replace the answer (``body`` alone answers 200; ``status`` alone
    answers a small JSON error). ``reset`` closes the connection without answering; ``cut`` sends
    the headers of the whole answer but only half its body, then closes the connection. ``delay`` sleeps
    first; a fault with only a delay (or only headers) then lets the request be answered normally,
    without those headers. ``times`` limits how
    many requests it applies to (None: forever). ``path`` is a regex searched in the request path
    (None: any path, static files included). ``after`` skips the first ``after`` requests received
    after the fault was added, whatever their path.
    """

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    reset: bool = False
    cut: bool = False
    delay: float = 0.0
    times: int | None = None
    path: str | None = None
    after: int = 0

    @property
    def replaces_answer(self) -> bool:
        return self.reset or self.cut or self.status is not None or self.body is not None


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """One request as it arrived; header names are lower-cased, ``path`` has no query string."""

    method: str
    path: str
    headers: dict[str, str]
    time: float  # the fake's clock (time.monotonic by default) at arrival
    query: str = ""
    client_port: int = 0  # the same port on two requests means the connection was kept alive


@dataclass(slots=True)
class _ActiveFault:
    fault: Fault
    pattern: re.Pattern[str] | None
    added_at: int  # requests received before the fault was added
    remaining: int | None

    def matches(self, index: int, path: str) -> bool:
        if self.remaining == 0 or index - self.added_at < self.fault.after:
            return False
        return self.pattern is None or self.pattern.search(path) is not None


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_TYPE


def _json_answer(status: int, data: object, headers: dict[str, str] | None = None) -> _Answer:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return _Answer(status, body, headers or {})


NOT_FOUND = _json_answer(404, {"error": "not found"})
RATE_LIMITED = _json_answer(429, {"error": "rate limit exceeded"})


class FakeTrakt:
    """The fake Trakt server; edit the public dicts and sets freely between requests."""

    def __init__(
        self,
        *,
        shows: Mapping[int, dict[str, Any]] | None = None,
        seasons: Mapping[int, list[dict[str, Any]]] | None = None,
        movies: Mapping[int, dict[str, Any]] | None = None,
        not_found_shows: Iterable[int] = (),
        not_found_movies: Iterable[int] = (),
        expected_key: str | None = None,
        latency: float = 0.0,
        rate_limit: int | None = None,
        rate_period: float = 300.0,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,  # arrival times and the rate-limit window
    ) -> None:
        self.shows: dict[int, dict[str, Any]] = dict(shows or {})
        self.seasons: dict[int, list[dict[str, Any]]] = dict(seasons or {})
        self.movies: dict[int, dict[str, Any]] = dict(movies or {})
        self.not_found_shows: set[int] = set(not_found_shows)
        self.not_found_movies: set[int] = set(not_found_movies)
        self.static: dict[str, tuple[int, bytes, str]] = {}
        self.search: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.search_ignores_type: set[tuple[str, str]] = set()
        self.letterboxd_by_tmdb: dict[int, list[str]] = {}
        self.letterboxd_by_imdb: dict[str, list[str]] = {}
        self.expected_key = expected_key
        self.latency = latency
        self.rate_limit = rate_limit
        self.rate_period = rate_period
        self.throttled = 0
        self.host = host
        self.port = port
        self.clock = clock
        self._lock = threading.Lock()
        self._log: list[ReceivedRequest] = []
        self._sparql_log: list[ReceivedRequest] = []  # Wikidata's, apart: Trakt's counts stay Trakt's
        self._received = 0
        self._faults: list[_ActiveFault] = []
        self._window: deque[float] = deque()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- data ------------------------------------------------------------------------------------

    @classmethod
    def from_sample(cls, path: str | Path = SAMPLE, **options: Any) -> FakeTrakt:
        """A fake answering the recorded Trakt answers in ``path`` (pipeline/demo/data/trakt-sample.json)."""
        sample = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(
            shows={int(key): value for key, value in sample["shows"].items()},
            seasons={int(key): value for key, value in sample["seasons"].items()},
            movies={int(key): value for key, value in sample["movies"].items()},
            not_found_shows=sample["not_found"]["shows"],
            not_found_movies=sample["not_found"]["movies"],
            **options,
        )

    def synthesize(
        self, tv_entries: Iterable[Mapping[str, Any]], movie_entries: Iterable[Mapping[str, Any]]
    ) -> FakeTrakt:
        """Add deterministic answers for every upstream trakt_id not known yet (see ``synthetic_*``)."""
        highest_season: dict[int, int] = {}
        for entry in tv_entries:
            trakt_id = _number(entry.get("trakt_id"))
            if trakt_id:
                number = _number(entry.get("season"), missing=1)  # 0 is specials
                highest_season[trakt_id] = max(highest_season.get(trakt_id, 0), number)
        for trakt_id, highest in sorted(highest_season.items()):
            self._synthesize_show(trakt_id, highest)
        for trakt_id in sorted({_number(entry.get("trakt_id")) for entry in movie_entries} - {0}):
            if trakt_id in self.movies or trakt_id in self.not_found_movies:
                continue
            if is_synthetic_not_found(trakt_id):
                self.not_found_movies.add(trakt_id)
            else:
                self.movies[trakt_id] = synthetic_movie(trakt_id)
        return self

    def _synthesize_show(self, trakt_id: int, highest_season: int) -> None:
        if trakt_id in self.not_found_shows:
            return
        if trakt_id not in self.shows:
            if is_synthetic_not_found(trakt_id):
                self.not_found_shows.add(trakt_id)
                return
            self.shows[trakt_id] = synthetic_show(trakt_id)
        if trakt_id not in self.seasons:
            self.seasons[trakt_id] = synthetic_seasons(trakt_id, highest_season)

    # -- faults and the request log -----------------------------------------------------------------

    def add_fault(self, fault: Fault) -> Fault:
        pattern = re.compile(fault.path) if fault.path is not None else None
        with self._lock:
            self._faults.append(_ActiveFault(fault, pattern, self._received, fault.times))
        return fault

    def outage_from(self, n: int, status: int = 503, path: str | None = None) -> Fault:
        """Answer ``status`` to every request after the next ``n`` ones (all paths unless ``path``)."""
        return self.add_fault(Fault(status=status, after=n, path=path))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def requests(self) -> list[ReceivedRequest]:
        """A snapshot of the requests received, in arrival order."""
        with self._lock:
            return list(self._log)

    def count(self, path: str | None = None) -> int:
        """How many requests were received (for exactly ``path``, if given)."""
        with self._lock:
            return sum(1 for request in self._log if path is None or request.path == path)

    @property
    def sparql_requests(self) -> list[ReceivedRequest]:
        """The requests to the Wikidata stand-in (``/sparql``), which ``requests`` and ``count`` leave out."""
        with self._lock:
            return list(self._sparql_log)

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()
            self._sparql_log.clear()

    # -- server lifecycle --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeTrakt is not started: call start() or use it in a with block")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> FakeTrakt:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server((self.host, self.port), _Handler, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="fake-trakt", daemon=True
        )  # a short poll interval, so that stop() returns at once
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()  # wakes handlers sleeping on latency or a delay fault
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeTrakt:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- answering, called from the handler threads ----------------------------------------------

    def _arrive(self, request: ReceivedRequest) -> Fault | None:
        """Record the request and pick the fault to apply to it, if any."""
        with self._lock:
            index = self._received
            self._received += 1
            (self._sparql_log if request.path == SPARQL_PATH else self._log).append(request)
            for active in self._faults:
                if active.matches(index, request.path):
                    if active.remaining is not None:
                        active.remaining -= 1
                    return active.fault
        return None

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _fault_answer(self, fault: Fault) -> _Answer:
        status = fault.status if fault.status is not None else 200
        if status == 429:
            with self._lock:
                self.throttled += 1
        body = fault.body if fault.body is not None else json.dumps({"error": _reason(status)}).encode()
        content_type = "text/html; charset=utf-8" if body.lstrip().startswith(b"<") else JSON_TYPE
        return _Answer(status, body, dict(fault.headers), content_type)

    def _trakt_answer(self, method: str, path: str, headers: Mapping[str, str], query: str = "") -> _Answer:
        """Check the headers and the rate limit at arrival, wait ``latency``, then answer."""
        answer = self._check_headers(headers)
        if answer is None:
            allowed, rate_headers = self._take_slot()
            answer = self._route(method, path, query) if allowed else RATE_LIMITED
            answer = replace(answer, headers={**answer.headers, **rate_headers})
        self._sleep(self.latency)
        return answer

    def _check_headers(self, headers: Mapping[str, str]) -> _Answer | None:
        key = headers.get("trakt-api-key", "")
        if not key or headers.get("trakt-api-version") != "2":
            return _json_answer(
                401,
                {
                    "error": "unauthorized",
                    "error_description": "send the trakt-api-key and trakt-api-version: 2 headers",
                },
            )
        if self.expected_key is not None and key != self.expected_key:
            return _json_answer(403, {"error": "forbidden", "error_description": "invalid API key or unapproved app"})
        return None

    def _take_slot(self) -> tuple[bool, dict[str, str]]:
        """Apply the sliding-window rate limit at arrival; 429'd requests take no slot."""
        limit, period = self.rate_limit, self.rate_period
        if limit is None:
            return True, {}
        now = self.clock()
        with self._lock:
            while self._window and self._window[0] <= now - period:
                self._window.popleft()
            allowed = len(self._window) < limit
            if allowed:
                self._window.append(now)
            else:
                self.throttled += 1
            remaining = limit - len(self._window)
            frees_in = self._window[0] + period - now if self._window else 0.0
        until = datetime.now(UTC) + timedelta(seconds=frees_in)
        rate = {
            "name": RATE_LIMIT_NAME,
            "period": int(period) if float(period).is_integer() else period,
            "limit": limit,
            "remaining": remaining,
            "until": until.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        headers = {"X-Ratelimit": json.dumps(rate, separators=(",", ":"))}
        if not allowed:
            headers["Retry-After"] = str(max(1, math.ceil(frees_in)))
        return allowed, headers

    def _route(self, method: str, path: str, query: str = "") -> _Answer:
        if method != "GET":
            return NOT_FOUND
        found: object = None
        if match := _SEARCH.fullmatch(path):
            return _json_answer(200, self._search(match[1], match[2], query))
        if match := _SHOW.fullmatch(path):
            trakt_id = int(match[1])
            found = None if trakt_id in self.not_found_shows else self.shows.get(trakt_id)
        elif match := _SEASONS.fullmatch(path):
            trakt_id = int(match[1])
            listed = None if trakt_id in self.not_found_shows else self.seasons.get(trakt_id)
            full = "full" in ",".join(parse_qs(query).get("extended", [])).split(",")
            found = (
                None
                if listed is None
                else [full_season(season) if full else _default_level(season) for season in listed]
            )
        elif match := _MOVIE.fullmatch(path):
            trakt_id = int(match[1])
            found = None if trakt_id in self.not_found_movies else self.movies.get(trakt_id)
        return NOT_FOUND if found is None else _json_answer(200, found)

    def _sparql_answer(self, headers: Mapping[str, str], query: str) -> _Answer:
        """Wikidata's answer to the Letterboxd query (see the module docstring)."""
        agent = headers.get("user-agent", "")
        if not agent or re.fullmatch(r"python-requests/[\d.]+", agent):
            body = b"Please set a user-agent and respect our robot policy https://w.wiki/4wJS."
            return _Answer(403, body, {}, "text/plain; charset=utf-8")
        sparql = "".join(parse_qs(query).get("query", []))
        if "P6127" not in sparql:
            return _Answer(400, b"Query is empty or not the Letterboxd query", {}, "text/plain; charset=utf-8")
        rows: list[dict[str, Any]] = []
        for kind, known in (("tmdb", self.letterboxd_by_tmdb), ("imdb", self.letterboxd_by_imdb)):
            clause = re.search(rf"VALUES \?{kind} \{{([^}}]*)\}}", sparql)
            for value in re.findall(r'"([^"]+)"', clause[1] if clause else ""):
                key: Any = int(value) if kind == "tmdb" and value.isdigit() else value
                for slug in known.get(key, []):
                    literal = {"type": "literal", "value": value}
                    rows.append({"slug": {"type": "literal", "value": slug}, kind: literal})
        data = {"head": {"vars": ["slug", "tmdb", "imdb"]}, "results": {"bindings": rows}}
        return _Answer(200, json.dumps(data).encode(), {}, "application/sparql-results+json;charset=utf-8")

    def _search(self, id_kind: str, external_id: str, query: str) -> list[dict[str, Any]]:
        results = self.search.get((id_kind, external_id), [])
        wanted = {kind for value in parse_qs(query).get("type", []) for kind in value.split(",") if kind}
        if not wanted or (id_kind, external_id) in self.search_ignores_type:
            return results
        return [result for result in results if result.get("type") in wanted]

    def serve_letterboxd(self, path: Path = LETTERBOXD_SAMPLE) -> FakeTrakt:
        """Let the Wikidata stand-in know the slugs of ``path`` (``[{"tmdb": N, "slug": "..."}]``)."""
        for row in json.loads(path.read_text(encoding="utf-8")):
            self.letterboxd_by_tmdb.setdefault(int(row["tmdb"]), []).append(str(row["slug"]))
        return self

    def serve_sources(self, folder: Path = SOURCES) -> FakeTrakt:
        """Serve the mapping-source files in ``folder`` at ``/sources/<file name>``."""
        for path in sorted(folder.iterdir()):
            if path.name in SOURCE_FILES.values():
                self.static[f"/sources/{path.name}"] = (200, path.read_bytes(), SOURCE_TYPE)
        return self

    def synthesize_search(self, rows: Iterable[AnimeListsRow]) -> FakeTrakt:
        """Search answers, shows, seasons and movies for the TMDB/TVDB/IMDb ids of Anime-Lists rows.

        A TMDB tv id X is the show ``SEARCH_SHOW_BASE + X`` with seasons 0 to the highest season the rows
        give it; a TMDB movie id Y the movie ``SEARCH_MOVIE_BASE + Y``; an IMDb id ttZ (of a row without
        a TMDB id) the movie ``SEARCH_IMDB_BASE + Z``. Movie ids on a special (season 0) of a show are
        movies too, but every ``SEARCH_EMPTY_EVERY``-th such IMDb id (by Z) is an episode's, which a
        search with ``type=movie`` answers ``[]``. Stable variety, by the TMDB id: every
        ``SEARCH_EMPTY_EVERY``-th TMDB search answers ``[]`` (its TVDB search still finds the show), every
        ``SEARCH_SEVERAL_EVERY``-th answers two shows, every ``SEARCH_WRONG_TYPE_EVERY``-th answers a
        movie whatever the type asked, and every ``SEASON_GAP_EVERY``-th show lacks its highest season.
        """
        highest: dict[int, int] = {}
        tvdb_of: dict[int, int] = {}
        names: dict[int, str] = {}
        for row in rows:
            if row.tmdb_tv is not None:
                highest[row.tmdb_tv] = max(highest.get(row.tmdb_tv, 0), row.tmdb_season or 0)
                names.setdefault(row.tmdb_tv, row.name)
                if row.tvdb_id is not None:
                    tvdb_of.setdefault(row.tmdb_tv, row.tvdb_id)
            special = 0 in (row.tvdb_season, row.tmdb_season)  # maybe a film filed as a special
            if row.tmdb_tv is not None and not special:
                continue
            if len(row.tmdb_movies) == 1:
                tmdb = row.tmdb_movies[0]
                self._search_movie(("tmdb", str(tmdb)), SEARCH_MOVIE_BASE + tmdb, row.name, tmdb, None)
            elif len(row.imdb_ids) == 1 and row.imdb_ids[0][2:].isdigit():
                imdb, number = row.imdb_ids[0], int(row.imdb_ids[0][2:])
                if special and number % SEARCH_EMPTY_EVERY == 0:  # an episode's IMDb id: no movie has it
                    self.search.setdefault(("imdb", imdb), [])
                    continue
                self._search_movie(("imdb", imdb), SEARCH_IMDB_BASE + number, row.name, None, imdb)
        for tmdb, top in sorted(highest.items()):
            self._search_show(tmdb, tvdb_of.get(tmdb), names[tmdb], top)
        return self

    def _search_show(self, tmdb: int, tvdb: int | None, name: str, top: int) -> None:
        trakt_id = SEARCH_SHOW_BASE + tmdb
        ids = {"trakt": trakt_id, "slug": f"show-{trakt_id}", "tvdb": tvdb, "imdb": None, "tmdb": tmdb, "tvrage": None}
        show = {"title": name, "year": _year(tmdb, 1990, 36), "ids": ids}
        self.shows.setdefault(trakt_id, show)
        last = top - 1 if top > 1 and tmdb % SEASON_GAP_EVERY == 0 else top
        self.seasons.setdefault(trakt_id, synthetic_seasons(trakt_id, last))
        found = [{"type": "show", "score": 1000, "show": show}]
        if tvdb is not None:
            self.search.setdefault(("tvdb", str(tvdb)), found)
        key = ("tmdb", str(tmdb))
        if tmdb % SEARCH_EMPTY_EVERY == 0:
            self.search.setdefault(key, [])
        elif tmdb % SEARCH_SEVERAL_EVERY == 0:
            twin = {**show, "ids": {**ids, "trakt": trakt_id + 1, "slug": f"show-{trakt_id + 1}"}}
            self.search.setdefault(key, [*found, {"type": "show", "score": 1000, "show": twin}])
        elif tmdb % SEARCH_WRONG_TYPE_EVERY == 0:
            movie = {"title": name, "year": show["year"], "ids": {"trakt": SEARCH_MOVIE_BASE + tmdb, "tmdb": tmdb}}
            self.search.setdefault(key, [{"type": "movie", "score": 1000, "movie": movie}])
            self.search_ignores_type.add(key)
        else:
            self.search.setdefault(key, found)

    def _search_movie(self, key: tuple[str, str], trakt_id: int, name: str, tmdb: int | None, imdb: str | None) -> None:
        ids = {"trakt": trakt_id, "slug": f"movie-{trakt_id}", "imdb": imdb, "tmdb": tmdb}
        movie = {"title": name, "year": _year(trakt_id, 1970, 56), "ids": ids}
        self.movies.setdefault(trakt_id, movie)
        self.search.setdefault(key, [{"type": "movie", "score": 1000, "movie": movie}])


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[_Handler], fake: FakeTrakt) -> None:
        self.fake = fake
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End the kept-alive connections, so their handler threads stop waiting for a request."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the client went away (timeouts, resets): nothing to report
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle + delayed ACK add ~40 ms each.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._handle()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: no access log on stderr

    def _handle(self) -> None:
        fake = self.server.fake
        self._drain_body()
        path, _, query = self.path.partition("?")
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = ReceivedRequest(self.command, path, headers, fake.clock(), query, self.client_address[1])
        fault = fake._arrive(request)
        if fault is not None:
            fake._sleep(fake.latency + fault.delay)
            if fault.reset:
                self._reset()
                return
            if fault.cut:
                self._send_cut(
                    fake._fault_answer(fault)
                    if fault.status is not None or fault.body is not None
                    else fake._trakt_answer(self.command, path, headers, query)
                )
                return
            if fault.replaces_answer:
                self._send(fake._fault_answer(fault))
                return
        if path in fake.static:
            status, body, content_type = fake.static[path]
            self._send(_Answer(status, body, {}, content_type))
            return
        if path == SPARQL_PATH:
            self._send(fake._sparql_answer(headers, query))
            return
        self._send(fake._trakt_answer(self.command, path, headers, query))

    def _drain_body(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > 0:
            self.rfile.read(length)

    def _send(self, answer: _Answer) -> None:
        try:
            self.send_response(answer.status, _reason(answer.status))
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)
        except OSError:
            self.close_connection = True  # the client gave up (e.g. its timeout passed)

    def _send_cut(self, answer: _Answer) -> None:
        """Announce the whole body, send half of it, close: the client sees the transfer cut short."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.send_response(answer.status, _reason(answer.status))
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body[: len(answer.body) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)

    def _reset(self) -> None:
        """Close the socket with SO_LINGER 0, so the client sees a connection reset (RST)."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()  # drop the makefile reference, so close() really closes the descriptor
        self.connection.close()


# -- synthesized answers ---------------------------------------------------------------------------


def is_synthetic_not_found(trakt_id: int) -> bool:
    return trakt_id % NOT_FOUND_EVERY == 0


def is_synthetic_split_cour(trakt_id: int) -> bool:
    return trakt_id % SPLIT_COUR_EVERY == 0


def synthetic_show(trakt_id: int) -> dict[str, Any]:
    return {
        "title": f"Show {trakt_id}",
        "year": _year(trakt_id, 1990, 35),
        "ids": {
            "trakt": trakt_id,
            "slug": f"show-{trakt_id}",
            "tvdb": _maybe_id(trakt_id, 100_000 + trakt_id, none_every=47, zero_every=43),
            "imdb": _imdb(trakt_id),
            "tmdb": _maybe_id(trakt_id, 20_000 + trakt_id, none_every=41, zero_every=37),
            "tvrage": None,
        },
    }


def synthetic_seasons(trakt_id: int, highest_asked: int) -> list[dict[str, Any]]:
    """Seasons 0..highest_asked, or 0..highest_asked-1 for a split cour; season trakt id = id*100+n."""
    last = highest_asked - 1 if highest_asked >= 1 and is_synthetic_split_cour(trakt_id) else highest_asked
    seasons = []
    for number in range(last + 1):
        season_id = trakt_id * 100 + number
        specials = number == 0
        seasons.append(
            {
                "number": number,
                "ids": {
                    "trakt": season_id,
                    "tvdb": None if specials or season_id % 17 == 0 else 3_000_000 + season_id,
                    "tmdb": None if specials else 600_000 + season_id,
                    "tvrage": None,
                },
            }
        )
    return seasons


def _default_level(season: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in season.items() if key not in FULL_SEASON_FIELDS}


def full_season(season: dict[str, Any]) -> dict[str, Any]:
    """A season as ``?extended=full`` gives it: the stored fields, else stable ones from its trakt id.

    Specials and every fifth season have fewer aired episodes than listed (a season still airing);
    ``first_aired`` is null where nothing aired, as on Trakt.
    """
    season_id = int(season["ids"]["trakt"])
    count = season.get("episode_count", SYNTHETIC_EPISODE_COUNTS[season_id % len(SYNTHETIC_EPISODE_COUNTS)])
    aired = max(0, count - 2) if season_id % 5 == 0 else count
    year = 1995 + season_id % 30
    synthesized = {
        "rating": 7.5,
        "votes": season_id % 1000,
        "episode_count": count,
        "aired_episodes": aired,
        "title": f"Season {season['number']}",
        "overview": None,
        "first_aired": f"{year}-04-0{1 + season_id % 9}T15:00:00.000Z" if aired else None,
        "updated_at": "2026-05-01T00:00:00.000Z",
        "network": None,
    }
    return {**season, **{key: season.get(key, value) for key, value in synthesized.items()}}


def synthetic_movie(trakt_id: int) -> dict[str, Any]:
    return {
        "title": f"Movie {trakt_id}",
        "year": _year(trakt_id, 1970, 55),
        "ids": {
            "trakt": trakt_id,
            "slug": f"movie-{trakt_id}",
            "imdb": _imdb(trakt_id),
            "tmdb": _maybe_id(trakt_id, 40_000 + trakt_id, none_every=41, zero_every=37),
        },
    }


def _year(trakt_id: int, first: int, span: int) -> int | None:
    return None if trakt_id % NO_YEAR_EVERY == 0 else first + trakt_id % span


def _imdb(trakt_id: int) -> str | None:
    if trakt_id % 31 == 0:
        return None
    if trakt_id % 29 == 0:
        return ""
    return f"tt{trakt_id:07d}"


def _maybe_id(trakt_id: int, value: int, *, none_every: int, zero_every: int) -> int | None:
    if trakt_id % none_every == 0:
        return None
    if trakt_id % zero_every == 0:
        return 0  # Trakt sometimes sends 0 for a missing id
    return value


def _number(value: object, missing: int = 0) -> int:
    """An upstream id or season number, or ``missing`` when it is absent or not a number >= 0."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return missing


_CLOUDFLARE_REASONS = {520: "Unknown Error", 521: "Web Server Is Down", 522: "Connection Timed Out"}


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return _CLOUDFLARE_REASONS.get(status, "Error")


# -- by hand ---------------------------------------------------------------------------------------


def build_local_fake(**options: Any) -> FakeTrakt:
    """The fake the CLI serves: the sample, synthesized upstream answers, the upstream lists, and the
    mapping sources with search answers for their ids, and Wikidata's Letterboxd slugs for some films."""
    tv_bytes, movies_bytes = UPSTREAM_TV.read_bytes(), UPSTREAM_MOVIES.read_bytes()
    fake = FakeTrakt.from_sample(SAMPLE, **options)
    fake.synthesize(json.loads(tv_bytes), json.loads(movies_bytes))
    fake.serve_sources(SOURCES).serve_letterboxd()
    if (SOURCES / anime_lists.FILE).is_file():  # search answers for the ids the demo's sources name
        fake.synthesize_search(anime_lists.parse((SOURCES / anime_lists.FILE).read_bytes()))
    fake.static["/db/tv.json"] = (200, tv_bytes, JSON_TYPE)
    fake.static["/db/movies.json"] = (200, movies_bytes, JSON_TYPE)
    return fake


def local_environment(url: str) -> dict[str, str]:
    """Every URL variable pointed at the local fake at ``url``, and its key."""
    return {
        "TRAKT_API_URL": url,
        "ANITRAKT_TV_URL": f"{url}/db/tv.json",
        "ANITRAKT_MOVIES_URL": f"{url}/db/movies.json",
        **{variable: f"{url}/sources/{name}" for variable, name in SOURCE_FILES.items()},
        "WIKIDATA_SPARQL_URL": f"{url}{SPARQL_PATH}",
        "TRAKT_API_KEY": CLI_API_KEY,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a fake Trakt API (and the upstream lists) locally.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port (default: 8765)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--rate-limit", type=int, default=None, help="calls allowed per --rate-period")
    parser.add_argument("--rate-period", type=float, default=300.0, help="seconds (default: 300)")
    args = parser.parse_args(argv)

    fake = build_local_fake(
        expected_key=CLI_API_KEY,
        latency=args.latency,
        rate_limit=args.rate_limit,
        rate_period=args.rate_period,
        host=args.host,
        port=args.port,
    )
    try:
        fake.start()
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port} ({exc}): pass another --port, or 0", file=sys.stderr)
        return 1
    with fake:
        for variable, value in local_environment(fake.url).items():
            print(f"export {variable}={value}", flush=True)
        print("serving the fake Trakt; Ctrl-C stops it", file=sys.stderr, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
