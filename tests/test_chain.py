"""The whole nightly chain on the full real upstream lists, against a fake Trakt that answers every id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import pipeline.__main__ as chain
from pipeline import candidates
from pipeline.demo.fake_trakt import SOURCES, SPARQL_PATH, UPSTREAM_MOVIES, UPSTREAM_TV, FakeTrakt
from pipeline.sources import anime_lists
from pipeline.trakt.client import seasons_path
from pipeline.validate import validate_outputs
from tests.conftest import API_KEY, SOURCE_VARIABLES, real_lists


def point_at(monkeypatch: pytest.MonkeyPatch, fake: FakeTrakt) -> None:
    """Environment for the steps, as docs/running.md's "local fake Trakt" section sets it."""
    fake.static["/db/tv.json"] = (200, UPSTREAM_TV.read_bytes(), "application/json")
    fake.static["/db/movies.json"] = (200, UPSTREAM_MOVIES.read_bytes(), "application/json")
    fake.serve_sources().synthesize_search(anime_lists.parse((SOURCES / anime_lists.FILE).read_bytes()))
    for variable, path in SOURCE_VARIABLES.items():
        monkeypatch.setenv(variable, fake.url + path)
    monkeypatch.setenv("TRAKT_API_URL", fake.url)
    monkeypatch.setenv("WIKIDATA_SPARQL_URL", fake.url + SPARQL_PATH)
    monkeypatch.setenv("ANITRAKT_TV_URL", f"{fake.url}/db/tv.json")
    monkeypatch.setenv("ANITRAKT_MOVIES_URL", f"{fake.url}/db/movies.json")
    monkeypatch.setenv("TRAKT_API_KEY", API_KEY)
    monkeypatch.setenv("TRAKT_RATE_LIMIT_CALLS", "1000000")  # no pacing against the fake
    monkeypatch.setenv("TRAKT_CONCURRENCY", "4")  # as in production


def trakt_paths(fake: FakeTrakt) -> list[str]:
    return [
        request.path + (f"?{request.query}" if request.query else "")
        for request in fake.requests
        if not request.path.startswith(("/db/", "/sources/"))
    ]


