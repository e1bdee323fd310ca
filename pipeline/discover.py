"""Workflow step 2: propose mappings for the MAL ids upstream lacks; write ``.cache/candidates.json``.

Load the mapping sources fetch stored, the upstream lists, the overrides and what is published now;
decide by the rules (``pipeline.evidence.rules``) which MAL ids the sources map with agreement; turn each
claim's TMDB/TVDB/IMDb id into a Trakt id (known from a published entry, else Trakt's search by id)
and check the show's season against Trakt's seasons; write the candidates, and every dropped one
with its rule, for enrich and the report.

A missing or broken source, or Trakt failing, skips discovery for the night (a warning in the
report): it never fails the run, and enrich keeps the discovered entries published before.
"""

from __future__ import annotations

import argparse
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pipeline import candidates, heap, logs
from pipeline.candidates import Candidate, Discovery
from pipeline.config import Config, load_config
from pipeline.errors import PipelineError
from pipeline.evidence import rules
from pipeline.evidence import seasons as evidence
from pipeline.overrides import load_overrides
from pipeline.published.jsonio import load_json
from pipeline.published.models import KINDS, OUTPUT_FILE, STAMP, UPSTREAM_FILE, Kind, SearchHit
from pipeline.sources import upstream
from pipeline.sources.catalog import load_joined
from pipeline.trakt.client import Answer, TraktClient, TraktUnavailable, search_path, seasons_path

logger = logging.getLogger(__name__)

Taken = dict[Any, set[int]]


@dataclass(slots=True)
class Known:
    """What the upstream lists, the overrides and the published files already tell."""

    mapped: set[int] = field(default_factory=set)  # MAL ids upstream or an override maps (any kind)
    movies: Taken = field(default_factory=lambda: defaultdict(set))  # Trakt id -> MAL ids
    movies_by_tmdb: Taken = field(default_factory=lambda: defaultdict(set))  # TMDB id -> MAL ids
    trakt_of: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (kind, id kind, id) -> Trakt id
    previous: dict[tuple[Kind, int], Candidate] = field(default_factory=dict)  # discovered entries published


def _unique(pairs: list[tuple[tuple[str, str, str], int]]) -> dict[tuple[str, str, str], int]:
    """External id -> Trakt id, for the external ids that name one Trakt id only."""
    found: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    for key, trakt_id in pairs:
        found[key].add(trakt_id)
    return {key: next(iter(ids)) for key, ids in found.items() if len(ids) == 1}


def load_known(config: Config) -> Known:
    known = Known()
    mapped_movies: list[tuple[int, int]] = []  # (MAL id, Trakt id); a show's Trakt season is judged by enrich
    for kind in KINDS:
        for _, entry in upstream.load(config.upstream_dir / UPSTREAM_FILE[kind], kind, fetched=True).entries:
            known.mapped.add(entry["mal_id"])
            if kind == "movies":
                mapped_movies.append((entry["mal_id"], entry["trakt_id"]))
    for _, override in load_overrides(config.overrides_dir):
        known.mapped.add(override["myanimelist"]["id"])
        if override["trakt"]["type"] == "movies":
            mapped_movies.append((override["myanimelist"]["id"], override["trakt"]["id"]))
    for mal_id, trakt_id in mapped_movies:
        known.movies[trakt_id].add(mal_id)
    _read_published(config, known, mapped_movies)
    return known


def _read_published(config: Config, known: Known, movies: list[tuple[int, int]]) -> None:
    """External ids of the published Trakt ids: no search for them, and the TMDB side of what is taken."""
    pairs: list[tuple[tuple[str, str, str], int]] = []
    for kind in KINDS:
        data = load_json(config.output_dir / OUTPUT_FILE[kind], missing=[])
        for entry in data if isinstance(data, list) else []:
            trakt = entry.get("trakt", {})
            externals = trakt.get("externals", {})
            for id_kind in ("tmdb", "tvdb", "imdb"):
                if externals.get(id_kind):
                    pairs.append(((kind, id_kind, str(externals[id_kind])), trakt["id"]))
            if entry.get("origin") == "discovered":
                evidence = "kept from the last run (Trakt failed this night)"
                known.previous[kind, entry["myanimelist"]["id"]] = candidates.from_published(kind, entry, evidence)
    known.trakt_of = _unique(pairs)
    tmdb_of = {trakt_id: int(key[2]) for key, trakt_id in known.trakt_of.items() if key[1] == "tmdb"}
    for mal_id, trakt_id in movies:
        if trakt_id in tmdb_of:
            known.movies_by_tmdb[tmdb_of[trakt_id]].add(mal_id)


