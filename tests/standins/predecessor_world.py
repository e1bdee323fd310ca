"""The predecessor's published files as a world to run enrich in, for tests/test_migration_guards.py and
tests/measurements/measure_migration.py: a fake Trakt answering what the predecessor published, its files as the
imported ``output/``, and a stand-in for discovery (the mapping sources' claims, given as overrides).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.published.models import KINDS, NOT_FOUND_FILE, OUTPUT_FILE, UPSTREAM_FILE, Kind

Entries = list[dict[str, Any]]
OVERRIDE: dict[Kind, str] = {"shows": "override_tv.json", "movies": "override_movies.json"}
SUBSET = Path(__file__).resolve().parents[1] / "fixtures" / "predecessor"


@dataclass(slots=True)
class World:
    predecessor: dict[str, Entries]  # file name -> entries
    upstream: dict[Kind, Entries]
    claims: dict[Kind, dict[int, dict[str, Any]]]  # what the sources say of each MAL id, resolved to Trakt


def year_of(entry: dict[str, Any]) -> Any:
    return entry["release_year"] if "release_year" in entry else entry["trakt"].get("release_year")


def externals_of(entry: dict[str, Any]) -> dict[str, Any]:
    return entry.get("externals") or entry["trakt"].get("externals") or {}


def trakt_answers(predecessor: dict[str, Entries]) -> dict[str, Any]:
    """What Trakt answered the predecessor, in pipeline/demo/data/trakt-sample.json's format."""
    shows: dict[str, Any] = {}
    seasons: dict[str, dict[int, Any]] = defaultdict(dict)
    for entry in predecessor[OUTPUT_FILE["shows"]]:
        trakt, externals = entry["trakt"], externals_of(entry)
        key = str(trakt["id"])
        shows[key] = {
            "title": trakt["title"],
            "year": year_of(entry),
            "ids": {
                "trakt": trakt["id"],
                "slug": trakt["slug"],
                **{k: externals.get(k) for k in ("tvdb", "tmdb", "imdb", "tvrage")},
            },
        }
        seasons[key]  # a show whose entries are all split cours still answers its (empty) season list
        if trakt.get("season"):
            season = trakt["season"]
            seasons[key][season["number"]] = {
                "number": season["number"],
                "ids": {"trakt": season["id"], **season["externals"]},
            }
    movies = {
        str(entry["trakt"]["id"]): {
            "title": entry["trakt"]["title"],
            "year": year_of(entry),
            "ids": {
                "trakt": entry["trakt"]["id"],
                "slug": entry["trakt"]["slug"],
                "tmdb": externals_of(entry).get("tmdb"),
                "imdb": externals_of(entry).get("imdb"),
            },
        }
        for entry in predecessor[OUTPUT_FILE["movies"]]
    }
    return {
        "shows": shows,
        "seasons": {key: [found[n] for n in sorted(found)] for key, found in seasons.items()},
        "movies": movies,
        "not_found": {"shows": [], "movies": []},
    }


def discovered_overrides(world: World, upstream: dict[Kind, Entries]) -> dict[Kind, Entries]:
    """Discovery's stand-in: the sources' claim for each predecessor MAL id the upstream list lacks."""
    overrides: dict[Kind, Entries] = {}
    for kind in KINDS:
        listed = {entry["mal_id"] for entry in upstream[kind]}
        titles = {
            entry["myanimelist"]["id"] if "myanimelist" in entry else entry["mal_id"]: (
                entry["myanimelist"]["title"] if "myanimelist" in entry else entry["title"]
            )
            for name in (OUTPUT_FILE[kind], NOT_FOUND_FILE[kind])
            for entry in world.predecessor[name]
        }
        overrides[kind] = []
        for mal_id in sorted(titles.keys() - listed):
            claim = world.claims[kind].get(mal_id)
            if claim is None:
                continue
            trakt: dict[str, Any] = {"title": claim["trakt_title"], "id": claim["trakt_id"], "type": kind}
            if kind == "shows":
                trakt["season"] = {"number": claim["season"]}
            overrides[kind].append({"myanimelist": {"title": titles[mal_id], "id": mal_id}, "trakt": trakt})
    return overrides


def install(
    workdir: Path,
    world: World,
    upstream: dict[Kind, Entries],
    meta: dict[str, Any] | None,
    *,
    discover_against: dict[Kind, Entries] | None = None,
) -> None:
    """output/ holds the imported files (and ``meta``), overrides/ discovery's stand-in, .cache/upstream the lists.

    Discovery proposes for the MAL ids ``discover_against`` (default: ``upstream``) lacks.
    """
    for folder in ("output", "overrides", ".cache/upstream"):
        (workdir / folder).mkdir(parents=True, exist_ok=True)
    for name, entries in world.predecessor.items():
        (workdir / "output" / name).write_text(json.dumps(entries, ensure_ascii=False, indent=2) + "\n")
    (workdir / "output" / "meta.json").unlink(missing_ok=True)
    if meta is not None:
        (workdir / "output" / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    for kind, entries in discovered_overrides(world, discover_against or upstream).items():
        (workdir / "overrides" / OVERRIDE[kind]).write_text(json.dumps(entries, ensure_ascii=False, indent=2))
    for kind in KINDS:
        (workdir / ".cache" / "upstream" / UPSTREAM_FILE[kind]).write_text(
            json.dumps(upstream[kind], ensure_ascii=False)
        )


def load_subset(folder: Path = SUBSET) -> World:
    """The subset that ``tests/measurements/measure_migration.py --write-subset`` wrote (``guards-*.json``)."""

    def read(name: str) -> Any:
        return json.loads((folder / f"guards-{name}").read_text(encoding="utf-8"))

    claims = read("sources.json")
    return World(
        predecessor={name: read(name) for kind in KINDS for name in (OUTPUT_FILE[kind], NOT_FOUND_FILE[kind])},
        upstream={kind: read(f"upstream-{UPSTREAM_FILE[kind]}") for kind in KINDS},
        claims={kind: {int(mal_id): claim for mal_id, claim in claims[kind].items()} for kind in KINDS},
    )
