"""pipeline.discover and what enrich makes of its candidates, on real source rows against the fake Trakt.

Each test cuts the rows of a few MAL ids out of pipeline/demo/data/sources/ (as tests/fixture_writers/subset_sources.py
cuts the full files), so the rules see exactly the real rows, and gives the fake the Trakt answers it needs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline import candidates, discover, enrich
from pipeline.demo.fake_trakt import SOURCES, FakeTrakt
from pipeline.enrich import Options
from pipeline.sources.catalog import write_status
from tests.conftest import make_config, movie, movie_entry, read, seasons, show, tv_entry, write_upstream
from tests.fixture_writers.subset_sources import cut

# Real rows (see tests/test_rules.py): MAL 8 Bouken Ou Beet = TMDB 43276 / TVDB 75205 season 1;
# MAL 1382 GaoGaiGar Final = TMDB 45116 / TVDB 93721 season 2; MAL 1751 = TMDB movie 143833;
# MAL 216 = IMDb tt1178592 (no TMDB id); MAL 62, 2595, 14827 all claim TMDB 26444 season 1.
BEET, BEET_TMDB, BEET_TVDB = 8, 43276, 75205
GAOGAIGAR, GAOGAIGAR_TMDB = 1382, 45116
MOVIE, MOVIE_TMDB = 1751, 143833
IMDB_MOVIE, IMDB_ID = 216, "tt1178592"


def write_sources(workdir: Path, mal_ids: set[int]) -> None:
    """The real rows of ``mal_ids``; shinkro also keeps Cowboy Bebop's (MAL 1, which the other two
    sources then lack, so it is no candidate): a real shinkro file is never empty."""
    folder = workdir / ".cache" / "sources"
    folder.mkdir(parents=True, exist_ok=True)
    cut(SOURCES, mal_ids | {1}, folder)
    yaml = (folder / "tvdb-mal.yaml").read_text()
    cut(SOURCES, mal_ids, folder)
    (folder / "tvdb-mal.yaml").write_text(yaml)
    write_status(folder, {name: None for name in ("anime-list-master.xml", "anime_ids.json", "tvdb-mal.yaml")})


def found_show(trakt_id: int, tmdb: int, tvdb: int | None = None) -> dict[str, Any]:
    return {"type": "show", "score": 1000, "show": show(trakt_id, tmdb=tmdb, tvdb=tvdb)}


def found_movie(trakt_id: int, tmdb: int | None, imdb: str | None = None) -> dict[str, Any]:
    return {"type": "movie", "score": 1000, "movie": movie(trakt_id, tmdb=tmdb, imdb=imdb)}


def add_beet(fake: FakeTrakt, *numbers: int) -> None:
    """Trakt show 500 is Bouken Ou Beet, found by its TMDB id, with these seasons."""
    fake.shows[500] = show(500, "Bouken Ou Beet", tmdb=BEET_TMDB, tvdb=BEET_TVDB)
    fake.seasons[500] = seasons(500, *numbers)
    fake.search["tmdb", str(BEET_TMDB)] = [found_show(500, BEET_TMDB, BEET_TVDB)]


def run_discover(fake: FakeTrakt) -> candidates.Discovery:
    return discover.discover(make_config(fake))


def run_enrich(fake: FakeTrakt) -> dict[str, Any]:
    return enrich.enrich(make_config(fake), Options(progress=False))


def searches(fake: FakeTrakt) -> list[str]:
    return [f"{r.path}?{r.query}" for r in fake.requests if r.path.startswith("/search/")]


def dropped(discovery: candidates.Discovery) -> dict[int, tuple[str, str]]:
    return {d["mal_id"]: (d["rule"], d["detail"]) for d in discovery.dropped}


@pytest.fixture
def upstream_one(workdir: Path, fake: FakeTrakt) -> None:
    """A small upstream: one show (Trakt 10, seasons 1 and 2), one movie (Trakt 20)."""
    fake.shows[10] = show(10, tmdb=9010)
    fake.seasons[10] = seasons(10, 1, 2)
    fake.movies[20] = movie(20, tmdb=9020)
    write_upstream(workdir, [tv_entry(1, 10, season=1)], [movie_entry(2, 20)])


def test_a_show_the_sources_agree_on_is_discovered_and_published(
    workdir: Path, fake: FakeTrakt, upstream_one: None
) -> None:
    add_beet(fake, 0, 1)
    write_sources(workdir, {BEET})
    discovery = run_discover(fake)
    assert [(c.kind, c.mal_id, c.trakt_id, c.season) for c in discovery.candidates] == [("shows", BEET, 500, 1)]
    assert searches(fake) == [f"/search/tmdb/{BEET_TMDB}?type=show"]
    summary = run_enrich(fake)
    entry = read(workdir, "tv_ex.json")[1]
    assert entry["myanimelist"] == {"title": "Bouken Ou Beet", "id": BEET}
    assert entry["origin"] == "discovered" and entry["trakt"]["id"] == 500
    assert entry["trakt"]["season"]["number"] == 1 and not entry["trakt"]["is_split_cour"]
    origins = {"upstream": 1, "override": 0, "discovered": 1, "corrected": 0, "imported": 0}
    assert summary["origins"]["tv_ex.json"] == origins
    meta = json.loads((workdir / "output" / "meta.json").read_text())
    assert meta["origins"]["tv_ex.json"]["discovered"] == 1 and meta["origins"]["movies_ex.json"]["upstream"] == 1


def test_movies_are_found_by_tmdb_id_or_by_imdb_id(workdir: Path, fake: FakeTrakt, upstream_one: None) -> None:
    fake.search["tmdb", str(MOVIE_TMDB)] = [found_movie(600, MOVIE_TMDB)]
    fake.search["imdb", IMDB_ID] = [found_movie(601, None, IMDB_ID)]
    fake.movies[600], fake.movies[601] = movie(600, tmdb=MOVIE_TMDB), movie(601, tmdb=None, imdb=IMDB_ID)
    write_sources(workdir, {MOVIE, IMDB_MOVIE})
    discovery = run_discover(fake)
    assert [(c.kind, c.mal_id, c.trakt_id) for c in discovery.candidates] == [
        ("movies", IMDB_MOVIE, 601),
        ("movies", MOVIE, 600),
    ]
    assert sorted(searches(fake)) == [f"/search/imdb/{IMDB_ID}?type=movie", f"/search/tmdb/{MOVIE_TMDB}?type=movie"]
    run_enrich(fake)
    assert [(e["myanimelist"]["id"], e["origin"]) for e in read(workdir, "movies_ex.json")] == [
        (2, "upstream"),
        (IMDB_MOVIE, "discovered"),
        (MOVIE, "discovered"),
    ]


def test_a_new_season_of_a_show_we_publish_needs_no_search(workdir: Path, fake: FakeTrakt) -> None:
    """GaoGaiGar Final is season 2 of the TMDB show upstream already maps (season 1): Trakt id known."""
    fake.shows[70] = show(70, "GaoGaiGar", tmdb=GAOGAIGAR_TMDB)
    fake.seasons[70] = seasons(70, 1, 2)
    write_upstream(workdir, [tv_entry(1381, 70, season=1)], [movie_entry(2, 20)])
    fake.movies[20] = movie(20)
    run_enrich(fake)  # publishes the upstream show with its TMDB id
    write_sources(workdir, {GAOGAIGAR})
    fake.reset_log()
    discovery = run_discover(fake)
    assert [(c.mal_id, c.trakt_id, c.season) for c in discovery.candidates] == [(GAOGAIGAR, 70, 2)]
    assert searches(fake) == []
    assert [r.path for r in fake.requests] == []  # the seasons answer is in the cache already


def test_a_season_trakt_lacks_is_dropped_not_published_as_a_split_cour(
    workdir: Path, fake: FakeTrakt, upstream_one: None
) -> None:
    add_beet(fake, 0, 2)
    write_sources(workdir, {BEET})
    discovery = run_discover(fake)
    assert discovery.candidates == []
    assert dropped(discovery)[BEET] == ("season-missing", "Trakt show 500 has seasons [0, 2], not 1")
    run_enrich(fake)
    assert [e["myanimelist"]["id"] for e in read(workdir, "tv_ex.json")] == [1]
    assert read(workdir, "not_exist_tv_ex.json") == []


def test_an_empty_search_tries_tvdb_and_is_never_a_not_found_entry(
    workdir: Path, fake: FakeTrakt, upstream_one: None
) -> None:
    write_sources(workdir, {BEET, GAOGAIGAR})
    fake.shows[501] = show(501, tmdb=GAOGAIGAR_TMDB)
    fake.seasons[501] = seasons(501, 1, 2)
    fake.search["tvdb", "93721"] = [found_show(501, GAOGAIGAR_TMDB, 93721)]
    discovery = run_discover(fake)
    assert sorted(searches(fake)) == sorted(
        [
            f"/search/tmdb/{BEET_TMDB}?type=show",
            f"/search/tvdb/{BEET_TVDB}?type=show",
            f"/search/tmdb/{GAOGAIGAR_TMDB}?type=show",
            "/search/tvdb/93721?type=show",
        ]
    )
    assert [(c.mal_id, c.trakt_id) for c in discovery.candidates] == [(GAOGAIGAR, 501)]
    assert dropped(discovery)[BEET] == (
        "search-empty",
        f"TMDB {BEET_TMDB}: []; TVDB {BEET_TVDB}: Trakt's search answered []",
    )
    run_enrich(fake)
    assert read(workdir, "not_exist_tv_ex.json") == []


@pytest.mark.parametrize(
    ("answer", "ignores_type", "rule"),
    [
        ([found_show(500, BEET_TMDB), found_show(502, BEET_TMDB)], False, "search-several"),
        ([found_movie(503, BEET_TMDB)], True, "search-wrong-type"),
    ],
)
def test_several_results_or_a_wrong_type_drop_the_candidate(
    workdir: Path, fake: FakeTrakt, upstream_one: None, answer: list[dict[str, Any]], ignores_type: bool, rule: str
) -> None:
    add_beet(fake, 1)
    fake.search["tmdb", str(BEET_TMDB)] = answer
    if ignores_type:
        fake.search_ignores_type.add(("tmdb", str(BEET_TMDB)))
    write_sources(workdir, {BEET})
    discovery = run_discover(fake)
    assert discovery.candidates == [] and dropped(discovery)[BEET][0] == rule
    assert f"/search/tvdb/{BEET_TVDB}?type=show" not in searches(fake)  # only [] falls back to TVDB


def test_upstream_and_overrides_always_win_over_discovery(workdir: Path, fake: FakeTrakt) -> None:
    """A MAL id upstream or an override maps is never proposed, and enrich never lets a candidate replace it."""
    add_beet(fake, 1)
    fake.shows[10], fake.seasons[10] = show(10), seasons(10, 1)
    fake.movies[20] = movie(20)
    write_upstream(workdir, [tv_entry(1, 10)], [movie_entry(BEET, 20)])  # upstream: MAL 8 is a movie
    write_sources(workdir, {BEET})
    discovery = run_discover(fake)
    assert discovery.candidates == [] and discovery.counts["already_mapped"] == 1 and searches(fake) == []
    # A candidates file written before upstream listed the MAL id does not win either.
    stale = candidates.Candidate(kind="shows", mal_id=BEET, title="B", trakt_id=500, season=1, evidence="x")
    candidates.write(workdir / ".cache" / "candidates.json", candidates.Discovery(status="ok", candidates=[stale]))
    run_enrich(fake)
    assert [e["myanimelist"]["id"] for e in read(workdir, "tv_ex.json")] == [1]
    assert [(e["myanimelist"]["id"], e["origin"]) for e in read(workdir, "movies_ex.json")] == [(BEET, "upstream")]


def test_a_season_upstream_holds_on_trakt_is_taken(workdir: Path, fake: FakeTrakt) -> None:
    """The search finds Trakt show 500, whose season 1 upstream already gives another MAL id: enrich drops it,
    after the night's corrections (none here), on the same show, season and episodes."""
    add_beet(fake, 1)
    fake.movies[20] = movie(20)
    write_upstream(workdir, [tv_entry(77, 500, season=1)], [movie_entry(2, 20)])
    write_sources(workdir, {BEET})
    assert [c.mal_id for c in run_discover(fake).candidates] == [BEET]
    summary = run_enrich(fake)
    assert [e["myanimelist"]["id"] for e in read(workdir, "tv_ex.json")] == [77]
    assert [(d["mal_id"], d["reason"]) for d in summary["discovered_dropped"]] == [
        (BEET, "season-taken: S1+0 is MAL [77]'s")
    ]


