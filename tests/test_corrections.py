"""Season corrections, decided from the sources or kept from the published file (issue 23, item 8).

Each test holds one line of ``pipeline/evidence/seasons.py`` that a one-line change used to get past
the suite: the Trakt-id check of a kept correction, the ``special`` label of an upstream season 0,
and the ``sources-name-another-show`` review reason.
"""

from __future__ import annotations

from typing import Any

from pipeline.evidence import seasons as evidence
from pipeline.published.models import Season
from pipeline.sources.anime_ids import AnimeIdsRow
from pipeline.sources.anime_lists import AnimeListsRow
from pipeline.sources.joined import Joined
from pipeline.sources.shinkro import ShinkroRow

MAL, ANIDB, TMDB, TVDB, SHOW = 40, 4000, 4040, 7070, 400
LISTED = [Season(trakt_id=1, number=n, tvdb=None, tmdb=None, tvrage=None, episode_count=12) for n in (0, 1, 2)]


def sources_say(season: int, offset: int = 0, *, tmdb: int = TMDB) -> Joined:
    """Anime-Lists, Anime-IDs and shinkro all placing MAL ``MAL`` at ``season`` + ``offset`` of TMDB ``tmdb``."""
    lists = AnimeListsRow(
        anidb_id=ANIDB, name="x", tvdb_id=TVDB, tvdb_label=None, tvdb_season=season, tvdb_absolute=False,
        tvdb_offset=offset, tmdb_tv=tmdb, tmdb_season=season, tmdb_absolute=False, tmdb_offset=offset,
        tmdb_movies=(), imdb_ids=(),
    )  # fmt: skip
    ids = AnimeIdsRow(anidb_id=ANIDB, mal_ids=(MAL,), tvdb_id=TVDB, tvdb_season=season, tvdb_absolute=False,
                      imdb_ids=())  # fmt: skip
    shinkro = ShinkroRow(mal_id=MAL, title="x", type="tv", tvdb_id=TVDB, tvdb_season=season, episode_offset=offset,
                         uses_mapping=False)  # fmt: skip
    return Joined(mal_id=MAL, lists=(lists,), ids=(ids,), shinkro=shinkro)


def published(trakt_id: int, season: int, offset: int = 0) -> dict[str, Any]:
    return {
        "origin": "corrected",
        "trakt": {"id": trakt_id, "season": {"number": season}, "episodes": {"season": season, "offset": offset}},
    }


def test_an_upstream_special_corrected_to_season_1_is_labelled_special() -> None:
    """Upstream says season 0 (specials), the sources say season 1: a ``special`` correction, not ``shifted``."""
    verdict = evidence.judge(0, TMDB, LISTED, sources_say(1), may_correct=True)
    assert (verdict.correction, verdict.episodes) == ("special", evidence.Episodes(season=1, offset=0))


def test_a_kept_special_correction_stays_labelled_special_on_a_night_without_the_sources() -> None:
    """The same entry kept from the published file (upstream still says season 0) keeps its label."""
    kept = evidence.as_published(published(SHOW, 1), SHOW, 0, LISTED)
    assert kept is not None and kept.correction == "special"


def test_a_kept_correction_is_not_carried_to_the_show_upstream_moved_the_mal_id_to() -> None:
    """Upstream moves the MAL id to another Trakt show on a night without the sources: nothing is kept."""
    assert evidence.as_published(published(SHOW, 2), SHOW + 1, 1, LISTED) is None
    assert evidence.as_published(published(SHOW, 2), SHOW, 1, LISTED) is not None  # the same show: kept


def test_sources_naming_another_show_queue_the_entry_for_review_and_change_nothing() -> None:
    """The sources' TMDB show is not the Trakt show's: ``sources-name-another-show``, upstream's season stays."""
    verdict = evidence.judge(1, TMDB, LISTED, sources_say(2, tmdb=TMDB + 1), may_correct=True)
    assert (verdict.review, verdict.correction, verdict.season) == (evidence.ANOTHER_SHOW, None, 1)
