"""Write tests/fixtures/later-seasons/ (the rows tests/test_later_seasons.py runs on) from the full snapshots:

    uv run python tests/fixture_writers/later_seasons_fixtures.py [--shared ../shared]

Real rows, copied: the three mapping sources' rows (tests/fixture_writers/subset_sources.cut) and upstream's TV rows for
the later seasons and continuation cours issue 21 names (Bleach TYBW parts 3 and 4, Attack on Titan's
final chapters, Dr. Stone Science Future part 3, Mushoku Tensei III, Slime's 4th season, Synduality Noir
part 2, Let This Grieving Soul Retire part 2) and the earlier seasons and cours of their shows; what
Trakt answered the predecessor for those shows. The snapshots hold no ``?extended=full`` answer and not
every season, so each show's seasons and episode counts are entered here by hand from TMDB's listing
(``EPISODES``); a season the predecessor never saw gets a made-up Trakt season id (9,000,000 + ...).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.fixture_writers.seasons_fixtures import cli, predecessor_answers, save  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "later-seasons"
# Trakt show id -> season number -> episode count (by hand, TMDB's numbering of the show).
EPISODES = {
    1420: {0: 10, 1: 25, 2: 12, 3: 22, 4: 30},  # Attack on Titan
    30850: {0: 2, 1: 366, 2: 53},  # Bleach (season 2: Thousand-Year Blood War, four parts)
    135985: {0: 6, 1: 24, 2: 24, 3: 24, 4: 12},  # That Time I Got Reincarnated as a Slime
    156460: {0: 2, 1: 23, 2: 25, 3: 12},  # Mushoku Tensei
    140133: {0: 2, 1: 24, 2: 11, 3: 22, 4: 36},  # Dr. Stone (season 4: Science Future, three parts)
    199455: {1: 24},  # Synduality Noir
    247717: {1: 25},  # Let This Grieving Soul Retire
}
# The MAL ids the issue names, and the earlier seasons and cours of their shows.
NAMED = {56784, 60636, 51535, 62568, 59193, 59970, 56731, 60619}


def write(shared: Path) -> None:
    fixtures = shared / "fixtures"
    tv = [row for row in json.loads((fixtures / "upstream" / "tv.json").read_text()) if row["trakt_id"] in EPISODES]
    answers = predecessor_answers(fixtures, EPISODES)
    for key, counts in EPISODES.items():
        known = {season["number"]: season for season in answers["seasons"].get(str(key), [])}
        answers["seasons"][str(key)] = [
            {
                **known.get(
                    number,
                    {
                        "number": number,
                        "ids": {"trakt": 9_000_000 + key * 10 + number, "tvdb": None, "tmdb": None, "tvrage": None},
                    },
                ),
                "episode_count": count,
            }
            for number, count in sorted(counts.items())
        ]
    save(OUT, __doc__, fixtures, tv, answers, {row["mal_id"] for row in tv} | NAMED)


def main() -> int:
    return cli(__doc__, write, OUT)


if __name__ == "__main__":
    raise SystemExit(main())
