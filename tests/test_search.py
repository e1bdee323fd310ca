"""Trakt's search by external id: the client (cache, retries) and the fake's answers, like the real one's."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeline.demo.fake_trakt import FakeTrakt, Fault
from pipeline.published.models import SearchHit
from pipeline.trakt.client import TraktClient
from tests.conftest import API_KEY, make_config
from tests.standins.fake_clock import FakeClock


def show_result(trakt_id: int, tmdb: int) -> dict[str, Any]:
    ids = {"trakt": trakt_id, "slug": f"show-{trakt_id}", "tvdb": None, "imdb": None, "tmdb": tmdb}
    return {"type": "show", "score": 1000, "show": {"title": f"Show {trakt_id}", "year": 2026, "ids": ids}}


def movie_result(trakt_id: int, tmdb: int) -> dict[str, Any]:
    ids = {"trakt": trakt_id, "slug": f"movie-{trakt_id}", "imdb": None, "tmdb": tmdb}
    return {"type": "movie", "score": 1000, "movie": {"title": f"Movie {trakt_id}", "year": 2026, "ids": ids}}


def client(fake: FakeTrakt, **options: Any) -> TraktClient:
    return TraktClient(make_config(fake), **options)


def test_search_asks_for_one_type_and_parses_the_hits(workdir: Path, fake: FakeTrakt) -> None:
    fake.search["tmdb", "240411"] = [show_result(7, 240411)]
    trakt = client(fake)
    try:
        answer = trakt.search("tmdb", 240411, "show")
    finally:
        trakt.close()
    assert (answer.status, answer.value) == ("ok", [SearchHit(type="show", trakt_id=7, title="Show 7")])
    (request,) = fake.requests
    assert (request.path, request.query) == ("/search/tmdb/240411", "type=show")
    assert request.headers["trakt-api-key"] == API_KEY


def test_fake_filters_by_type_like_trakt(workdir: Path, fake: FakeTrakt) -> None:
    """A TMDB id can name a show and a movie: ``type`` picks one; an unknown id answers []."""
    fake.search["tmdb", "100"] = [show_result(1, 100), movie_result(2, 100)]
    trakt = client(fake)
    try:
        assert [h.type for h in trakt.search("tmdb", 100, "show").value or []] == ["show"]
        assert [h.type for h in trakt.search("tmdb", 100, "movie").value or []] == ["movie"]
        assert trakt.search("tvdb", 100, "show").value == []
        fake.search["tmdb", "300"] = [show_result(3, 300), show_result(4, 300)]
        assert [h.trakt_id for h in trakt.search("tmdb", 300, "show").value or []] == [3, 4]
        fake.search["tmdb", "400"] = [movie_result(5, 400)]
        fake.search_ignores_type.add(("tmdb", "400"))
        assert [h.type for h in trakt.search("tmdb", 400, "show").value or []] == ["movie"]
    finally:
        trakt.close()


def test_search_is_retried_through_the_same_client(workdir: Path, fake: FakeTrakt) -> None:
    fake.search["tmdb", "5"] = [show_result(9, 5)]
    fake.add_fault(Fault(status=503, times=2, path=r"^/search/"))
    trakt = client(fake)
    try:
        answer = trakt.search("tmdb", 5, "show")
    finally:
        trakt.close()
    assert answer.value == [SearchHit(type="show", trakt_id=9, title="Show 9")]
    assert fake.count("/search/tmdb/5") == 3 and trakt.stats.retries == 2


def test_an_empty_answer_is_cached_then_asked_again_on_its_slot(workdir: Path, fake: FakeTrakt) -> None:
    """[] is kept like a 404 (a second run asks nothing), never for good: its refresh slot asks again."""
    clock = FakeClock(time.time())
    with clock.patched():
        first = clock.client_factory(make_config(fake))
        try:
            assert first.search("tmdb", 240411, "show").value == []
        finally:
            first.close()
        fake.search["tmdb", "240411"] = [show_result(7, 240411)]  # Trakt gains the show
        clock.advance(days=1, seconds=-60)
        second = clock.client_factory(make_config(fake))
        try:
            assert second.search("tmdb", 240411, "show").value == []  # from the cache
        finally:
            second.close()
        assert fake.count("/search/tmdb/240411") == 1
        clock.advance(days=30)
        third = clock.client_factory(make_config(fake))
        try:
            assert third.search("tmdb", 240411, "show").value == [SearchHit(type="show", trakt_id=7, title="Show 7")]
        finally:
            third.close()
        assert fake.count("/search/tmdb/240411") == 2


def test_an_answer_that_is_not_a_list_is_a_failure_not_a_hit(workdir: Path, fake: FakeTrakt) -> None:
    fake.add_fault(Fault(body=b'{"error": "oops"}', path=r"^/search/"))
    trakt = client(fake)
    try:
        answer = trakt.search("tmdb", 1, "show")
    finally:
        trakt.close()
    assert answer.status == "failed" and "unexpected answer for /search/tmdb/1?type=show" in answer.detail


def test_fake_synthesizes_search_answers_for_the_source_rows(workdir: Path, fake: FakeTrakt) -> None:
    """The demo's fake finds each TMDB tv id of Anime-Lists as one show with its seasons, with variety."""
    from pipeline.demo import world
    from pipeline.sources import anime_lists

    rows = anime_lists.parse((world.SOURCES / anime_lists.FILE).read_bytes())
    fake.synthesize_search(rows)
    tmdb_ids = sorted({row.tmdb_tv for row in rows if row.tmdb_tv is not None})
    plain = next(t for t in tmdb_ids if all(t % n for n in (13, 17, 19)))
    empty = next(t for t in tmdb_ids if t % world.SEARCH_EMPTY_EVERY == 0)
    trakt = client(fake)
    try:
        (hit,) = trakt.search("tmdb", plain, "show").value or []
        assert hit.trakt_id == world.SEARCH_SHOW_BASE + plain
        assert trakt.show(hit.trakt_id).value is not None and trakt.seasons(hit.trakt_id).value
        assert trakt.search("tmdb", empty, "show").value == []
        tvdb = next(row.tvdb_id for row in rows if row.tmdb_tv == empty and row.tvdb_id)
        assert [h.trakt_id for h in trakt.search("tvdb", tvdb, "show").value or []] == [world.SEARCH_SHOW_BASE + empty]
    finally:
        trakt.close()


