"""The first nightly after the import, through the real chain (fetch, discover, enrich, validate).

On a real subset (tests/fixtures/first-night/, written by ``tests/measurements/measure_first_night.py --write-subset``):
every 20th entry of each imported file in ``output/``, the real upstream rows of those MAL ids, and every
row of the three real mapping sources that names them. The fake Trakt answers each Trakt id as the
imported files say, and a search by id with the imported show or movie carrying that id. The discover
step applies its real rules (unlike tests/test_migration_guards.py, where the sources' claims stand in).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline import validate
from pipeline.config import load_config
from pipeline.enrich import Options, enrich
from pipeline.errors import PipelineError
from pipeline.published.models import KINDS, NOT_FOUND_FILE, OUTPUT_FILE, UPSTREAM_FILE
from pipeline.trakt.client import seasons_path
from tests.measurements.measure_first_night import (
    ROOT,
    UPSTREAM,
    World,
    build_fake,
    environment,
    fetch_and_discover,
    install,
    read,
)
from tests.standins.faultkit import snapshot

SUBSET = Path(__file__).resolve().parent / "fixtures" / "first-night"
WORLD = World(SUBSET / "output", SUBSET / "upstream", SUBSET / "sources")
KEY = "first-night-key"
QUIET = Options(progress=False)


def mal_ids(entries: list[dict[str, Any]]) -> set[int]:
    return {entry["myanimelist"]["id"] for entry in entries}


@pytest.fixture
def night(workdir: Path) -> Any:
    """The subset installed as the import left it; yields (fake, working directory) with the steps' variables set."""
    install(WORLD, workdir)
    with build_fake(WORLD, KEY) as fake, environment(fake, KEY):
        yield fake, workdir


def refused(workdir: Path) -> str:
    before = snapshot(workdir / "output")
    fetch_and_discover()
    with pytest.raises(PipelineError) as caught:
        enrich(load_config(dotenv=None), QUIET)
    assert snapshot(workdir / "output") == before
    return str(caught.value)


def test_the_subset_is_a_cut_of_the_real_files() -> None:
    """Every imported entry of the subset is in the committed output/, and upstream's rows are the real ones."""
    for kind in KINDS:
        full = {json.dumps(e, sort_keys=True) for e in read(ROOT / "output", OUTPUT_FILE[kind])}
        assert {json.dumps(e, sort_keys=True) for e in read(WORLD.output, OUTPUT_FILE[kind])} <= full
        real = {json.dumps(e, sort_keys=True) for e in read(UPSTREAM, UPSTREAM_FILE[kind])}
        assert {json.dumps(e, sort_keys=True) for e in read(WORLD.upstream, UPSTREAM_FILE[kind])} <= real


def test_first_night_after_the_import_publishes_without_allow_shrink(night: Any) -> None:
    """Removed: nothing Trakt still answers for; the imported MAL ids nobody maps stay imported."""
    fake, workdir = night
    before = {kind: read(workdir / "output", OUTPUT_FILE[kind]) for kind in KINDS}
    fetch_and_discover()
    config = load_config(dotenv=None)
    summary = enrich(config, QUIET)  # no allow_shrink: the guards must let it through
    assert validate.main([]) == 0
    discovered = read(workdir / ".cache", "candidates.json")
    assert discovered["status"] == "ok"
    for kind in KINDS:
        listed = {row["mal_id"] for row in read(WORLD.upstream, UPSTREAM_FILE[kind])}
        proposed = {candidate["mal_id"] for candidate in discovered[kind]}
        imported = mal_ids(before[kind])
        after = read(workdir / "output", OUTPUT_FILE[kind])
        missing = {entry["mal_id"] for entry in read(workdir / "output", NOT_FOUND_FILE[kind])}
        changes = summary["changes"][kind]
        removed = imported - mal_ids(after) - missing
        assert removed == set() and changes["removed"] == []  # silence is not evidence
        kept = {e["myanimelist"]["id"] for e in after if e["origin"] == "imported"}
        assert kept and kept <= imported - listed - proposed  # nobody maps them: they stay as imported
        assert imported & missing == set() and changes["not_found_new"] == []
        rediscovered = [e for e in after if e["origin"] == "discovered" and e["myanimelist"]["id"] in imported]
        assert rediscovered  # discovery, not upstream alone, keeps part of the imported entries
        if kind == "shows":
            split = {e["myanimelist"]["id"] for e in before[kind] if e["trakt"]["is_split_cour"]}
            assert {e["myanimelist"]["id"] for e in after if e["trakt"]["is_split_cour"]} & imported <= split
        else:  # the imported Letterboxd ids stay on every film still mapped to the same Trakt movie
            old = {e["myanimelist"]["id"]: e for e in before[kind]}
            same = [(e, old[e["myanimelist"]["id"]]) for e in after if e["myanimelist"]["id"] in old]
            known = [(e, o) for e, o in same if o["trakt"]["id"] == e["trakt"]["id"] and o["externals"]["letterboxd"]]
            assert len(known) > 10
            assert all(e["externals"]["letterboxd"] == o["externals"]["letterboxd"] for e, o in known)
    assert any(
        rule["rule"] not in ("search-empty", "search-several", "search-wrong-type") for rule in discovered["dropped"]
    )  # the real rules dropped some of the sources' claims
    fake.reset_log()
    published = snapshot(workdir / "output")
    fetch_and_discover()
    enrich(config, QUIET)
    assert snapshot(workdir / "output") == published  # the second night changes nothing


