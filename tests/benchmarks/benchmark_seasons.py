"""The season evidence on the full data, through the REAL chain; run by hand:

    uv run python tests/benchmarks/benchmark_seasons.py [--fixtures ../shared/fixtures]
        [--counts synthetic|fit] [--seed 15]

One first night after the import, as tests/measurements/measure_first_night.py runs it (fetch, discover, enrich,
validate against a fake Trakt answering what the imported output/ says, the FULL mapping sources).
Prints, for the TV entries: the share whose show, season and offset agree with Anime-Lists' TMDB
numbering where it names the same show (its ``tmdbtv`` is the Trakt show's TMDB id), before (the
committed output/) and after the night; the corrections by kind; the review queue by reason; the
entries with ``trakt.episodes`` known; and ``--sample`` corrections drawn at random (fixed ``--seed``)
with their evidence, for a person to check by hand.

The snapshots hold no Trakt episode counts: with ``--counts synthetic`` (the default) the fake gives
each season a stable count from 11 to 26 (pipeline/demo/world.py), so some real second cours fail the
"offset fits" rule; ``--counts fit`` gives every season 10,000 episodes: the upper bound, were every
count large enough.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pipeline.evidence.rules import Joined  # noqa: E402
from pipeline.evidence.seasons import CORRECTIONS  # noqa: E402
from pipeline.sources.catalog import load_joined  # noqa: E402
from tests.measurements.measure_first_night import UPSTREAM, World, build_fake, read, run_night  # noqa: E402

Position = tuple[int, int] | None  # (Trakt season, offset) of an entry, None for a split cour nothing places


def position(entry: dict[str, Any]) -> Position:
    trakt = entry["trakt"]
    if trakt.get("episodes") is not None:
        return trakt["episodes"]["season"], trakt["episodes"]["offset"]
    return None if trakt["season"] is None else (trakt["season"]["number"], 0)


def agreement(entries: list[dict[str, Any]], joined: dict[int, Joined]) -> tuple[int, int]:
    """(entries on the season and offset Anime-Lists gives, entries whose show Anime-Lists names)."""
    agree = named = 0
    for entry in entries:
        found = joined.get(entry["myanimelist"]["id"])
        if found is None or len(found.lists) != 1:
            continue
        row = found.lists[0]
        if row.tmdb_absolute or row.tmdb_season is None or row.tmdb_tv != entry["trakt"]["externals"]["tmdb"]:
            continue
        named += 1
        agree += position(entry) == (row.tmdb_season, row.tmdb_offset)
    return agree, named


def share(part: int, whole: int) -> str:
    return f"{part:,} of {whole:,} ({part / whole:.2%})" if whole else "none"


def where(season: int | None, episodes: dict[str, int] | None = None) -> str:
    if episodes is not None and episodes["offset"]:
        return f"S{episodes['season']} from ep {episodes['offset'] + 1}"
    return "split cour" if season is None else f"S{season}"


def snapshots_parser(doc: str, counts: tuple[str, ...]) -> argparse.ArgumentParser:
    """A full-data benchmark's command line: ``--fixtures``, ``--output`` and ``--counts`` (one of ``counts``)."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--fixtures", type=Path, default=ROOT.parent / "shared" / "fixtures", help="the snapshots")
    parser.add_argument("--output", type=Path, default=ROOT / "output", help="the imported files (default output/)")
    parser.add_argument("--counts", choices=counts, default="synthetic")
    return parser


def snapshots_world(args: argparse.Namespace) -> World | None:
    """The world over ``--output`` and the snapshots' sources, warnings silenced; None (said) without snapshots."""
    if not (args.fixtures / "sources").is_dir():
        print(f"{args.fixtures}/sources: not found; give the shared snapshots with --fixtures", file=sys.stderr)
        return None
    logging.disable(logging.WARNING)
    return World(args.output, UPSTREAM, args.fixtures / "sources")


def fit_counts(fake: Any) -> None:
    """``--counts fit``: every season the fake lists holds more episodes than any entry needs."""
    for listed in fake.seasons.values():
        for season in listed:
            season["episode_count"] = 10_000


def main(argv: list[str] | None = None) -> int:
    parser = snapshots_parser(__doc__, ("synthetic", "fit"))
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--sample", type=int, default=20)
    args = parser.parse_args(argv)
    world = snapshots_world(args)
    if world is None:
        return 2
    joined, warnings = load_joined(args.fixtures / "sources")
    if warnings:
        print("; ".join(warnings), file=sys.stderr)
        return 2
    before = read(args.output, "tv_ex.json")
    key = "benchmark-key"
    with tempfile.TemporaryDirectory(prefix="seasons-") as base, build_fake(world, key) as fake:
        if args.counts == "fit":
            fit_counts(fake)
        night = run_night(world, fake, key, Path(base) / "night")
    after = night.output["tv_ex.json"]
    corrections, review = night.summary["corrections"], night.summary["review"]
    print(f"season evidence on the full data ({args.counts} episode counts); night published: {night.refused is None}")
    print(f"  agree with Anime-Lists where it names the show, before: {share(*agreement(before, joined))}")
    print(f"  agree with Anime-Lists where it names the show, after:  {share(*agreement(after, joined))}")
    kinds = Counter(record["kind"] for record in corrections)
    print(
        f"  corrections: {len(corrections):,} ("
        + ", ".join(f"{kind} {kinds[kind]:,}" for kind in CORRECTIONS)
        + "): second cour -> continuation, shifted season, special"
    )
    reasons = Counter(record["reason"] for record in review)
    print(f"  review queue: {len(review):,} (" + ", ".join(f"{r} {n:,}" for r, n in reasons.most_common()) + ")")
    known = sum(entry["trakt"]["episodes"] is not None for entry in after)
    print(f"  TV entries with episodes known: {share(known, len(after))}")
    print(f"  {args.sample} corrections drawn at random (seed {args.seed}):")
    for record in random.Random(args.seed).sample(corrections, min(args.sample, len(corrections))):
        print(
            f"  - MAL {record['mal_id']} {record['title']!r} (Trakt {record['trakt_id']}):"
            f" {where(record['upstream_season'])} -> {where(record['season'], record['episodes'])}"
            f" ({record['kind']}); {record['evidence']}"
        )
    return 0 if night.refused is None else 1


if __name__ == "__main__":
    raise SystemExit(main())
