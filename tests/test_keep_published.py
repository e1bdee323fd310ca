"""Silence is not evidence: what enrich does to an entry published before, through the real steps.

The cells of docs/sources.md's table ("What keeps an entry published") that the steps decide, on real
source rows (MAL 8 Bouken Ou Beet, as in tests/test_discover.py) against the fake Trakt.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline import enrich
from pipeline.demo.fake_trakt import FakeTrakt, Fault
from pipeline.enrich import Options
from tests.conftest import make_config, movie, movie_entry, read, seasons, show, tv_entry, write_upstream
from tests.standins.faultkit import snapshot
from tests.test_discover import BEET, GAOGAIGAR, add_beet, run_discover, run_enrich, write_sources

IMPORTED = 900  # a MAL id no source and no upstream row names: published by the import only


def upstream_and_imported(workdir: Path, fake: FakeTrakt) -> None:
    """Upstream maps MAL 1 (Trakt show 10) and MAL 2 (movie 20); output/ also holds MAL 900, imported, on show 30."""
    fake.shows[10], fake.seasons[10] = show(10), seasons(10, 1, 2)
    fake.shows[30], fake.seasons[30] = show(30, "Long Runner"), seasons(30, 1, 2, 3)
    fake.movies[20] = movie(20)
    write_upstream(workdir, [tv_entry(1, 10), tv_entry(IMPORTED, 30)], [movie_entry(2, 20)])
    run_enrich(fake)  # publishes MAL 900 from an upstream row, then the row goes: the import's situation
    entries = read(workdir, "tv_ex.json")
    for entry in entries:
        if entry["myanimelist"]["id"] == IMPORTED:
            entry["origin"] = "imported"
    (workdir / "output" / "tv_ex.json").write_text(json.dumps(entries, ensure_ascii=False, indent=2) + "\n")
    write_upstream(workdir, [tv_entry(1, 10), tv_entry(3, 10, season=2)], [movie_entry(2, 20)])


def by_mal_id(workdir: Path, name: str) -> dict[int, dict[str, Any]]:
    return {entry["myanimelist"]["id"]: entry for entry in read(workdir, name)}


def test_an_imported_entry_nothing_names_stays_imported_and_refreshed(workdir: Path, fake: FakeTrakt) -> None:
    """Cell (imported, nothing names it): published again from Trakt's answer, origin imported."""
    upstream_and_imported(workdir, fake)
    fake.shows[30] = show(30, "Long Runner (renamed on Trakt)")
    enrich.enrich(make_config(fake), Options(progress=False, force=True))
    entry = by_mal_id(workdir, "tv_ex.json")[IMPORTED]
    assert entry["origin"] == "imported" and entry["trakt"]["title"] == "Long Runner (renamed on Trakt)"
    assert entry["trakt"]["season"]["number"] == 1


def test_an_imported_entry_whose_trakt_id_answers_404_goes_to_not_found(workdir: Path, fake: FakeTrakt) -> None:
    """Cell (imported, nothing names it, Trakt 404): the not-found file, as for upstream's mappings."""
    upstream_and_imported(workdir, fake)
    fake.not_found_shows.add(30)
    enrich.enrich(make_config(fake), Options(progress=False, force=True))
    assert IMPORTED not in by_mal_id(workdir, "tv_ex.json")
    assert read(workdir, "not_exist_tv_ex.json") == [{"mal_id": IMPORTED, "title": f"Anime {IMPORTED}"}]


def test_an_imported_entry_whose_lookup_fails_is_kept_as_published(workdir: Path, fake: FakeTrakt) -> None:
    """Cell (imported, nothing names it, Trakt fails): the entry published before stays, byte for byte."""
    upstream_and_imported(workdir, fake)
    before = by_mal_id(workdir, "tv_ex.json")[IMPORTED]
    fake.add_fault(Fault(status=500, path=r"^/shows/30$"))
    summary = enrich.enrich(make_config(fake), Options(progress=False, force=True))
    assert by_mal_id(workdir, "tv_ex.json")[IMPORTED] == before
    assert [record["mal_id"] for record in summary["stale"]] == [IMPORTED]


