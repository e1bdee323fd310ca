"""Overrides that say where the episodes are (trakt.episodes), checked like the evidence; their mistakes loud."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline import alert, enrich, report
from pipeline.demo.fake_trakt import FakeTrakt
from pipeline.enrich import Options
from pipeline.overrides import check_overrides
from pipeline.published.checks import validate_outputs
from tests.conftest import make_config, read, seasons, show, tv_entry, write_upstream

QUIET = Options(progress=False)


def tv_override(
    mal_id: int, trakt_id: int, season: int | None, episodes: dict[str, int] | None = None
) -> dict[str, Any]:
    trakt: dict[str, Any] = {
        "title": f"Show {trakt_id}",
        "id": trakt_id,
        "type": "shows",
        "season": None if season is None else {"number": season},
    }
    if episodes is not None:
        trakt["episodes"] = episodes
    return {"myanimelist": {"title": f"Anime {mal_id}", "id": mal_id}, "trakt": trakt}


def write_overrides(workdir: Path, *overrides: dict[str, Any]) -> None:
    (workdir / "overrides" / "override_tv.json").write_text(json.dumps(list(overrides)), encoding="utf-8")


def with_counts(trakt_id: int, **counts: int) -> list[dict[str, Any]]:
    """Trakt's seasons of ``trakt_id`` with their episode counts: ``s1=24`` is season 1 of 24 episodes."""
    listed = seasons(trakt_id, *(int(name[1:]) for name in counts))
    for season, count in zip(listed, counts.values(), strict=True):
        season["episode_count"] = count
    return listed


def run(workdir: Path, fake: FakeTrakt) -> dict[str, Any]:
    return enrich.enrich(make_config(fake), Options(progress=False, kinds=("shows",)))


def test_a_second_cour_override_passes_the_schema(workdir: Path) -> None:
    """The pull-request template's own example, season 1 from episode 13, is an override the check accepts."""
    write_overrides(workdir, tv_override(50602, 152334, None, {"season": 1, "offset": 12}))
    assert check_overrides(workdir / "overrides")[0] == []


def test_a_second_cour_override_is_published_as_given(workdir: Path, fake: FakeTrakt) -> None:
    """season null + episodes {1, 12}: published as a split cour inside season 1 from episode 13, valid."""
    fake.shows[10] = show(10)
    fake.seasons[10] = with_counts(10, s1=24)
    write_upstream(workdir, [tv_entry(1, 10, season=2)], None)
    write_overrides(workdir, tv_override(1, 10, None, {"season": 1, "offset": 12}))
    summary = run(workdir, fake)
    (entry,) = read(workdir, "tv_ex.json")
    assert entry["origin"] == "override"
    assert (entry["trakt"]["is_split_cour"], entry["trakt"]["season"]) == (True, None)
    assert entry["trakt"]["episodes"] == {"season": 1, "offset": 12}
    assert summary["override_problems"] == []
    assert [problem for problem in validate_outputs(workdir / "output") if "movies" not in problem] == []


def test_an_override_offset_beyond_the_season_is_refused_and_reported(workdir: Path, fake: FakeTrakt) -> None:
    """An offset past the season's episode count is not published; the report names the override and why."""
    fake.shows[10] = show(10)
    fake.seasons[10] = with_counts(10, s1=12)
    write_upstream(workdir, [tv_entry(1, 10)], None)
    write_overrides(workdir, tv_override(1, 10, 1, {"season": 1, "offset": 30}))
    summary = run(workdir, fake)
    (entry,) = read(workdir, "tv_ex.json")
    assert entry["trakt"]["episodes"] is None
    assert summary["override_problems"] == [
        {
            "kind": "shows",
            "mal_id": 1,
            "source": "override_tv.json[0]",
            "trakt_id": 10,
            "problem": "episodes not published: offset 30 is beyond the 12 episodes Trakt lists in season 1",
        }
    ]
    assert "**Override problems** (1)" in report.render(summary)


def test_an_override_trakt_404_is_its_own_report_section(workdir: Path, fake: FakeTrakt) -> None:
    """An override whose Trakt id answers 404 is named under "Override problems", not only counted."""
    fake.not_found_shows.add(99)
    write_upstream(workdir, [tv_entry(1, 10)], None)
    fake.shows[10] = show(10)
    fake.seasons[10] = seasons(10, 1)
    write_overrides(workdir, tv_override(2, 99, 1))
    text = report.render(run(workdir, fake))
    assert "> **Override problems** (1)" in text
    issue = alert.body("failure", "validate", text, {})  # a failed night's issue carries the same section
    assert "**Override problems** (1)" in issue and "MAL 2 (override_tv.json[0], trakt 99)" in issue
    assert (
        "- shows MAL 2 (override_tv.json[0], trakt 99): Trakt answered 404: the entry went to the not-found file"
        in text
    )


def test_an_override_on_another_mal_ids_season_and_episodes_is_reported(workdir: Path, fake: FakeTrakt) -> None:
    """An override that puts its MAL id where another MAL id is published (same show, season, offset) is loud."""
    fake.shows[10] = show(10)
    fake.seasons[10] = seasons(10, 1, 2)
    write_upstream(workdir, [tv_entry(1, 10, season=1), tv_entry(2, 10, season=2)], None)
    write_overrides(workdir, tv_override(2, 10, 1))
    problems = run(workdir, fake)["override_problems"]
    assert [row["problem"] for row in problems] == [
        "same season and episodes as MAL 1 (show 10 S1+0): one of them is wrong"
    ]


def test_a_second_cour_overrides_map_starts_where_its_episodes_do(workdir: Path) -> None:
    """With episodes {1, 12}, a map from S01E13 is accepted and one from S01E01 is named (issues 22 and 24 met)."""
    second_cour = tv_override(1, 10, None, {"season": 1, "offset": 12})
    second_cour["trakt"]["episode_map"] = [{"mal": [1, None], "season": 1, "episode": 13}]
    write_overrides(workdir, second_cour)
    assert check_overrides(workdir / "overrides")[0] == []
    second_cour["trakt"]["episode_map"] = [{"mal": [1, None], "season": 1, "episode": 1}]
    write_overrides(workdir, second_cour)
    (problem,) = check_overrides(workdir / "overrides")[0]
    assert "override_tv.json" in problem and "$[0].trakt.episode_map" in problem, problem