def test_a_broken_source_skips_the_night_and_keeps_what_was_discovered(
    workdir: Path, fake: FakeTrakt, upstream_one: None
) -> None:
    add_beet(fake, 1)
    write_sources(workdir, {BEET})
    run_discover(fake)
    run_enrich(fake)
    before = read(workdir, "tv_ex.json")
    assert [e["origin"] for e in before] == ["upstream", "discovered"]
    write_status(
        workdir / ".cache" / "sources", {"anime_ids.json": "anime_ids.json: HTTP 502 from x (check ANIME_IDS_URL)"}
    )
    fake.reset_log()
    discovery = run_discover(fake)
    assert discovery.status == "skipped"
    assert discovery.warnings == ["anime_ids.json: anime_ids.json: HTTP 502 from x (check ANIME_IDS_URL)"]
    assert fake.requests == []
    summary = run_enrich(fake)
    assert read(workdir, "tv_ex.json") == before
    assert summary["discovered_from"] == "the discovered entries published before"


def test_a_discovered_show_whose_season_disappears_is_dropped_by_enrich(
    workdir: Path, fake: FakeTrakt, upstream_one: None
) -> None:
    add_beet(fake, 1)
    write_sources(workdir, {BEET})
    run_discover(fake)
    fake.seasons[500] = seasons(500, 2)
    summary = enrich.enrich(make_config(fake), Options(progress=False, force=True))
    assert [e["myanimelist"]["id"] for e in read(workdir, "tv_ex.json")] == [1]
    assert summary["discovered_dropped"] == [
        {"kind": "shows", "mal_id": BEET, "title": "Bouken Ou Beet", "trakt_id": 500, "reason": "no season 1 on Trakt"}
    ]
    assert read(workdir, "not_exist_tv_ex.json") == []


