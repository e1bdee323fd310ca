"""The Letterboxd ids of the published films: kept, set by an override, or resolved from Wikidata.

Trakt has no Letterboxd ids; the predecessor resolved them, and its consumers read
``externals.letterboxd``. For each movie entry enrich decided, in this order:

1. an override's ``trakt.externals.letterboxd`` wins;
2. else the ids already known: the entry's own (a kept entry) or the previous output's for the same
   MAL id and Trakt movie. The previous output is the memory: a known id never disappears;
3. else the slug is looked up on Wikidata (``pipeline.sources.wikidata``) by TMDB id, then IMDb id,
   in batches through a requests-cache session (``.cache/sources/wikidata.sqlite``), with fetch's
   retries (429 with ``Retry-After``, 5xx). ``lid`` and ``uid`` stay null: Wikidata has no such ids.

A failed or refused query, or a malformed answer, resolves nothing that night (not even the batches
that succeeded): the published data stays as it was, and the report warns.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from requests_cache import CachedSession

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.net.budget import Budget
from pipeline.net.download import download
from pipeline.published.checks import dig
from pipeline.published.models import Letterboxd, letterboxd_of, with_letterboxd
from pipeline.sources import SourceError, wikidata

logger = logging.getLogger(__name__)

USER_AGENT = (
    "extended-anitrakt/1.0 (https://github.com/extended-anitrakt/extended-anitrakt; nightly Letterboxd film ids"
    " by TMDB/IMDb id) python-requests"  # Wikimedia's policy: a descriptive User-Agent with a contact
)
ACCEPT = "application/sparql-results+json"

Film = tuple[int | None, str | None]  # (TMDB id, IMDb id)


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What one night did with the films' Letterboxd ids, for the run summary."""

    kept: int = 0
    overridden: int = 0
    resolved: int = 0
    unknown: int = 0
    asked: int = 0  # films looked up on Wikidata
    batches: int = 0
    problem: str | None = None

    def summary(self) -> dict[str, Any]:
        return asdict(self)


def from_overrides(overrides: list[tuple[str, dict[str, Any]]]) -> dict[int, Letterboxd]:
    """MAL id -> the Letterboxd ids a movie override sets (``trakt.externals.letterboxd``)."""
    found = {}
    for _, override in overrides:
        ids = letterboxd_of(dig(override, ("trakt", "externals", "letterboxd")))
        if ids is not None and dig(override, ("trakt", "type")) == "movies":
            found[override["myanimelist"]["id"]] = ids
    return found


def open_session(config: Config) -> CachedSession:
    """requests-cache on SQLite (JSON serializer) beside the mapping sources, which the workflow keeps."""
    config.wikidata_cache.parent.mkdir(parents=True, exist_ok=True)
    session = CachedSession(
        cache_name=str(config.wikidata_cache),
        backend="sqlite",
        serializer="json",
        expire_after=config.wikidata_refresh_days * 86_400,
        allowable_codes=(200,),
        allowable_methods=("GET",),
    )
    session.headers.update({"User-Agent": USER_AGENT, "Accept": ACCEPT})
    return session


def _known(entry: dict[str, Any], previous: dict[str, Any] | None) -> Letterboxd | None:
    """The entry's own ids, else the previous output's when it named the same Trakt movie."""
    own = letterboxd_of(dig(entry, ("trakt", "externals", "letterboxd")))
    if own is not None or previous is None or dig(previous, ("trakt", "id")) != dig(entry, ("trakt", "id")):
        return own
    return letterboxd_of(dig(previous, ("trakt", "externals", "letterboxd")))


def _batches(films: dict[int, Film], size: int) -> list[list[Film]]:
    ordered = [films[mal_id] for mal_id in sorted(films)]  # a stable order: the same batches, the same cache keys
    return [ordered[start : start + size] for start in range(0, len(ordered), max(1, size))]


def look_up(
    config: Config,
    films: dict[int, Film],
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[dict[int, str], int]:
    """MAL id -> Letterboxd slug for the films Wikidata knows, and the batches asked; PipelineError when any failed.

    A TMDB id wins over an IMDb id; a film with two slugs on Wikidata is left unresolved.
    """
    by_tmdb: dict[int, set[str]] = {}
    by_imdb: dict[str, set[str]] = {}
    batches = _batches(films, config.wikidata_batch)
    budget = Budget(source="Wikidata", seconds=config.wikidata_budget, clock=clock)  # all batches together
    with open_session(config) as session:
        for batch in batches:
            sparql = wikidata.query(
                sorted({tmdb for tmdb, _ in batch if tmdb}), sorted({imdb for tmdb, imdb in batch if imdb and not tmdb})
            )
            url = f"{config.wikidata_sparql_url}?{urlencode({'query': sparql, 'format': 'json'})}"
            payload = download(session, url, wikidata.WHERE, wikidata.VARIABLE, config, sleep=sleep, budget=budget)
            try:
                rows = wikidata.parse(payload)
            except SourceError:
                session.cache.delete(urls=[url])  # a malformed answer is never served again from the cache
                raise
            for row in rows:
                if row.tmdb is not None:
                    by_tmdb.setdefault(row.tmdb, set()).add(row.slug)
                if row.imdb is not None:
                    by_imdb.setdefault(row.imdb, set()).add(row.slug)
    found = {}
    for mal_id, (tmdb, imdb) in films.items():
        slugs = by_tmdb.get(tmdb, set()) if tmdb else by_imdb.get(imdb or "", set())
        if len(slugs) == 1:
            found[mal_id] = next(iter(slugs))
    return found, len(batches)


def fill(
    config: Config,
    output: dict[int, dict[str, Any]],
    previous: dict[int, dict[str, Any]],
    overrides: dict[int, Letterboxd],
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Outcome:
    """Set ``externals.letterboxd`` of every movie entry in ``output`` (MAL id -> entry), in place."""
    decided: dict[int, Letterboxd | None] = {}
    missing: dict[int, Film] = {}
    overridden = kept = 0
    for mal_id, entry in output.items():
        ids = overrides.get(mal_id)
        overridden += ids is not None
        if ids is None:
            ids = _known(entry, previous.get(mal_id))
            kept += ids is not None
        decided[mal_id] = ids
        externals = entry["trakt"]["externals"]
        if ids is None and (externals.get("tmdb") or externals.get("imdb")):
            missing[mal_id] = (externals.get("tmdb"), externals.get("imdb"))
    resolved: dict[int, str] = {}
    batches, problem = 0, None
    if missing:
        try:
            resolved, batches = look_up(config, missing, sleep=sleep, clock=clock)
        except PipelineError as exc:
            problem = f"{exc}; no Letterboxd id was resolved tonight, the known ones are kept"
            logger.warning("enrich: %s", problem)
    for mal_id, slug in resolved.items():
        decided[mal_id] = Letterboxd(slug=slug, lid=None, uid=None)
    for mal_id, ids in decided.items():
        output[mal_id] = with_letterboxd(output[mal_id], ids)
    logger.info(
        "enrich: Letterboxd ids: %d kept, %d from overrides, %d resolved on Wikidata of %d asked, %d unknown",
        kept,
        overridden,
        len(resolved),
        len(missing),
        sum(ids is None for ids in decided.values()),
    )
    return Outcome(
        kept=kept,
        overridden=overridden,
        resolved=len(resolved),
        unknown=sum(ids is None for ids in decided.values()),
        asked=len(missing),
        batches=batches,
        problem=problem,
    )
