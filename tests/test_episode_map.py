"""The episode map: from a MAL (or AniList) episode to the Trakt episode across seasons, and back.

Real rows (tests/fixtures/episode_map/, written by tests/fixture_writers/episode_map_fixtures.py): the upstream
rows of the
shows issue 22 names (One Piece and Naruto Shippuden from the predecessor's entries, which upstream lacks),
the three mapping sources' rows for them, what Trakt answered the predecessor for those shows, and each
season's episode count entered by hand with its source named there (Anime-Lists' own TMDB numbering of
One Piece and Naruto Shippuden, its TVDB numbering of Conan as a stand-in, TMDB's listings of the others).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline import lookup, report
from pipeline.evidence import crossref
from pipeline.evidence import episode_map as maps
from pipeline.evidence.seasons import Episodes
from pipeline.overrides import check_overrides
from pipeline.published.checks import episode_map_problems
from pipeline.published.models import MapRange, Season, episode_map_of
from pipeline.sources import anime_ids, anime_lists, shinkro
from pipeline.sources.joined import join
from tests.test_seasons import fixture_world, run, validate

FIXTURES = Path(__file__).parent / "fixtures" / "episode_map"


@pytest.fixture
def world(workdir: Path) -> Any:
    with fixture_world(FIXTURES, workdir) as found:
        yield found


def joined() -> dict[int, Any]:
    folder = FIXTURES / "sources"
    return join(
        anime_lists.parse((folder / anime_lists.FILE).read_bytes()),
        anime_ids.parse((folder / anime_ids.FILE).read_bytes()),
        shinkro.parse((folder / shinkro.FILE).read_bytes()),
    )


def seasons_of(show: int) -> list[Season]:
    answers = json.loads((FIXTURES / "trakt.json").read_text())["seasons"][str(show)]
    return [
        Season(
            trakt_id=s["ids"]["trakt"],
            number=s["number"],
            tvdb=None,
            tmdb=None,
            tvrage=None,
            episode_count=s["episode_count"],
        )
        for s in answers
    ]


# (MAL id, MAL episode, the Trakt season and episode): what the sources and Trakt's seasons agree on.
NAMED = [
    (21, 1, (1, 1)),  # One Piece: S1 is episodes 1-61 (Anime-Lists' TMDB numbering, Trakt's counts)
    (21, 62, (2, 1)),
    (21, 1000, (21, 109)),  # S21 starts at MAL 892: the "S01E1000, which does not exist"
    (21, 1156, (23, 1)),  # past the sources' last range (S22 ends at 1155): Trakt's S23, open
    (1735, 197, (10, 1)),  # Naruto Shippuden: TMDB's S10 from MAL 197
    (1735, 500, (20, 87)),
    (235, 1000, (29, 8)),  # Detective Conan, absolute numbering over Trakt's seasons (S29 from MAL 993)
    (14751, 14, (1, 14)),  # Sailor Moon Crystal: MAL folds two TMDB seasons into one entry
    (14751, 15, (2, 1)),
    (14751, 26, (2, 12)),
    (31733, 1, (3, 1)),  # its Season III: corrected onto Trakt's S3 (season evidence)
    (48583, 1, (4, 17)),  # Attack on Titan Final Season Part 2: S4 from episode 17
    (48583, 12, (4, 28)),
    (38524, 10, (3, 22)),  # Season 3 Part 2: the last 10 episodes of Trakt's S3
    (50602, 3, (1, 15)),  # Spy x Family Part 2: the README's example, S01E15
    (50265, 12, (1, 12)),  # Spy x Family: its map ends where Part 2 starts
    (53887, 1, (2, 1)),  # Spy x Family Season 2
    (53998, 1, (2, 14)),  # Bleach TYBW part 2: Trakt's S2 from episode 14 (TMDB's numbering; TVDB's is S17)
]


@pytest.mark.parametrize(("mal_id", "episode", "expected"), NAMED, ids=[f"{m}-{e}" for m, e, _ in NAMED])
def test_each_named_show_sends_its_episode_where_the_sources_and_trakt_agree(
    world: Any, mal_id: int, episode: int, expected: tuple[int, int]
) -> None:
    """A named MAL episode lands on the Trakt episode the sources and Trakt's episode counts agree on."""
    fake, workdir = world
    _, entries = run(fake, workdir)
    assert lookup.to_trakt(entries[mal_id], episode).trakt_episode == expected