@dataclass(frozen=True, slots=True)
class Outcome:
    claim: rules.ShowClaim | rules.MovieClaim
    trakt_id: int | None
    rule: str = ""
    detail: str = ""
    asked: tuple[str, ...] = ()  # the API paths whose answers decided a drop


def _hits(answer: Answer[list[SearchHit]]) -> list[SearchHit] | None:
    if answer.status == "not_found":
        return []
    return answer.value if answer.status == "ok" else None


def _find(
    client: TraktClient, known: Known, kind: Kind, id_kind: Literal["tmdb", "tvdb", "imdb"], external_id: object
) -> tuple[int | None, str, str, tuple[str, ...]]:
    """(Trakt id, rule, detail, the search asked) for an external id."""
    trakt_id = known.trakt_of.get((kind, id_kind, str(external_id)))
    if trakt_id is not None:
        return trakt_id, "", "", ()  # a Trakt id we publish already: no search
    wanted: Literal["show", "movie"] = "show" if kind == "shows" else "movie"
    found = rules.check_search(_hits(client.search(id_kind, str(external_id), wanted)), wanted)
    return (*found, (search_path(id_kind, str(external_id), wanted),))


def resolve_show(client: TraktClient, known: Known, claim: rules.ShowClaim) -> Outcome:
    trakt_id, rule, detail, asked = _find(client, known, "shows", "tmdb", claim.tmdb_id)
    if rule == "search-empty" and claim.tvdb_id is not None:
        trakt_id, rule, detail, by_tvdb = _find(client, known, "shows", "tvdb", claim.tvdb_id)
        detail = detail and f"TMDB {claim.tmdb_id}: []; TVDB {claim.tvdb_id}: {detail}"
        asked += by_tvdb
    if trakt_id is None:
        return Outcome(claim, None, rule, detail, asked)
    seasons = client.seasons(trakt_id)
    asked += (seasons_path(trakt_id),)
    if seasons.status == "failed":
        return Outcome(claim, None, "search-failed", f"{seasons_path(trakt_id)} failed: {seasons.detail}", asked)
    listed = seasons.value or []
    season = next((season for season in listed if season.number == claim.season), None)
    if season is None:  # published only on its season: a discovered show is never a split cour
        detail = f"Trakt show {trakt_id} has seasons {[season.number for season in listed]}, not {claim.season}"
        return Outcome(claim, None, "season-missing", detail, asked)
    if not evidence.fits(claim.offset, season):
        detail = (
            f"Trakt show {trakt_id} season {claim.season} has {season.episode_count} episodes, offset {claim.offset}"
        )
        return Outcome(claim, None, evidence.OFFSET_BEYOND, detail, asked)
    return Outcome(claim, trakt_id)


def resolve_movie(client: TraktClient, known: Known, claim: rules.MovieClaim) -> Outcome:
    if claim.tmdb_id is not None:
        trakt_id, rule, detail, asked = _find(client, known, "movies", "tmdb", claim.tmdb_id)
    else:
        trakt_id, rule, detail, asked = _find(client, known, "movies", "imdb", claim.imdb_id)
    return Outcome(claim, trakt_id, rule, detail, asked if trakt_id is None else ())


