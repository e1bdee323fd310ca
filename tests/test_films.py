"""Films Anime-Lists files as specials of a show (issue 15, part 4), on real rows in tests/fixtures/rules/.

The rows (cut from the full snapshots by ``tests/fixture_writers/subset_sources.py --rules``): Ghost in the Shell
(MAL 43),
the Evangelion films (31, 32) and Nadia's film (1252) are specials (season 0) of a TVDB series carrying
the film's IMDb id, which shinkro does not know; Yuu Yuu Hakusho's film (883) is one that shinkro calls
a movie; Dragon Ball Z's special (986, shinkro: tv_special) and Kaleido Star's (428, shinkro: ova) carry
an IMDb id too but are no films.
"""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from pipeline import discover, enrich
from pipeline.demo.fake_trakt import FakeTrakt
from pipeline.enrich import Options
from pipeline.evidence import rules
from pipeline.report import render_discovery
from pipeline.sources import anime_ids, anime_lists, shinkro
from pipeline.sources import joined as sources_joined
from pipeline.sources.catalog import write_status
from tests.conftest import make_config, movie, movie_entry, read, seasons, show, tv_entry, write_upstream

FILMS = Path(__file__).parent / "fixtures" / "rules"
GHOST, GHOST_IMDB = 43, "tt0113568"
EVA_DEATH, EVA_DEATH_IMDB = 31, "tt0169880"
EVA_END, EVA_END_IMDB = 32, "tt0169858"
NADIA, NADIA_IMDB = 1252, "tt0160558"
YUYU, YUYU_IMDB = 883, "tt0203237"
DBZ_SPECIAL, KALEIDO_EXTRA = 986, 428


@cache
def proposals() -> rules.Proposals:
    joined = sources_joined.join(
        anime_lists.parse((FILMS / anime_lists.FILE).read_bytes()),
        anime_ids.parse((FILMS / anime_ids.FILE).read_bytes()),
        shinkro.parse((FILMS / shinkro.FILE).read_bytes()),
    )
    return rules.propose(joined, mapped=set(), movies_taken={})


@pytest.mark.parametrize(
    ("mal_id", "imdb_id", "filed_as"),
    [
        (GHOST, GHOST_IMDB, "a special of TVDB 73749"),
        (EVA_DEATH, EVA_DEATH_IMDB, "a special of TVDB 70350"),
        (EVA_END, EVA_END_IMDB, "a special of TVDB 70350"),
        (YUYU, YUYU_IMDB, "a special of TVDB 76665, shinkro says movie"),
    ],
)
def test_a_special_carrying_a_films_imdb_id_is_a_movie_claim(mal_id: int, imdb_id: str, filed_as: str) -> None:
    found = proposals()
    claim = found.movies[mal_id]
    assert (claim.tmdb_id, claim.imdb_id, claim.filed_as) == (None, imdb_id, filed_as)
    assert mal_id not in found.shows and all(d.mal_id != mal_id for d in found.dropped)


@pytest.mark.parametrize(("mal_id", "anidb_id"), [(DBZ_SPECIAL, 2336), (KALEIDO_EXTRA, 2418)])
def test_a_special_shinkro_calls_no_movie_stays_dropped_as_season_0(mal_id: int, anidb_id: int) -> None:
    """A tv_special and an ova with an IMDb id: shinkro's word that it is no film keeps ``season-0``."""
    found = proposals()
    assert mal_id not in found.movies and mal_id not in found.shows
    dropped = next(d for d in found.dropped if d.mal_id == mal_id)
    assert (dropped.rule, dropped.detail) == ("season-0", f"AniDB {anidb_id} is a special (season 0)")


def found_movie(trakt_id: int, imdb: str) -> dict[str, Any]:
    return {"type": "movie", "score": 1000, "movie": movie(trakt_id, tmdb=None, imdb=imdb)}


@pytest.fixture
def films_world(workdir: Path, fake: FakeTrakt) -> FakeTrakt:
    """The films' real rows as fetch stores them, and an upstream of one show (Trakt 10) and one movie."""
    folder = workdir / ".cache" / "sources"
    folder.mkdir(parents=True, exist_ok=True)
    for name in (anime_lists.FILE, anime_ids.FILE, shinkro.FILE):
        shutil.copy(FILMS / name, folder / name)
    write_status(folder, {name: None for name in (anime_lists.FILE, anime_ids.FILE, shinkro.FILE)})
    fake.shows[10], fake.seasons[10], fake.movies[20] = show(10, tmdb=9010), seasons(10, 1), movie(20, tmdb=9020)
    write_upstream(workdir, [tv_entry(1, 10)], [movie_entry(2, 20)])
    return fake