def test_trakt_answering_404_for_everything_on_that_night_is_refused(night: Any) -> None:
    fake, workdir = night
    fake.shows.clear(), fake.movies.clear(), fake.seasons.clear(), fake.search.clear()
    reason = refused(workdir)
    shows = len(read(WORLD.output, OUTPUT_FILE["shows"]))  # every one of the subset's published shows
    assert reason.startswith(f"tv_ex.json: of its {shows} published entries, this run would move {shows} (100%) to not")
    assert "(limit 10% each). Nothing published changed" in reason
    dropped = read(workdir / ".cache", "candidates.json")["dropped"]
    on_seasons = sum(d["rule"] == "season-missing" for d in dropped)
    assert all(
        seasons_path(int(d["detail"].split()[2])) in d["asked"] for d in dropped if d["rule"] == "season-missing"
    )
    assert on_seasons  # discovery dropped its claims on Trakt's answers; the published entries went to not found


def test_empty_seasons_for_every_show_on_that_night_is_refused(night: Any) -> None:
    fake, workdir = night
    for trakt_id in fake.seasons:
        fake.seasons[trakt_id] = []
    reason = refused(workdir)
    shows = len(read(WORLD.output, OUTPUT_FILE["shows"]))
    assert reason.startswith(f"tv_ex.json: of its {shows} published entries, this run would flip ")
    assert "to split cour (limit 10% each)" in reason
    assert "movies_ex.json" not in reason  # movies are untouched by a seasons failure


def test_the_night_after_trakt_recovers_publishes(night: Any) -> None:
    """The refused night's cached answers (empty seasons) are dropped: discovery asks Trakt again, not the cache."""
    fake, workdir = night
    seasons = dict(fake.seasons)
    fake.seasons = {trakt_id: [] for trakt_id in seasons}
    refused(workdir)
    fake.seasons = seasons
    fetch_and_discover()
    summary = enrich(load_config(dotenv=None), QUIET)
    assert summary["changes"]["shows"]["removed"] == []  # the imported entries nobody maps stay, as on a normal night
    assert summary["changes"]["shows"]["not_found_new"] == []


def test_a_skipped_discovery_on_that_night_removes_nothing(night: Any) -> None:
    """A mapping source missing: discovery is skipped, and the imported entries stay published as they were mapped."""
    fake, workdir = night
    del fake.static["/sources/anime_ids.json"]
    before = {kind: mal_ids(read(workdir / "output", OUTPUT_FILE[kind])) for kind in KINDS}
    fetch_and_discover()
    summary = enrich(load_config(dotenv=None), QUIET)
    assert read(workdir / ".cache", "candidates.json")["status"] == "skipped"
    for kind in KINDS:
        assert summary["changes"][kind]["removed"] == []
        assert before[kind] <= mal_ids(read(workdir / "output", OUTPUT_FILE[kind]))