def test_one_piece_is_one_range_per_trakt_season_the_last_open(world: Any) -> None:
    """23 ranges, as the issue's example: [1, 61] S1, [62, 77] S2, ..., [1156, null] S23; episodes unchanged."""
    fake, workdir = world
    _, entries = run(fake, workdir)
    trakt = entries[21]["trakt"]
    assert trakt["episodes"] == {"season": 1, "offset": 0}
    assert trakt["episode_map"][:2] == [
        {"mal": [1, 61], "season": 1, "episode": 1},
        {"mal": [62, 77], "season": 2, "episode": 1},
    ]
    assert trakt["episode_map"][-1] == {"mal": [1156, None], "season": 23, "episode": 1}
    assert len(trakt["episode_map"]) == 23


def test_a_second_cour_is_one_range_from_inside_its_season(world: Any) -> None:
    """Spy x Family Part 2 is {"mal": [1, 13], "season": 1, "episode": 13}, its first cour [1, 12]."""
    fake, workdir = world
    _, entries = run(fake, workdir)
    assert entries[50602]["trakt"]["episode_map"] == [{"mal": [1, 13], "season": 1, "episode": 13}]
    assert entries[50265]["trakt"]["episode_map"] == [{"mal": [1, 12], "season": 1, "episode": 1}]
    assert lookup.to_trakt(entries[50265], 13).trakt_episode is None


def test_every_map_starts_where_episodes_does_and_the_files_validate(world: Any) -> None:
    """Each map's first range is episodes' season from episode offset + 1; null only without episodes."""
    fake, workdir = world
    _, entries = run(fake, workdir)
    for entry in entries.values():
        trakt = entry["trakt"]
        if trakt["episodes"] is None:
            assert trakt["episode_map"] is None
            continue
        first = trakt["episode_map"][0]
        assert (first["mal"][0], first["season"], first["episode"]) == (
            1,
            trakt["episodes"]["season"],
            trakt["episodes"]["offset"] + 1,
        )
    assert validate(workdir) == []


def test_a_trakt_count_that_disagrees_with_the_sources_stops_the_map_and_queues_both(world: Any) -> None:
    """Trakt counting 17 episodes in One Piece's S2 (the sources: 16): the map stops at MAL 77, queued."""
    fake, workdir = world
    fake.seasons[37696][2]["episode_count"] = 17
    summary, entries = run(fake, workdir)
    assert entries[21]["trakt"]["episode_map"] == [
        {"mal": [1, 61], "season": 1, "episode": 1},
        {"mal": [62, 77], "season": 2, "episode": 1},
    ]
    queued = {record["mal_id"]: record for record in summary["review"]}
    assert queued[21]["reason"] == "numbering-disagrees"
    assert "MAL 78 = S3E1" in queued[21]["evidence"]  # the sources' numbering
    assert "S2 17, S3 14" in queued[21]["evidence"]  # Trakt's
    assert "from MAL episode 78" in queued[21]["evidence"]
    assert validate(workdir) == []


def test_round_trip_mal_to_trakt_to_mal_gives_back_the_entry_and_episode(world: Any) -> None:
    """For every published map, the first and last episode of each range go to Trakt and come back."""
    fake, workdir = world
    _, entries = run(fake, workdir)
    published = list(entries.values())
    checked = 0
    for mal_id, entry in entries.items():
        for r in episode_map_of(entry["trakt"]["episode_map"]) or ():
            for episode in {r.first, r.last or r.first + 5}:
                season, number = lookup.to_trakt(entry, episode).trakt_episode or (0, 0)
                back = lookup.from_trakt(published, str(entry["trakt"]["id"]), season, number)
                assert [(f.entry["myanimelist"]["id"], f.mal_episode) for f in back] == [(mal_id, episode)]
                checked += 1
    assert checked > 100


def test_bleach_tybw_part_2_from_episode_14_of_trakts_season_2() -> None:
    """Placed at S2+13 (TMDB's numbering, as Trakt's), Ketsubetsu-tan's episode 1 is S02E14, open to the end."""
    outcome = maps.build(Episodes(season=2, offset=13), seasons_of(30850), maps.numbering(joined()[53998], 30984))
    assert outcome.ranges == (MapRange(first=1, last=None, season=2, episode=14),)
    assert maps.trakt_episode(outcome.ranges, 13) == (2, 26)


def test_without_episodes_there_is_no_map_and_the_reason_says_so() -> None:
    outcome = maps.build(None, seasons_of(30850))
    assert (outcome.ranges, outcome.reason) == (None, "no-episodes")


