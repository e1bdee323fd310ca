"""Workflow step 2: join upstream + overrides + previous output with Trakt; write ``output/``.

Load the upstream lists, the overrides and what is published now; look every mapping up on Trakt
(through the cache); decide each MAL id's entry; write the output and not-found files atomically,
plus ``meta.json`` when the data changed and a run summary for the report.
"""

from __future__ import annotations

import argparse
import logging
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline import candidates, heap, letterboxd, logs, preflight
from pipeline.config import Config, load_config
from pipeline.errors import PipelineError
from pipeline.evidence import crossref, entries, episode_maps, guards, mappings
from pipeline.evidence import resolve as judged
from pipeline.evidence.resolve import Resolved, Sources
from pipeline.overrides import load_overrides
from pipeline.progress import Progress
from pipeline.published import run as run_record
from pipeline.published import write
from pipeline.published.jsonio import load_json, write_json
from pipeline.published.models import KINDS, META_FILE, NOT_FOUND_FILE, OUTPUT_FILE, UPSTREAM_FILE, Kind, Mapping
from pipeline.published.run import Decided, Published, Run
from pipeline.published.summary import summary as run_summary
from pipeline.sources import upstream
from pipeline.sources.catalog import load_joined
from pipeline.trakt.client import TraktClient

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    kinds: tuple[Kind, ...] = KINDS
    inputs: dict[Kind, Path] = field(default_factory=dict)  # --tv / --movies; default .cache/upstream/
    output: Path | None = None  # --output, for a single list
    force: bool = False
    allow_shrink: bool = False
    progress: bool = True
    verbose: bool = False
    stop_after: float | None = None  # --stop-after: minutes it may ask Trakt (then it finishes with the cache)


def _paths(config: Config, options: Options, kind: Kind) -> tuple[Path, Path]:
    if options.output is not None:
        return options.output, options.output.with_name(f"not_exist_{options.output.name}")
    return config.output_dir / OUTPUT_FILE[kind], config.output_dir / NOT_FOUND_FILE[kind]


def _guard_before_lookups(
    config: Config,
    options: Options,
    lists: dict[Kind, upstream.UpstreamList],
    groups: dict[Kind, dict[int, list[Mapping]]],
    published: dict[Kind, Published],
    discovery: candidates.Discovery | None,
    client: TraktClient,
) -> None:
    """Refuse, before any request, an upstream list that shrank or a run that would remove too much.

    Counted with every mapping applied (upstream, overrides, discovery), as the published files are.
    When discovery dropped removed entries on Trakt's answers (search ``[]``, a season missing), those
    answers are dropped from the cache, so that the next run's discovery asks Trakt again.
    """
    if options.output is None:  # meta.json describes the default files only
        meta = load_json(config.output_dir / META_FILE, missing={})
        recorded = meta.get("upstream", {}) if isinstance(meta, dict) else {}
        totals = {listed.name: listed.total for listed in lists.values()}
        guards.check_upstream(totals, recorded, config.shrink_threshold)
    removals = [
        guards.removals(files.output_path.name, files.old_output, groups[kind]) for kind, files in published.items()
    ]
    note = guards.discovery_note(removals, discovery)
    reason = guards.refusal(removals, config.mass_change_threshold, config.mass_change_min_entries, note=note)
    if reason is not None:
        drops = guards.trakt_drops(removals, discovery)
        client.forget_paths({str(path) for dropped in drops for path in dropped.get("asked", [])})
        raise PipelineError(reason)


def _guard_after_lookups(
    client: TraktClient,
    groups: dict[Kind, dict[int, list[Mapping]]],
    published: dict[Kind, Published],
    decided: Decided,
    config: Config,
) -> None:
    """Refuse a Trakt-side mass change (many 404s, many seasons missing) before anything is written.

    The answers behind the refused changes are dropped from the cache, so the next run asks again.
    """
    found = {
        kind: guards.mass_change(files.output_path.name, files.old_output, *decided[kind])
        for kind, files in published.items()
    }
    reason = guards.refusal(
        found.values(), config.mass_change_threshold, config.mass_change_min_entries, trakt_side=True
    )
    if reason is None:
        return
    client.forget(
        (kind, mapping.trakt_id)
        for kind, change in found.items()
        for mal_id in (*change.to_not_found, *change.to_split_cour)
        for mapping in groups[kind].get(mal_id, [])
    )
    raise PipelineError(reason)


def resolve(client: TraktClient, mapping: Mapping, sources: Sources | None = None) -> Resolved:
    """Look one mapping up; a failed call is ``failed``, never a not-found or a split cour."""
    if mapping.kind == "movies":
        movie = client.movie(mapping.trakt_id)
        if movie.value is None:
            return Resolved(movie.status, detail=movie.detail)
        return judged.movie(mapping, movie.value)
    show = client.show(mapping.trakt_id)
    if show.value is None:
        return Resolved(show.status, detail=show.detail)
    seasons = client.seasons(mapping.trakt_id)
    if seasons.value is None:
        detail = seasons.detail or f"/shows/{mapping.trakt_id}/seasons answered 404 although the show exists"
        return Resolved("failed", detail=detail)
    return judged.show(mapping, show.value, seasons.value, sources or Sources(None))


