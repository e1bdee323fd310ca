"""season-taken on show, season and episodes (pipeline.evidence.taken), without files or servers."""

from __future__ import annotations

from pipeline.evidence.seasons import Episodes
from pipeline.evidence.taken import taken


def at(show: int, season: int, offset: int) -> tuple[int, Episodes]:
    return show, Episodes(season=season, offset=offset)


def test_a_second_cour_at_offset_12_does_not_take_the_season_from_the_first() -> None:
    """Synduality Noir: part 1 holds season 1 from episode 1; part 2, from episode 13, is no collision."""
    assert taken({53026: at(199455, 1, 0)}, {56731: at(199455, 1, 12)}) == {}


def test_the_same_show_season_and_offset_is_taken() -> None:
    assert taken({77: at(500, 1, 0), 78: at(500, 1, 0)}, {8: at(500, 1, 0)}) == {8: [77, 78]}


def test_a_season_the_corrections_moved_the_holder_away_from_is_free() -> None:
    """Mushoku Tensei II, corrected from season 3 to season 2: season 3 is free for Mushoku Tensei III."""
    assert taken({51179: at(156460, 2, 0), 55888: at(156460, 2, 12)}, {59193: at(156460, 3, 0)}) == {}


def test_another_show_or_an_unknown_place_takes_nothing() -> None:
    assert taken({1: at(501, 1, 0), 2: (500, None)}, {8: at(500, 1, 0), 9: (500, None)}) == {}


def test_a_proposal_never_takes_from_itself() -> None:
    assert taken({8: at(500, 1, 0)}, {8: at(500, 1, 0)}) == {}
