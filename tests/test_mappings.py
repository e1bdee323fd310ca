"""What wins between the mappings of a MAL id (``pipeline.evidence.mappings``): pure, no files, no server."""

from __future__ import annotations

from typing import Any

from pipeline.candidates import Candidate, Discovery
from pipeline.evidence import mappings
from pipeline.published.models import OVERRIDE_FILE
from pipeline.sources.upstream import UpstreamList


def tv(*entries: dict[str, Any]) -> UpstreamList:
    return UpstreamList(
        kind="shows", name="tv.json", entries=list(enumerate(entries)), skipped=[], sha256="", total=len(entries)
    )


def candidate(mal_id: int, trakt_id: int) -> Candidate:
    return Candidate(kind="shows", mal_id=mal_id, title=f"MAL {mal_id}", trakt_id=trakt_id, season=1, evidence="")


def test_an_override_replaces_every_upstream_mapping_of_its_mal_id() -> None:
    """Two upstream rows for one MAL id are a duplicate; an override for it leaves only its own mapping."""
    upstream = tv(
        {"mal_id": 1, "title": "One", "trakt_id": 10, "season": 1},
        {"mal_id": 1, "title": "One", "trakt_id": 11, "season": 1},
    )
    override = {
        "myanimelist": {"id": 1, "title": "One"},
        "trakt": {"type": "shows", "id": 12, "title": "One!", "season": {"number": 2}},
    }
    groups, duplicates = mappings.build_mappings({"shows": upstream}, [(OVERRIDE_FILE["shows"], override)])
    assert duplicates[("shows", 1)]["candidates"] == ["tv.json[0]: trakt 10", "tv.json[1]: trakt 11"]
    [only] = groups["shows"][1]
    assert (only.trakt_id, only.season, only.origin, only.override_title) == (12, 2, "override", "One!")


def test_discovery_adds_only_the_mal_ids_nothing_else_maps() -> None:
    """A candidate for a MAL id upstream maps is ignored; one for a new MAL id is added as discovered."""
    groups, _ = mappings.build_mappings({"shows": tv({"mal_id": 1, "title": "One", "trakt_id": 10})}, [])
    discovery = Discovery(status="ok", candidates=[candidate(1, 99), candidate(2, 20)])
    origin = mappings.add_discovered(discovery, groups, {"shows": []}, candidates_file="candidates.json")
    assert origin == "candidates.json"
    assert [m.trakt_id for m in groups["shows"][1]] == [10]
    assert [(m.trakt_id, m.origin, m.source) for m in groups["shows"][2]] == [(20, "discovered", "discovered[1]")]


def test_without_discovery_the_discovered_entries_published_before_stay() -> None:
    """No usable candidates file: a discovered entry published before is looked up again as it is."""
    groups, _ = mappings.build_mappings({"shows": tv()}, [])
    published = {"myanimelist": {"id": 3, "title": "Three"}, "trakt": {"id": 30, "season": {"number": 1}}}
    origin = mappings.add_discovered(
        None, groups, {"shows": [{**published, "origin": "discovered"}]}, candidates_file="candidates.json"
    )
    assert origin == "the discovered entries published before"
    assert [(m.trakt_id, m.origin) for m in groups["shows"][3]] == [(30, "discovered")]
