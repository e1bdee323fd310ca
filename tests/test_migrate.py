"""pipeline.migrate on real rows of the predecessor's last published files (tests/fixtures/predecessor/)."""

from __future__ import annotations

import copy
import dataclasses
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline import migrate
from pipeline.demo.fake_trakt import FakeTrakt, Fault
from pipeline.enrich import Options, enrich
from pipeline.evidence import shared_seasons
from pipeline.published.checks import validate_outputs
from pipeline.published.models import Mapping
from pipeline.sources.catalog import load_joined
from tests.conftest import make_config

PREDECESSOR = Path(__file__).resolve().parent / "fixtures" / "predecessor"
UPSTREAM = PREDECESSOR / "upstream"
NOW = datetime(2026, 11, 22, 3, 0, 0, tzinfo=UTC)
PROVENANCE = migrate.Provenance("rensetsu/db.trakt.extended-anitrakt", "91a8adb", datetime(2026, 7, 24, tzinfo=UTC))
FILES = ("tv_ex.json", "movies_ex.json", "not_exist_tv_ex.json", "not_exist_movies_ex.json")


def load(folder: Path, name: str) -> Any:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def run(*argv: str) -> int:
    return migrate.main([str(PREDECESSOR), "--upstream", str(UPSTREAM), *argv])


def mal_ids(entries: list[dict[str, Any]]) -> list[int]:
    return [entry["myanimelist"]["id"] if "myanimelist" in entry else entry["mal_id"] for entry in entries]


def copy_predecessor(tmp_path: Path) -> Path:
    folder = tmp_path / "predecessor"
    shutil.copytree(PREDECESSOR, folder)
    return folder


def edit(folder: Path, name: str, change: Any) -> None:
    """Apply ``change`` to the list in ``folder/name`` and write it back."""
    data = load(folder, name)
    change(data)
    (folder / name).write_text(json.dumps(data, ensure_ascii=False, indent=2))


