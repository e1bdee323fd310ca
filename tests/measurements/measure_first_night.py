"""The first nightly after the import, through the REAL chain, measured on the full data; run by hand:

    uv run python tests/measurements/measure_first_night.py [--fixtures ../shared/fixtures]
        [--write-subset DIR --every 20]

The committed ``output/`` (the predecessor's files, imported) is copied into a temporary directory, and
the real steps run there (``pipeline.fetch``, ``pipeline.discover``, ``pipeline.enrich``,
``pipeline.validate``) against a fake Trakt started in this process that also serves the real upstream
lists (pipeline/demo/data/upstream/) and the FULL real mapping sources (``--fixtures``/sources/). The
fake answers every Trakt id the imported files name as they say (show, its seasons, movie); a Trakt id
the upstream lists map to a MAL id the predecessor had as not found answers 404; other upstream ids get
the fake's synthetic answers. Trakt's search by TMDB/TVDB/IMDb id answers the imported show or movie
that carries the id, where exactly one does; the sources' other ids get the fake's synthesized answers
(``FakeTrakt.synthesize_search``, with its share of empty, ambiguous and wrong-type answers).

Unlike tests/measurements/measure_migration.py (the sources' claims standing in for discovery, as overrides), the
discover step here applies its real rules, and drops what they drop.

Three nights: the real one (must publish without ``--allow-shrink``), Trakt answering 404 for every
show, movie and search, and every show's seasons answering ``[]`` (both must be refused). Prints, per
file: entries before, removed, moved to not found, flipped to split cour, discovered, and the guards'
verdict; and, for the removed MAL ids, the discovery rule that dropped each.

``--write-subset DIR`` writes the fixtures of tests/test_first_night.py: every ``--every``-th imported
entry by MAL id (and not-found entry), the upstream rows of those MAL ids, the rows of the three sources
that name them, and the fake's answers they need.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pipeline import discover, fetch, validate  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.demo.fake_trakt import JSON_TYPE, FakeTrakt, local_environment  # noqa: E402
from pipeline.enrich import Options, enrich  # noqa: E402
from pipeline.errors import PipelineError  # noqa: E402
from pipeline.evidence import guards  # noqa: E402
from pipeline.published.jsonio import write_json  # noqa: E402
from pipeline.published.models import KINDS, NOT_FOUND_FILE, OUTPUT_FILE, UPSTREAM_FILE  # noqa: E402
from pipeline.sources import anime_lists, upstream  # noqa: E402
from tests import shared_fixtures  # noqa: E402
from tests.fixture_writers.subset_sources import cut  # noqa: E402
from tests.standins.predecessor_world import externals_of, trakt_answers  # noqa: E402

UPSTREAM = ROOT / "pipeline" / "demo" / "data" / "upstream"
# Long runners consumers read today (issue 21): each must stay published after the first night.
NAMED = {
    21: "One Piece",
    20: "Naruto",
    1735: "Naruto Shippuden",
    11061: "Hunter x Hunter (2011)",
    813: "Dragon Ball Z",
    918: "Gintama",
    527: "Pokémon",
    392: "Yu Yu Hakusho",
    232: "Cardcaptor Sakura",
    1604: "Katekyo Hitman Reborn!",
    45: "Rurouni Kenshin",
    22: "The Prince of Tennis",
}
CLEARED = ("TRAKT_", "ANITRAKT_", "ANIME_", "SHINKRO_", "FETCH_", "OUTPUT_", "PIPELINE_")


@dataclass(frozen=True, slots=True)
class World:
    """Everything a first night reads: the imported output/, the upstream lists, the mapping sources."""

    output: Path  # a folder with the four published files (and meta.json)
    upstream: Path  # tv.json, movies.json
    sources: Path  # the three mapping-source files


def read(folder: Path, name: str) -> Any:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def build_fake(world: World, key: str) -> FakeTrakt:
    """A fake Trakt answering what the imported files say, serving the lists and the sources."""
    imported = {name: read(world.output, name) for kind in KINDS for name in (OUTPUT_FILE[kind], NOT_FOUND_FILE[kind])}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as sample:
        json.dump(trakt_answers(imported), sample)
    try:
        fake = FakeTrakt.from_sample(sample.name, expected_key=key)
    finally:
        os.unlink(sample.name)
    tv, movies = read(world.upstream, UPSTREAM_FILE["shows"]), read(world.upstream, UPSTREAM_FILE["movies"])
    missing = {kind: {e["mal_id"] for e in imported[NOT_FOUND_FILE[kind]]} for kind in KINDS}
    fake.not_found_shows |= {e["trakt_id"] for e in tv if e["mal_id"] in missing["shows"]} - set(fake.shows)
    fake.not_found_movies |= {e["trakt_id"] for e in movies if e["mal_id"] in missing["movies"]} - set(fake.movies)
    add_imported_search(fake, imported)
    fake.synthesize(tv, movies)
    fake.serve_sources(world.sources)
    fake.synthesize_search(anime_lists.parse((world.sources / anime_lists.FILE).read_bytes()))
    for kind in KINDS:
        fake.static[f"/db/{UPSTREAM_FILE[kind]}"] = (
            200,
            (world.upstream / UPSTREAM_FILE[kind]).read_bytes(),
            JSON_TYPE,
        )
    return fake


def add_imported_search(fake: FakeTrakt, imported: dict[str, list[dict[str, Any]]]) -> None:
    """Search by an external id answers the imported show or movie carrying it, when exactly one does."""
    for kind, wanted, answers in (("shows", "show", fake.shows), ("movies", "movie", fake.movies)):
        holders: dict[tuple[str, str], set[int]] = {}
        for entry in imported[OUTPUT_FILE[kind]]:
            for id_kind, value in externals_of(entry).items():
                if id_kind in ("tmdb", "tvdb", "imdb") and value:
                    holders.setdefault((id_kind, str(value)), set()).add(entry["trakt"]["id"])
        for key, trakt_ids in holders.items():
            if len(trakt_ids) == 1:
                (trakt_id,) = trakt_ids
                fake.search[key] = [
                    *fake.search.get(key, []),
                    {"type": wanted, "score": 1000, wanted: answers[trakt_id]},
                ]


@contextmanager
def environment(fake: FakeTrakt, key: str) -> Iterator[None]:
    """The variables a run reads, pointed at the fake; a rate limit that never waits."""
    saved = dict(os.environ)
    for variable in [v for v in os.environ if v.startswith(CLEARED)]:
        del os.environ[variable]
    os.environ.update(local_environment(fake.url))
    os.environ.update(
        TRAKT_API_KEY=key,
        TRAKT_RATE_LIMIT_CALLS="1000000",
        TRAKT_RATE_LIMIT_PERIOD="1",
        TRAKT_CONCURRENCY="8",
        FETCH_MAX_RETRIES="0",
        TRAKT_MAX_RETRIES="0",
    )
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@dataclass(frozen=True, slots=True)
class Night:
    refused: str | None  # the guards' reason, or None when the run published
    changes: dict[str, guards.MassChange]  # per published file, counted on the run with --allow-shrink
    discovered: dict[str, int]  # per published file: entries with origin "discovered" afterwards
    rediscovered: dict[str, int]  # ... of which the MAL id was imported
    before: dict[str, int]
    dropped_rule: dict[int, str]  # MAL id -> the discovery rule that dropped it
    split_before: dict[str, set[int]]  # imported split cours, per file
    after: dict[str, int]
    moved: dict[str, Counter[str]]  # imported MAL ids now on another Trakt id or season, by origin
    summary: dict[str, Any]  # the last enrich's run summary (its corrections and review queue)
    output: dict[str, list[dict[str, Any]]]  # the published files after the night
    asked: Counter[str]  # Trakt requests the fake received, by kind of path (show, seasons, movie, search)
    evidence: dict[int, str]  # MAL id -> discovery's evidence, for the candidates of the night
    answered: dict[str, set[int]]  # per published file: the imported MAL ids whose Trakt id the fake answers


def install(world: World, workdir: Path) -> None:
    """``workdir`` as a checkout right after the import: output/ the imported files, no overrides."""
    shutil.copytree(world.output, workdir / "output")
    (workdir / "overrides").mkdir(exist_ok=True)
    for name in ("override_tv.json", "override_movies.json"):
        (workdir / "overrides" / name).write_text("[]\n")


def fetch_and_discover() -> None:
    """The chain's first two steps, in the working directory, as the nightly runs them."""
    assert fetch.main([]) == 0, "fetch failed"
    assert discover.main([]) == 0, "discover failed"


