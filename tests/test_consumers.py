"""The predecessor's consumers read our files unchanged: every entry kept, every id they look for read.

The parsers' rules are in tests/standins/consumers.py, transcribed from each consumer's code (cited there). They
run on the full chain's output for the real upstream lists (against the fake Trakt, whose Wikidata
stand-in knows real Letterboxd slugs: pipeline/demo/data/wikidata-letterboxd.json), on the committed
``output/``, and on real entries of the predecessor's last published files
(tests/fixtures/predecessor-sample/), to show they are the rules consumers apply to those files.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pipeline.__main__ as chain
from pipeline.demo.fake_trakt import LETTERBOXD_SAMPLE, FakeTrakt
from pipeline.published.models import OUTPUT_FILE
from tests.conftest import API_KEY, real_lists
from tests.standins.consumers import (
    ALL,
    ANIMEAPI,
    EARLIER,
    LETTERBOXD,
    USENET_ULTIMATE,
    ZOD,
    Parser,
    current_ids,
    read_file,
)
from tests.test_chain import point_at

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
# One worker runs this module under pytest-xdist, so its full-chain fixture (module scope) runs once, not once a worker.
pytestmark = pytest.mark.xdist_group("consumers-full-chain")
PREDECESSOR = FIXTURES / "predecessor-sample"
FILES = [("shows", OUTPUT_FILE["shows"]), ("movies", OUTPUT_FILE["movies"])]
CASES = [(parser, kind, name) for parser in ALL for kind, name in FILES if kind in parser.kinds]
IDS = [f"{parser.name}-{kind}" for parser, kind, _ in CASES]


def load(folder: Path, name: str) -> list[dict[str, Any]]:
    return json.loads((folder / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """output/ of one full chain run on the real upstream lists (fetch, discover, enrich, validate, report)."""
    workdir = tmp_path_factory.mktemp("chain")
    tv, movies = real_lists()
    with (
        pytest.MonkeyPatch.context() as patch,
        FakeTrakt.from_sample(expected_key=API_KEY).synthesize(tv, movies) as fake,
    ):
        fake.serve_letterboxd()
        patch.chdir(workdir)
        patch.delenv("GITHUB_STEP_SUMMARY", raising=False)
        (workdir / "overrides").mkdir()
        point_at(patch, fake)
        assert chain.main(["--no-progress"]) == 0
        yield workdir / "output"


def assert_reads_everything(parser: Parser, entries: list[dict[str, Any]], kind: str) -> None:
    """Each entry accepted, and each id the parser looks for that the entry carries, read with its value."""
    for entry in entries:
        assert parser.accepts(entry, kind), entry["myanimelist"]
        read = {name: value for name, value in parser.ids(entry, kind).items() if name in parser.looks_for[kind]}
        assert read == parser.wanted(entry, kind), entry["myanimelist"]
    reading = read_file(parser, entries, kind)
    assert reading.accepted == reading.entries
    assert reading.ids_kept == reading.ids_present > reading.entries / 2  # not vacuous: most ids are there


@pytest.mark.parametrize(("parser", "kind", "name"), CASES, ids=IDS)
def test_every_consumer_reads_every_entry_of_the_full_chains_output(
    published: Path, parser: Parser, kind: str, name: str
) -> None:
    """The full chain's files, as each consumer parses them: every entry kept, every id it looks for read."""
    assert_reads_everything(parser, load(published, name), kind)


@pytest.mark.parametrize(("parser", "kind", "name"), CASES, ids=IDS)
def test_every_consumer_reads_every_entry_of_the_committed_data(parser: Parser, kind: str, name: str) -> None:
    """The committed output/, as each consumer parses it: every entry kept, every id it looks for read."""
    assert_reads_everything(parser, load(ROOT / "output", name), kind)


@pytest.mark.parametrize(("parser", "kind", "name"), CASES, ids=IDS)
def test_every_consumer_reads_every_entry_of_the_predecessors_files(parser: Parser, kind: str, name: str) -> None:
    """On real entries of the predecessor's files, the rules keep every entry and read every id (as there)."""
    entries = load(PREDECESSOR, name)
    assert all("externals" not in entry["trakt"] for entry in entries)  # the predecessor's layout
    assert_reads_everything(parser, entries, kind)


@pytest.mark.parametrize("folder", ["chain", "committed"])
def test_letterboxd_ids_are_read_where_consumers_look(published: Path, folder: str) -> None:
    """animeApi and the zod parser read externals.letterboxd.{slug,lid,uid}; the committed movies carry at
    least the predecessor's 1,257, the chain's those its Wikidata stand-in knows (slug only)."""
    entries = load(published if folder == "chain" else ROOT / "output", "movies_ex.json")
    for parser in (ANIMEAPI, ZOD):
        kept = read_file(parser, entries, "movies").kept
        if folder == "committed":
            assert [kept[name] for name in LETTERBOXD] == [1257, 1257, 1257]
        else:
            assert kept["letterboxd.slug"] == len(json.loads(LETTERBOXD_SAMPLE.read_text())) > 0
            assert kept["letterboxd.lid"] == kept["letterboxd.uid"] == 0  # Wikidata has only the slug


