"""Season evidence: upstream's shifted seasons corrected on strong evidence, episode offsets on every TV entry.

Real rows (tests/fixtures/seasons/, written by tests/fixture_writers/seasons_fixtures.py): the upstream rows of seven
shows, the three mapping sources' rows for them, and what Trakt answered the predecessor for them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline import enrich, report
from pipeline.demo.fake_trakt import FakeTrakt
from pipeline.enrich import Options
from pipeline.errors import PipelineError
from pipeline.validate import validate_outputs
from tests.conftest import API_KEY, make_config, read

FIXTURES = Path(__file__).parent / "fixtures" / "seasons"
QUIET = Options(progress=False, kinds=("shows",))


@contextlib.contextmanager
def fixture_world(folder: Path, workdir: Path) -> Iterator[tuple[FakeTrakt, Path]]:
    """``folder``'s upstream list and sources in the working directory, and a fake Trakt answering its shows."""
    shutil.copytree(folder / "sources", workdir / ".cache" / "sources")
    shutil.copytree(folder / "upstream", workdir / ".cache" / "upstream")
    with FakeTrakt.from_sample(folder / "trakt.json", expected_key=API_KEY) as fake:
        yield fake, workdir


@pytest.fixture
def world(workdir: Path) -> Any:
    with fixture_world(FIXTURES, workdir) as found:
        yield found


def run(fake: FakeTrakt, workdir: Path) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    summary = enrich.enrich(make_config(fake), QUIET)
    return summary, {entry["myanimelist"]["id"]: entry for entry in read(workdir, "tv_ex.json")}


def validate(workdir: Path) -> list[str]:
    """The published files' problems (this run writes the TV files; the movie files are empty)."""
    for name in ("movies_ex.json", "not_exist_movies_ex.json"):
        (workdir / "output" / name).write_text("[]\n")
    return validate_outputs(workdir / "output")


def place(entry: dict[str, Any]) -> tuple[int | None, dict[str, int] | None, str]:
    trakt = entry["trakt"]
    return (trakt["season"] or {}).get("number"), trakt["episodes"], entry["origin"]


@pytest.mark.parametrize(
    ("mal_id", "expected"),
    [
        (38524, (None, {"season": 3, "offset": 12}, "corrected")),  # Attack on Titan S3 Part 2: S4 -> S3 from ep 13
        (50602, (None, {"season": 1, "offset": 12}, "corrected")),  # Spy x Family Part 2: S2 -> S1 from ep 13
        (53887, (2, {"season": 2, "offset": 0}, "corrected")),  # Spy x Family Season 2: S3 -> S2
        (53580, (3, {"season": 3, "offset": 0}, "corrected")),  # Slime 3rd Season: S4 -> S3
        (48661, (5, {"season": 5, "offset": 0}, "corrected")),  # JoJo Stone Ocean: S6 -> S5
        (45576, (None, {"season": 1, "offset": 11}, "corrected")),  # Mushoku Tensei Part 2: S2 -> S1 from ep 12
        (51179, (2, {"season": 2, "offset": 0}, "corrected")),  # Mushoku Tensei II: S3 -> S2
        (40028, (4, {"season": 4, "offset": 0}, "corrected")),  # AoT The Final Season: S5 (missing) -> S4
        (50265, (1, {"season": 1, "offset": 0}, "upstream")),  # Spy x Family: the sources agree with upstream
    ],
)
def test_the_issues_examples_are_corrected_as_the_sources_say(world: Any, mal_id: int, expected: Any) -> None:
    """Each example lands on the season and offset Anime-Lists and shinkro agree on, as origin corrected."""
    fake, workdir = world
    _, entries = run(fake, workdir)
    assert place(entries[mal_id]) == expected
    assert entries[mal_id]["trakt"]["is_split_cour"] is (expected[0] is None)


def test_the_report_lists_upstreams_season_beside_ours_with_the_evidence(world: Any) -> None:
    """The summary's correction names the MAL id, upstream's season, ours and what the sources said."""
    fake, workdir = world
    summary, _ = run(fake, workdir)
    found = {record["mal_id"]: record for record in summary["corrections"]}
    spy = found[50602]
    assert (spy["upstream_season"], spy["season"], spy["episodes"], spy["kind"]) == (
        2,
        None,
        {"season": 1, "offset": 12},
        "continuation",
    )
    assert "TMDB tv 120089 S1+12" in spy["evidence"] and "shinkro: TVDB 405920 S1+12" in spy["evidence"]
    assert "Trakt S1: 25 episodes" in spy["evidence"]
    text = report.render(summary)
    assert "MAL 50602 'Spy x Family Part 2': S2 -> S1 from episode 13 (continuation)" in text


