"""The first nightly after importing the predecessor's files publishes; an outage on that night does not.

On a real subset (every 20th entry of each predecessor file, tests/fixtures/predecessor/guards-*.json,
written by ``tests/measurements/measure_migration.py --write-subset``): the imported files in ``output/``, the real
upstream rows for those MAL ids, discovery's stand-in (the mapping sources' claims, as overrides), and
a fake Trakt answering what the predecessor published.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from pipeline import enrich
from pipeline.demo.fake_trakt import FakeTrakt
from pipeline.enrich import Options
from pipeline.errors import PipelineError
from pipeline.published.models import KINDS, OUTPUT_FILE, UPSTREAM_FILE, Kind
from tests.conftest import API_KEY, make_config
from tests.standins.faultkit import snapshot
from tests.standins.predecessor_world import SUBSET, Entries, World, install, load_subset

QUIET = Options(progress=False)
WORLD = load_subset()


def baseline(upstream: dict[Kind, Entries]) -> dict[str, Any]:
    """meta.json as the import writes it: the upstream lists the imported data corresponds to."""
    recorded = {}
    for kind in KINDS:
        payload = json.dumps(upstream[kind], ensure_ascii=False).encode()
        recorded[UPSTREAM_FILE[kind]] = {"sha256": hashlib.sha256(payload).hexdigest(), "entries": len(upstream[kind])}
    files = {name: {"entries": len(entries)} for name, entries in WORLD.predecessor.items()}
    return {"schema_version": 1, "last_changed": "2026-07-24T00:00:00Z", "files": files, "upstream": recorded}


def published_ids(world: World, kind: Kind) -> set[int]:
    return {entry["myanimelist"]["id"] for entry in world.predecessor[OUTPUT_FILE[kind]]}


def unmapped(world: World, kind: Kind) -> list[int]:
    """Published MAL ids that neither upstream nor the sources map: what the first night removes."""
    listed = {entry["mal_id"] for entry in world.upstream[kind]}
    return sorted(published_ids(world, kind) - listed - set(world.claims[kind]))


@pytest.fixture
def trakt() -> Any:
    with FakeTrakt.from_sample(SUBSET / "guards-trakt.json", expected_key=API_KEY) as fake:
        yield fake


@pytest.fixture
def imported(workdir: Path) -> dict[str, bytes]:
    """output/ as the import leaves it; returns its bytes."""
    install(workdir, WORLD, WORLD.upstream, baseline(WORLD.upstream))
    return snapshot(workdir / "output")


def refused(workdir: Path, fake: FakeTrakt) -> str:
    before = snapshot(workdir / "output")
    config = make_config(fake)
    with pytest.raises(PipelineError) as caught:
        enrich.enrich(config, QUIET)
    assert snapshot(workdir / "output") == before
    assert not config.run_summary.exists()
    return str(caught.value)


def test_the_subset_is_representative() -> None:
    """The subset keeps the real snapshot's proportions (measured on the full files: 70.1% / 1.8%, 67.0% / 0%)."""
    shows, movies = published_ids(WORLD, "shows"), published_ids(WORLD, "movies")
    assert (len(shows), len(movies)) == (270, 95)
    tv_listed = shows & {entry["mal_id"] for entry in WORLD.upstream["shows"]}
    assert 0.65 < len(tv_listed) / len(shows) < 0.75  # upstream maps about 70% of the predecessor's TV entries
    assert len(unmapped(WORLD, "shows")) == 6 and unmapped(WORLD, "movies") == []