def test_a_season_without_an_episode_count_in_the_middle_leaves_no_map() -> None:
    """One Piece with no count for Trakt's S5: nothing says where S6 starts."""
    seasons = [
        s if s.number != 5 else Season(trakt_id=1, number=5, tvdb=None, tmdb=None, tvrage=None)
        for s in seasons_of(37696)
    ]
    outcome = maps.build(Episodes(season=1, offset=0), seasons, maps.numbering(joined()[21], 37854))
    assert (outcome.ranges, outcome.reason) == (None, "no-episode-count")


def test_cut_ends_a_map_where_another_entry_of_the_show_starts() -> None:
    open_s2 = (MapRange(first=1, last=None, season=2, episode=1),)
    part_2 = (MapRange(first=1, last=None, season=2, episode=14),)
    assert maps.cut({41467: (30850, open_s2), 53998: (30850, part_2)}) == {
        41467: ((MapRange(first=1, last=13, season=2, episode=1),), [53998])
    }


@pytest.mark.parametrize(
    ("ranges", "message"),
    [
        ([(2, 10, 1, 1)], "the first range starts at MAL episode 2, not 1"),
        ([(1, 10, 1, 1), (12, None, 2, 1)], "MAL episode 11 is not where the next range starts (12)"),
        ([(1, None, 1, 1), (11, None, 2, 1)], "the range from MAL episode 1 is open (null) but another follows it"),
        ([(1, 10, 2, 1), (11, None, 1, 1)], "the range from MAL episode 11 is not after the one before it on Trakt"),
    ],
)
def test_a_map_out_of_order_is_named(ranges: list[tuple[int, int | None, int, int]], message: str) -> None:
    found = episode_map_problems(tuple(MapRange(first=a, last=b, season=s, episode=e) for a, b, s, e in ranges))
    assert found == [message]


def test_a_map_that_starts_elsewhere_than_episodes_is_named() -> None:
    found = episode_map_problems((MapRange(first=1, last=None, season=1, episode=1),), (1, 12))
    assert found == ["its first range starts at S1E1, but episodes says S1E13 (season 1, offset 12)"]


def test_a_mal_id_on_several_anidb_entries_lists_them_all() -> None:
    """Haruhi (MAL 849) is AniDB 3651 and its 2009 re-broadcast 6367; AniList 849 only: 6367 also names
    MAL 4382, and its one AniList id is one of the two MAL ids', the row does not say whose."""
    assert crossref.joined_ids(joined()[849]) == {"anidb": [3651, 6367], "anilist": [849]}
    assert crossref.joined_ids(joined()[4382]) == {"anidb": [6367], "anilist": None}
    assert crossref.joined_ids(None) == {"anidb": None, "anilist": None}


def test_entries_carry_their_anidb_and_anilist_ids_in_both_layouts(world: Any) -> None:
    fake, workdir = world
    summary, entries = run(fake, workdir)
    for key in ("trakt", None):
        externals = entries[21]["trakt"]["externals"] if key else entries[21]["externals"]
        assert (externals["anidb"], externals["anilist"]) == ([69], [21])
    assert summary["coverage"]["tv_ex.json"]["anidb"] == len(entries)
    mapped = sum(bool(entry["trakt"]["episode_map"]) for entry in entries.values())
    assert summary["coverage"]["tv_ex.json"]["episode_map"] == mapped >= 15
    assert f"{mapped:,} with an episode map" in report.render(summary)