def test_a_discovered_mapping_whose_trakt_id_answers_404_is_dropped_never_not_found(
    workdir: Path, fake: FakeTrakt, upstream_one: None
) -> None:
    """The not-found files list upstream and override mappings only: a discovered show or movie whose
    Trakt id answers 404 at enrich is dropped and reported, on its first night and once published."""
    add_beet(fake, 1)
    fake.search["tmdb", str(MOVIE_TMDB)] = [found_movie(600, MOVIE_TMDB)]
    fake.movies[600] = movie(600, tmdb=MOVIE_TMDB)
    write_sources(workdir, {BEET, MOVIE})
    assert [(c.mal_id, c.trakt_id) for c in run_discover(fake).candidates] == [(MOVIE, 600), (BEET, 500)]
    fake.not_found_shows.add(500)
    fake.not_found_movies.add(600)
    summary = run_enrich(fake)
    assert [e["myanimelist"]["id"] for e in read(workdir, "tv_ex.json")] == [1]
    assert [e["myanimelist"]["id"] for e in read(workdir, "movies_ex.json")] == [2]
    assert read(workdir, "not_exist_tv_ex.json") == [] and read(workdir, "not_exist_movies_ex.json") == []
    assert sorted((d["kind"], d["mal_id"], d["reason"]) for d in summary["discovered_dropped"]) == [
        ("movies", MOVIE, "Trakt answered 404"),
        ("shows", BEET, "Trakt answered 404"),
    ]
    fake.not_found_shows.clear()
    fake.not_found_movies.clear()
    enrich.enrich(make_config(fake), Options(progress=False, force=True))  # the 404s are cached: ask again
    assert [e["origin"] for e in read(workdir, "movies_ex.json")] == ["upstream", "discovered"]
    fake.not_found_movies.add(600)
    enrich.enrich(make_config(fake), Options(progress=False, force=True))
    assert [e["myanimelist"]["id"] for e in read(workdir, "movies_ex.json")] == [2]
    assert read(workdir, "not_exist_movies_ex.json") == []


