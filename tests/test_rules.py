"""The discovery rules, each on real rows of the three sources (pipeline/demo/data/sources/)."""

from __future__ import annotations

import dataclasses
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from pipeline.demo.fake_trakt import SOURCES
from pipeline.evidence import rules
from pipeline.sources import anime_ids, anime_lists, shinkro
from pipeline.sources import joined as sources_joined
from pipeline.trakt.parse import parse_search


@cache
def joined() -> dict[int, sources_joined.Joined]:
    return sources_joined.join(
        anime_lists.parse((SOURCES / anime_lists.FILE).read_bytes()),
        anime_ids.parse((SOURCES / anime_ids.FILE).read_bytes()),
        shinkro.parse((SOURCES / shinkro.FILE).read_bytes()),
    )


def propose(mapped: set[int] | None = None, **taken: Any) -> rules.Proposals:
    return rules.propose(
        joined(),
        mapped=mapped or set(),
        movies_taken=taken.get("movies_taken", {}),
    )


def dropped_by(found: rules.Proposals, mal_id: int) -> rules.Dropped:
    return next(d for d in found.dropped if d.mal_id == mal_id)


def test_a_show_the_sources_agree_on_is_proposed() -> None:
    """Bouken Ou Beet (MAL 8): TMDB 43276 season 1 = TVDB 75205 season 1 in both sources, shinkro agrees."""
    claim = propose().shows[8]
    assert (claim.tmdb_id, claim.tvdb_id, claim.season, claim.title) == (43276, 75205, 1, "Bouken Ou Beet")


def test_a_later_season_is_proposed_with_its_number() -> None:
    claim = propose().shows[1382]  # Yuusha-Ou GaoGaiGar Final: TMDB 45116 season 2
    assert (claim.tmdb_id, claim.season) == (45116, 2)


def test_a_movie_with_one_tmdb_id_or_one_imdb_id_is_proposed() -> None:
    found = propose()
    assert (found.movies[1751].tmdb_id, found.movies[1751].imdb_id) == (143833, None)
    assert (found.movies[216].tmdb_id, found.movies[216].imdb_id) == (None, "tt1178592")


def test_mapped_mal_ids_are_never_proposed_whatever_their_kind() -> None:
    """Rule 1: a MAL id upstream or an override maps (as a show or a movie) gets no claim of either kind."""
    found = propose(mapped={8, 1751})
    assert 8 not in found.shows and 8 not in found.movies
    assert 1751 not in found.movies and 1751 not in found.shows
    assert found.already_mapped == 2
    assert all(d.mal_id not in (8, 1751) for d in found.dropped)


@pytest.mark.parametrize(
    ("mal_id", "rule", "detail"),
    [
        (44, "season-0", "AniDB 73 is a special (season 0)"),
        (3025, "unconfirmed-show", "Anime-Lists TVDB None, Anime-IDs TVDB None, shinkro no entry"),
        (309, "shinkro-contradicts", "shinkro says TVDB 120351, Anime-Lists TVDB 189011"),
        (3868, "type-conflict", "Anime-Lists says show, shinkro says movie"),
        (4382, "several-mal-ids", "AniDB 6367 (Suzumiya Haruhi no Yuuutsu (2009)) also names MAL 849"),
        (849, "several-anidb-entries", "on AniDB entries 3651, 6367"),
        (1990, "no-tmdb-id", "AniDB 3373 has neither a TMDB movie id nor an IMDb id"),
        (11441, "ids-disagree", "TMDB movies [145675, 210227], IMDb ids []"),
        (62, "shared-season", "TMDB 26444 season 1 is claimed by MAL 62, 2595, 14827"),
        (1368, "shared-movie", "movie 1041790 is claimed by MAL 1368, 10703"),
    ],
)
def test_each_rule_drops_its_real_row(mal_id: int, rule: str, detail: str) -> None:
    found = propose()
    assert mal_id not in found.shows and mal_id not in found.movies
    dropped = dropped_by(found, mal_id)
    assert (dropped.rule, dropped.detail) == (rule, detail)