def test_lookup_answers_from_the_published_files(world: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """--mal, --anilist and --trakt, as a person checks a mapping before reporting it wrong."""
    fake, workdir = world
    run(fake, workdir)
    assert lookup.main(["--mal", "21", "--episode", "1000"]) == 0
    assert (
        "MAL episode 1000 is S21E109 https://trakt.tv/shows/one-piece/seasons/21/episodes/109"
        in capsys.readouterr().out
    )
    assert lookup.main(["--anilist", "142838", "--episode", "3"]) == 0
    assert "'Spy x Family Part 2'" in (out := capsys.readouterr().out) and "is S01E15" in out
    assert lookup.main(["--trakt", "one-piece", "--season", "21", "--episode", "109"]) == 0
    assert capsys.readouterr().out == "Trakt one-piece S21E109 is MAL 21 'One Piece' episode 1000\n"
    assert lookup.main(["--trakt", "spy-x-family", "--season", "1", "--episode", "99"]) == 1
    assert "no published entry's episode map holds it" in capsys.readouterr().err


def write_overrides(workdir: Path, tv: list[dict[str, Any]]) -> None:
    overrides = workdir / "overrides"
    overrides.mkdir(exist_ok=True)
    (overrides / "override_tv.json").write_text(json.dumps(tv))
    (overrides / "override_movies.json").write_text("[]")


SAILOR_MOON = {"myanimelist": {"title": "Bishoujo Senshi Sailor Moon Crystal", "id": 14751}}
SAILOR_MOON_TRAKT = {"title": "Sailor Moon Crystal", "id": 60834, "type": "shows", "season": {"number": 1}}


def test_an_overrides_map_wins_over_the_computed_one(world: Any) -> None:
    """A maintainer says Trakt keeps Sailor Moon Crystal's 26 episodes in S1: the override's map is published."""
    fake, workdir = world
    ranges = [{"mal": [1, 26], "season": 1, "episode": 1}]
    write_overrides(workdir, [{**SAILOR_MOON, "trakt": {**SAILOR_MOON_TRAKT, "episode_map": ranges}}])
    _, entries = run(fake, workdir)
    assert entries[14751]["trakt"]["episode_map"] == ranges
    assert entries[14751]["trakt"]["episodes"] == {"season": 1, "offset": 0}
    assert validate(workdir) == []


@pytest.mark.parametrize(
    ("ranges", "message"),
    [
        (
            [{"mal": [1, 14], "season": 1, "episode": 1}, {"mal": [16, None], "season": 2, "episode": 1}],
            "MAL episode 15 is not where the next range starts (16)",
        ),
        (
            [{"mal": [1, None], "season": 2, "episode": 1}],
            "its first range is in season 2, the override's season.number is 1: make them the same",
        ),
        ([{"mal": [1], "season": 1, "episode": 1}], "$[0].trakt.episode_map[0].mal: [1] is too short"),
    ],
)
def test_an_overrides_map_is_checked_and_the_message_names_it(
    world: Any, ranges: list[dict[str, Any]], message: str
) -> None:
    _, workdir = world
    write_overrides(workdir, [{**SAILOR_MOON, "trakt": {**SAILOR_MOON_TRAKT, "episode_map": ranges}}])
    found, _ = check_overrides(workdir / "overrides")
    assert len(found) == 1 and message in found[0] and "override_tv.json" in found[0], found


def test_a_night_without_the_sources_keeps_the_maps_and_ids_published_before(world: Any) -> None:
    """Without Anime-Lists nothing says One Piece spans 23 seasons: its map and ids stay as published."""
    fake, workdir = world
    _, before = run(fake, workdir)
    (workdir / ".cache" / "sources" / shinkro.FILE).unlink()
    summary, after = run(fake, workdir)
    assert "not downloaded" in summary["season_evidence"]
    for mal_id in (21, 14751, 50602):
        assert after[mal_id]["trakt"]["episode_map"] == before[mal_id]["trakt"]["episode_map"]
        assert after[mal_id]["externals"] == before[mal_id]["externals"]


def test_the_report_says_why_an_entry_has_no_map(world: Any) -> None:
    """Ketsubetsu-tan on a Trakt that lists neither its season (S2) nor upstream's (S3): no episodes, no map,
    counted as no-episodes."""
    fake, workdir = world
    fake.seasons[30850] = [season for season in fake.seasons[30850] if season["number"] not in (2, 3)]
    summary, entries = run(fake, workdir)
    on_tybw = [
        entry for entry in entries.values() if entry["trakt"]["id"] == 30850 and entry["trakt"]["season"] is None
    ]
    assert entries[53998] in on_tybw and all(entry["trakt"]["episode_map"] is None for entry in on_tybw)
    assert summary["no_episode_map"] == {"no-episodes": len(on_tybw)}
    assert f"Without an episode map: `no-episodes` {len(on_tybw)}." in report.render(summary)


def test_sailor_moon_crystal_on_a_trakt_that_keeps_both_arcs_in_s1_stops_at_14_and_is_queued(world: Any) -> None:
    """Were Trakt's S1 all 26 episodes (and S2 Season III, as the predecessor's season ids suggest), the
    sources' S2 from MAL episode 15 would not fit: the map stops at 14, the entry queued with both."""
    fake, workdir = world
    fake.seasons[60834] = [season for season in fake.seasons[60834] if season["number"] != 3]
    fake.seasons[60834][1]["episode_count"], fake.seasons[60834][2]["episode_count"] = 26, 13
    summary, entries = run(fake, workdir)
    assert entries[14751]["trakt"]["episode_map"] == [{"mal": [1, 14], "season": 1, "episode": 1}]
    queued = {record["mal_id"]: record for record in summary["review"] if record["reason"] == "numbering-disagrees"}
    assert "MAL 15 = S2E1" in queued[14751]["evidence"] and "S1 26, S2 13" in queued[14751]["evidence"]
    assert lookup.to_trakt(entries[14751], 15).trakt_episode is None
    assert validate(workdir) == []
