"""Benchmark of discovery (issues 9, 15) on the full snapshots in ../shared/fixtures; run by hand:

    uv run python tests/benchmarks/benchmark_discovery.py [--shared ../shared/fixtures] [--limit 1000] [--period 5]

1. parsing the three full sources (target < 2 s);
2. precision on the overlap with upstream: the rules applied to every MAL id the sources know,
   upstream included, and compared, for the MAL ids upstream maps, with upstream's Trakt show and
   season (its TMDB id from the predecessor's published files; Trakt's search by TMDB id finds the
   show with that TMDB id, so same TMDB id = same Trakt id). Target >= 99%; for movies likewise by
   TMDB (else IMDb) id, a movie claim for a MAL id upstream maps as a show counting wrong, with the
   films filed as specials apart, and the held-out recall among upstream's films that a source names
   (a TMDB movie id or an IMDb id on its rows). Targets >= 99% and >= 85%;
3. entries discovered per kind and dropped per rule, for the MAL ids upstream lacks;
4. a cold chain (fetch, discover, enrich, validate) against the fake Trakt, which serves the full
   sources and answers a search for each of their ids, with the rate limit scaled down 60 times:
   requests by kind, wall time against the sliding-window floor; then a warm run (requests, time).

Prints one table; exits 1 when a target is not met.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pipeline.demo.fake_trakt import FakeTrakt, most_in_window  # noqa: E402
from pipeline.evidence import rules  # noqa: E402
from pipeline.sources import anime_lists  # noqa: E402
from pipeline.sources import joined as sources_joined  # noqa: E402
from pipeline.sources.catalog import SOURCES  # noqa: E402
from tests import shared_fixtures  # noqa: E402
from tests.benchmarks.benchmark import Table, make_workdir, run_step, step_environment  # noqa: E402
from tests.conftest import API_KEY, SOURCE_VARIABLES, real_lists  # noqa: E402

PARSE_TARGET_SECONDS = 2.0
PRECISION_TARGET = 0.99
FILM_RECALL_TARGET = 0.90
SHOW_RECALL_TARGET = 0.90
WARM_TARGET_SECONDS = 3.0


def parse_all(folder: Path) -> tuple[list[Any], float]:
    started = time.perf_counter()
    parsed = [source.parse((folder / source.file).read_bytes()) for source in SOURCES]
    return parsed, time.perf_counter() - started


def overlap(shared: Path, parsed: list[Any], table: Table) -> None:
    """Precision and coverage of the rules on the MAL ids upstream maps."""
    tv, movies = (json.loads((shared / "upstream" / name).read_text()) for name in ("tv.json", "movies.json"))
    predecessor = {
        name: {e["myanimelist"]["id"]: e for e in json.loads((shared / "predecessor" / name).read_text())}
        for name in ("tv_ex.json", "movies_ex.json")
    }
    show_tmdb = {e["trakt"]["id"]: e["externals"].get("tmdb") for e in predecessor["tv_ex.json"].values()}
    movie_tmdb = {e["trakt"]["id"]: e["externals"].get("tmdb") for e in predecessor["movies_ex.json"].values()}
    movies_taken: dict[int, set[int]] = defaultdict(set)
    for entry in movies:
        if movie_tmdb.get(entry["trakt_id"]):
            movies_taken[movie_tmdb[entry["trakt_id"]]].add(entry["mal_id"])
    joined = sources_joined.join(*parsed)
    everything = rules.propose(
        joined,
        mapped=set(),  # every MAL id, upstream's too; "another MAL id" excludes the entry itself
        movies_taken={k: frozenset(v) for k, v in movies_taken.items()},
    )
    truth: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for entry in tv:
        if show_tmdb.get(entry["trakt_id"]):
            truth[entry["mal_id"]].add((show_tmdb[entry["trakt_id"]], entry["season"]))
    overlap_tv = {e["mal_id"] for e in tv} & set(joined)
    shows(everything, truth, predecessor["tv_ex.json"], overlap_tv, table)
    films(joined, everything, movies, predecessor["movies_ex.json"], {e["mal_id"] for e in tv}, table)
    mapped = {e["mal_id"] for e in tv} | {e["mal_id"] for e in movies}
    new = rules.propose(
        joined,
        mapped=mapped,
        movies_taken={k: frozenset(v) for k, v in movies_taken.items()},
    )
    table.add("new: shows proposed (MAL ids upstream lacks)", f"{len(new.shows):,}")
    table.add("new: movies proposed", f"{len(new.movies):,}")
    for rule, count in sorted(Counter(d.rule for d in new.dropped).items()):
        table.add(f"new: dropped by {rule}", f"{count:,}")


def shows(
    everything: rules.Proposals,
    truth: dict[int, set[tuple[int, int]]],
    published: dict[int, dict[str, Any]],
    overlap_tv: set[int],
    table: Table,
) -> None:
    """Show claims on the MAL ids upstream maps, judged on upstream's right entries, as enrich decides them.

    The night's corrections first: an upstream entry the sources call a continuation cour of the same
    show moves inside its season (``moved``), and an upstream entry whose season such a moved cour held
    is upstream's shift, not a right entry (``shifted``, left out of the judged). Then ``season-taken``
    on show, season and episodes: a whole-season claim on a place another upstream MAL id still holds is
    dropped. A whole-season claim (long runners included) is right with upstream's TMDB show and
    season; a continuation cour is right on upstream's show where Trakt lacks upstream's own season for
    it (the predecessor published it as a split cour); where Trakt lists that season, enrich decides
    on Trakt's episode count, which the snapshots lack, so those are counted apart.
    """
    claims = {m: c for m, c in everything.shows.items() if m in truth}
    moved = {m for m, c in claims.items() if c.offset and any(t == c.tmdb_id for t, _ in truth[m])}
    held: dict[tuple[int, int, int], set[int]] = defaultdict(set)
    for mal_id, places in truth.items():
        for tmdb, season in places:
            held[(claims[mal_id].place if mal_id in moved else (tmdb, season, 0))].add(mal_id)
    upstream_place = {(tmdb, season) for m in moved for tmdb, season in truth[m]}
    shifted = {  # upstream gave this MAL id the season before the one its moved cour held
        m
        for m, c in claims.items()
        if not c.offset and (c.tmdb_id, c.season) in upstream_place and (c.tmdb_id, c.season) not in truth[m]
    }
    whole = {m: c for m, c in claims.items() if not c.offset and m not in shifted and not held[c.place] - {m}}
    right = [m for m, c in whole.items() if (c.tmdb_id, c.season) in truth[m]]
    precision = len(right) / len(whole)
    table.add("overlap: TV MAL ids in upstream and the sources", f"{len(overlap_tv):,}")
    table.add(
        "overlap: whole-season claims (long runners included), same Trakt show and season as upstream",
        f"{len(right):,} / {len(whole):,} = {precision:.2%}",
        f">= {PRECISION_TARGET:.0%}",
        precision >= PRECISION_TARGET,
    )
    table.add(
        "overlap: of them long runners (numbered absolutely), right", f"{sum(claims[m].absolute for m in right):,}"
    )
    table.add("overlap: upstream entries shifted by a continuation cour (not judged)", f"{len(shifted):,}")
    taken = sum(1 for m, c in claims.items() if not c.offset and m not in shifted and held[c.place] - {m})
    table.add("overlap: whole-season claims dropped as season-taken", f"{taken:,}")
    cours = {m: c for m, c in claims.items() if c.offset}
    split = {m for m in cours if m in published and published[m]["trakt"]["is_split_cour"]}
    same = [m for m in split if published[m]["externals"].get("tmdb") == cours[m].tmdb_id]
    share = len(same) / len(split) if split else 1.0
    table.add(
        "overlap: continuation cours where Trakt lacks upstream's season, on upstream's show",
        f"{len(same):,} / {len(split):,} = {share:.2%}",
        f">= {PRECISION_TARGET:.0%}",
        share >= PRECISION_TARGET,
    )
    table.add(
        "overlap: continuation cours where Trakt lists upstream's season (enrich decides)",
        f"{len(cours) - len(split):,}",
    )
    recall = (len(right) + len(same)) / len(overlap_tv)
    table.add(
        "overlap: held-out show recall, right claims / TV MAL ids in both",
        f"{len(right) + len(same):,} = {recall:.1%}",
        f">= {SHOW_RECALL_TARGET:.0%}",
        recall >= SHOW_RECALL_TARGET,
    )


def _names_a_film(item: sources_joined.Joined) -> bool:
    return any(row.tmdb_movies or row.imdb_ids for row in item.lists) or any(row.imdb_ids for row in item.ids)


def films(
    joined: dict[int, sources_joined.Joined],
    everything: rules.Proposals,
    movies: list[dict[str, Any]],
    published: dict[int, dict[str, Any]],
    shows: set[int],
    table: Table,
) -> None:
    """Movie claims on the MAL ids upstream maps: right when the claim's TMDB (else IMDb) id is that of
    upstream's Trakt movie (from the predecessor's files); a movie claim for a MAL id upstream maps as
    a show is wrong. Recall is among the films a source names (a TMDB movie id or an IMDb id)."""

    def right(claim: rules.MovieClaim) -> bool:
        known = published.get(claim.mal_id)
        if known is None:
            return False
        externals = known["externals"]
        return claim.tmdb_id == externals.get("tmdb") if claim.tmdb_id else claim.imdb_id == externals.get("imdb")

    upstream_films = {e["mal_id"] for e in movies if e["mal_id"] in published}
    named = {mal_id for mal_id in upstream_films if mal_id in joined and _names_a_film(joined[mal_id])}
    for label, claims in (
        ("", list(everything.movies.values())),
        (" filed as specials or under a show", [c for c in everything.movies.values() if c.filed_as]),
    ):
        judged = [c for c in claims if c.mal_id in upstream_films or c.mal_id in shows]
        hits = sum(right(c) for c in judged)
        precision = hits / len(judged) if judged else 1.0
        table.add(
            f"overlap: movie claims{label}, same TMDB (or IMDb) id as upstream's Trakt movie",
            f"{hits:,} / {len(judged):,} = {precision:.2%}",
            f">= {PRECISION_TARGET:.0%}",
            precision >= PRECISION_TARGET,
        )
    found = sum(right(everything.movies[m]) for m in named if m in everything.movies)
    recall = found / len(named)
    table.add(
        f"overlap: held-out film recall, right claims / {len(named):,} upstream films a source names",
        f"{found:,} = {recall:.1%}",
        f">= {FILM_RECALL_TARGET:.0%}",
        recall >= FILM_RECALL_TARGET,
    )


def requests_by_kind(fake: FakeTrakt) -> Counter[str]:
    kinds: Counter[str] = Counter()
    for request in fake.requests:
        path = request.path
        if path.startswith(("/db/", "/sources/")):
            continue
        kinds[
            "search" if path.startswith("/search/") else "seasons" if path.endswith("/seasons") else path.split("/")[1]
        ] += 1
    return kinds


def chain(args: argparse.Namespace, shared: Path, table: Table, base: Path) -> None:
    tv, movies = real_lists()
    fake = FakeTrakt.from_sample(
        expected_key=API_KEY, latency=args.latency, rate_limit=args.limit, rate_period=args.period
    ).synthesize(tv, movies)
    fake.serve_sources(shared / "sources").synthesize_search(
        anime_lists.parse((shared / "sources" / anime_lists.FILE).read_bytes())
    )
    workdir = make_workdir(base / "chain")
    with fake:
        env = step_environment(
            fake,
            TRAKT_RATE_LIMIT_CALLS=str(args.limit),
            TRAKT_RATE_LIMIT_PERIOD=f"{args.period:g}",
            **{variable: fake.url + path for variable, path in SOURCE_VARIABLES.items()},
        )
        started = time.monotonic()
        _fetch_sources(workdir, env)  # the upstream lists are in place already (make_workdir)
        discovered = run_step(workdir, env, "pipeline.discover")
        enriched = run_step(workdir, env, "pipeline.enrich", "--no-progress")
        cold_seconds = enriched.ended - started
        kinds = requests_by_kind(fake)
        made = sum(kinds.values())
        for kind in ("shows", "seasons", "movies", "search"):
            table.add(f"cold: requests, {kind}", f"{kinds.get(kind, 0):,}")
        table.add("cold: requests, all (discover + enrich)", f"{made:,}")
        table.add("cold: 429s received", f"{fake.throttled:,}")
        arrivals = [r.time for r in fake.requests if not r.path.startswith(("/db/", "/sources/"))]
        table.add(f"cold: most arrivals in any {args.period:g} s", f"{most_in_window(arrivals, args.period):,}")
        floor = (made - 1) // args.limit * args.period
        table.add("cold: discover wall time", f"{discovered.seconds:.2f} s")
        table.add("cold: fetch sources + discover + enrich wall time (2 processes)", f"{cold_seconds:.2f} s")
        table.add(
            f"cold: sliding-window floor {args.period:g} s x floor((requests - 1) / {args.limit})", f"{floor:.2f} s"
        )
        table.add("cold: wall / floor", f"{cold_seconds / floor:.3f}" if floor else "n/a")
        candidates = json.loads((workdir / ".cache" / "candidates.json").read_text())
        table.add("cold: discovered, shows / movies", f"{len(candidates['shows']):,} / {len(candidates['movies']):,}")
        for rule, count in sorted(Counter(d["rule"] for d in candidates["dropped"]).items()):
            if rule.startswith(("search-", "season-missing", "season-taken", "movie-taken")):
                table.add(f"cold: dropped by {rule} (Trakt answers)", f"{count:,}")
        published = {
            name: Counter(e["origin"] for e in json.loads((workdir / "output" / name).read_text()))
            for name in ("tv_ex.json", "movies_ex.json")
        }
        for name, origins in published.items():
            table.add(f"cold: {name} by origin", ", ".join(f"{o} {n:,}" for o, n in sorted(origins.items())))
        fake.reset_log()
        warm_discover = run_step(workdir, env, "pipeline.discover")
        warm_enrich = run_step(workdir, env, "pipeline.enrich", "--no-progress")
        warm_validate = run_step(workdir, env, "pipeline.validate")
        warm_made = sum(requests_by_kind(fake).values())
        table.add("warm: requests (discover + enrich)", f"{warm_made:,}", "0", warm_made == 0)
        table.add("warm: discover wall time", f"{warm_discover.seconds:.2f} s")
        warm = warm_enrich.seconds + warm_validate.seconds
        table.add(
            "warm: enrich + validate, upstream + discovered (2 processes)",
            f"{warm:.2f} s",
            f"< {WARM_TARGET_SECONDS:g} s",
            warm < WARM_TARGET_SECONDS,
        )


def _fetch_sources(workdir: Path, env: dict[str, str]) -> None:
    """pipeline.fetch's source half, in this process's environment (the upstream lists are in place)."""
    import os

    from pipeline.config import load_config
    from pipeline.fetch import fetch_sources

    previous = os.getcwd()
    os.chdir(workdir)
    try:
        problems = fetch_sources(load_config(environ=env, dotenv=None))
    finally:
        os.chdir(previous)
    assert not any(problems.values()), problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False)
    parser.add_argument(
        "--shared", type=Path, default=shared_fixtures.DEFAULT, help="the snapshots (default ../shared/fixtures)"
    )
    parser.add_argument("--limit", type=int, default=1000, help="calls allowed per --period (default 1000)")
    parser.add_argument("--period", type=float, default=5.0, help="rate-limit window in seconds (default 5)")
    parser.add_argument("--latency", type=float, default=0.003, help="fake's answer delay in s (default 0.003)")
    parser.add_argument("--skip-chain", action="store_true", help="only parsing and precision")
    args = parser.parse_args(argv)
    if not (args.shared / "sources").is_dir():
        parser.error(
            f"{args.shared / 'sources'} does not exist (the default is ../shared/fixtures beside the checkout);"
            " pass --shared FOLDER, the folder holding sources/, upstream/ and predecessor/"
        )
    logging.disable(logging.WARNING)
    table = Table()
    parsed, seconds = parse_all(args.shared / "sources")
    sizes = ", ".join(f"{len(rows):,}" for rows in parsed)
    table.add(
        f"parse: the three full sources ({sizes} rows)",
        f"{seconds:.2f} s",
        f"< {PARSE_TARGET_SECONDS:g} s",
        seconds < PARSE_TARGET_SECONDS,
    )
    overlap(args.shared, parsed, table)
    if not args.skip_chain:
        with tempfile.TemporaryDirectory(prefix="discovery-benchmark-") as folder:
            chain(args, args.shared, table, Path(folder))
    return table.finish()


if __name__ == "__main__":
    raise SystemExit(main())