def _evidence(claim: rules.ShowClaim | rules.MovieClaim) -> str:
    if isinstance(claim, rules.ShowClaim):
        where = (
            "numbered absolutely, the whole show from S1E1"
            if claim.absolute
            else f"season {claim.season}" + (f" from episode {claim.offset + 1}" if claim.offset else "")
        )
        return f"AniDB {claim.anidb_id}: TMDB {claim.tmdb_id} {where}, TVDB {claim.tvdb_id} confirmed"
    found = f"AniDB {claim.anidb_id}: " + (f"TMDB movie {claim.tmdb_id}" if claim.tmdb_id else f"IMDb {claim.imdb_id}")
    return f"{found}, filed as {claim.filed_as}" if claim.filed_as else found


@dataclass(slots=True)
class Decided:
    candidates: list[Candidate] = field(default_factory=list)
    dropped: list[rules.Dropped] = field(default_factory=list)


def decide(outcomes: list[Outcome], known: Known) -> Decided:
    """Candidates from the resolved claims; no second MAL id on a Trakt show season or movie."""
    decided = Decided()
    resolved: list[Candidate] = []
    for outcome in outcomes:
        claim = outcome.claim
        kind: Kind = "shows" if isinstance(claim, rules.ShowClaim) else "movies"
        if outcome.trakt_id is None:
            previous = known.previous.get((kind, claim.mal_id))
            if outcome.rule == "search-failed" and previous is not None:
                resolved.append(previous)
            else:
                decided.dropped.append(
                    rules.Dropped(
                        mal_id=claim.mal_id, kind=kind, rule=outcome.rule, detail=outcome.detail, asked=outcome.asked
                    )
                )
            continue
        continuation = isinstance(claim, rules.ShowClaim) and claim.offset > 0
        season = claim.season if isinstance(claim, rules.ShowClaim) and not continuation else None
        resolved.append(
            Candidate(
                kind=kind,
                mal_id=claim.mal_id,
                title=claim.title,
                trakt_id=outcome.trakt_id,
                season=season,
                evidence=_evidence(claim),
                episodes=(claim.season, claim.offset) if isinstance(claim, rules.ShowClaim) and continuation else None,
            )
        )
    places: dict[tuple[Kind, int, int | None, tuple[int, int] | None], list[Candidate]] = defaultdict(list)
    for candidate in resolved:
        places[candidate.kind, candidate.trakt_id, candidate.season, candidate.episodes].append(candidate)
    for (kind, trakt_id, season, episodes), found in places.items():
        # a show season (and episodes) another MAL id holds is decided by enrich, after the night's corrections
        holders = known.movies.get(trakt_id) if kind == "movies" else None
        where = f"Trakt movie {trakt_id}" if kind == "movies" else _where(trakt_id, season, episodes)
        for candidate in found:
            others = sorted((holders or set()) - {candidate.mal_id})
            if others:
                rule, detail = "movie-taken", f"{where} is MAL {others}'s"
            elif len(found) > 1:
                mal_ids = ", ".join(str(c.mal_id) for c in found)
                rule, detail = (
                    ("shared-season" if kind == "shows" else "shared-movie"),
                    f"{where} is claimed by MAL {mal_ids}",
                )
            else:
                decided.candidates.append(candidate)
                continue
            decided.dropped.append(rules.Dropped(mal_id=candidate.mal_id, kind=kind, rule=rule, detail=detail))
    decided.candidates.sort(key=lambda c: (c.kind, c.mal_id))
    return decided


def _where(trakt_id: int, season: int | None, episodes: tuple[int, int] | None) -> str:
    if episodes is not None:
        return f"Trakt show {trakt_id} season {episodes[0]} from episode {episodes[1] + 1}"
    return f"Trakt show {trakt_id} season {season}"


def _resolve_all(client: TraktClient, known: Known, proposals: rules.Proposals, workers: int) -> list[Outcome]:
    claims: list[rules.ShowClaim | rules.MovieClaim] = [*proposals.shows.values(), *proposals.movies.values()]

    def resolve(claim: rules.ShowClaim | rules.MovieClaim) -> Outcome:
        if isinstance(claim, rules.ShowClaim):
            return resolve_show(client, known, claim)
        return resolve_movie(client, known, claim)

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="discover") as pool:
        return list(pool.map(resolve, claims))


def _now() -> str:
    return datetime.now(UTC).strftime(STAMP)


