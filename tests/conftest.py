"""Shared fixtures: a working directory, a fake Trakt on 127.0.0.1, and a config pointing at it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import Config, load_config
from pipeline.demo.fake_trakt import SOURCE_FILES, SPARQL_PATH, UPSTREAM_MOVIES, UPSTREAM_TV, FakeTrakt
from pipeline.published.models import KINDS, UPSTREAM_FILE, Kind

API_KEY = "test-key-5f0c1d9e8b7a"
# variable -> the path the fake serves the mapping source at (FakeTrakt.serve_sources)
SOURCE_VARIABLES = {variable: f"/sources/{name}" for variable, name in SOURCE_FILES.items()}


def real_lists() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return json.loads(UPSTREAM_TV.read_text()), json.loads(UPSTREAM_MOVIES.read_text())


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory (output/, overrides/, .cache/ are created by the steps)."""
    monkeypatch.chdir(tmp_path)
    # One lookup at a time, so tests that count requests around a fault are deterministic; the
    # full-chain test and tests/test_concurrency.py run with several.
    monkeypatch.setenv("TRAKT_CONCURRENCY", "1")
    # The fake has no rate limit, and the client keeps its window between runs (.cache/trakt-window.json):
    # a test that runs enrich.main several times must not wait out Trakt's real 5-minute window.
    monkeypatch.setenv("TRAKT_RATE_LIMIT_PERIOD", "1")
    for variable in (
        "TRAKT_API_KEY",
        "TRAKT_API_URL",
        "ANITRAKT_TV_URL",
        "ANITRAKT_MOVIES_URL",
        "GITHUB_STEP_SUMMARY",
        *SOURCE_VARIABLES,
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("WIKIDATA_SPARQL_URL", f"http://127.0.0.1:9{SPARQL_PATH}")  # never the real Wikidata
    # Offline whatever a test leaves unset: the mapping sources' defaults are GitHub URLs, so they point
    # at a closed local port instead (refused at once), and a failed download is not retried for real.
    for variable, path in SOURCE_VARIABLES.items():
        monkeypatch.setenv(variable, f"http://127.0.0.1:9{path}")
    monkeypatch.setenv("FETCH_MAX_RETRIES", "0")
    (tmp_path / "overrides").mkdir()
    for name in ("override_tv.json", "override_movies.json"):
        (tmp_path / "overrides" / name).write_text("[]\n")
    return tmp_path


@pytest.fixture
def fake() -> Iterator[FakeTrakt]:
    """A fake Trakt with the recorded sample only; tests add what they need."""
    with FakeTrakt.from_sample(expected_key=API_KEY) as server:
        yield server


@pytest.fixture
def fake_full() -> Iterator[FakeTrakt]:
    """A fake Trakt answering every id of the real upstream lists (some 404, some seasons missing)."""
    tv, movies = real_lists()
    with FakeTrakt.from_sample(expected_key=API_KEY).synthesize(tv, movies) as server:
        yield server


def make_config(fake: FakeTrakt, **changes: Any) -> Config:
    """A config for the working directory: the fake's URL, the test key, no real waiting."""
    config = load_config(environ={}, dotenv=None).replace(
        api_key=API_KEY,
        api_url=fake.url,
        tv_url=f"{fake.url}/db/tv.json",
        movies_url=f"{fake.url}/db/movies.json",
        anime_lists_url=fake.url + SOURCE_VARIABLES["ANIME_LISTS_URL"],
        anime_ids_url=fake.url + SOURCE_VARIABLES["ANIME_IDS_URL"],
        shinkro_tvdb_url=fake.url + SOURCE_VARIABLES["SHINKRO_TVDB_URL"],
        wikidata_sparql_url=fake.url + SPARQL_PATH,
        timeout=2.0,
        rate_limit_period=1.0,  # the fake has no rate limit; a test of the limiter sets its own
        backoff=0.01,
        backoff_max=0.05,
        retry_after_max=0.05,
        concurrency=1,
    )
    return config.replace(**changes)


def write_upstream(workdir: Path, tv: list[dict[str, Any]] | None, movies: list[dict[str, Any]] | None) -> None:
    """Put upstream lists where fetch would have stored them; an empty or None list is not written."""
    folder = workdir / ".cache" / "upstream"
    folder.mkdir(parents=True, exist_ok=True)
    for name, entries in (("tv.json", tv), ("movies.json", movies)):
        if entries:
            (folder / name).write_text(json.dumps(entries, ensure_ascii=False, indent=2))
        else:
            (folder / name).unlink(missing_ok=True)


def kinds_present(workdir: Path) -> tuple[Kind, ...]:
    """The kinds whose upstream list is in the working directory (what a test's run processes)."""
    folder = workdir / ".cache" / "upstream"
    return tuple(kind for kind in KINDS if (folder / UPSTREAM_FILE[kind]).exists())


def copy_real_upstream(workdir: Path) -> None:
    folder = workdir / ".cache" / "upstream"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(UPSTREAM_TV, folder / "tv.json")
    shutil.copy(UPSTREAM_MOVIES, folder / "movies.json")


def show(trakt_id: int, title: str = "", **ids: Any) -> dict[str, Any]:
    """A Trakt show answer."""
    base = {"trakt": trakt_id, "slug": f"show-{trakt_id}", "tvdb": 1000 + trakt_id, "imdb": f"tt{trakt_id:07d}"}
    return {
        "title": title or f"Show {trakt_id}",
        "year": 2020,
        "ids": {**base, "tmdb": 2000 + trakt_id, "tvrage": None, **ids},
    }


def seasons(trakt_id: int, *numbers: int) -> list[dict[str, Any]]:
    return [
        {"number": n, "ids": {"trakt": trakt_id * 100 + n, "tvdb": 5000 + n, "tmdb": 6000 + n, "tvrage": None}}
        for n in numbers
    ]


def movie(trakt_id: int, title: str = "", **ids: Any) -> dict[str, Any]:
    base = {"trakt": trakt_id, "slug": f"movie-{trakt_id}", "imdb": f"tt{trakt_id:07d}", "tmdb": 3000 + trakt_id}
    return {"title": title or f"Movie {trakt_id}", "year": 2001, "ids": {**base, **ids}}


def tv_entry(mal_id: int, trakt_id: int, season: int = 1, title: str = "") -> dict[str, Any]:
    return {
        "title": title or f"Anime {mal_id}",
        "mal_id": mal_id,
        "trakt_id": trakt_id,
        "guessed_slug": f"show-{trakt_id}",
        "season": season,
        "type": "shows",
    }


def movie_entry(mal_id: int, trakt_id: int, title: str = "") -> dict[str, Any]:
    return {
        "title": title or f"Anime movie {mal_id}",
        "mal_id": mal_id,
        "trakt_id": trakt_id,
        "guessed_slug": f"movie-{trakt_id}",
        "type": "movies",
    }


def read(workdir: Path, name: str) -> Any:
    return json.loads((workdir / "output" / name).read_text(encoding="utf-8"))