def test_a_second_discovery_asks_trakt_nothing(workdir: Path, fake: FakeTrakt, upstream_one: None) -> None:
    add_beet(fake, 1)
    write_sources(workdir, {BEET, GAOGAIGAR, MOVIE})
    first = run_discover(fake)
    fake.reset_log()
    second = run_discover(fake)
    assert fake.requests == [] and second.candidates == first.candidates
    assert second.counts["requests"] == 0


def test_a_step_right_after_another_counts_its_calls_in_the_rate_limit(workdir: Path, fake: FakeTrakt) -> None:
    """discover then enrich are two processes; the second waits for the first one's calls to leave the window."""
    from tests.standins.faultkit import VirtualTime

    for trakt_id in (1, 2, 3, 4):
        fake.shows[trakt_id] = show(trakt_id)
    config = make_config(fake, rate_limit_calls=3, rate_limit_period=300.0)
    first_time, second_time = VirtualTime(), VirtualTime()
    first = first_time.factory(config)
    try:
        for trakt_id in (1, 2, 3):
            first.show(trakt_id)
    finally:
        first.close()
    assert first_time.waits == []
    second = second_time.factory(config)
    try:
        second.show(4)
    finally:
        second.close()
    assert len(second_time.waits) == 1 and 299 < second_time.waits[0] <= 300