def test_shinkro_spreading_the_episodes_over_several_seasons_of_the_same_show_confirms_it() -> None:
    """Trigun Stampede (MAL 52093, tests/fixtures/rules/): shinkro names Anime-Lists' own TVDB id, with its
    episodes over several TVDB seasons (``useMapping``): the same show, so TMDB's season 1 is the claim."""
    rows = Path(__file__).parent / "fixtures" / "rules"
    joined = sources_joined.join(
        anime_lists.parse((rows / anime_lists.FILE).read_bytes()),
        anime_ids.parse((rows / anime_ids.FILE).read_bytes()),
        shinkro.parse((rows / shinkro.FILE).read_bytes()),
    )
    mapping = joined[52093].shinkro
    assert mapping is not None and (mapping.tvdb_id, mapping.tvdb_season, mapping.uses_mapping) == (421378, 1, True)
    found = rules.propose(joined, mapped=set(), movies_taken={})
    assert found.shows[52093].place == (204266, 1, 0)


def test_tmdb_numbering_is_the_claim_where_tvdb_numbers_the_season_otherwise() -> None:
    """Honzuki no Gekokujou (MAL 57466): TMDB 91768 season 2, TVDB season 1; Weiss Kreuz Gluehen (MAL 446):
    TMDB season 3, shinkro TVDB season 2 of the same TVDB show. Trakt numbers like TMDB: both are claimed."""
    found = propose()
    assert found.shows[57466].place == (91768, 2, 0)
    assert found.shows[446].place == (34165, 3, 0)


def test_long_runners_numbered_absolutely_alone_on_their_show_are_the_whole_show() -> None:
    """Naruto (MAL 20), One Piece (MAL 21): ``tmdbseason="a"``, one AniDB entry on the TMDB show: S1 from episode 1."""
    found = propose()
    for mal_id, tmdb in ((20, 46260), (21, 37854)):
        claim = found.shows[mal_id]
        assert (claim.place, claim.absolute) == ((tmdb, 1, 0), True)


def test_absolute_numbering_on_a_show_other_entries_share_is_dropped() -> None:
    """Naruto's row beside a second AniDB entry on its TMDB show: its absolute numbering is not the whole show."""
    naruto = joined()[20]
    second = dataclasses.replace(naruto.lists[0], anidb_id=999_999, tmdb_absolute=False, tmdb_season=2)
    other = sources_joined.Joined(mal_id=999_999, lists=(second,), ids=(), shinkro=None)
    found = rules.propose({20: naruto, 999_999: other}, mapped={999_999}, movies_taken={})
    assert 20 not in found.shows
    assert (dropped_by(found, 20).rule, dropped_by(found, 20).detail) == (
        "absolute-numbering",
        "AniDB 239 is numbered absolutely on TMDB 46260, shared",
    )


def test_specials_are_never_defaulted_to_a_season() -> None:
    found = propose()
    for mal_id in (44, 49):  # two specials
        assert mal_id not in found.shows


def test_shared_seasons_and_type_conflicts_go_to_the_review_queue() -> None:
    found = propose()
    review = {d.mal_id for d in found.dropped if d.review}
    assert {62, 2595, 14827, 4382, 3868, 1368, 10703} <= review
    assert 20 not in review and 44 not in review


def test_a_movie_another_mal_id_holds_is_taken() -> None:
    found = propose(movies_taken={143833: frozenset({5})})
    assert 1751 not in found.movies and dropped_by(found, 1751).rule == "movie-taken"


def result(kind: str, trakt_id: int) -> dict[str, Any]:
    return {"type": kind, "score": 1000, kind: {"title": "T", "year": 2020, "ids": {"trakt": trakt_id}}}


def hits(answer: Any) -> Any:
    """The answer as the client parses it."""
    return None if answer is None else parse_search(answer)


@pytest.mark.parametrize(
    ("answer", "wanted", "expected"),
    [
        ([result("show", 7)], "show", (7, "", "")),
        ([result("movie", 9)], "movie", (9, "", "")),
        ([], "show", (None, "search-empty", "Trakt's search answered []")),
        (None, "show", (None, "search-failed", "Trakt's search failed after retries")),
        ([result("show", 7), result("show", 8)], "show", (None, "search-several", "Trakt's search answered 2 results")),
        ([result("movie", 7)], "show", (None, "search-wrong-type", "Trakt's search answered a movie, not a show")),
        (
            [{"type": "show", "score": 1000}],
            "show",
            (None, "search-wrong-type", "Trakt's search answered a show without its show"),
        ),
    ],
)
def test_search_answers_give_one_trakt_id_or_a_rule(answer: Any, wanted: Any, expected: tuple[Any, ...]) -> None:
    assert rules.check_search(hits(answer), wanted) == expected
