"""The episode maps and the AniDB/AniList ids on the full data, through the REAL chain; run by hand:

    uv run python tests/benchmarks/benchmark_episode_map.py [--fixtures ../shared/fixtures] [--counts synthetic|fit]

One first night after the import, as tests/benchmarks/benchmark_seasons.py runs it (fetch, discover, enrich,
validate against a fake Trakt answering what the imported output/ says, the FULL mapping sources).
Prints: the TV entries with a map, with several ranges, without one (and why), refused for a count
mismatch (the sources' numbering against Trakt's counts) or cut where another entry starts; the AniDB
and AniList coverage of each file; and the round trip: for every published map, the first and last MAL
episode of each range to Trakt and back (``pipeline.lookup``), with the failures the review queue does
not name.

The snapshots hold no Trakt episode counts and only the seasons the predecessor's entries were on:
``--counts synthetic`` (the default) lets the fake give each season a stable count from 11 to 26
(pipeline/demo/world.py); ``--counts fit`` gives every season 10,000 episodes; ``--counts sources``
adds, to the synthetic counts, the seasons and counts Anime-Lists' own numbering gives the shows it
numbers (its mapping-list ranges, as tests/fixture_writers/episode_map_fixtures.py does for One Piece): the maps across
seasons then show, though their agreement with the sources is built in. None is Trakt's: the figures
say what the rules make of the data, not how often Trakt's real counts agree with the sources.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pipeline import lookup  # noqa: E402
from pipeline.evidence import episode_map as maps  # noqa: E402
from pipeline.published.models import episode_map_of  # noqa: E402
from pipeline.sources.catalog import load_joined  # noqa: E402
from tests.benchmarks.benchmark_seasons import fit_counts, share, snapshots_parser, snapshots_world  # noqa: E402
from tests.measurements.measure_first_night import World, build_fake, run_night  # noqa: E402


def round_trip(entries: list[dict[str, Any]]) -> tuple[int, list[str]]:
    """(episodes checked, failures): each range's first and last MAL episode to Trakt and back."""
    by_show: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in entries:
        by_show[str(entry["trakt"]["id"])].append(entry)
    checked, failures = 0, []
    for entry in entries:
        mal_id, show = entry["myanimelist"]["id"], str(entry["trakt"]["id"])
        for r in episode_map_of(entry["trakt"]["episode_map"]) or ():
            for episode in sorted({r.first, r.last or r.first}):
                checked += 1
                place = lookup.to_trakt(entry, episode).trakt_episode
                back = [] if place is None else lookup.from_trakt(by_show[show], show, *place)
                got = [(found.entry["myanimelist"]["id"], found.mal_episode) for found in back]
                if got != [(mal_id, episode)]:
                    failures.append(f"MAL {mal_id} episode {episode} -> {place} -> {got}")
    return checked, failures


def counted_by_sources(fake: Any, world: World) -> int:
    """Give each show Anime-Lists numbers (one MAL entry on it) the seasons and counts of that numbering."""
    joined, _ = load_joined(world.sources)
    shows = 0
    for entry in json.loads((world.output / "tv_ex.json").read_text(encoding="utf-8")):
        show = entry["trakt"]["id"]
        said = maps.numbering(joined.get(entry["myanimelist"]["id"]), entry["trakt"]["externals"]["tmdb"])
        row = joined[entry["myanimelist"]["id"]].lists[0] if said is not None else None
        ranges = () if row is None else row.tmdb_ranges or row.tvdb_ranges
        counts = {r.season: r.end - r.start + 1 for r in ranges if r.end is not None}
        if not counts or show not in fake.seasons:
            continue
        listed = {season["number"]: season for season in fake.seasons[show]}
        for number, count in counts.items():
            ids = {"trakt": 90_000_000 + show * 100 + number, "tvdb": None, "tmdb": None, "tvrage": None}
            listed[number] = {**listed.get(number, {"number": number, "ids": ids}), "episode_count": count}
        fake.seasons[show] = [listed[number] for number in sorted(listed)]
        shows += 1
    return shows


def main(argv: list[str] | None = None) -> int:
    args = snapshots_parser(__doc__, ("synthetic", "fit", "sources")).parse_args(argv)
    world = snapshots_world(args)
    if world is None:
        return 2
    key = "benchmark-key"
    with tempfile.TemporaryDirectory(prefix="episode-map-") as base, build_fake(world, key) as fake:
        if args.counts == "fit":
            fit_counts(fake)
        if args.counts == "sources":
            print(f"  seasons from Anime-Lists' numbering: {counted_by_sources(fake, world):,} shows")
        night = run_night(world, fake, key, Path(base) / "night")
    tv = night.output["tv_ex.json"]
    mapped = [entry for entry in tv if entry["trakt"]["episode_map"]]
    several = sum(len(entry["trakt"]["episode_map"]) > 1 for entry in mapped)
    without = Counter(
        "no episodes" if entry["trakt"]["episodes"] is None else "episodes, no map"
        for entry in tv
        if not entry["trakt"]["episode_map"]
    )
    review = night.summary["review"]
    reasons = Counter(record["reason"] for record in review if record["reason"] in maps.REASONS)
    print(f"episode maps on the full data ({args.counts} episode counts); night published: {night.refused is None}")
    print(f"  TV entries with a map: {share(len(mapped), len(tv))}; with several ranges: {several:,}")
    print("  without a map: " + ", ".join(f"{why} {n:,}" for why, n in without.most_common()))
    print(f"  refused for a count mismatch (map stops, queued): {reasons[maps.NUMBERING_DISAGREES]:,}")
    print(f"  cut where another entry of the show starts, losing a range (queued): {reasons[maps.OVERLAPS]:,}")
    for name, covered in night.summary["coverage"].items():
        entries = covered["entries"]
        print(
            f"  {name}: AniDB id {share(covered['anidb'], entries)}, AniList id {share(covered['anilist'], entries)},"
            f" several AniDB ids {covered['several_anidb']:,}"
        )
    checked, failures = round_trip(tv)
    queued = {record["mal_id"] for record in review}
    unnamed = [failure for failure in failures if int(failure.split()[1]) not in queued]
    print(
        f"  round trip MAL -> Trakt -> MAL: {checked - len(failures):,} of {checked:,} episodes back;"
        f" {len(failures):,} not, {len(unnamed):,} of them not named by the review queue"
    )
    for failure in unnamed[:20]:
        print(f"  - {failure}")
    return 0 if night.refused is None else 1


if __name__ == "__main__":
    raise SystemExit(main())
