"""A real local HTTP server that fakes the Trakt API, for the tests, the benchmark and by hand.

    with FakeTrakt.from_sample() as fake:
        fake.synthesize(tv_entries, movie_entries)
        fake.add_fault(Fault(status=503, times=2))
        ...  # point the client at fake.url
        assert fake.count("/shows/1") == 1

A ``FakeTrakt`` is its world (``world.World``: the public dicts ``shows``, ``seasons``, ``movies``,
``search``, ``static`` ..., and what it synthesizes) served over HTTP (``wire``). Routes:
``GET /shows/{id}``, ``GET /shows/{id}/seasons`` (``?extended=full`` for the full seasons) and
``GET /movies/{id}`` answer from the world; an unknown id, or one the world marks not found, answers
404. ``GET /search/{tmdb|tvdb|imdb}/{id}?type=show|movie`` answers like Trakt's search by id, from the
world's ``search``. Each request goes through these steps, in order:

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
import json
import math
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

from pipeline.demo.wire import JSON_TYPE, Answer, Handler, ReceivedRequest, Server, reason
from pipeline.demo.world import (
    LETTERBOXD_SAMPLE,
    SAMPLE,
    SOURCE_FILES,
    SOURCES,
    SPLIT_COUR_EVERY,
    UPSTREAM_MOVIES,
    UPSTREAM_TV,
    World,
    is_synthetic_not_found,
)
from pipeline.sources import anime_lists

# What the tests and the benchmarks take from here; the world's other names are in ``world``.
__all__ = [
    "CLI_API_KEY",
    "JSON_TYPE",
    "LETTERBOXD_SAMPLE",
    "SAMPLE",
    "SOURCES",
    "SOURCE_FILES",
    "SPARQL_PATH",
    "SPLIT_COUR_EVERY",
    "UPSTREAM_MOVIES",
    "UPSTREAM_TV",
    "FakeTrakt",
    "Fault",
    "ReceivedRequest",
    "build_local_fake",
    "is_synthetic_not_found",
    "local_environment",
    "main",
    "most_in_window",
]

SPARQL_PATH = "/sparql"  # the stand-in for Wikidata's SPARQL endpoint
CLI_API_KEY = "local-fake-key"
RATE_LIMIT_NAME = "UNAUTHED_API_GET_LIMIT"

_SHOW = re.compile(r"/shows/(\d+)")
_SEASONS = re.compile(r"/shows/(\d+)/seasons")
_MOVIE = re.compile(r"/movies/(\d+)")
_SEARCH = re.compile(r"/search/(tmdb|tvdb|imdb)/([^/]+)")


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


def _json_answer(status: int, data: object, headers: dict[str, str] | None = None) -> Answer:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Answer(status, body, headers or {})


NOT_FOUND = _json_answer(404, {"error": "not found"})
RATE_LIMITED = _json_answer(429, {"error": "rate limit exceeded"})


class FakeTrakt(World):
    """The fake Trakt server over its world; edit the world's public dicts and sets freely between requests."""

    def __init__(
        self,
        *,
        expected_key: str | None = None,
        latency: float = 0.0,
        rate_limit: int | None = None,
        rate_period: float = 300.0,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,  # arrival times and the rate-limit window
        **world: Any,  # what it knows: World's shows, seasons, movies, not_found_shows, not_found_movies
    ) -> None:
        super().__init__(**world)
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
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

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
        self._server = Server((self.host, self.port), Handler, self)
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

    def _fault_answer(self, fault: Fault) -> Answer:
        status = fault.status if fault.status is not None else 200
        if status == 429:
            with self._lock:
                self.throttled += 1
        body = fault.body if fault.body is not None else json.dumps({"error": reason(status)}).encode()
        content_type = "text/html; charset=utf-8" if body.lstrip().startswith(b"<") else JSON_TYPE
        return Answer(status, body, dict(fault.headers), content_type)

    def _trakt_answer(self, method: str, path: str, headers: Mapping[str, str], query: str = "") -> Answer:
        """Check the headers and the rate limit at arrival, wait ``latency``, then answer."""
        answer = self._check_headers(headers)
        if answer is None:
            allowed, rate_headers = self._take_slot()
            answer = self._route(method, path, query) if allowed else RATE_LIMITED
            answer = replace(answer, headers={**answer.headers, **rate_headers})
        self._sleep(self.latency)
        return answer

    def _check_headers(self, headers: Mapping[str, str]) -> Answer | None:
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

    def _answer(self, method: str, path: str, headers: Mapping[str, str], query: str) -> Answer:
        """The answer to a request no fault replaced: a static file, Wikidata's, or Trakt's."""
        if path in self.static:
            status, body, content_type = self.static[path]
            return Answer(status, body, {}, content_type)
        if path == SPARQL_PATH:
            return self._sparql_answer(headers, query)
        return self._trakt_answer(method, path, headers, query)

    def _route(self, method: str, path: str, query: str = "") -> Answer:
        if method != "GET":
            return NOT_FOUND
        found: object = None
        if match := _SEARCH.fullmatch(path):
            wanted = {kind for value in parse_qs(query).get("type", []) for kind in value.split(",") if kind}
            return _json_answer(200, self.search_results(match[1], match[2], wanted))
        if match := _SHOW.fullmatch(path):
            found = self.show(int(match[1]))
        elif match := _SEASONS.fullmatch(path):
            full = "full" in ",".join(parse_qs(query).get("extended", [])).split(",")
            found = self.season_list(int(match[1]), full=full)
        elif match := _MOVIE.fullmatch(path):
            found = self.movie(int(match[1]))
        return NOT_FOUND if found is None else _json_answer(200, found)

    def _sparql_answer(self, headers: Mapping[str, str], query: str) -> Answer:
        """Wikidata's answer to the Letterboxd query (see the module docstring)."""
        agent = headers.get("user-agent", "")
        if not agent or re.fullmatch(r"python-requests/[\d.]+", agent):
            body = b"Please set a user-agent and respect our robot policy https://w.wiki/4wJS."
            return Answer(403, body, {}, "text/plain; charset=utf-8")
        sparql = "".join(parse_qs(query).get("query", []))
        if "P6127" not in sparql:
            return Answer(400, b"Query is empty or not the Letterboxd query", {}, "text/plain; charset=utf-8")
        rows = self.letterboxd_rows(sparql)
        data = {"head": {"vars": ["slug", "tmdb", "imdb"]}, "results": {"bindings": rows}}
        return Answer(200, json.dumps(data).encode(), {}, "application/sparql-results+json;charset=utf-8")


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