def run_night(world: World, fake: FakeTrakt, key: str, workdir: Path) -> Night:
    """fetch, discover, enrich (without --allow-shrink; again with it when refused, to count), validate."""
    install(world, workdir)
    previous = Path.cwd()
    os.chdir(workdir)
    try:
        with environment(fake, key):
            before = {name: read(workdir / "output", name) for name in (OUTPUT_FILE[k] for k in KINDS)}
            fetch_and_discover()
            config = load_config(dotenv=None)
            refused = None
            try:
                enrich(config, Options(progress=False))
            except PipelineError as exc:
                refused = str(exc)
                enrich(config, Options(progress=False, allow_shrink=True))
            assert validate.main([]) == 0, "validate failed"
            candidates = read(workdir / ".cache", "candidates.json")
            summary = json.loads(config.run_summary.read_text(encoding="utf-8"))
    finally:
        os.chdir(previous)
    changes, discovered, rediscovered, after, moved, output = {}, {}, {}, {}, {}, {}
    for kind in KINDS:
        name = OUTPUT_FILE[kind]
        new, missing = read(workdir / "output", name), read(workdir / "output", NOT_FOUND_FILE[kind])
        output[name] = new
        changes[name] = guards.mass_change(name, before[name], new, missing)
        imported = {e["myanimelist"]["id"] for e in before[name]}
        found = [e["myanimelist"]["id"] for e in new if e.get("origin") == "discovered"]
        discovered[name], rediscovered[name] = len(found), len(imported.intersection(found))
        after[name] = len(new)
        old_place = {e["myanimelist"]["id"]: place(e) for e in before[name]}
        moved[name] = Counter(e["origin"] for e in new if old_place.get(e["myanimelist"]["id"], place(e)) != place(e))
    dropped = {d["mal_id"]: d["rule"] for d in candidates.get("dropped", [])}
    for kind in KINDS:
        for candidate in candidates.get(kind, []):
            dropped.setdefault(candidate["mal_id"], "discovered, then dropped by enrich (Trakt 404 or no such season)")
    sizes = {name: len(entries) for name, entries in before.items()}
    split = {
        name: {e["myanimelist"]["id"] for e in entries if e["trakt"].get("is_split_cour")}
        for name, entries in before.items()
    }
    asked = Counter(
        _path_kind(request.path) for request in fake.requests if not request.path.startswith(("/db/", "/sources/"))
    )
    evidence = {c["mal_id"]: c["evidence"] for kind in KINDS for c in candidates.get(kind, [])}
    known = {"tv_ex.json": fake.shows, "movies_ex.json": fake.movies}
    answered = {
        name: {e["myanimelist"]["id"] for e in entries if e["trakt"]["id"] in known[name]}
        for name, entries in before.items()
    }
    return Night(
        refused,
        changes,
        discovered,
        rediscovered,
        sizes,
        dropped,
        split,
        after,
        moved,
        summary,
        output,
        asked,
        evidence,
        answered,
    )