def searched(fake: FakeTrakt) -> list[str]:
    return sorted(f"{r.path}?{r.query}" for r in fake.requests if r.path.startswith("/search/"))


def test_a_film_filed_as_a_special_is_confirmed_by_search_and_published(workdir: Path, films_world: FakeTrakt) -> None:
    """One movie for its IMDb id with ``type=movie``: discovered, and published as a discovered movie."""
    fake = films_world
    fake.search["imdb", GHOST_IMDB] = [found_movie(700, GHOST_IMDB)]
    fake.movies[700] = movie(700, "Ghost in the Shell", tmdb=9323, imdb=GHOST_IMDB)
    discovery = discover.discover(make_config(fake))
    found = {c.mal_id: c for c in discovery.of_kind("movies")}
    assert list(found) == [GHOST] and found[GHOST].trakt_id == 700
    assert found[GHOST].evidence == f"AniDB 61: IMDb {GHOST_IMDB}, filed as a special of TVDB 73749"
    assert f"/search/imdb/{GHOST_IMDB}?type=movie" in searched(fake)
    films = [path for path in searched(fake) if "type=show" not in path]  # the world's shows are searched too
    assert films and all("type=movie" in path for path in films)  # the type is always asked for
    assert GHOST not in {c.mal_id for c in discovery.of_kind("shows")}
    assert discovery.counts["films_filed_as_specials"] == 5  # 43, 31, 32, 1252, 883
    assert discovery.counts["films_filed_as_specials_discovered"] == 1
    text = render_discovery(discovery, {})
    assert "Films filed as specials (`film-filed-as-special`): 5 movie claims" in text
    assert "1 of them discovered" in text
    enrich.enrich(make_config(fake), Options(progress=False))
    published = {e["myanimelist"]["id"]: e for e in read(workdir, "movies_ex.json")}
    assert published[GHOST]["origin"] == "discovered" and published[GHOST]["trakt"]["id"] == 700
    assert all(e["myanimelist"]["id"] != GHOST for e in read(workdir, "tv_ex.json"))


def test_several_or_no_search_results_drop_the_film_with_a_named_rule(films_world: FakeTrakt) -> None:
    fake = films_world
    fake.search["imdb", EVA_DEATH_IMDB] = [found_movie(701, EVA_DEATH_IMDB), found_movie(702, EVA_DEATH_IMDB)]
    fake.search["imdb", EVA_END_IMDB] = []  # as Trakt answers an id it has as no movie (an episode's)
    discovery = discover.discover(make_config(fake))
    dropped = {d["mal_id"]: d for d in discovery.dropped}
    assert (dropped[EVA_DEATH]["kind"], dropped[EVA_DEATH]["rule"]) == ("movies", "search-several")
    assert dropped[EVA_DEATH]["detail"] == "Trakt's search answered 2 results"
    assert (dropped[EVA_END]["kind"], dropped[EVA_END]["rule"]) == ("movies", "search-empty")
    assert dropped[EVA_END]["asked"] == [f"/search/imdb/{EVA_END_IMDB}?type=movie"]
    assert {EVA_DEATH, EVA_END}.isdisjoint(c.mal_id for c in discovery.candidates)


def test_a_special_upstream_maps_as_a_show_is_never_claimed_as_a_film(workdir: Path, films_world: FakeTrakt) -> None:
    """Nadia's film row is upstream's TV entry (Trakt show 10 here): it stays upstream's, and no search asks."""
    fake = films_world
    write_upstream(workdir, [tv_entry(1, 10), tv_entry(NADIA, 10, season=1)], [movie_entry(2, 20)])
    fake.search["imdb", NADIA_IMDB] = [found_movie(703, NADIA_IMDB)]
    discovery = discover.discover(make_config(fake))
    assert NADIA not in {c.mal_id for c in discovery.candidates}
    assert f"/search/imdb/{NADIA_IMDB}?type=movie" not in searched(fake)
    assert discovery.counts["films_filed_as_specials"] == 4
