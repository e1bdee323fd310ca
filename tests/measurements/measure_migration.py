"""What the first nightly after importing the predecessor's files would do, measured on the real data; run by hand:

    uv run python tests/measurements/measure_migration.py [--fixtures ../shared/fixtures]
        [--write-subset DIR --every 20]

1. Coverage: of the predecessor's MAL ids (per file), how many the upstream lists map, how many the
   mapping sources could add (MAL id -> AniDB id in Kometa's anime_ids.json -> TMDB tv id and season,
   or TMDB movie / IMDb id, in anime-list-master.xml -> the Trakt id that carries that TMDB/IMDb id
   in the predecessor's files, as Trakt's search by id would find it), and how many neither.
2. Scenarios, each a real ``enrich`` run (with ``--allow-shrink``, so that it completes) against a
   fake Trakt that answers what the predecessor published, starting from the imported files, with
   the sources' claims for what upstream lacks standing in for discovery (as overrides): a normal
   migration night, Trakt answering 404 for everything, empty seasons for everything, and an upstream
   list cut to half (every other row). Prints, per file, what the guards count and whether they
   would refuse the run with the default limits.
3. ``--write-subset DIR``: every ``--every``-th entry of each predecessor file by MAL id, with what
   the tests need beside it (tests/fixtures/predecessor/guards-*.json).

The fake knows every show, season and movie of the predecessor's files; an id it does not know
answers 404, so a mapping to a Trakt id the predecessor never published counts as "not found".
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pipeline.config import load_config  # noqa: E402
from pipeline.demo.fake_trakt import FakeTrakt  # noqa: E402
from pipeline.enrich import Options, enrich  # noqa: E402
from pipeline.evidence import guards  # noqa: E402
from pipeline.published.models import KINDS, NOT_FOUND_FILE, OUTPUT_FILE, UPSTREAM_FILE, Kind  # noqa: E402
from tests import shared_fixtures  # noqa: E402
from tests.conftest import API_KEY, make_config  # noqa: E402
from tests.standins.predecessor_world import Entries, World, externals_of, install, trakt_answers  # noqa: E402


def _number(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def _mal_ids(value: Any) -> list[int]:
    if isinstance(value, int):
        return [value]
    return [int(part) for part in str(value or "").split(",") if part.strip().isdigit()]


def load_world(fixtures: Path) -> World:
    folder = fixtures / "predecessor"
    predecessor = {
        name: json.loads((folder / name).read_text(encoding="utf-8"))
        for kind in KINDS
        for name in (OUTPUT_FILE[kind], NOT_FOUND_FILE[kind])
    }
    upstream = {
        kind: json.loads((fixtures / "upstream" / UPSTREAM_FILE[kind]).read_text(encoding="utf-8")) for kind in KINDS
    }
    return World(predecessor, upstream, source_claims(fixtures / "sources", predecessor))


def source_claims(folder: Path, predecessor: dict[str, Entries]) -> dict[Kind, dict[int, dict[str, Any]]]:
    """MAL id -> the Trakt show and season (or movie) the mapping sources point at, per kind."""
    anidb = {
        anime.get("anidbid"): anime.attrib
        for anime in ET.parse(folder / "anime-list-master.xml").getroot().iter("anime")
    }
    shows_by_tmdb: dict[int, dict[str, Any]] = {}
    for entry in predecessor[OUTPUT_FILE["shows"]]:
        tmdb = _number(externals_of(entry).get("tmdb"))
        if tmdb:
            shows_by_tmdb.setdefault(tmdb, entry["trakt"])
    movies_by_id: dict[str, dict[str, Any]] = {}
    for entry in predecessor[OUTPUT_FILE["movies"]]:
        externals = externals_of(entry)
        for key in (f"tmdb:{_number(externals.get('tmdb'))}", f"imdb:{externals.get('imdb')}"):
            movies_by_id.setdefault(key, entry["trakt"])
    claims: dict[Kind, dict[int, dict[str, Any]]] = {"shows": {}, "movies": {}}
    rows = json.loads((folder / "anime_ids.json").read_text(encoding="utf-8"))
    for anidb_id, row in sorted(rows.items(), key=lambda item: int(item[0])):
        anime = anidb.get(anidb_id, {})
        for mal_id in _mal_ids(row.get("mal_id")):
            tmdb_tv, season = _number(anime.get("tmdbtv")), str(anime.get("tmdbseason") or "").strip()
            if tmdb_tv in shows_by_tmdb and season.isdigit():
                show = shows_by_tmdb[tmdb_tv]
                claims["shows"].setdefault(
                    mal_id, {"trakt_id": show["id"], "trakt_title": show["title"], "season": int(season)}
                )
            keys = [f"tmdb:{_number(part)}" for part in str(anime.get("tmdbid") or "").split(",")]
            keys += [f"imdb:{imdb}" for imdb in (anime.get("imdbid"), row.get("imdb_id")) if imdb]
            movie = next((movies_by_id[key] for key in keys if key in movies_by_id), None)
            if movie is not None:
                claims["movies"].setdefault(mal_id, {"trakt_id": movie["id"], "trakt_title": movie["title"]})
    return claims


def coverage(world: World) -> None:
    for kind in KINDS:
        published = {entry["myanimelist"]["id"] for entry in world.predecessor[OUTPUT_FILE[kind]]}
        missing = {entry["mal_id"] for entry in world.predecessor[NOT_FOUND_FILE[kind]]}
        listed = {entry["mal_id"] for entry in world.upstream[kind]}
        claimed = set(world.claims[kind])
        for label, ids in (("published", published), ("not found", missing)):
            by_upstream, by_sources = ids & listed, (ids - listed) & claimed
            neither = ids - listed - claimed
            print(
                f"{OUTPUT_FILE[kind] if label == 'published' else NOT_FOUND_FILE[kind]}: {len(ids):,} MAL ids;"
                f" upstream maps {len(by_upstream):,} ({len(by_upstream) / len(ids):.1%}),"
                f" the sources {len(by_sources):,} more ({len(by_sources) / len(ids):.1%}),"
                f" neither {len(neither):,} ({len(neither) / len(ids):.1%})"
            )
        agree = [
            mal_id
            for entry in world.predecessor[OUTPUT_FILE[kind]]
            if (mal_id := entry["myanimelist"]["id"]) in claimed - listed
            and world.claims[kind][mal_id]["trakt_id"] == entry["trakt"]["id"]
        ]
        considered = len((published - listed) & claimed)
        print(
            f"  the sources' Trakt id is the predecessor's for {len(agree):,} of {considered:,}"
            f" ({len(agree) / max(1, considered):.1%})"
        )


def run_scenario(
    name: str, world: World, upstream: dict[Kind, Entries], fake: FakeTrakt, meta: dict[str, Any] | None
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        os.chdir(workdir)
        install(workdir, world, upstream, meta)
        config = make_config(fake, concurrency=4, rate_limit_calls=10**6)
        defaults = load_config(environ={}, dotenv=None)
        before = {name: json.loads((workdir / "output" / name).read_text()) for name in world.predecessor}
        try:
            enrich(config.replace(mass_change_threshold=defaults.mass_change_threshold), Options(progress=False))
            refused = "no"
        except Exception as exc:  # the reason is what we print
            refused = f"yes: {str(exc)[:110]}..."
        enrich(config, Options(progress=False, allow_shrink=True))
        print(f"{name}: refused by the guards: {refused}")
        for kind in KINDS:
            after = [
                json.loads((workdir / "output" / n).read_text()) for n in (OUTPUT_FILE[kind], NOT_FOUND_FILE[kind])
            ]
            change = guards.mass_change(OUTPUT_FILE[kind], before[OUTPUT_FILE[kind]], *after)
            share = _share(change.published)
            print(
                f"  {change.file} ({change.published:,} published): removed {share(change.removed)},"
                f" to not found {share(change.to_not_found)}, to split cour {share(change.to_split_cour)};"
                f" now {len(after[0]):,} + {len(after[1]):,} not found"
            )
        os.chdir(ROOT)


def _share(published: int) -> Any:
    return lambda ids: f"{len(ids):,} ({len(ids) / published:.1%})"


def scenarios(world: World) -> None:
    answers = trakt_answers(world.predecessor)
    sample = Path(tempfile.mkstemp(suffix=".json")[1])
    sample.write_text(json.dumps(answers))
    half = {**world.upstream, "shows": world.upstream["shows"][::2]}
    baseline = {
        "schema_version": 1,
        "last_changed": "2026-07-24T00:00:00Z",
        "files": {},
        "upstream": {UPSTREAM_FILE[kind]: {"sha256": "0" * 64, "entries": len(world.upstream[kind])} for kind in KINDS},
    }
    with FakeTrakt.from_sample(sample, expected_key=API_KEY) as fake:
        run_scenario("migration night", world, world.upstream, fake, None)
        run_scenario("tv.json cut to half, no baseline in meta.json", world, half, fake, None)
        run_scenario("tv.json cut to half, meta.json recording the full list", world, half, fake, baseline)
        for trakt_id in fake.seasons:
            fake.seasons[trakt_id] = []
        run_scenario("empty seasons for every show", world, world.upstream, fake, None)
    with FakeTrakt(expected_key=API_KEY) as nothing:
        run_scenario("Trakt answers 404 for everything", world, world.upstream, nothing, None)
    sample.unlink()


def subset(world: World, every: int) -> World:
    def key(entry: dict[str, Any]) -> int:
        return int(entry["myanimelist"]["id"] if "myanimelist" in entry else entry["mal_id"])

    predecessor = {name: sorted(entries, key=key)[::every] for name, entries in world.predecessor.items()}
    ids = {kind: {key(e) for n in (OUTPUT_FILE[kind], NOT_FOUND_FILE[kind]) for e in predecessor[n]} for kind in KINDS}
    upstream = {kind: [e for e in world.upstream[kind] if e["mal_id"] in ids[kind]] for kind in KINDS}
    claims = {kind: {m: c for m, c in world.claims[kind].items() if m in ids[kind]} for kind in KINDS}
    return World(predecessor, upstream, claims)


def _needed(world: World, answers: dict[str, Any]) -> dict[str, Any]:
    """Only the Trakt answers the subset asks for (its own ids, upstream's and the sources' claims)."""
    shows = {e["trakt"]["id"] for e in world.predecessor[OUTPUT_FILE["shows"]]}
    shows |= {e["trakt_id"] for e in world.upstream["shows"]} | {c["trakt_id"] for c in world.claims["shows"].values()}
    movies = {e["trakt"]["id"] for e in world.predecessor[OUTPUT_FILE["movies"]]}
    movies |= {e["trakt_id"] for e in world.upstream["movies"]} | {
        c["trakt_id"] for c in world.claims["movies"].values()
    }
    return {
        "shows": {k: v for k, v in answers["shows"].items() if int(k) in shows},
        "seasons": {k: v for k, v in answers["seasons"].items() if int(k) in shows},
        "movies": {k: v for k, v in answers["movies"].items() if int(k) in movies},
        "not_found": answers["not_found"],
    }


def write_subset(world: World, full: World, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)

    def write(name: str, data: Any) -> None:
        """One entry per line: small, and a diff shows which entries changed."""
        if isinstance(data, list):
            text = "[\n" + ",\n".join(json.dumps(item, ensure_ascii=False) for item in data) + "\n]\n"
        else:
            inner = ",\n".join(
                f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}" for key, value in data.items()
            )
            text = "{\n" + inner + "\n}\n"
        (folder / f"guards-{name}").write_text(text, encoding="utf-8")

    for name, entries in world.predecessor.items():
        write(name, entries)
    for kind in KINDS:
        write(f"upstream-{UPSTREAM_FILE[kind]}", world.upstream[kind])
    write("sources.json", {kind: {str(m): c for m, c in sorted(world.claims[kind].items())} for kind in KINDS})
    write("trakt.json", _needed(world, trakt_answers(full.predecessor)))


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fixtures", type=Path, default=shared_fixtures.DEFAULT)
    parser.add_argument("--write-subset", type=Path, metavar="DIR")
    parser.add_argument("--every", type=int, default=20)
    parser.add_argument("--skip-runs", action="store_true", help="coverage only")
    args = parser.parse_args(list(argv) if argv is not None else None)
    shared_fixtures.require(args.fixtures, parser, "--fixtures")
    logging.basicConfig(level=logging.WARNING)
    for variable in [v for v in os.environ if v.startswith(("TRAKT_", "ANITRAKT_"))]:
        del os.environ[variable]
    world = load_world(args.fixtures)
    print(f"== full snapshot ({args.fixtures})")
    coverage(world)
    part = subset(world, args.every)
    print(f"== every {args.every}th entry")
    coverage(part)
    if not args.skip_runs:
        print("== scenarios, full snapshot")
        scenarios(world)
    if args.write_subset is not None:
        write_subset(part, world, args.write_subset)
        print(f"wrote {args.write_subset}/guards-*.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