def test_fake_finds_films_filed_as_specials_by_imdb_id_but_not_an_episodes(workdir: Path, fake: FakeTrakt) -> None:
    """A special's IMDb id is a movie, except every SEARCH_EMPTY_EVERY-th (an episode's: ``[]``); a TV
    season's IMDb id is no movie. Real rows in tests/fixtures/rules/: the specials of Evangelion's film
    (AniDB 326, tt0169880) and Ghost in the Shell (AniDB 61, tt0113568 = 13 x 8,736)."""
    from pipeline.demo import world
    from pipeline.sources import anime_lists

    rows = anime_lists.parse((Path(__file__).parent / "fixtures" / "rules" / anime_lists.FILE).read_bytes())
    film, ghost = (next(row for row in rows if row.anidb_id == anidb) for anidb in (326, 61))
    assert (film.tvdb_season, film.imdb_ids, ghost.tvdb_season, ghost.imdb_ids) == (
        0,
        ("tt0169880",),
        0,
        ("tt0113568",),
    )
    season = replace(film, anidb_id=2, tvdb_season=1, tmdb_season=1, imdb_ids=("tt0169881",))
    fake.synthesize_search([film, ghost, season])
    trakt = client(fake)
    try:
        (hit,) = trakt.search("imdb", "tt0169880", "movie").value or []
        assert hit.trakt_id == world.SEARCH_IMDB_BASE + 169880 and hit.type == "movie"
        assert trakt.movie(hit.trakt_id).value is not None
        assert 113568 % world.SEARCH_EMPTY_EVERY == 0
        assert trakt.search("imdb", "tt0113568", "movie").value == []
        assert trakt.search("imdb", "tt0169881", "movie").value == []
    finally:
        trakt.close()