def test_a_failed_lookup_keeps_the_entry_discovered_before(workdir: Path, fake: FakeTrakt, upstream_one: None) -> None:
    """Trakt failing for one candidate (after retries) is transient: last night's mapping is kept."""
    from pipeline.demo.fake_trakt import Fault

    add_beet(fake, 1)
    write_sources(workdir, {BEET})
    run_discover(fake)
    run_enrich(fake)
    (workdir / ".cache" / "trakt.sqlite").unlink()
    fake.add_fault(Fault(status=500, path=r"^/shows/500/seasons$"))
    discovery = run_discover(fake)
    assert [(c.mal_id, c.trakt_id, c.season) for c in discovery.candidates] == [(BEET, 500, 1)]
    assert discovery.candidates[0].evidence == "kept from the last run (Trakt failed this night)"
    assert BEET not in dropped(discovery)


def test_the_report_shows_a_skipped_night_and_the_review_queue(workdir: Path) -> None:
    from pipeline.report import render_discovery

    skipped = candidates.Discovery(status="skipped", generated="2026-11-22T03:23:00Z", warnings=["anime_ids.json: x"])
    text = render_discovery(skipped, {})
    assert "**Discovery skipped** (2026-11-22T03:23:00Z)" in text and "- anime_ids.json: x" in text
    review = {
        "mal_id": 62,
        "kind": "shows",
        "rule": "shared-season",
        "detail": "TMDB 26444 season 1 is claimed",
        "review": True,
    }
    plain = {"mal_id": 44, "kind": "shows", "rule": "season-0", "detail": "special", "review": False}
    done = candidates.Discovery(status="ok", generated="g", dropped=[review, plain], counts={"known": 9})
    text = render_discovery(done, {"origins": {"tv_ex.json": {"upstream": 3, "discovered": 2}}})
    assert "| `tv_ex.json` | 3 | 0 | 2 | 0 |" in text
    assert "| `season-0` | 1 | 44 |" in text and "| `shared-season` | 1 | 62 |" in text
    assert "- shows MAL 62: `shared-season`: TMDB 26444 season 1 is claimed" in text
    assert "MAL 44: `season-0`" not in text  # only review rules are in the queue
