"""Cut the mapping-source subsets in pipeline/demo/data/sources/ from the full snapshots; run by hand:

    uv run python tests/fixture_writers/subset_sources.py [../shared/fixtures]
    uv run python tests/fixture_writers/subset_sources.py --rules [../shared/fixtures]   # tests/fixtures/rules/ only

Real rows, copied verbatim (the XML elements, the YAML list items, the JSON objects): every row a test
names (``PICKED``), one row of each rule that drops a candidate, and a spread of candidates that are
new to the upstream lists (the demo discovers them) or on them (the overlap). Every row of the three
sources that concerns a chosen MAL id is kept, so the subset classifies each of them as the whole
files do. The tests and the offline demo read the subsets; nothing reads the full files but this.

``--rules`` cuts only ``tests/fixtures/rules/``: rows of rules the demo's subset lacks (``RULE_ROWS``),
for tests/test_films.py and tests/test_rules.py, without touching the demo's subset.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pipeline.evidence import rules  # noqa: E402
from pipeline.sources import anime_ids, anime_lists, shinkro  # noqa: E402
from pipeline.sources import joined as sources_joined  # noqa: E402
from tests import shared_fixtures  # noqa: E402

OUT = ROOT / "pipeline" / "demo" / "data" / "sources"
UPSTREAM = ROOT / "pipeline" / "demo" / "data" / "upstream"
# MAL ids the tests name, whatever the rules make of them.
PICKED = {1, 5, 20, 21, 290, 300, 375, 1225, 849, 4382, 59, 164}
NEW_SHOWS_EVERY, NEW_MOVIES_EVERY, OVERLAP_EVERY, PER_RULE = 9, 12, 40, 3
RULES_OUT = ROOT / "tests" / "fixtures" / "rules"
# Films filed as specials of a TVDB series (season 0) with an IMDb id: Ghost in the Shell (43), the two
# Evangelion films (31, 32), Nadia's film (1252, which upstream maps as its TV show); Yuu Yuu Hakusho's
# film (883), which shinkro calls a movie; two season-0 rows with an IMDb id that shinkro calls a
# tv_special (986) and an ova (428). Then MAL 52093, where shinkro names Anime-Lists' TVDB id and season
# but spreads the episodes over several seasons (the only such row of the snapshot).
RULE_ROWS = {43, 31, 32, 1252, 883, 986, 428, 52093}


def choose(full: Path) -> set[int]:
    lists = anime_lists.parse((full / "anime-list-master.xml").read_bytes())
    ids = anime_ids.parse((full / "anime_ids.json").read_bytes())
    mapping = shinkro.parse((full / "tvdb-mal.yaml").read_bytes())
    tv = json.loads((UPSTREAM / "tv.json").read_text())
    movies = json.loads((UPSTREAM / "movies.json").read_text())
    mapped = {e["mal_id"] for e in tv} | {e["mal_id"] for e in movies}
    found = rules.propose(sources_joined.join(lists, ids, mapping), mapped=mapped, movies_taken={})
    chosen = set(PICKED)
    chosen |= set(sorted(found.shows)[::NEW_SHOWS_EVERY]) | set(sorted(found.movies)[::NEW_MOVIES_EVERY])
    everything = rules.propose(sources_joined.join(lists, ids, mapping), mapped=set(), movies_taken={})
    overlap = sorted(set(everything.shows) & mapped) + sorted(set(everything.movies) & mapped)
    chosen |= set(overlap[::OVERLAP_EVERY])
    by_rule: dict[str, list[int]] = defaultdict(list)
    for dropped in found.dropped:
        by_rule[dropped.rule].append(dropped.mal_id)
    for mal_ids in by_rule.values():
        chosen |= set(mal_ids[:PER_RULE])
    for dropped in found.dropped:  # both sides of a shared season or movie, so the subset shares it too
        if dropped.rule.startswith("shared-") and dropped.mal_id in chosen:
            chosen |= {int(part) for part in dropped.detail.split("claimed by MAL ")[1].split(", ")}
    return chosen


def cut(full: Path, chosen: set[int], out: Path = OUT) -> None:
    """Write the rows of ``full``'s three files that concern the ``chosen`` MAL ids into ``out``."""
    ids_data = json.loads((full / "anime_ids.json").read_text())
    kept_ids = {}
    for key, row in ids_data.items():
        mal_ids = {int(part) for part in str(row.get("mal_id", "")).split(",") if part.strip().isdigit()}
        if mal_ids & chosen:
            kept_ids[key] = row
    all_mal = chosen | {int(p) for row in kept_ids.values() for p in str(row.get("mal_id", "")).split(",") if p.strip()}
    (out / "anime_ids.json").write_text(json.dumps(kept_ids, indent=2) + "\n")

    xml = (full / "anime-list-master.xml").read_text()
    head = xml[: xml.index("<anime ")]
    elements = re.findall(r"(  <anime anidbid=\"(\d+)\".*?</anime>\n)", xml, flags=re.S)
    kept_xml = [text for text, anidb in elements if anidb in kept_ids]
    (out / "anime-list-master.xml").write_text(head + "".join(kept_xml) + "</anime-list>\n")

    yaml_text = (full / "tvdb-mal.yaml").read_text()
    start = yaml_text.index("    - malid:")
    items = [item for item in re.split(r"(?m)^(?=    - malid: )", yaml_text[start:]) if item]
    kept_yaml = [item for item in items if int(re.match(r"    - malid: (\d+)", item)[1]) in all_mal]  # type: ignore[index]
    (out / "tvdb-mal.yaml").write_text(yaml_text[:start] + "".join(kept_yaml).rstrip("\n") + "\n")


def main() -> None:
    only_rules = "--rules" in sys.argv[1:]
    folders = [arg for arg in sys.argv[1:] if arg != "--rules"]
    fixtures = Path(folders[0]) if folders else shared_fixtures.DEFAULT
    if not fixtures.is_dir():
        raise SystemExit(f"{fixtures}: no such folder; give the shared snapshots' folder (../shared/fixtures)")
    full = fixtures / "sources"
    out = RULES_OUT if only_rules else OUT
    out.mkdir(parents=True, exist_ok=True)
    cut(full, RULE_ROWS if only_rules else choose(full), out)
    for path in sorted(out.iterdir()):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
