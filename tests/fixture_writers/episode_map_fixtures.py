"""Write tests/fixtures/episode_map/ (the rows tests/test_episode_map.py runs on) from the full snapshots; by hand:

    uv run python tests/fixture_writers/episode_map_fixtures.py [--shared ../shared]

Real rows, copied: the upstream TV rows of the Trakt shows of issue 22 (Attack on Titan, Spy x Family,
Bleach, Sailor Moon Crystal, Detective Conan), and for One Piece and Naruto Shippuden, which upstream
lacks, the predecessor's published entry as the upstream row (same MAL id, Trakt id and season); the
three mapping sources' rows for those MAL ids (tests/fixture_writers/subset_sources.cut); what Trakt answered the
predecessor for those shows (title, ids, the seasons its entries were on). The snapshots hold no
``?extended=full`` answer and no season the predecessor did not publish, so each season's episode
count is entered here by hand (``EPISODES``, each show's source beside it) and the seasons the
predecessor never saw are added with made-up Trakt ids (90,000,000 + show id x 100 + number).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pipeline.sources import anime_lists  # noqa: E402
from tests.fixture_writers.seasons_fixtures import cli, predecessor_answers, save  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "episode_map"
# Seasons counted from Anime-Lists' own numbering (@20ca4d8): AniDB id, its numbering, the Trakt show.
FROM_ANIME_LISTS = {
    69: ("tmdb_ranges", 37696),  # One Piece: its TMDB mapping-list, seasons 1-22 (1-1155)
    4880: ("tmdb_ranges", 31770),  # Naruto Shippuuden: its TMDB mapping-list, seasons 1-20 (1-500)
    # Meitantei Conan: its TVDB mapping-list, seasons 1-33 (34 is open). A stand-in: Anime-Lists gives Conan
    # no TMDB ranges, and no recorded Trakt answer lists Case Closed's seasons.
    266: ("tvdb_ranges", 30849),
}
# Trakt show id -> season number -> episode count.
EPISODES = {
    # One Piece, Naruto Shippuden, Case Closed: FROM_ANIME_LISTS, plus specials and the open last season, by hand
    # (One Piece's 23rd, Conan's 34th: their counts are never read, the last range is open).
    37696: {0: 30, 23: 44},
    31770: {0: 7},
    30849: {0: 20, 34: 40},
    # Sailor Moon Crystal: TMDB's seasons (bingebase.com's TMDB listing: "Season I: Dark Kingdom, 14 episodes,
    # 3 seasons"; Wikipedia's episode list: 26 episodes in the first two seasons, 13 in the third).
    60834: {0: 0, 1: 14, 2: 12, 3: 13},
    1420: {0: 10, 1: 25, 2: 12, 3: 22, 4: 30},  # Attack on Titan: TMDB's listing (as seasons_fixtures.py)
    190742: {0: 1, 1: 25, 2: 12, 3: 13},  # Spy x Family: TMDB's listing (as tests/fixture_writers/seasons_fixtures.py)
    # Bleach: season 1 the 366 episodes of the first run (Anime-Lists AniDB 2369: tmdbseason 1, TVDB ranges to
    # 366); season 2 Thousand-Year Blood War, parts 1-3 (13 + 13 + 14, Wikipedia's episode list).
    30850: {0: 2, 1: 366, 2: 40},
}
# Suzumiya Haruhi no Yuuutsu: the TV entry of the upstream lists that Anime-IDs joins to two AniDB entries
# (3651 and its 2009 re-broadcast 6367); its sources' rows only, for tests/test_episode_map.py's ids test.
SEVERAL_ANIDB = 849
NOT_UPSTREAM = {21, 1735}  # One Piece, Naruto Shippuden: from the predecessor's entries


def _upstream_row(entry: dict[str, object]) -> dict[str, object]:
    trakt = entry["trakt"]
    assert isinstance(trakt, dict) and isinstance(entry["myanimelist"], dict)
    return {
        "title": entry["myanimelist"]["title"],
        "mal_id": entry["myanimelist"]["id"],
        "trakt_id": trakt["id"],
        "guessed_slug": trakt["slug"],
        "season": trakt["season"]["number"],
        "type": "shows",
    }


def _count_from_anime_lists(sources: Path) -> None:
    rows = {row.anidb_id: row for row in anime_lists.parse((sources / anime_lists.FILE).read_bytes())}
    for anidb_id, (numbering, show) in FROM_ANIME_LISTS.items():
        for found in getattr(rows[anidb_id], numbering):
            if found.end is not None:
                EPISODES[show][found.season] = found.end - found.start + 1


def write(shared: Path) -> None:
    fixtures = shared / "fixtures"
    _count_from_anime_lists(fixtures / "sources")
    upstream = json.loads((fixtures / "upstream" / "tv.json").read_text())
    predecessor = json.loads((fixtures / "predecessor" / "tv_ex.json").read_text())
    tv = [row for row in upstream if row["trakt_id"] in EPISODES]
    listed = {row["mal_id"] for row in tv}
    tv += [_upstream_row(e) for e in predecessor if e["myanimelist"]["id"] in NOT_UPSTREAM - listed]
    tv.sort(key=lambda row: row["mal_id"])
    answers = predecessor_answers(fixtures, EPISODES)
    for key, seasons in answers["seasons"].items():
        show = int(key)
        known = {season["number"]: season for season in seasons}
        answers["seasons"][key] = [
            {
                **known.get(number, {"number": number, "ids": _made_up(show, number)}),
                "episode_count": count,
            }
            for number, count in sorted(EPISODES[show].items())
        ]
    save(OUT, __doc__, fixtures, tv, answers, {row["mal_id"] for row in tv} | {SEVERAL_ANIDB})


def _made_up(show: int, number: int) -> dict[str, int | None]:
    return {"trakt": 90_000_000 + show * 100 + number, "tvdb": None, "tmdb": None, "tvrage": None}


def main() -> int:
    return cli(__doc__, write, OUT)


if __name__ == "__main__":
    raise SystemExit(main())