def test_real_rows_are_imported_sorted_and_valid(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The real subset lands in output/ in our layout, sorted by MAL id, and passes every check."""
    assert run() == 0
    output = workdir / "output"
    assert validate_outputs(output) == []
    tv, movies = load(output, "tv_ex.json"), load(output, "movies_ex.json")
    assert mal_ids(tv) == [1, 33, 51, 137, 34249, 38524, 45576, 55888]
    assert mal_ids(movies) == [5, 51, 5917]
    assert mal_ids(load(output, "not_exist_tv_ex.json")) == [36840, 49223]
    assert mal_ids(load(output, "not_exist_movies_ex.json")) == [1047, 6987]
    bebop = tv[0]
    assert bebop["trakt"]["release_year"] == 1998
    assert bebop["trakt"]["externals"] == {
        "tvdb": 76885,
        "tmdb": 30991,
        "imdb": "tt0213338",
        "tvrage": None,
        "anidb": None,
        "anilist": None,
    }
    assert bebop["trakt"]["season"] == {
        "id": 43328,
        "number": 1,
        "externals": {"tvdb": 11636, "tmdb": 42587, "tvrage": None},
    }
    split = tv[mal_ids(tv).index(55888)]["trakt"]
    assert split["is_split_cour"] is True and split["season"] is None


def test_zero_and_empty_values_become_null(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A year of 0 and a season TVDB id of 0 are published as null (the top-level year stays 0), and the
    report counts them; the predecessor's Letterboxd ids are carried over whole."""
    assert run() == 0
    tv = {entry["myanimelist"]["id"]: entry for entry in load(workdir / "output", "tv_ex.json")}
    movies = {entry["myanimelist"]["id"]: entry for entry in load(workdir / "output", "movies_ex.json")}
    assert tv[34249]["trakt"]["release_year"] is None
    assert tv[33]["trakt"]["season"]["externals"]["tvdb"] is None
    assert movies[5917]["trakt"]["release_year"] is None
    assert tv[34249]["release_year"] == movies[5917]["release_year"] == 0  # the predecessor's convention
    bebop = {"slug": "cowboy-bebop-the-movie", "lid": "1Uc4", "uid": 45434}
    assert movies[5]["trakt"]["externals"]["letterboxd"] == movies[5]["externals"]["letterboxd"] == bebop
    report = capsys.readouterr().out
    assert "- `tv_ex.json`: trakt.release_year 0 made null: 1 (MAL 34249)" in report
    assert "- `tv_ex.json`: trakt.season.externals.tvdb 0 made null: 1 (MAL 33)" in report
    assert "letterboxd" not in report  # nothing about them changed
    assert "- `not_exist_tv_ex.json`: listed twice: kept once: 1 (MAL 49223)" in report
    assert "| `tv_ex.json` | 11 | 6 | 2 | 3 | 8 |" in report
    assert "| `movies_ex.json` | 3 | 2 | 1 | 0 | 3 |" in report


def test_two_mal_ids_on_one_season_are_held_back_unless_upstream_maps_them(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """MAL ids sharing a Trakt show and season: the one upstream maps there stays, the others are reported."""
    assert run() == 0
    report = capsys.readouterr().out
    assert (
        "- tv_ex.json[4] MAL 887 'Megami Kouhosei Special Curriculum': shares Trakt show 22069 season 1 with"
        " MAL 888; upstream tv.json maps none of them there, so which one is right is unknown"
    ) in report
    assert "- tv_ex.json[5] MAL 888 'Megami Kouhosei': shares Trakt show 22069 season 1 with MAL 887;" in report
    assert (
        "- tv_ex.json[9] MAL 51535 'Shingeki no Kyojin: The Final Season - Kanketsu-hen': shares Trakt show 1420"
        " season 4 with MAL 38524; upstream tv.json maps MAL 38524 there"
    ) in report
    assert "MAL 38524 'Shingeki" not in report


def later_seasons_sources(folder: Path) -> Path:
    """A copy of tests/fixtures/later-seasons/sources/ in ``folder``: reading the sources leaves parsed copies
    beside them (pipeline.sources.parsed), which must not land in the checkout."""
    copy = folder / "later-seasons-sources"
    shutil.copytree(Path(__file__).resolve().parent / "fixtures" / "later-seasons" / "sources", copy)
    return copy


def test_mal_ids_the_sources_place_at_distinct_episodes_of_a_shared_season_come_back(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Attack on Titan's final chapters (MAL 51535) share Trakt season 4 with MAL 38524, which upstream maps
    there; Anime-Lists places 51535 from episode 29 of TMDB season 4 (offset 28) and 38524 elsewhere, so 51535
    comes back as a split cour with its episodes; Megami Kouhosei (887, 888), which the sources do not place,
    stays held back."""
    sources = later_seasons_sources(workdir)
    assert run("--sources", str(sources)) == 0
    report = capsys.readouterr().out
    assert "shared a Trakt season: placed at the sources' distinct episode offset: 1 (MAL 51535)" in report
    assert "MAL 51535 'Shingeki" not in report and "MAL 887 'Megami Kouhosei Special Curriculum': shares" in report
    entry = next(e for e in load(workdir / "output", "tv_ex.json") if e["myanimelist"]["id"] == 51535)
    assert (entry["trakt"]["is_split_cour"], entry["trakt"]["season"]) == (True, None)
    assert (entry["trakt"]["episodes"], entry["origin"]) == ({"season": 4, "offset": 28}, "imported")


def test_shared_seasons_come_back_only_at_distinct_offsets(tmp_path: Path) -> None:
    """Synduality Noir parts 1 and 2 (MAL 53026, 56731: TMDB 210181 season 1 at offsets 0 and 12), real rows."""
    sources = later_seasons_sources(tmp_path)
    joined, warnings = load_joined(sources)
    assert warnings == []
    assert shared_seasons.come_back(210181, 1, [53026, 56731], [], joined) == {53026: 0, 56731: 12}
    assert shared_seasons.come_back(210181, 1, [53026, 56731], [53026], joined) == {56731: 12}
    assert shared_seasons.come_back(210181, 1, [53026, 56731, 1], [1], joined) == {56731: 12}  # 1 holds offset 0
    assert shared_seasons.come_back(210181, 2, [53026, 56731], [], joined) == {}  # not the season they are in
    assert shared_seasons.come_back(999, 1, [53026, 56731], [], joined) == {}  # not the show they are on


def to_spec_layout(entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        entry["trakt"]["release_year"] = entry.pop("release_year")
        entry["trakt"]["externals"] = entry.pop("externals")


def test_spec_layout_imports_to_the_same_files(tmp_path: Path) -> None:
    """Files with release_year and externals inside trakt (the spec's layout) give the same result."""
    spec = copy_predecessor(tmp_path)
    edit(spec, "tv_ex.json", to_spec_layout)
    edit(spec, "movies_ex.json", to_spec_layout)
    assert load(spec, "tv_ex.json")[0]["trakt"]["release_year"] == 1998
    ours = migrate.migrate(PREDECESSOR, UPSTREAM, PROVENANCE, NOW)
    theirs = migrate.migrate(spec, UPSTREAM, PROVENANCE, NOW)
    assert theirs.published() == ours.published()
    assert migrate.report(theirs, tmp_path) == migrate.report(ours, tmp_path)


def _no_season(entries: list[dict[str, Any]]) -> None:
    entries[0]["trakt"]["season"] = None


def _season_and_split(entries: list[dict[str, Any]]) -> None:
    entries[0]["trakt"]["is_split_cour"] = True


def _movie_in_tv(entries: list[dict[str, Any]]) -> None:
    entries[0]["trakt"]["type"] = "movies"


def _twice_differently(entries: list[dict[str, Any]]) -> None:
    other = copy.deepcopy(entries[0])
    other["trakt"]["id"] = 99
    entries.append(other)


def _no_trakt_id(entries: list[dict[str, Any]]) -> None:
    del entries[0]["trakt"]["id"]


def _negative_trakt_id(entries: list[dict[str, Any]]) -> None:
    entries[0]["trakt"]["id"] = -3


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_no_season, "no season and not a split cour: which Trakt season it maps to is unknown"),
        (_season_and_split, "has season 1 but is_split_cour is True"),
        (_movie_in_tv, "trakt.type is 'movies' in tv_ex.json, not 'shows'"),
        (_twice_differently, "MAL id listed twice with different data"),
        (_no_trakt_id, "unreadable entry (KeyError: 'id')"),
        (_negative_trakt_id, "$.trakt.id: -3 is less than the minimum of 1"),
    ],
)
def test_an_entry_that_cannot_be_carried_over_is_reported_with_its_reason(
    tmp_path: Path, change: Any, reason: str
) -> None:
    """Cowboy Bebop (MAL 1, first in tv_ex.json) broken in one way is held back and named, not dropped silently."""
    source = copy_predecessor(tmp_path)
    edit(source, "tv_ex.json", change)
    migration = migrate.migrate(source, UPSTREAM, PROVENANCE, NOW)
    assert 1 not in migration.files["tv_ex.json"].entries
    assert f"- tv_ex.json[0] MAL 1 'Cowboy Bebop': {reason}" in migrate.report(migration, tmp_path)


def test_not_found_entry_also_published_is_held_back(tmp_path: Path) -> None:
    """A MAL id in both tv_ex.json and not_exist_tv_ex.json stays published and leaves the not-found file."""
    source = copy_predecessor(tmp_path)
    edit(source, "not_exist_tv_ex.json", lambda entries: entries.append({"mal_id": 1, "title": "Cowboy Bebop"}))
    migration = migrate.migrate(source, UPSTREAM, PROVENANCE, NOW)
    assert 1 in migration.files["tv_ex.json"].entries
    assert 1 not in migration.files["not_exist_tv_ex.json"].entries
    assert (
        "- not_exist_tv_ex.json[3] MAL 1 'Cowboy Bebop': also published in tv_ex.json, which is kept"
        in migrate.report(migration, tmp_path)
    )


def test_meta_json_says_where_the_data_came_from(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """meta.json names the repository and commit given, the predecessor's date, and when it was imported; its
    Trakt facts are dated by the predecessor's publication, not by the import."""
    assert run("--repository", "someone/fork", "--commit", "0123abcd") == 0
    meta = load(workdir / "output", "meta.json")
    imported = meta["imported"]
    assert {key: imported[key] for key in ("repository", "commit", "published")} == {
        "repository": "someone/fork",
        "commit": "0123abcd",
        "published": "2026-07-24T07:26:20Z",
    }
    assert imported["imported_at"] == meta["last_changed"]
    assert meta["trakt_fetched"] == "2026-07-24T07:26:20Z" != meta["last_changed"]
    assert list(meta)[:3] == ["schema_version", "last_changed", "trakt_fetched"]
    assert meta["built_by"] == "import"  # the README's "until the first nightly" comes from here
    assert meta["files"] == {
        "tv_ex.json": {"entries": 8},
        "not_exist_tv_ex.json": {"entries": 2},
        "movies_ex.json": {"entries": 3},
        "not_exist_movies_ex.json": {"entries": 2},
    }
    assert meta["upstream"]["tv.json"]["entries"] == len(load(UPSTREAM, "tv.json"))
    assert validate_outputs(workdir / "output") == []


def test_published_output_is_not_overwritten_without_replace(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A second import into a filled output/ exits 1 saying how to overwrite, and changes nothing."""
    assert run() == 0
    before = {name: (workdir / "output" / name).read_bytes() for name in FILES}
    assert run() == 1
    err = capsys.readouterr().err
    assert "migrate: output already holds published files (tv_ex.json, not_exist_tv_ex.json, movies_ex.json" in err
    assert "pass --replace to overwrite them (`git checkout output/` undoes it)" in err
    assert {name: (workdir / "output" / name).read_bytes() for name in FILES} == before
    assert run("--replace") == 0


def test_nothing_is_written_when_the_result_does_not_validate(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A commit that is not a SHA makes meta.json invalid: migrate lists the problem and writes no file."""
    assert run("--commit", "main") == 1
    assert capsys.readouterr().err == (
        "migrate: the imported data does not validate; nothing written:\n"
        "output/meta.json: $.imported.commit: 'main' does not match '^[0-9a-f]{7,40}$'\n"
    )
    assert not (workdir / "output").exists()


def test_missing_upstream_lists_name_the_way_out(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without the upstream lists, migrate says to run fetch or give --upstream, and writes nothing."""
    assert migrate.main([str(PREDECESSOR)]) == 1
    assert (
        "migrate: .cache/upstream/tv.json: not found; run `uv run python -m pipeline.fetch` first, or give the"
        " folder of the upstream tv.json and movies.json with --upstream DIR"
    ) in capsys.readouterr().err
    assert not (workdir / "output").exists()


def test_imported_entries_carry_origin_imported(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Once entries carry an origin (issue 9), every imported one says "imported"; not-found ones have none."""
    if not any(field.name == "origin" for field in dataclasses.fields(Mapping)):
        pytest.skip("Mapping has no origin field yet (issue 9 adds it)")
    assert run() == 0
    for name in ("tv_ex.json", "movies_ex.json"):
        assert {entry["origin"] for entry in load(workdir / "output", name)} == {"imported"}
    assert all(set(entry) == {"mal_id", "title"} for entry in load(workdir / "output", "not_exist_tv_ex.json"))


def test_stale_entry_keeps_its_imported_data(
    workdir: Path, fake: FakeTrakt, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first run after an import: a show whose refresh fails keeps the imported entries; the rest refresh.

    meta.json keeps saying where the data started."""
    assert run() == 0
    imported = {entry["myanimelist"]["id"]: entry for entry in load(workdir / "output", "tv_ex.json")}
    provenance = load(workdir / "output", "meta.json")["imported"]
    (workdir / ".cache").mkdir()
    shutil.copytree(UPSTREAM, workdir / ".cache" / "upstream")
    fake.synthesize(load(UPSTREAM, "tv.json"), load(UPSTREAM, "movies.json"))
    fake.add_fault(Fault(status=503, path=r"^/shows/156460"))  # Mushoku Tensei: MAL 45576 and 55888
    config = make_config(fake, max_retries=1)
    summary = enrich(config, Options(progress=False, allow_shrink=True))

    assert sorted(row["mal_id"] for row in summary["stale"]) == [45576, 55888]
    refreshed = {entry["myanimelist"]["id"]: entry for entry in load(workdir / "output", "tv_ex.json")}
    assert refreshed[45576] == imported[45576]
    assert refreshed[55888] == imported[55888]
    assert fake.count("/shows/30857") == 1  # Cowboy Bebop was refreshed from the fake
    assert 1 not in {row["mal_id"] for row in summary["stale"]}
    assert refreshed[1]["trakt"]["title"] == fake.shows[30857]["title"]
    assert load(workdir / "output", "meta.json")["imported"] == provenance  # the start stays on record
    assert validate_outputs(workdir / "output") == []


def test_committed_output_is_valid_published_data() -> None:
    """The repository's output/ (the imported starting data, later the nightly's) passes every check."""
    output = Path(__file__).resolve().parent.parent / "output"
    assert validate_outputs(output) == []
    assert all(load(output, name) for name in FILES)  # nothing published is empty