def test_sources_that_disagree_leave_the_entry_and_queue_it(world: Any) -> None:
    """Fumoffu: Anime-Lists says S2 from episode 2, shinkro S2 from episode 1: upstream's S3 stays, queued."""
    fake, workdir = world
    summary, entries = run(fake, workdir)
    assert place(entries[72]) == (3, {"season": 3, "offset": 0}, "upstream")
    queued = {record["mal_id"]: record for record in summary["review"]}
    assert queued[72]["reason"] == "sources-disagree"
    assert "shinkro: TVDB 78914 S2+0" in queued[72]["evidence"]


def test_a_correction_onto_a_season_another_mal_id_keeps_is_undone_and_queued(world: Any) -> None:
    """The Second Raid's sources say S3, where Fumoffu stays: it keeps upstream's S2 and is queued."""
    fake, workdir = world
    summary, entries = run(fake, workdir)
    assert place(entries[73]) == (2, {"season": 2, "offset": 0}, "upstream")
    queued = {record["mal_id"]: record for record in summary["review"]}
    assert queued[73]["reason"] == "same-season-and-episodes" and "MAL 72" in queued[73]["evidence"]
    assert 73 not in {record["mal_id"] for record in summary["corrections"]}


def test_an_offset_beyond_traktss_episode_count_stays(world: Any) -> None:
    """Trakt listing 12 episodes for Spy x Family S1: Part 2 from episode 13 does not fit, upstream's S2 stays."""
    fake, workdir = world
    fake.seasons[190742][1]["episode_count"] = 12
    summary, entries = run(fake, workdir)
    assert place(entries[50602]) == (2, {"season": 2, "offset": 0}, "upstream")
    queued = {record["mal_id"]: record for record in summary["review"]}
    assert queued[50602]["reason"] == "offset-beyond-episode-count"


def test_an_override_beats_a_correction(world: Any) -> None:
    """A maintainer pins upstream's S2 for Spy x Family Part 2 with an override: it stays on S2."""
    fake, workdir = world
    overrides = workdir / "overrides"
    overrides.mkdir(exist_ok=True)
    (overrides / "override_tv.json").write_text(
        json.dumps(
            [
                {
                    "myanimelist": {"title": "Spy x Family Part 2", "id": 50602},
                    "trakt": {"title": "SPY x FAMILY", "id": 190742, "type": "shows", "season": {"number": 2}},
                }
            ]
        )
    )
    (overrides / "override_movies.json").write_text("[]")
    _, entries = run(fake, workdir)
    assert place(entries[50602]) == (2, {"season": 2, "offset": 0}, "override")


def test_two_cours_of_one_season_are_published_side_by_side(world: Any) -> None:
    """Spy x Family and its Part 2 both on Trakt S1, told apart by their offsets; the files validate."""
    fake, workdir = world
    _, entries = run(fake, workdir)
    assert entries[50265]["trakt"]["episodes"] == {"season": 1, "offset": 0}
    assert entries[50602]["trakt"]["episodes"] == {"season": 1, "offset": 12}
    assert entries[50265]["trakt"]["id"] == entries[50602]["trakt"]["id"] == 190742
    assert validate(workdir) == []


def test_every_tv_entry_has_episodes_that_validate(world: Any) -> None:
    """Every entry carries trakt.episodes: null only for a split cour nothing places; validate passes."""
    fake, workdir = world
    _, entries = run(fake, workdir)
    for entry in entries.values():
        trakt = entry["trakt"]
        if trakt["season"] is not None:
            assert trakt["episodes"] == {"season": trakt["season"]["number"], "offset": 0} or (
                trakt["episodes"]["season"] == trakt["season"]["number"]
            )
    assert any(entry["trakt"]["episodes"] is None for entry in entries.values())  # Re:Zero's later seasons
    assert validate(workdir) == []


def test_a_trakt_outage_during_the_checks_corrects_nothing(world: Any) -> None:
    """Trakt failing from the first request: the run stops, nothing is written, nothing corrected."""
    fake, workdir = world
    fake.outage_from(0)
    with pytest.raises(PipelineError, match="Trakt looks unavailable"):
        run(fake, workdir)
    assert not (workdir / "output" / "tv_ex.json").exists()