def test_first_night_after_the_import_publishes_without_allow_shrink(
    workdir: Path, trakt: FakeTrakt, imported: dict[str, bytes]
) -> None:
    """Predecessor entries nobody maps are removed and reported; nothing else is lost; the next night is quiet.

    The predecessor's raw files carry no ``origin``, so their entries count as upstream's, whose own source
    took them back; the import's entries (``"origin": "imported"``) stay instead (tests/test_first_night.py).
    """
    summary = enrich.enrich(make_config(trakt), QUIET)
    shows, movies = summary["changes"]["shows"], summary["changes"]["movies"]
    assert shows["removed"] == unmapped(WORLD, "shows")  # 6 of 270 (2.2%): under the 10% limit
    assert (shows["not_found_new"], movies["removed"], movies["not_found_new"]) == ([], [], [])
    split = {e["myanimelist"]["id"] for e in WORLD.predecessor["tv_ex.json"] if e["trakt"]["is_split_cour"]}
    published = json.loads((workdir / "output" / "tv_ex.json").read_text())
    now_split = {e["myanimelist"]["id"] for e in published if e["trakt"]["is_split_cour"]}
    assert now_split & published_ids(WORLD, "shows") == split - set(unmapped(WORLD, "shows"))  # no flip
    assert published_ids(WORLD, "shows") - {e["myanimelist"]["id"] for e in published} == set(unmapped(WORLD, "shows"))
    trakt.reset_log()
    after = snapshot(workdir / "output")
    enrich.enrich(make_config(trakt), QUIET)
    assert (trakt.count(), snapshot(workdir / "output")) == (0, after)


def test_trakt_answering_404_for_everything_on_that_night_is_refused(
    workdir: Path, trakt: FakeTrakt, imported: dict[str, bytes]
) -> None:
    """A Trakt (or TRAKT_API_URL) that knows no id: every mapped entry would be not found; refused."""
    with FakeTrakt(expected_key=API_KEY) as nothing:
        reason = refused(workdir, nothing)
    assert reason.startswith(
        "tv_ex.json: of its 270 published entries, this run would move 264 (98%) to not found; movies_ex.json: of its"
        " 95 published entries, this run would move 95 (100%) to not found (limit 10% each). Nothing published"
        " changed: if Trakt (or TRAKT_API_URL) is at fault"
    )


def test_empty_seasons_for_every_show_on_that_night_is_refused(
    workdir: Path, trakt: FakeTrakt, imported: dict[str, bytes]
) -> None:
    """Trakt answers no seasons: every mapped show entry with a season would flip to split cour; refused."""
    for trakt_id in trakt.seasons:
        trakt.seasons[trakt_id] = []
    flips = [
        e
        for e in WORLD.predecessor["tv_ex.json"]
        if not e["trakt"]["is_split_cour"] and e["myanimelist"]["id"] not in unmapped(WORLD, "shows")
    ]
    assert refused(workdir, trakt).startswith(
        f"tv_ex.json: of its 270 published entries, this run would flip {len(flips)} ({len(flips) / 270:.0%}) to"
        " split cour (limit 10% each)."
    )
    assert len(flips) > 0.9 * 270


def test_upstream_cut_to_half_on_that_night_is_refused_before_any_request(
    workdir: Path, trakt: FakeTrakt, imported: dict[str, bytes]
) -> None:
    """tv.json with every other row, against the count the import recorded: refused at once."""
    half = {**WORLD.upstream, "shows": WORLD.upstream["shows"][::2]}
    install(workdir, WORLD, half, baseline(WORLD.upstream))
    total, kept = len(WORLD.upstream["shows"]), len(half["shows"])
    assert refused(workdir, trakt).startswith(
        f"upstream tv.json has {kept} entries, {1 - kept / total:.0%} fewer than the {total} the published files"
        " were built from (meta.json; limit 10%)"
    )
    assert trakt.count() == 0


def test_upstream_cut_to_half_without_a_recorded_count_is_refused_by_the_removals(
    workdir: Path, trakt: FakeTrakt, imported: dict[str, bytes]
) -> None:
    """No count in meta.json: what the cut removes (discovery not covering it) trips the removal guard."""
    half = {**WORLD.upstream, "shows": WORLD.upstream["shows"][::2]}
    install(workdir, WORLD, half, None, discover_against=WORLD.upstream)
    reason = refused(workdir, trakt)
    assert reason.startswith("tv_ex.json: of its 270 published entries, this run would remove ")
    assert "their MAL ids are in neither the upstream list, the overrides nor discovery" in reason
    assert trakt.count() == 0