def _skipped(config: Config, warnings: list[str]) -> Discovery:
    for warning in warnings:
        logger.warning("discover: %s; discovery skipped this night, published entries are kept", warning)
    discovery = Discovery(status="skipped", generated=_now(), warnings=warnings)
    candidates.write(config.candidates, discovery)
    return discovery


def discover(
    config: Config, *, client_factory: Callable[..., TraktClient] = TraktClient, stop_after: float | None = None
) -> Discovery:
    """The whole step; returns what it wrote to ``config.candidates``.

    ``stop_after``: minutes it may ask Trakt; when they run out it skips the night (the searches
    answered so far stay in the cache, so the next night goes on from there).
    """
    joined, warnings = load_joined(config.sources_dir)  # with any warning, discovery skips the night
    if warnings:
        return _skipped(config, warnings)
    known = load_known(config)
    proposals = rules.propose(
        joined,
        mapped=known.mapped,
        movies_taken={key: frozenset(ids) for key, ids in known.movies_by_tmdb.items()},
    )
    logger.info(
        "discover: %s MAL ids in the sources, %s mapped already; %s shows and %s movies to look up on Trakt",
        f"{len(joined):,}",
        f"{proposals.already_mapped:,}",
        f"{len(proposals.shows):,}",
        f"{len(proposals.movies):,}",
    )
    client = client_factory(config, **({} if stop_after is None else {"budget": stop_after * 60}))
    try:
        outcomes = _resolve_all(client, known, proposals, config.concurrency)
    except TraktUnavailable as exc:
        return _skipped(config, [f"Trakt: {exc}"])
    finally:
        client.close()
    if client.stats.deferred:
        return _skipped(
            config,
            [
                f"stopped asking Trakt after {stop_after:g} minutes (--stop-after) with {client.stats.deferred:,} "
                "searches not asked; the answers so far are in the cache, so the next night goes on from there"
            ],
        )
    decided = decide(outcomes, known)
    films = {claim.mal_id for claim in proposals.movies.values() if claim.filed_as}
    films_found = sum(c.mal_id in films for c in decided.candidates if c.kind == "movies")
    dropped = sorted([*proposals.dropped, *decided.dropped], key=lambda d: (d.kind, d.mal_id))
    discovery = Discovery(
        status="ok",
        generated=_now(),
        candidates=decided.candidates,
        dropped=[{**d.as_json(), "review": d.review} for d in dropped],
        counts={
            "known": len(joined),
            "already_mapped": proposals.already_mapped,
            "proposed": len(proposals.shows) + len(proposals.movies),
            "films_filed_as_specials": len(films),  # movie claims from rows filed under a show (rules.py)
            "films_filed_as_specials_discovered": films_found,
            "requests": client.stats.requests,
            "from_cache": client.stats.from_cache,
        },
    )
    candidates.write(config.candidates, discovery)
    logger.info(
        "discover: %s shows and %s movies discovered, %s dropped; %s Trakt requests, %s answers from cache",
        f"{len(discovery.of_kind('shows')):,}",
        f"{len(discovery.of_kind('movies')):,}",
        f"{len(dropped):,}",
        f"{client.stats.requests:,}",
        f"{client.stats.from_cache:,}",
    )
    return discovery


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.discover",
        description="Propose MAL->Trakt mappings for the MAL ids upstream lacks, from the mapping sources in "
        ".cache/sources/ and Trakt's search by id; writes .cache/candidates.json for enrich.",
    )
    parser.add_argument("--api-key", metavar="KEY", help="Trakt client id (else TRAKT_API_KEY or .env)")
    parser.add_argument(
        "--stop-after", type=float, metavar="MINUTES", help="stop asking Trakt after this long and skip the night"
    )
    args = parser.parse_args(argv)
    logs.setup(secrets=[args.api_key or ""])
    heap.tune()
    try:
        config = load_config({"api_key": args.api_key})
        logs.add_secret(config.api_key or "")
        discover(config, stop_after=args.stop_after)
    except PipelineError as exc:
        logger.error("discover: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