def _path_kind(path: str) -> str:
    if path.startswith("/search/"):
        return "search"
    return "seasons (?extended=full)" if path.endswith("/seasons") else path.split("/")[1]


def place(entry: dict[str, Any]) -> tuple[int, int | None]:
    """Where an entry points: its Trakt id and season number (None for a movie or a split cour)."""
    season = entry["trakt"].get("season") or {}
    return entry["trakt"]["id"], season.get("number")


def report(title: str, night: Night) -> None:
    verdict = "REFUSED: " + night.refused[:160] + "..." if night.refused else "published (no --allow-shrink)"
    print(f"{title}: {verdict}")
    for name, change in night.changes.items():
        published = change.published

        def share(ids: Iterable[int], published: int = published) -> str:
            count = len(tuple(ids))
            return f"{count:,} ({count / published:.1%})"

        print(
            f"  {name}: {published:,} before; removed {share(change.removed)}, to not found"
            f" {share(change.to_not_found)}, to split cour {share(change.to_split_cour)}; discovered"
            f" {night.discovered[name]:,} ({night.rediscovered[name]:,} of them imported MAL ids);"
            f" {night.after[name]:,} after"
        )
        moved = ", ".join(f"{origin} {n:,}" for origin, n in sorted(night.moved[name].items())) or "none"
        print(f"    imported MAL ids now on another Trakt id or season, by origin: {moved}")
        other = {e["myanimelist"]["id"] for n, entries in night.output.items() if n != name for e in entries}
        elsewhere = set(change.removed) & other
        silent = len((set(change.removed) - elsewhere) & night.answered[name])
        print(
            f"    removed that Trakt still answers and nothing contradicts: {silent:,}; mapped in the other file"
            f" tonight (upstream or discovery maps the MAL id as a {'movie' if name == 'tv_ex.json' else 'show'}):"
            f" {len(elsewhere):,}"
        )
        if change.removed:
            why = Counter(
                night.dropped_rule.get(mal_id, "not proposed (sources do not name it)") for mal_id in change.removed
            )
            print("    removed, by discovery rule: " + ", ".join(f"{rule} {n}" for rule, n in why.most_common()))
            split = len(set(change.removed) & night.split_before[name])
            print(f"    removed that were imported as split cours (no season to discover): {split:,}")
    kinds = Counter(record["kind"] for record in night.summary.get("corrections", []))
    reasons = Counter(record["reason"] for record in night.summary.get("review", []))
    print(
        f"  season evidence: {sum(kinds.values()):,} corrected ("
        + ", ".join(f"{kind} {n:,}" for kind, n in sorted(kinds.items()))
        + f"); review queue {sum(reasons.values()):,} ("
        + ", ".join(f"{reason} {n:,}" for reason, n in reasons.most_common())
        + ")"
    )
    print(
        f"  Trakt requests this night (discover and enrich): {night.asked.total():,} ("
        + ", ".join(f"{kind} {n:,}" for kind, n in sorted(night.asked.items()))
        + ")"
    )


