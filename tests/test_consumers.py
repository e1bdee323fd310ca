"""The predecessor's consumers read our files unchanged: every entry kept, every external id read.

The parsers' rules are in tests/consumers.py. They run on the full chain's output for the real
upstream lists (against the fake Trakt), and on real entries of the predecessor's last published
files (tests/fixtures/predecessor-sample/), to show they are the rules consumers apply to those files.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pipeline.__main__ as chain
from pipeline.fake_trakt import FakeTrakt
from pipeline.models import OUTPUT_FILE
from tests.conftest import API_KEY, real_lists
from tests.consumers import CURRENT, EARLIER, Parser, current_ids, ids_present, read_file
from tests.test_chain import point_at

PREDECESSOR = Path(__file__).parent / "fixtures" / "predecessor-sample"
FILES = [("shows", OUTPUT_FILE["shows"]), ("movies", OUTPUT_FILE["movies"])]


def load(folder: Path, name: str) -> list[dict[str, Any]]:
    return json.loads((folder / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """output/ of one full chain run on the real upstream lists (fetch, enrich, validate, report)."""
    workdir = tmp_path_factory.mktemp("chain")
    tv, movies = real_lists()
    with (
        pytest.MonkeyPatch.context() as patch,
        FakeTrakt.from_sample(expected_key=API_KEY).synthesize(tv, movies) as fake,
    ):
        patch.chdir(workdir)
        patch.delenv("GITHUB_STEP_SUMMARY", raising=False)
        (workdir / "overrides").mkdir()
        point_at(patch, fake)
        assert chain.main(["--no-progress"]) == 0
        yield workdir / "output"


@pytest.mark.parametrize(("kind", "name"), FILES)
def test_current_parser_keeps_every_entry_and_reads_every_external_id(published: Path, kind: str, name: str) -> None:
    """AIOStreams' current parser accepts each entry and finds each of its ids in the top-level externals."""
    entries = load(published, name)
    for entry in entries:
        assert CURRENT.accepts(entry, kind), entry["myanimelist"]
        assert CURRENT.ids(entry, kind) == ids_present(entry, kind), entry["myanimelist"]
    reading = read_file(CURRENT, entries, kind)
    assert reading.accepted == reading.entries > 1000
    assert reading.ids_kept == reading.ids_present > reading.entries  # not vacuous: most ids are there


@pytest.mark.parametrize(("kind", "name"), FILES)
def test_earlier_parser_keeps_every_entry_even_without_a_year(published: Path, kind: str, name: str) -> None:
    """The earlier parser's numeric top-level year holds for every entry: an unknown year is 0 there."""
    entries = load(published, name)
    for entry in entries:
        assert EARLIER.accepts(entry, kind), entry["myanimelist"]
        assert EARLIER.ids(entry, kind) == ids_present(entry, kind), entry["myanimelist"]
        if entry["trakt"]["release_year"] is None:
            assert entry["release_year"] == 0


@pytest.mark.parametrize("parser", [CURRENT, EARLIER], ids=lambda parser: parser.name)
@pytest.mark.parametrize(("kind", "name"), FILES)
def test_parsers_keep_every_entry_and_id_of_the_predecessors_files(parser: Parser, kind: str, name: str) -> None:
    """On real entries of the predecessor's files, both parsers keep every entry and read every id."""
    entries = load(PREDECESSOR, name)
    assert all("externals" not in entry["trakt"] for entry in entries)  # the predecessor's layout
    reading = read_file(parser, entries, kind)
    assert reading.accepted == reading.entries >= 10
    assert reading.ids_kept == reading.ids_present > reading.entries


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
