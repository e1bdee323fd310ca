"""The newest seasons and continuation cours are published: discovery on TMDB's numbering, season-taken on the episodes.

Real rows (tests/fixtures/later-seasons/, written by tests/fixture_writers/later_seasons_fixtures.py): upstream's TV
rows of
seven shows, the three mapping sources' rows for them and for the later seasons issue 21 names, and what
Trakt answered the predecessor for those shows, with each show's seasons and episode counts as TMDB lists them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from pipeline import discover, enrich
from pipeline.demo.fake_trakt import FakeTrakt
from pipeline.enrich import Options
from pipeline.sources.catalog import write_status
from tests.conftest import API_KEY, make_config, movie_entry, read, write_upstream

FIXTURES = Path(__file__).parent / "fixtures" / "later-seasons"


SOURCE_FILES = ("anime-list-master.xml", "anime_ids.json", "tvdb-mal.yaml")


@pytest.fixture
def night(workdir: Path) -> Any:
    """discover then enrich on the fixture, against a fake Trakt that finds each show by its TMDB id."""
    shutil.copytree(FIXTURES / "sources", workdir / ".cache" / "sources")
    write_upstream(workdir, json.loads((FIXTURES / "upstream" / "tv.json").read_text()), [movie_entry(1, 20)])
    write_status(workdir / ".cache" / "sources", dict.fromkeys(SOURCE_FILES))
    with FakeTrakt.from_sample(FIXTURES / "trakt.json", expected_key=API_KEY) as fake:
        for show in fake.shows.values():
            fake.search["tmdb", str(show["ids"]["tmdb"])] = [{"type": "show", "score": 1000, "show": show}]
        discovery = discover.discover(make_config(fake))
        summary = enrich.enrich(make_config(fake), Options(progress=False, kinds=("shows",)))
    entries = {entry["myanimelist"]["id"]: entry for entry in read(workdir, "tv_ex.json")}
    return discovery, summary, entries


def place(entry: dict[str, Any]) -> tuple[int | None, dict[str, int] | None, str]:
    trakt = entry["trakt"]
    return (trakt["season"] or {}).get("number"), trakt["episodes"], entry["origin"]


@pytest.mark.parametrize(
    ("mal_id", "expected"),
    [
        (56784, (None, {"season": 2, "offset": 26}, "discovered")),  # Bleach TYBW part 3 (TVDB season 17)
        (60636, (None, {"season": 2, "offset": 40}, "discovered")),  # Bleach TYBW part 4
        (51535, (None, {"season": 4, "offset": 28}, "discovered")),  # Attack on Titan: the final chapters
        (62568, (None, {"season": 4, "offset": 24}, "discovered")),  # Dr. Stone Science Future part 3
        (59193, (3, {"season": 3, "offset": 0}, "discovered")),  # Mushoku Tensei III
        (59970, (4, {"season": 4, "offset": 0}, "discovered")),  # Slime's 4th season
        (56731, (None, {"season": 1, "offset": 12}, "discovered")),  # Synduality Noir part 2
        (60619, (None, {"season": 1, "offset": 13}, "discovered")),  # Let This Grieving Soul Retire part 2
    ],
)
def test_the_later_seasons_the_issue_names_are_published(night: Any, mal_id: int, expected: Any) -> None:
    """Each lands where Anime-Lists' TMDB numbering puts it; a continuation cour is a split cour with episodes."""
    _, _, entries = night
    assert place(entries[mal_id]) == expected
    assert entries[mal_id]["trakt"]["is_split_cour"] is (expected[0] is None)


def test_a_second_cour_does_not_take_the_season_from_the_first(night: Any) -> None:
    """Synduality Noir: part 1 (upstream) on season 1 from episode 1, part 2 (discovered) from episode 13."""
    _, _, entries = night
    assert place(entries[53026]) == (1, {"season": 1, "offset": 0}, "upstream")
    assert place(entries[56731])[1] == {"season": 1, "offset": 12}


def test_a_season_upstreams_shifted_entry_held_is_free_once_it_moves(night: Any) -> None:
    """Mushoku Tensei II (upstream season 3) moves to season 2, its part 2 inside it: season 3 is III's; the
    same for Slime's 3rd season (upstream season 4, moved to 3), which leaves season 4 to the 4th season."""
    _, summary, entries = night
    assert place(entries[51179]) == (2, {"season": 2, "offset": 0}, "corrected")
    assert place(entries[55888]) == (None, {"season": 2, "offset": 12}, "corrected")
    assert place(entries[53580]) == (3, {"season": 3, "offset": 0}, "corrected")
    assert [d for d in summary["discovered_dropped"] if d["mal_id"] in (59193, 59970)] == []


def test_discovery_proposes_them_from_their_real_rows(night: Any) -> None:
    """The candidates file names each later season with its season or episodes, and why."""
    discovery, _, _ = night
    found = {candidate.mal_id: candidate for candidate in discovery.candidates}
    assert (found[56784].season, found[56784].episodes) == (None, (2, 26))
    assert found[56784].evidence == "AniDB 18220: TMDB 30984 season 2 from episode 27, TVDB 74796 confirmed"
    assert (found[59193].season, found[59193].episodes) == (3, None)
    assert json.dumps(found[60619].episodes) == "[1, 13]"


def test_a_correction_follows_tmdb_where_tvdb_numbers_the_season_otherwise(night: Any) -> None:
    """Bleach TYBW part 2 (MAL 53998): upstream's season 3 is missing on Trakt; Anime-Lists says TMDB season 2
    from episode 14 (TVDB season 17), shinkro the same TVDB show and season: corrected into season 2."""
    _, summary, entries = night
    assert place(entries[53998]) == (None, {"season": 2, "offset": 13}, "corrected")
    assert place(entries[41467]) == (2, {"season": 2, "offset": 0}, "upstream")
    assert 53998 in {record["mal_id"] for record in summary["corrections"]}