def _prefetch(
    client: TraktClient, groups: dict[Kind, dict[int, list[Mapping]]], options: Options, workers: int
) -> None:
    """Ask Trakt for every distinct id, ``workers`` at a time; the answers stay in the client.

    Each id is one task, so no two threads ever ask the same URL. The first failure that stops the
    run (outage, rejected key) cancels what has not started and is raised here.
    """
    ids = [
        (kind, trakt_id)
        for kind, found in groups.items()  # shows first, then movies, each by id: a stable order
        for trakt_id in sorted({m.trakt_id for ms in found.values() for m in ms})
    ]
    progress = Progress(len(ids), enabled=options.progress, stats=client.stats, noun="Trakt ids")
    missing = []
    client.preload(ids)
    for kind, trakt_id in ids:  # fresh cached answers first, in this thread: threads only slow them
        if client.look_up_cached(kind, trakt_id):
            progress.advance()
        else:
            missing.append((kind, trakt_id))
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="trakt") as pool:
        futures = [pool.submit(client.look_up, kind, trakt_id) for kind, trakt_id in missing]
        try:
            for future in as_completed(futures):
                future.result()
                progress.advance()
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    progress.finish()


def _look_up_all(
    client: TraktClient, groups: dict[Kind, dict[int, list[Mapping]]], run: Run, options: Options, sources: Sources
) -> None:
    _prefetch(client, groups, options, client.config.concurrency)
    for kind, found in groups.items():
        for mal_id in sorted(found):
            mapping, resolved = entries.decide(run, kind, [(m, resolve(client, m, sources)) for m in found[mal_id]])
            if options.verbose:
                logger.info(
                    "enrich: %s %d %r -> trakt %d: %s%s",
                    kind,
                    mal_id,
                    mapping.mal_title,
                    mapping.trakt_id,
                    resolved.status,
                    " (split cour)" if resolved.status == "ok" and not resolved.season_found else "",
                )


def _fill_letterboxd(
    config: Config, published: dict[Kind, Published], overrides: list[tuple[str, dict[str, Any]]]
) -> dict[str, Any] | None:
    """The movies' Letterboxd ids (kept, from overrides, resolved on Wikidata), for the summary; None without movies."""
    if "movies" not in published:
        return None
    files = published["movies"]
    return letterboxd.fill(config, files.output, files.old_output_by_id, letterboxd.from_overrides(overrides)).summary()


def _sources(config: Config, published: dict[Kind, Published]) -> Sources:
    """The sources for the season evidence and the AniDB/AniList ids; on a night they are unusable, the
    shows published before."""
    joined, warnings = load_joined(config.sources_dir)
    if not warnings:
        return Sources(joined)
    logger.debug("enrich: no season evidence tonight: %s", warnings[0])
    previous = published["shows"].old_output_by_id if "shows" in published else {}
    return Sources(None, previous, "; ".join(warnings))