def test_an_upstream_row_of_its_own_replaces_an_imported_entry(workdir: Path, fake: FakeTrakt) -> None:
    """Cell (imported, upstream has a row): upstream's mapping is published, with its origin."""
    upstream_and_imported(workdir, fake)
    write_upstream(
        workdir, [tv_entry(1, 10), tv_entry(3, 10, season=2), tv_entry(IMPORTED, 10, 2)], [movie_entry(2, 20)]
    )
    run_enrich(fake)
    entry = by_mal_id(workdir, "tv_ex.json")[IMPORTED]
    assert (entry["origin"], entry["trakt"]["id"], entry["trakt"]["season"]["number"]) == ("upstream", 10, 2)


def test_an_entry_whose_upstream_row_is_gone_is_removed(workdir: Path, fake: FakeTrakt) -> None:
    """Cell (upstream, nothing names it): upstream took its row back, so the entry goes."""
    upstream_and_imported(workdir, fake)
    run_enrich(fake)
    assert 3 in by_mal_id(workdir, "tv_ex.json")
    write_upstream(workdir, [tv_entry(1, 10), tv_entry(4, 10, season=2)], [movie_entry(2, 20)])
    run_enrich(fake)
    assert 3 not in by_mal_id(workdir, "tv_ex.json") and 4 in by_mal_id(workdir, "tv_ex.json")


def test_an_override_replaces_an_imported_entry(workdir: Path, fake: FakeTrakt) -> None:
    """Cell (imported, an override names it): the override's mapping, origin override."""
    upstream_and_imported(workdir, fake)
    override = {
        "myanimelist": {"title": "Long Runner", "id": IMPORTED},
        "trakt": {"title": "Show 10", "id": 10, "type": "shows", "season": {"number": 2}},
    }
    (workdir / "overrides" / "override_tv.json").write_text(json.dumps([override]))
    run_enrich(fake)
    entry = by_mal_id(workdir, "tv_ex.json")[IMPORTED]
    assert (entry["origin"], entry["trakt"]["id"], entry["trakt"]["season"]["number"]) == ("override", 10, 2)


def test_a_discovered_entry_the_sources_stop_naming_stays_discovered(workdir: Path, fake: FakeTrakt) -> None:
    """Cell (discovered, nothing names it): a night whose sources lack the MAL id keeps the entry."""
    fake.shows[10], fake.seasons[10] = show(10), seasons(10, 1, 2)
    fake.movies[20] = movie(20)
    write_upstream(workdir, [tv_entry(1, 10)], [movie_entry(2, 20)])
    add_beet(fake, 1)
    write_sources(workdir, {BEET})
    run_discover(fake)
    run_enrich(fake)
    assert by_mal_id(workdir, "tv_ex.json")[BEET]["origin"] == "discovered"
    write_sources(workdir, {GAOGAIGAR})  # the sources stop naming MAL 8; Trakt's search finds no GaoGaiGar
    discovery = run_discover(fake)
    assert discovery.status == "ok" and discovery.candidates == []
    enrich.enrich(make_config(fake), Options(progress=False, force=True))
    entry = by_mal_id(workdir, "tv_ex.json")[BEET]
    assert (entry["origin"], entry["trakt"]["id"], entry["trakt"]["season"]["number"]) == ("discovered", 500, 1)


def test_a_source_going_silent_for_a_night_changes_no_published_byte(workdir: Path, fake: FakeTrakt) -> None:
    """Discovered and imported entries, then a night whose sources name none of them: output/ is unchanged."""
    upstream_and_imported(workdir, fake)
    add_beet(fake, 1)
    write_sources(workdir, {BEET})
    run_discover(fake)
    run_enrich(fake)
    before = snapshot(workdir / "output")
    assert {by_mal_id(workdir, "tv_ex.json")[m]["origin"] for m in (BEET, IMPORTED)} == {"discovered", "imported"}
    write_sources(workdir, {GAOGAIGAR})
    assert run_discover(fake).candidates == []
    run_enrich(fake)
    assert snapshot(workdir / "output") == before