@pytest.mark.parametrize(("kind", "name"), FILES)
def test_an_unknown_year_is_0_at_the_top_level_so_strict_parsers_keep_the_entry(
    published: Path, kind: str, name: str
) -> None:
    """Where Trakt has no year the top-level copy is 0 (null inside trakt), and the parsers that require a
    number there keep the entry; with null there they would drop it."""
    entries = load(ROOT / "output", name) + load(published, name)
    without_year = [entry for entry in entries if entry["trakt"]["release_year"] is None]
    assert without_year, "the committed data has entries without a year (19 shows, 2 movies)"
    for entry in without_year:
        assert entry["release_year"] == 0
        for parser in (ZOD, EARLIER):
            assert parser.accepts(entry, kind)
            assert not parser.accepts({**entry, "release_year": None}, kind)


def test_a_movie_without_the_letterboxd_key_fails_the_zod_parser(published: Path) -> None:
    """The zod schema requires the key (object or null): without it, the entry is dropped."""
    entry = load(published, "movies_ex.json")[0]
    assert ZOD.accepts(entry, "movies")
    externals = {key: value for key, value in entry["externals"].items() if key != "letterboxd"}
    assert not ZOD.accepts({**entry, "externals": externals}, "movies")


@pytest.mark.parametrize(("kind", "name"), FILES)
def test_our_entries_have_the_predecessors_layout_and_more(published: Path, kind: str, name: str) -> None:
    """Each of our entries has every key the predecessor's entries have, at the same level, of the same type."""
    ours, theirs = load(published, name)[0], load(PREDECESSOR, name)[0]
    assert list(ours)[: len(theirs)] == list(theirs)
    for key in ("myanimelist", "trakt", "externals"):
        missing = set(theirs[key]) - set(ours[key])
        assert not missing, (key, missing)
    assert type(ours["release_year"]) is type(theirs["release_year"]) is int


def test_without_the_top_level_copies_the_parsers_lose_ids_and_entries(published: Path) -> None:
    """With ids inside trakt only (the spec's layout) the current parser reads no show id; the earlier keeps none."""
    entries = [{"myanimelist": e["myanimelist"], "trakt": e["trakt"]} for e in load(published, "tv_ex.json")]
    kept = [current_ids(entry, "shows") for entry in entries]
    assert not any(set(ids) - {"season.tvdb", "season.tmdb"} for ids in kept)
    assert read_file(EARLIER, entries, "shows").accepted == 0
    assert not any(USENET_ULTIMATE.accepts(entry, "shows") for entry in entries)  # entry.externals.imdb throws
    assert not any(ZOD.accepts(entry, "shows") for entry in entries)
    assert not any(set(ANIMEAPI.ids(entry, "shows")) & {"tvdb", "tmdb", "imdb"} for entry in entries)


@pytest.mark.parametrize(("kind", "name"), FILES)
def test_the_episode_map_and_anime_ids_are_additive_for_every_parser(published: Path, kind: str, name: str) -> None:
    """Issue 22's keys (trakt.episode_map, externals.anidb/anilist in both copies) are in the chain's files,
    and an entry carrying the fullest of them (a map across seasons, several AniDB ids) is still accepted
    by every parser, which reads the same ids from it as without them."""
    entries = load(published, name)
    assert all({"anidb", "anilist"} <= set(entry["externals"]) == set(entry["trakt"]["externals"]) for entry in entries)
    coverage = json.loads((published / "meta.json").read_text())["coverage"][name]
    assert coverage["entries"] == len(entries)
    assert coverage["anidb"] == sum(bool(entry["externals"]["anidb"]) for entry in entries) > 0
    if kind == "shows":
        assert all("episode_map" in entry["trakt"] for entry in entries)
        assert any(entry["trakt"]["episode_map"] for entry in entries)
    entry = entries[0]
    ids = {**entry["trakt"]["externals"], "anidb": [69, 6367], "anilist": [21]}
    trakt = {**entry["trakt"], "externals": ids}
    if kind == "shows":
        trakt["episode_map"] = [
            {"mal": [1, 61], "season": 1, "episode": 1},
            {"mal": [62, None], "season": 2, "episode": 1},
        ]
    fullest = {**entry, "trakt": trakt, "externals": dict(ids)}
    bare = {
        **entry,
        "trakt": {k: v for k, v in trakt.items() if k != "episode_map"},
        "externals": {k: v for k, v in ids.items() if k not in ("anidb", "anilist")},
    }
    for parser in ALL:
        if kind in parser.kinds:
            assert parser.accepts(fullest, kind), parser.name
            assert parser.ids(fullest, kind) == parser.ids(bare, kind), parser.name
