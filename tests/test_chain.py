"""The whole nightly chain on the full real upstream lists, against a fake Trakt that answers every id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pipeline.__main__ as chain
from pipeline.fake_trakt import UPSTREAM_MOVIES, UPSTREAM_TV, FakeTrakt
from pipeline.validate import validate_outputs
from tests.conftest import API_KEY, real_lists


def point_at(monkeypatch: pytest.MonkeyPatch, fake: FakeTrakt) -> None:
    """Environment for the steps, as the README's "local fake Trakt" section sets it."""
    fake.static["/db/tv.json"] = (200, UPSTREAM_TV.read_bytes(), "application/json")
    fake.static["/db/movies.json"] = (200, UPSTREAM_MOVIES.read_bytes(), "application/json")
    monkeypatch.setenv("TRAKT_API_URL", fake.url)
    monkeypatch.setenv("ANITRAKT_TV_URL", f"{fake.url}/db/tv.json")
    monkeypatch.setenv("ANITRAKT_MOVIES_URL", f"{fake.url}/db/movies.json")
    monkeypatch.setenv("TRAKT_API_KEY", API_KEY)
    monkeypatch.setenv("TRAKT_RATE_LIMIT_CALLS", "1000000")  # no pacing against the fake
    monkeypatch.setenv("TRAKT_CONCURRENCY", "4")  # as in production


def trakt_paths(fake: FakeTrakt) -> list[str]:
    return [request.path for request in fake.requests if not request.path.startswith("/db/")]


def load(workdir: Path, name: str) -> list[dict[str, object]]:
    return json.loads((workdir / "output" / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_full_real_lists_end_to_end(
    workdir: Path, fake_full: FakeTrakt, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """fetch -> enrich -> validate -> report on 5,190 real entries: valid, complete, minimal, then cached."""
    point_at(monkeypatch, fake_full)
    assert chain.main(["--no-progress"]) == 0
    report = capsys.readouterr().out

    # Every output is valid.
    assert validate_outputs(workdir / "output") == []

    # Every upstream MAL id is either published or not found, in its own list, never both.
    tv, movies = real_lists()
    for entries, output, missing in (
        (tv, "tv_ex.json", "not_exist_tv_ex.json"),
        (movies, "movies_ex.json", "not_exist_movies_ex.json"),
    ):
        published = {e["myanimelist"]["id"] for e in load(workdir, output)}  # type: ignore[index]
        not_found = {e["mal_id"] for e in load(workdir, missing)}
        assert published | not_found == {e["mal_id"] for e in entries}
        assert not published & not_found

    # Requests made = the distinct URLs needed: each show and movie once, seasons only for shows found.
    show_ids = {e["trakt_id"] for e in tv}
    movie_ids = {e["trakt_id"] for e in movies}
    needed = (
        {f"/shows/{i}" for i in show_ids}
        | {f"/shows/{i}/seasons" for i in show_ids if i not in fake_full.not_found_shows}
        | {f"/movies/{i}" for i in movie_ids}
    )
    asked = trakt_paths(fake_full)
    assert sorted(asked) == sorted(needed)  # each exactly once
    assert f"**{len(needed):,} requests** made" in report

    # Split cours and not-founds really occur in this run, and match the fake's data.
    shows = load(workdir, "tv_ex.json")
    split = [e for e in shows if e["trakt"]["is_split_cour"]]  # type: ignore[index]
    assert split and all(e["trakt"]["season"] is None for e in split)  # type: ignore[index]
    for entry in split:
        numbers = {s["number"] for s in fake_full.seasons[entry["trakt"]["id"]]}  # type: ignore[index]
        mal = [e for e in tv if e["mal_id"] == entry["myanimelist"]["id"]]  # type: ignore[index]
        assert all(e["season"] not in numbers for e in mal if e["trakt_id"] == entry["trakt"]["id"])  # type: ignore[index]
    assert load(workdir, "not_exist_tv_ex.json") and load(workdir, "not_exist_movies_ex.json")

    # A second run right after the first asks Trakt nothing and changes no byte.
    before = {p.name: p.read_bytes() for p in (workdir / "output").iterdir()}
    fake_full.reset_log()
    assert chain.main(["--no-progress"]) == 0
    assert trakt_paths(fake_full) == []
    assert "**0 requests** made" in capsys.readouterr().out
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