def nights(world: World) -> dict[str, Night]:
    key = "measure-key"
    results = {}
    with tempfile.TemporaryDirectory(prefix="first-night-") as base:
        with build_fake(world, key) as fake:
            results["real first night"] = run_night(world, fake, key, Path(base) / "real")
        with build_fake(world, key) as fake:
            fake.shows.clear(), fake.movies.clear(), fake.seasons.clear(), fake.search.clear()
            results["Trakt answers 404 for everything"] = run_night(world, fake, key, Path(base) / "404")
        with build_fake(world, key) as fake:
            for trakt_id in fake.seasons:
                fake.seasons[trakt_id] = []
            results["every show's seasons answer []"] = run_night(world, fake, key, Path(base) / "seasons")
    return results


def write_subset(world: World, every: int, folder: Path) -> World:
    """Every ``every``-th entry of each imported file, their upstream rows and source rows, in ``folder``."""
    part = World(folder / "output", folder / "upstream", folder / "sources")
    for path in (part.output, part.upstream, part.sources):
        path.mkdir(parents=True, exist_ok=True)
    chosen: set[int] = set()
    files = {}
    for kind in KINDS:
        for name in (OUTPUT_FILE[kind], NOT_FOUND_FILE[kind]):
            entries = read(world.output, name)
            entries = sorted(entries, key=lambda e: e["myanimelist"]["id"] if "myanimelist" in e else e["mal_id"])
            files[name] = entries[::every]
            chosen |= {e["myanimelist"]["id"] if "myanimelist" in e else e["mal_id"] for e in files[name]}
            write_json(part.output / name, files[name])
    meta = read(world.output, "meta.json")
    for kind in KINDS:
        rows = [row for row in read(world.upstream, UPSTREAM_FILE[kind]) if row["mal_id"] in chosen]
        path = part.upstream / UPSTREAM_FILE[kind]
        path.write_text("[\n" + ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n]\n")
        listed = upstream.load(path, kind)
        meta["upstream"][UPSTREAM_FILE[kind]] = {"sha256": listed.sha256, "entries": listed.total}
        meta["origins"][OUTPUT_FILE[kind]]["imported"] = len(files[OUTPUT_FILE[kind]])
    meta["files"] = {name: {"entries": len(entries)} for name, entries in files.items()}
    write_json(part.output / "meta.json", meta)
    cut(world.sources, chosen, part.sources)
    return part


