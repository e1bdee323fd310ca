"""Write tests/fixtures/seasons/ (the rows tests/test_seasons.py runs on) from the full snapshots; run by hand:

    uv run python tests/fixture_writers/seasons_fixtures.py [--shared ../shared]

Real rows, copied: the upstream TV rows of seven Trakt shows the issue names (Attack on Titan, Spy x
Family, Slime, JoJo, Mushoku Tensei, Full Metal Panic, Re:Zero), the rows of the three mapping sources
for those MAL ids (tests/fixture_writers/subset_sources.cut), and what Trakt answered the predecessor for those shows
(title, ids, and the seasons its entries were on, plus season 0). The snapshots hold no
``?extended=full`` answer, so each season's episode count is entered here by hand from TMDB's listing
of the show (``EPISODES``); the fake synthesizes ``aired_episodes`` and ``first_aired`` from them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pipeline.published.jsonio import write_json  # noqa: E402
from tests.fixture_writers.subset_sources import cut  # noqa: E402
from tests.standins.predecessor_world import trakt_answers  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "seasons"
# Trakt show id -> season number -> episode count (by hand, TMDB's numbering of the show).
EPISODES = {
    1420: {0: 10, 1: 25, 2: 12, 3: 22, 4: 30},  # Attack on Titan
    190742: {0: 1, 1: 25, 2: 12, 3: 13},  # Spy x Family
    135985: {0: 6, 1: 24, 2: 24, 3: 24, 4: 12},  # That Time I Got Reincarnated as a Slime
    45537: {0: 2, 1: 26, 2: 48, 3: 39, 4: 39, 5: 38, 6: 12},  # JoJo's Bizarre Adventure
    156460: {0: 2, 1: 23, 2: 25, 3: 12},  # Mushoku Tensei
    12432: {0: 4, 1: 24, 2: 12, 3: 13, 4: 12},  # Full Metal Panic!
    104310: {0: 10, 1: 25},  # Re:Zero (the predecessor saw season 1 only)
}


def write(shared: Path) -> None:
    fixtures = shared / "fixtures"
    tv = [row for row in json.loads((fixtures / "upstream" / "tv.json").read_text()) if row["trakt_id"] in EPISODES]
    answers = predecessor_answers(fixtures, EPISODES)
    for key, seasons in answers["seasons"].items():
        counts = EPISODES[int(key)]
        known = {season["number"] for season in seasons}
        specials = {"number": 0, "ids": {"trakt": 9_000_000 + int(key), "tvdb": None, "tmdb": None, "tvrage": None}}
        listed = sorted([*seasons, *([] if 0 in known else [specials])], key=lambda season: season["number"])
        answers["seasons"][key] = [{**season, "episode_count": counts[season["number"]]} for season in listed]
    save(OUT, __doc__, fixtures, tv, answers, {row["mal_id"] for row in tv})


def predecessor_answers(fixtures: Path, shows: Collection[int]) -> dict[str, Any]:
    """What Trakt answered the predecessor for these Trakt shows (tests/standins/predecessor_world.py)."""
    predecessor = json.loads((fixtures / "predecessor" / "tv_ex.json").read_text())
    return trakt_answers({"tv_ex.json": [e for e in predecessor if e["trakt"]["id"] in shows], "movies_ex.json": []})


def save(out: Path, doc: str, fixtures: Path, tv: list[Any], answers: dict[str, Any], mal_ids: Collection[int]) -> None:
    """A TV fixture folder: the upstream rows, Trakt's answers (with the writer's third paragraph as
    ``_about``), and the sources' rows of ``mal_ids``."""
    (out / "sources").mkdir(parents=True, exist_ok=True)
    (out / "upstream").mkdir(parents=True, exist_ok=True)
    write_json(out / "upstream" / "tv.json", tv)
    write_json(out / "trakt.json", {"_about": " ".join(doc.split("\n\n")[2].split()), **answers})
    cut(fixtures / "sources", set(mal_ids), out / "sources")


def cli(doc: str, write: Callable[[Path], None], out: Path) -> int:
    """A fixture writer's command line: ``--shared DIR``, then ``write`` into ``out``."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="the shared snapshots")
    args = parser.parse_args()
    if not (args.shared / "fixtures").is_dir():
        print(f"{args.shared}/fixtures: not found; give the shared snapshots with --shared", file=sys.stderr)
        return 2
    write(args.shared)
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


def main() -> int:
    return cli(__doc__, write, OUT)


if __name__ == "__main__":
    raise SystemExit(main())