def test_a_night_without_the_sources_keeps_the_corrections_trakt_still_lists(world: Any) -> None:
    """No sources tonight: each correction published before stays while Trakt lists its season; no new one."""
    fake, workdir = world
    _, before = run(fake, workdir)
    shutil.rmtree(workdir / ".cache" / "sources")
    fake.seasons[135985] = [season for season in fake.seasons[135985] if season["number"] != 3]
    (workdir / ".cache" / "trakt.sqlite").unlink()
    summary, after = run(fake, workdir)
    assert "not downloaded" in summary["season_evidence"]
    assert {record["evidence"] for record in summary["corrections"]} == {"kept: published before (no sources tonight)"}
    corrected = [mal_id for mal_id, entry in before.items() if entry["origin"] == "corrected"]
    assert len(corrected) > 5
    assert [place(after[m]) for m in corrected if m != 53580] == [place(before[m]) for m in corrected if m != 53580]
    # Slime's season 3 is gone tonight: its 3rd Season goes back to upstream's S4.
    assert place(after[53580]) == (4, {"season": 4, "offset": 0}, "upstream")


def test_the_first_night_asks_each_show_its_seasons_once_with_extended_full(world: Any) -> None:
    """One seasons request per show, at ?extended=full (the default level has no episode counts)."""
    fake, workdir = world
    run(fake, workdir)
    asked = [r for r in fake.requests if r.path.endswith("/seasons")]
    assert len(asked) == len(fake.seasons) and all(r.query == "extended=full" for r in asked)


def test_a_correction_storm_is_no_mass_change_to_the_guards(world: Any) -> None:
    """The first night with the evidence turns many published seasons into second cours: no refusal."""
    fake, workdir = world
    shutil.move(workdir / ".cache" / "sources", workdir / "sources-later")
    run(fake, workdir)  # the night before: no sources, upstream's seasons as they are
    shutil.move(workdir / "sources-later", workdir / ".cache" / "sources")
    (workdir / ".cache" / "trakt.sqlite").unlink()
    summary = enrich.enrich(make_config(fake, mass_change_min_entries=1), QUIET)
    continuations = [record for record in summary["corrections"] if record["kind"] == "continuation"]
    assert len(continuations) > 0.1 * summary["files"]["tv_ex.json"]["entries"]  # past the limit, were they counted


def test_the_fake_gives_episode_counts_only_at_extended_full(fake: FakeTrakt) -> None:
    """Like Trakt, the default level has number and ids only; ?extended=full adds the counts."""
    import requests

    headers = {"trakt-api-key": API_KEY, "trakt-api-version": "2"}
    plain = requests.get(f"{fake.url}/shows/46086/seasons", headers=headers, timeout=5).json()
    full = requests.get(f"{fake.url}/shows/46086/seasons?extended=full", headers=headers, timeout=5).json()
    assert all(set(season) == {"number", "ids"} for season in plain)
    assert all(isinstance(season["episode_count"], int) and "first_aired" in season for season in full)


def test_a_chain_of_collisions_undoes_each_correction_it_reaches() -> None:
    """Undoing one correction can put its entry back where another correction went: that one is undone too."""
    from pipeline.evidence.seasons import Episodes, collisions

    def at(season: int, offset: int = 0) -> tuple[int, Episodes]:
        return 7, Episodes(season=season, offset=offset)

    placed = {1: at(2), 2: at(4), 3: at(2)}  # 1 stays on S2; 2 was corrected S5 -> S4; 3 corrected S4 -> S2
    fallback = {2: at(5), 3: at(4)}
    assert collisions(placed, fallback) == {3: [1], 2: [3]}


def test_an_anidb_entry_of_several_mal_ids_makes_no_claim(tmp_path: Path) -> None:
    """Its offset is the AniDB entry's, not either MAL entry's: no claim, so no correction."""
    from pipeline.evidence.seasons import claim
    from pipeline.sources.catalog import load_joined

    shutil.copytree(FIXTURES / "sources", tmp_path / "sources")  # loading leaves a parsed copy beside them
    joined, _ = load_joined(tmp_path / "sources")
    one = joined[50602]
    assert claim(one) is not None
    shared = dataclasses.replace(one.ids[0], mal_ids=(50602, 50265))
    assert claim(dataclasses.replace(one, ids=(shared,))) is None
