"""The only module that knows Trakt: URLs, headers, the HTTP cache, retries, the rate limit's use
(the limiter itself is ``pipeline.trakt.ratelimit``).

One ``requests_cache.CachedSession`` on SQLite is the only way out to Trakt. Answers (200 and 404)
are cached until their URL's refresh slot (see ``refresh_seconds``), so a second run asks nothing
and a killed run resumes. Retries are done here rather than by urllib3's ``Retry``: urllib3 honours
``Retry-After`` only for 413/429/503 (Trakt's 502/504/520-522 may carry it too), caps it at six hours
by default, and cannot feed the rate limiter or the circuit breaker.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, Literal, NoReturn, TypeVar

import requests
from requests.adapters import HTTPAdapter
from requests_cache import CachedSession
from requests_cache.backends.sqlite import SQLiteCache

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.net.retry import RETRYABLE, TRANSIENT_ERRORS, backoff, retry_after
from pipeline.published.jsonio import load_json, write_json
from pipeline.published.models import Movie, SearchHit, Season, Show
from pipeline.trakt import stored as stored_answer
from pipeline.trakt.parse import parse_movie, parse_search, parse_seasons, parse_show
from pipeline.trakt.ratelimit import RateLimiter

logger = logging.getLogger(__name__)

API_VERSION = "2"
USER_AGENT = "extended-anitrakt/1.0 (nightly MAL-Trakt mapping; python-requests)"
# Header names exactly as sent: requests-cache's ignored_parameters is case-sensitive.
KEY_HEADER = "trakt-api-key"
APPS_URL = "https://trakt.tv/oauth/applications"
NO_KEY = (
    "no Trakt API key: give --api-key KEY, set TRAKT_API_KEY, or put TRAKT_API_KEY=... in .env (the Client ID of"
    f" your app at {APPS_URL}); to try the whole chain without a key: uv run python -m pipeline --demo"
)
MIN_FRESH_SECONDS = 86_400.0  # an answer stays at least a day, so back-to-back runs never re-ask

T = TypeVar("T")
Status = Literal["ok", "not_found", "failed"]


OUT_OF_TIME = "not asked: this run's time for Trakt (--stop-after) was used up; the next run asks it"


class TraktUnavailable(PipelineError):
    """Trakt cannot be used for this run (outage, rejected key): stop, publish nothing."""


@dataclass(slots=True)
class Stats:
    requests: int = 0  # sent over the network, retries included
    from_cache: int = 0  # answered from the SQLite cache
    retries: int = 0
    throttled: int = 0  # 429 answers received
    failed: int = 0  # lookups that failed for good
    deferred: int = 0  # not asked: the time budget was used up (left for the next run, from the cache)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, name: str, count: int = 1) -> None:
        """Count one event; lookups run in several threads."""
        with self._lock:
            setattr(self, name, getattr(self, name) + count)


@dataclass(frozen=True, slots=True)
class Answer(Generic[T]):
    status: Status
    value: T | None = None
    detail: str = ""  # why it failed


def refresh_seconds(url: str, now: float, refresh_days: float) -> float:
    """Seconds until ``url``'s next refresh slot, at least a day and at most ``refresh_days``.

    Each URL owns a stable phase in a cycle of ``refresh_days - 1`` days, derived from its hash, so
    refreshes spread evenly over the nights (about 1/29 a night) instead of one wave a month after
    a cold start, and every answer is refreshed within ``refresh_days``.
    """
    minimum = min(MIN_FRESH_SECONDS, refresh_days * 86_400.0 / 2)
    cycle = refresh_days * 86_400.0 - minimum
    phase = int.from_bytes(hashlib.sha256(url.encode()).digest()[:8], "big") / 2**64 * cycle
    earliest = now + minimum
    return minimum + (phase - earliest) % cycle


class _PacedAdapter(HTTPAdapter):
    """Every request that really goes out waits for the rate limiter; cache hits never get here."""

    def __init__(self, limiter: RateLimiter, stats: Stats, connections: int) -> None:
        super().__init__(max_retries=0, pool_connections=1, pool_maxsize=max(1, connections))
        self._limiter, self._stats = limiter, stats

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        # requests-cache passes a per-request expiry to itself as "Cache-Control: max-age"; it has
        # read it by now, and it is no business of Trakt's (or its CDN's).
        request.headers.pop("Cache-Control", None)
        self._limiter.acquire()
        self._stats.add("requests")
        try:
            return super().send(request, *args, **kwargs)
        finally:
            self._limiter.record()


def _json_body(response: requests.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def _cacheable(response: requests.Response) -> bool:
    """Cache a 404, or a 200 whose body is whole JSON: a truncated answer must never be reused."""
    return response.status_code == 404 or isinstance(_json_body(response), dict | list)


def cache_key(request: requests.PreparedRequest | requests.Request, **_: Any) -> str:
    """The cache key of a GET: a hash of its URL alone (never of its headers, so never of the key).

    Our URLs are built canonically (``api_url`` + path), so requests-cache's URL normalization,
    which cost a quarter of a warm run, is not needed.
    """
    return hashlib.sha256(f"GET {request.url}".encode()).hexdigest()[:32]


def open_session(config: Config) -> CachedSession:
    """The one HTTP session: requests-cache on SQLite, JSON serializer, the key kept out of it."""
    config.trakt_cache.parent.mkdir(parents=True, exist_ok=True)
    session = CachedSession(
        cache_name=str(config.trakt_cache),
        backend="sqlite",
        serializer="json",
        wal=True,  # synchronous=NORMAL: safe against a killed process; close() folds the WAL back
        expire_after=config.refresh_days * 86_400,
        allowable_codes=(200, 404),
        allowable_methods=("GET",),
        ignored_parameters=[KEY_HEADER, "Authorization"],
        match_headers=False,
        key_fn=cache_key,
        filter_fn=_cacheable,
    )
    # Every request goes to one host, so the environment's proxy settings (HTTPS_PROXY, NO_PROXY, ...)
    # are read once here instead of on every request, which cost ~0.5 ms a request on a warm run.
    session.proxies.update(requests.utils.get_environ_proxies(config.api_url))
    session.trust_env = False
    return session


def _seconds_header(response: requests.Response, now: float) -> float | None:
    """How long Trakt asks us to wait: ``Retry-After`` (seconds or a date), else ``X-Ratelimit``'s ``until``
    (against the Unix time ``now``)."""
    asked = retry_after(response, datetime.fromtimestamp(now, UTC))
    if asked is not None:
        return asked
    try:
        limit = json.loads(response.headers.get("X-Ratelimit", ""))
        until = datetime.fromisoformat(str(limit["until"]).replace("Z", "+00:00"))
    except (ValueError, KeyError, TypeError):
        return None
    return max(0.0, until.replace(tzinfo=until.tzinfo or UTC).timestamp() - now)


def show_path(trakt_id: int) -> str:
    return f"/shows/{trakt_id}"


def movie_path(trakt_id: int) -> str:
    return f"/movies/{trakt_id}"


def seasons_path(trakt_id: int) -> str:
    """The seasons of a show with their episode counts (``extended=full``; the default level has none)."""
    return f"/shows/{trakt_id}/seasons?extended=full"


def _lookup_paths(kind: Literal["shows", "movies"], trakt_id: int) -> list[str]:
    """What ``look_up`` may ask about one id: the movie, or the show and its seasons."""
    return [movie_path(trakt_id)] if kind == "movies" else [show_path(trakt_id), seasons_path(trakt_id)]


def search_path(id_kind: str, external_id: int | str, wanted: str) -> str:
    return f"/search/{id_kind}/{external_id}?type={wanted}"


@dataclass
class TraktClient:
    """Looks up shows, seasons and movies; each distinct URL is answered at most once per run."""

    config: Config
    force: bool = False
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    stats: Stats = field(default_factory=Stats)
    # Seconds this client may ask Trakt (None: no limit). Past them an answer not in the cache is
    # "failed" with OUT_OF_TIME, without a request: the step finishes with what it has, well before
    # its workflow step's timeout-minutes, which would fail the run and skip publishing.
    budget: float | None = None

    def __post_init__(self) -> None:
        if not self.config.api_key:
            raise PipelineError(NO_KEY)
        self.stop_at = None if self.budget is None else self.clock() + self.budget
        self.limiter = RateLimiter(
            self.config.rate_limit_calls, self.config.rate_limit_period, clock=self.clock, sleep=self.sleep
        )
        self.session = open_session(self.config)
        adapter = _PacedAdapter(self.limiter, self.stats, self.config.concurrency)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update(
            {
                "Content-Type": "application/json",
                KEY_HEADER: self.config.api_key,
                "trakt-api-version": API_VERSION,
                "User-Agent": USER_AGENT,  # names the app to Trakt and its CDN, not a generic library
            }
        )
        self._seed_window()
        self._answers: dict[str, tuple[Status, Any, str]] = {}
        self._records: dict[str, Answer[Any]] = {}  # answers parsed into records, by path
        self._rows: dict[str, stored_answer.Stored] = {}  # cached rows read ahead (preload), by cache key
        self._asking: dict[str, threading.Event] = {}  # paths being asked, so two threads never ask one twice
        self._failures_in_a_row = 0
        self._stopped: TraktUnavailable | None = None  # set once: every thread stops asking
        self._lock = threading.Lock()

    def out_of_time(self) -> bool:
        return self.stop_at is not None and self.clock() >= self.stop_at

    def close(self) -> None:
        self._save_window()
        self.session.close()  # type: ignore[no-untyped-call]  # requests-cache leaves it untyped

    @property
    def _window_file(self) -> Path:
        return self.config.trakt_cache.with_name("trakt-window.json")

    def _seed_window(self) -> None:
        """Steps run one after another (discover, then enrich): the calls the last one made in the
        window still count for Trakt, so this client counts them too and never bursts past the limit."""
        saved = load_json(self._window_file, missing={}) if self._window_file.exists() else {}
        try:
            elapsed = self.wall_clock() - float(saved.get("saved_at", 0.0))
            self.limiter.seed([float(age) + elapsed for age in saved.get("ages", [])])
        except (AttributeError, TypeError, ValueError, PipelineError):
            pass  # an unreadable window only costs a possible 429, which is retried

    def _save_window(self) -> None:
        ages = self.limiter.ages()
        if ages or self._window_file.exists():
            write_json(self._window_file, {"saved_at": self.wall_clock(), "ages": [round(a, 3) for a in ages]})

    def prune(self) -> None:
        """Drop answers past their refresh slot: ids that left the lists, refreshes that failed.

        requests-cache vacuums the whole file after such a delete (~0.15 s a warm night for nothing):
        on SQLite, a night with nothing expired deletes nothing."""
        cache = self.session.cache
        if isinstance(cache, SQLiteCache) and cache.count() == cache.count(expired=False):
            return
        cache.delete(expired=True)

    def forget(self, ids: Iterable[tuple[Literal["shows", "movies"], int]]) -> None:
        """Drop the cached answers about these (kind, Trakt id) pairs, so the next run asks Trakt again."""
        self.forget_paths(path for kind, trakt_id in ids for path in _lookup_paths(kind, trakt_id))

    def forget_paths(self, paths: Iterable[str]) -> None:
        """Drop the cached answers to these API paths (as ``search_path`` and ``seasons_path`` give them), in one
        delete: requests-cache vacuums the whole database after each delete of several keys, so one delete per id
        took minutes on a refused night of thousands."""
        keys = sorted({self._key(path) for path in paths})
        if keys:
            self.session.cache.delete(*keys)

    def show(self, trakt_id: int) -> Answer[Show]:
        return self._parsed(show_path(trakt_id), parse_show)

    def seasons(self, trakt_id: int) -> Answer[list[Season]]:
        return self._parsed(seasons_path(trakt_id), parse_seasons)

    def movie(self, trakt_id: int) -> Answer[Movie]:
        return self._parsed(movie_path(trakt_id), parse_movie)

    def search(
        self, id_kind: Literal["tmdb", "tvdb", "imdb"], external_id: int | str, wanted: Literal["show", "movie"]
    ) -> Answer[list[SearchHit]]:
        """Trakt's search by external id, for one type. ``[]`` is cached like a 404: asked again on its slot."""
        return self._parsed(search_path(id_kind, external_id, wanted), parse_search)

    def _parsed(self, path: str, parse: Callable[[Any], T]) -> Answer[T]:
        """The answer for ``path`` as a record, parsed once a run (a show is asked in the prefetch and again
        when its entries are decided)."""
        found = self._records.get(path)
        if found is None:
            found = self._records[path] = self._parse(path, parse)
        return found

    def _parse(self, path: str, parse: Callable[[Any], T]) -> Answer[T]:
        status, body, detail = self._answer(path)
        if status != "ok":
            return Answer(status, None, detail)
        try:
            return Answer("ok", parse(body))
        except (KeyError, TypeError, ValueError) as exc:
            # Not kept: reused from the cache, it would fail every run until its refresh slot.
            self.session.cache.delete(self._key(path))
            return Answer("failed", None, f"unexpected answer for {path}: {type(exc).__name__} {exc}")

    def look_up(self, kind: Literal["shows", "movies"], trakt_id: int) -> None:
        """Everything one Trakt id needs: the movie, or the show and (when it exists) its seasons."""
        if kind == "movies":
            self.movie(trakt_id)
        elif self.show(trakt_id).status == "ok":
            self.seasons(trakt_id)

    def preload(self, ids: Iterable[tuple[Literal["shows", "movies"], int]]) -> None:
        """Read the cached answers ``look_up_cached`` will want for these ids, a few hundred a query."""
        if self.force:
            return
        keys = [self._key(path) for kind, trakt_id in ids for path in _lookup_paths(kind, trakt_id)]
        now = datetime.fromtimestamp(self.wall_clock(), UTC)
        self._rows.update(stored_answer.read_many(self.session.cache, keys, now))

    def look_up_cached(self, kind: Literal["shows", "movies"], trakt_id: int) -> bool:
        """Like ``look_up`` from fresh cached answers only; False when any answer needs Trakt."""
        if kind == "movies":
            return self._cached(movie_path(trakt_id))
        if not self._cached(show_path(trakt_id)):
            return False
        return self.show(trakt_id).status != "ok" or self._cached(seasons_path(trakt_id))

    def _cached(self, path: str) -> bool:
        if path not in self._answers:
            outcome = self._from_cache(path)
            if outcome is None:
                return False
            self._answers[path] = outcome
        return True

    def _answer(self, path: str) -> tuple[Status, Any, str]:
        """The answer for ``path``; threads asking the same path at once wait for the first one's."""
        if path in self._answers:
            return self._answers[path]
        with self._lock:
            asking = self._asking.get(path)
            first = asking is None
            if asking is None:
                asking = self._asking[path] = threading.Event()
        if not first:
            asking.wait()
            if path in self._answers:
                return self._answers[path]
        try:
            if path not in self._answers:
                self._answers[path] = self._fetch(path)
                if self._answers[path][2] == OUT_OF_TIME:
                    self.stats.add("deferred")
                elif self._answers[path][0] == "failed":
                    self.stats.add("failed")
                    logger.warning("enrich: %s failed for good: %s", path, self._answers[path][2])
        finally:
            asking.set()
        return self._answers[path]

    def _key(self, path: str) -> str:
        return cache_key(requests.Request("GET", self.config.api_url + path))

    def _from_cache(self, path: str) -> tuple[Status, Any, str] | None:
        """A fresh cached answer, read straight from the cache's storage (never with ``force``).

        The same answer ``session.get`` would return (no Cache-Control or Vary handling is enabled),
        at a tenth of the cost: a warm run reads ~7,200 answers, and requests' and requests-cache's
        per-request machinery dominated its time.
        """
        if self.force:
            return None
        key = self._key(path)
        stored = self._rows.pop(key, None)
        if stored is None:
            stored = stored_answer.read(self.session.cache, key, datetime.fromtimestamp(self.wall_clock(), UTC))
        outcome: tuple[Status, Any, str] | None
        if stored is not None:  # read straight from its row: the same answer, without requests-cache's model
            found: tuple[Status, Any, str] = (
                ("ok", stored.body, "") if stored.status == 200 else ("not_found", None, "")
            )
            outcome = None if stored.expired else found
        else:
            cached = self.session.cache.get_response(key)
            outcome = None if cached is None or cached.is_expired else self._judge(path, cached)
        if outcome is not None:
            self.stats.add("from_cache")
        return outcome

    def _fetch(self, path: str) -> tuple[Status, Any, str]:
        url = self.config.api_url + path
        outcome = self._from_cache(path)
        if outcome is not None:
            return outcome
        if self.out_of_time():
            return ("failed", None, OUT_OF_TIME)
        detail = ""
        for attempt in range(self.config.max_retries + 1):
            if self._stopped is not None:
                raise self._stopped
            if attempt:
                self.stats.add("retries")
            wait = self._backoff(attempt)
            try:
                response = self.session.get(
                    url,
                    timeout=self.config.timeout,
                    expire_after=refresh_seconds(url, self.wall_clock(), self.config.refresh_days),
                    force_refresh=self.force,
                )
            except TRANSIENT_ERRORS as exc:
                detail = f"{type(exc).__name__} on {path}"
            else:
                if getattr(response, "from_cache", False):
                    self.stats.add("from_cache")
                logger.debug("GET %s -> %s%s", path, response.status_code, " (cache)" if response.from_cache else "")
                outcome = self._judge(path, response)
                if outcome is not None:
                    with self._lock:
                        self._failures_in_a_row = 0
                    return outcome
                detail = f"HTTP {response.status_code} on {path}"
                if response.status_code == 200:
                    detail = f"HTTP 200 with a body that is not whole JSON on {path}"
                elif response.status_code not in RETRYABLE:
                    self._count_failure(detail)
                    return ("failed", None, detail)
                asked = _seconds_header(response, self.wall_clock())
                if asked:  # a window that already ended (clocks apart) asks nothing: keep the backoff
                    wait = min(asked, self.config.retry_after_max)
                    self.limiter.block_for(wait)
            self._count_failure(detail)
            if attempt < self.config.max_retries:
                logger.info("enrich: %s, retrying in %.1f s", detail, wait)
                self.sleep(wait)
        return ("failed", None, detail)

    def _judge(self, path: str, response: requests.Response) -> tuple[Status, Any, str] | None:
        """An answer to keep (200 with JSON, 404), or None for one to retry; a rejected key stops all."""
        code = response.status_code
        if code == 429:
            self.stats.add("throttled")
        if code in (401, 403):
            self._stop(
                TraktUnavailable(
                    f"Trakt rejected the API key ({code}) on {path}: set TRAKT_API_KEY (or --api-key, or .env) to"
                    f" the Client ID of your app at {APPS_URL}, not its Client Secret; nothing published changed"
                )
            )
        if code == 404:
            return ("not_found", None, "")
        if code == 200:
            body = _json_body(response)
            if isinstance(body, dict | list):
                return ("ok", body, "")
        return None

    def _backoff(self, attempt: int) -> float:
        """The wait after attempt ``attempt`` (0 is the first) failed."""
        return backoff(attempt + 1, self.config.backoff, self.config.backoff_max)

    def _count_failure(self, detail: str) -> None:
        with self._lock:
            self._failures_in_a_row += 1
            tripped = self._failures_in_a_row >= self.config.circuit_breaker_failures
            failures = self._failures_in_a_row
        if tripped:
            self._stop(
                TraktUnavailable(
                    f"Trakt looks unavailable: {failures} failed attempts in a row"
                    f" (last: {detail}); nothing published changed, the next run resumes from the cache"
                )
            )

    def _stop(self, error: TraktUnavailable) -> NoReturn:
        """Stop the run: this thread raises ``error`` and every other one at its next attempt."""
        with self._lock:
            if self._stopped is None:
                self._stopped = error
            raise self._stopped