def load(workdir: Path, name: str) -> list[dict[str, Any]]:
    return json.loads((workdir / "output" / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_full_real_lists_end_to_end(
    workdir: Path, fake_full: FakeTrakt, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """fetch -> discover -> enrich -> validate -> report on 5,190 real entries and the real source rows:
    valid, complete, discovered entries beside upstream's, minimal requests, then cached."""
    point_at(monkeypatch, fake_full)
    assert chain.main(["--no-progress"]) == 0
    report = capsys.readouterr().out

    # Every output is valid.
    assert validate_outputs(workdir / "output") == []

    # Every upstream MAL id is either published or not found, in its own list, never both; the
    # discovered entries are MAL ids neither upstream list has, and only the candidates discover wrote.
    tv, movies = real_lists()
    upstream_ids = {e["mal_id"] for e in tv} | {e["mal_id"] for e in movies}
    discovery = candidates.read(workdir / ".cache" / "candidates.json")
    assert discovery is not None and discovery.status == "ok"
    discovered: dict[str, list[dict[str, Any]]] = {}
    for kind, entries, output, missing in (
        ("shows", tv, "tv_ex.json", "not_exist_tv_ex.json"),
        ("movies", movies, "movies_ex.json", "not_exist_movies_ex.json"),
    ):
        published = load(workdir, output)
        curated = {e["myanimelist"]["id"] for e in published if e["origin"] == "upstream"}
        discovered[kind] = [e for e in published if e["origin"] == "discovered"]
        not_found = {e["mal_id"] for e in load(workdir, missing)}
        assert curated | not_found == {e["mal_id"] for e in entries}
        assert not curated & not_found
        assert {e["origin"] for e in published} == {"upstream", "discovered"}
        found = {(c.mal_id, c.trakt_id) for c in discovery.of_kind(kind)}  # type: ignore[arg-type]
        assert discovered[kind] and {(e["myanimelist"]["id"], e["trakt"]["id"]) for e in discovered[kind]} <= found
        assert not {e["myanimelist"]["id"] for e in discovered[kind]} & upstream_ids
    # A discovered show is on a season Trakt's seasons answer has: the season itself, or for a continuation
    # cour a split cour inside it from the episode its offset says.
    for entry in discovered["shows"]:
        numbers = {s["number"] for s in fake_full.seasons[entry["trakt"]["id"]]}
        episodes = entry["trakt"]["episodes"]
        assert episodes["season"] in numbers
        if entry["trakt"]["is_split_cour"]:
            assert entry["trakt"]["season"] is None and episodes["offset"] > 0
        else:
            assert entry["trakt"]["season"]["number"] == episodes["season"] and episodes["offset"] == 0
    # The fake's [], several results, wrong types and missing seasons each dropped a candidate.
    rules_seen = {d["rule"] for d in discovery.dropped}
    assert {"search-several", "search-wrong-type", "season-missing", "shared-season"} <= rules_seen

    # Each URL asked once: upstream's shows, seasons and movies, and one search per external id.
    show_ids = {e["trakt_id"] for e in tv}
    movie_ids = {e["trakt_id"] for e in movies}
    needed = (
        {f"/shows/{i}" for i in show_ids}
        | {seasons_path(i) for i in show_ids if i not in fake_full.not_found_shows}
        | {f"/movies/{i}" for i in movie_ids}
        | {f"/shows/{e['trakt']['id']}" for e in discovered["shows"]}
        | {seasons_path(e["trakt"]["id"]) for e in discovered["shows"]}
        | {f"/movies/{e['trakt']['id']}" for e in discovered["movies"]}
    )
    asked = trakt_paths(fake_full)
    assert len(asked) == len(set(asked))  # each exactly once
    searches = [path for path in asked if path.startswith("/search/")]
    assert set(asked) - set(searches) >= needed
    assert len(searches) <= discovery.counts["proposed"] * 2  # at most TMDB, then TVDB after a []
    assert (
        f"**{discovery.counts['requests']:,}" in report or f"{discovery.counts['requests']:,} Trakt requests" in report
    )
    assert "### Discovery" in report and "Review queue" in report

    # Split cours and not-founds really occur in this run, and match the fake's data.
    shows = load(workdir, "tv_ex.json")
    split = [e for e in shows if e["trakt"]["is_split_cour"]]
    assert split and all(e["trakt"]["season"] is None for e in split)
    for entry in split:
        numbers = {s["number"] for s in fake_full.seasons[entry["trakt"]["id"]]}
        mal = [e for e in tv if e["mal_id"] == entry["myanimelist"]["id"]]
        assert all(e["season"] not in numbers for e in mal if e["trakt_id"] == entry["trakt"]["id"])
    assert load(workdir, "not_exist_tv_ex.json") and load(workdir, "not_exist_movies_ex.json")
    meta = json.loads((workdir / "output" / "meta.json").read_text())
    assert meta["origins"]["tv_ex.json"]["discovered"] == len(discovered["shows"])
    assert meta["origins"]["movies_ex.json"]["discovered"] == len(discovered["movies"])

    # A second run right after the first asks Trakt nothing and changes no byte.
    before = {p.name: p.read_bytes() for p in (workdir / "output").iterdir()}
    fake_full.reset_log()
    assert chain.main(["--no-progress"]) == 0
    assert trakt_paths(fake_full) == []
    second = capsys.readouterr().out
    assert "**0 requests** made" in second and "0 Trakt requests" in second
    assert {p.name: p.read_bytes() for p in (workdir / "output").iterdir()} == before


def test_chain_stops_at_the_first_failing_step(
    workdir: Path, fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """When fetch gets an HTML page, the chain exits 1 there and enrich never runs."""
    point_at(monkeypatch, fake)
    fake.static["/db/tv.json"] = (200, b"<!DOCTYPE html><html>rate limited</html>", "text/html")
    assert chain.main(["--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "upstream tv.json: got an HTML page, not a JSON list (check ANITRAKT_TV_URL)" in err
    assert "pipeline: stopped at fetch (exit 1)" in err
    assert trakt_paths(fake) == []
    assert not (workdir / "output").exists()


@pytest.mark.parametrize(
    ("args", "calls"),
    [
        (
            ["--no-progress"],
            [
                ("fetch", []),
                ("discover", ["--api-key=env-key"]),
                ("enrich", ["--no-progress", "--api-key=env-key"]),
                ("validate", []),
                ("report", []),
            ],
        ),
        (
            ["--no-discovery", "--force"],
            [
                ("fetch", ["--no-sources"]),
                ("enrich", ["--force", "--api-key=env-key"]),
                ("validate", []),
                ("report", []),
            ],
        ),
        (
            ["--api-key", "k3y"],
            [
                ("fetch", []),
                ("discover", ["--api-key=k3y"]),
                ("enrich", ["--api-key", "k3y", "--api-key=k3y"]),
                ("validate", []),
                ("report", []),
            ],
        ),
    ],
)
def test_chain_runs_discover_unless_told_not_to(
    monkeypatch: pytest.MonkeyPatch, args: list[str], calls: list[tuple[str, list[str]]]
) -> None:
    """--no-discovery skips the sources in fetch and the discover step; other flags go to enrich, the checked key
    to discover and enrich."""
    seen: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(chain.preflight, "check", lambda config, flag: flag or "env-key")  # tested on its own
    for name in ("fetch", "discover", "enrich", "validate", "report"):
        module = getattr(chain, name)
        monkeypatch.setattr(module, "main", lambda argv, name=name: seen.append((name, list(argv))) or 0)
    assert chain.main(args) == 0
    assert seen == calls