def print_sample(night: Night, world: World, size: int, seed: int) -> None:
    """``size`` entries the night published for MAL ids the imported files lack, drawn at random, with evidence."""
    before = {e["myanimelist"]["id"] for kind in KINDS for e in read(world.output, OUTPUT_FILE[kind])}
    new = [e for entries in night.output.values() for e in entries if e["myanimelist"]["id"] not in before]
    print(f"\nnewly published (MAL ids the imported files lack): {len(new):,}; {size} drawn at random (seed {seed}):")
    print("| MAL id | MAL title | Trakt | season / episodes | evidence |")
    print("| --- | --- | --- | --- | --- |")
    for entry in sorted(random.Random(seed).sample(new, min(size, len(new))), key=lambda e: e["myanimelist"]["id"]):
        trakt = entry["trakt"]
        where = (
            "movie" if trakt["type"] == "movies" else f"S{(trakt['season'] or {}).get('number')} / {trakt['episodes']}"
        )
        print(
            f"| {entry['myanimelist']['id']} | {entry['myanimelist']['title']} | {trakt['title']} ({trakt['id']},"
            f" {trakt['slug']}) | {where} | {night.evidence.get(entry['myanimelist']['id'], entry['origin'])} |"
        )


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fixtures", type=Path, default=shared_fixtures.DEFAULT)
    parser.add_argument("--output", type=Path, default=ROOT / "output", help="the imported files (default output/)")
    parser.add_argument(
        "--write-subset", type=Path, metavar="DIR", help="write the test's subset there, then measure it"
    )
    parser.add_argument("--every", type=int, default=20)
    parser.add_argument("--sample", type=int, default=20, help="newly published entries to print, drawn at random")
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args(list(argv) if argv is not None else None)
    shared_fixtures.require(args.fixtures, parser, "--fixtures")
    logging.disable(logging.WARNING)
    world = World(args.output, UPSTREAM, args.fixtures / "sources")
    if args.write_subset is not None:
        world = write_subset(world, args.every, args.write_subset)
        print(f"wrote {args.write_subset}/{{output,upstream,sources}}; measured on it:")
    results = nights(world)
    for title, night in results.items():
        report(title, night)
    real = results.pop("real first night")
    published = {e["myanimelist"]["id"]: e for e in real.output[OUTPUT_FILE["shows"]]}
    print("\nlong runners consumers read today, after the real night:")
    for mal_id, title in NAMED.items():
        entry = published.get(mal_id)
        where = "NOT PUBLISHED" if entry is None else f"{entry['origin']}, Trakt {entry['trakt']['id']} {place(entry)}"
        print(f"  MAL {mal_id} {title}: {where}")
    print_sample(real, world, args.sample, args.seed)
    ok = real.refused is None and all(night.refused for night in results.values())
    ok = ok and (args.write_subset is not None or all(mal_id in published for mal_id in NAMED))
    print(f"\nthe real night publishes and both outages are refused: {'yes' if ok else 'NO'}")
    storm = [record for record in real.summary["corrections"] if record["kind"] == "continuation"]
    published = real.refused is None  # the night's corrections (none on a small subset) are in what it published
    print(
        f"the real night's corrections publish: {'yes' if published else 'NO'} ({len(real.summary['corrections']):,},"
        f" of them {len(storm):,} second cours now split cours with episodes)"
    )
    clean = all(not night.summary["corrections"] for night in results.values())
    print(f"no outage night (even published with --allow-shrink) corrects anything: {'yes' if clean else 'NO'}")
    ok = ok and clean
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