def enrich(
    config: Config, options: Options, *, client_factory: Callable[..., TraktClient] = TraktClient
) -> dict[str, Any]:
    """The whole step; returns the run summary (also written to ``config.run_summary``)."""
    started = datetime.now(UTC)
    config.run_summary.unlink(missing_ok=True)  # a run that stops early must not leave the last one's report
    lists = {
        kind: upstream.load(options.inputs[kind], kind)
        if kind in options.inputs
        else upstream.load(config.upstream_dir / UPSTREAM_FILE[kind], kind, fetched=True)
        for kind in options.kinds
    }
    for listed in lists.values():
        for message in listed.skipped:
            logger.warning("enrich: skipped %s", message)
    overrides = load_overrides(config.overrides_dir)
    published = {kind: run_record.load(*_paths(config, options, kind)) for kind in options.kinds}
    groups, duplicates = mappings.build_mappings(lists, overrides)
    discovery = candidates.read(config.candidates)  # discover's proposals, read once for the mappings and guards
    discovered_from = (
        mappings.add_discovered(
            discovery,
            groups,
            {kind: files.old_output for kind, files in published.items()},
            candidates_file=str(config.candidates),
        )
        if options.output is None
        else "none (--output)"
    )
    budget = {} if options.stop_after is None else {"budget": options.stop_after * 60}
    client = client_factory(config, force=options.force, **budget)
    try:
        if not options.allow_shrink:
            _guard_before_lookups(config, options, lists, groups, published, discovery, client)
        for duplicate in duplicates.values():
            logger.warning("enrich: MAL id %(mal_id)d is listed more than once: %(candidates)s", duplicate)
        run = Run(published, duplicates)
        sources = _sources(config, published)
        _look_up_all(client, groups, run, options, sources)
        entries.settle_collisions(run)
        if "shows" in published:
            run.review += episode_maps.settle(published["shows"].output)
        for files in published.values():
            crossref.fill(files.output, sources.joined, files.old_output_by_id)
        if client.stats.deferred:  # published entries keep their data (stale), new ones wait a night
            logger.warning(
                "enrich: stopped asking Trakt after %g minutes (--stop-after); %s lookups left for the next run",
                options.stop_after,
                f"{client.stats.deferred:,}",
            )
        if not options.allow_shrink:
            _guard_after_lookups(client, groups, published, run_record.decided(published), config)
        films = _fill_letterboxd(config, published, overrides)  # not Trakt's: after the guards, never a reason
        decided = run_record.decided(published)
        changed = write.data(config, published, decided, default_files=options.output is None)
        if options.output is None:
            write.meta(config, lists, decided, changed, started)
            write.pending(config).unlink(missing_ok=True)
        client.prune()
    finally:
        client.close()
    summary = run_summary(
        run, decided, lists, client.stats, force=options.force, started=started, discovered_from=discovered_from
    )
    summary["season_evidence"] = sources.problem or "checked against the mapping sources"
    summary["override_problems"] = entries.override_problems(groups, run)
    summary["letterboxd"] = films
    write_json(config.run_summary, summary)
    return summary


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.enrich",
        description="Enrich the upstream MAL->Trakt lists with Trakt metadata and write output/.",
        allow_abbrev=False,
    )
    parser.add_argument(
        "--tv", "-tv", type=Path, metavar="FILE", help="input TV list (default .cache/upstream/tv.json)"
    )
    parser.add_argument("--movies", "-movies", type=Path, metavar="FILE", help="input movie list")
    parser.add_argument("--output", "-output", type=Path, metavar="FILE", help="output file (one list only)")
    parser.add_argument("--api-key", "-api-key", metavar="KEY", help="Trakt client id (else TRAKT_API_KEY or .env)")
    parser.add_argument("--verbose", "-verbose", action="store_true", help="log every entry and request")
    parser.add_argument("--no-progress", "-no-progress", action="store_true", help="no progress bar or lines")
    parser.add_argument("--force", "-force", action="store_true", help="ignore the cache, re-fetch everything")
    parser.add_argument(
        "--stop-after",
        type=float,
        metavar="MINUTES",
        help="stop asking Trakt after this long and finish with the cache: entries not refreshed keep their data",
    )
    parser.add_argument(
        "--allow-shrink",
        "-allow-shrink",
        action="store_true",
        help="publish even a mass change: an upstream list that shrank, or many entries removed, not found or"
        " turned split cour (past the limits)",
    )
    return parser


def _options(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Options:
    inputs: dict[Kind, Path] = {}
    if args.tv is not None:
        inputs["shows"] = args.tv
    if args.movies is not None:
        inputs["movies"] = args.movies
    kinds = tuple(kind for kind in KINDS if kind in inputs) or KINDS
    if args.output is not None and len(kinds) != 1:
        parser.error("--output names one file: give it with --tv or with --movies, not both")
    return Options(
        kinds=kinds,
        inputs=inputs,
        output=args.output,
        force=args.force,
        allow_shrink=args.allow_shrink,
        progress=not args.no_progress,
        verbose=args.verbose,
        stop_after=args.stop_after,
    )


def check_args(argv: Sequence[str], prog: str, usage: str) -> argparse.Namespace:
    """Enrich's flags parsed as ``main`` does; a usage error exits 2 under ``prog`` (the chain checks up front)."""
    parser = _parser()
    parser.prog, parser.usage = prog, usage
    args = parser.parse_args(argv)
    _options(args, parser)
    return args


def flags_help() -> str:
    """Enrich's flags as its ``--help`` lists them, for the chain's ``--help``."""
    return _parser().format_help()


def _api_key(config: Config) -> Config:
    """The configured key, or asked for on a terminal (as the whole chain asks for it)."""
    return config.replace(api_key=preflight.api_key(config, None))


def _stop_on_sigterm(signum: int, frame: object) -> None:
    """A cancelled or timed-out workflow step gets SIGINT, then SIGTERM: unwind, so the cache is closed cleanly."""
    raise SystemExit(f"enrich: stopped by signal {signum}; nothing published changed, the next run resumes")


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    signal.signal(signal.SIGINT, _stop_on_sigterm)  # the runner's first signal (uv run passes it on)
    parser = _parser()
    args = parser.parse_args(argv)
    options = _options(args, parser)
    logs.setup(verbose=args.verbose, secrets=[args.api_key or ""])
    heap.tune()
    try:
        config = _api_key(load_config({"api_key": args.api_key}))
        logs.add_secret(config.api_key or "")
        summary = enrich(config, options)
    except PipelineError as exc:
        logger.error("enrich: %s", exc)
        return 1
    requests = summary["requests"]
    logger.info(
        "enrich: done: %s; %d Trakt requests, %d answers from cache, %d kept stale",
        ", ".join(f"{name} {info['entries']:,}" for name, info in summary["files"].items()),
        requests["made"],
        requests["from_cache"],
        len(summary["stale"]),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
