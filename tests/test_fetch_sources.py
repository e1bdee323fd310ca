"""pipeline.fetch and the mapping sources: checked, stored atomically, the previous copy kept on a bad one."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import fetch
from pipeline.demo.fake_trakt import SOURCES, FakeTrakt
from pipeline.sources.catalog import STATUS_FILE, read_status
from tests.conftest import SOURCE_VARIABLES, make_config, real_lists

NAMES = ("anime-list-master.xml", "anime_ids.json", "tvdb-mal.yaml")


def stored(workdir: Path) -> dict[str, bytes]:
    folder = workdir / ".cache" / "sources"
    return {name: (folder / name).read_bytes() for name in NAMES if (folder / name).exists()}


def test_fetch_stores_the_three_sources_as_downloaded(workdir: Path, fake: FakeTrakt) -> None:
    fake.serve_sources()
    problems = fetch.fetch_sources(make_config(fake))
    assert problems == dict.fromkeys(NAMES)
    assert stored(workdir) == {name: (SOURCES / name).read_bytes() for name in NAMES}
    assert read_status(workdir / ".cache" / "sources") == dict.fromkeys(NAMES)
    assert sorted(p.name for p in (workdir / ".cache" / "sources").iterdir()) == sorted([*NAMES, STATUS_FILE, "parsed"])
    # Issue 23, item 6: fetch has parsed them; it leaves the rows for discover and enrich to read back.
    assert sorted(p.name for p in (workdir / ".cache" / "sources" / "parsed").iterdir()) == sorted(
        f"{name}.pickle" for name in NAMES
    )


@pytest.mark.parametrize(
    ("name", "answer", "problem"),
    [
        ("anime-list-master.xml", (200, b"<!DOCTYPE html><html>", "text/html"), "anime-list-master.xml: not XML"),
        ("anime_ids.json", (200, b'{"1": {"mal_id"', "text/plain"), "anime_ids.json: not JSON"),
        ("tvdb-mal.yaml", (404, b"404: Not Found", "text/plain"), "tvdb-mal.yaml: HTTP 404 from http://"),
    ],
)
def test_a_bad_source_keeps_its_previous_copy_and_is_recorded(
    workdir: Path, fake: FakeTrakt, name: str, answer: tuple[int, bytes, str], problem: str
) -> None:
    """The other sources are stored; the bad one keeps last night's bytes; fetch does not fail."""
    fake.serve_sources()
    config = make_config(fake)
    fetch.fetch_sources(config)
    previous = stored(workdir)
    (workdir / ".cache" / "sources" / name).write_bytes(previous[name] + b"\n")  # tell the old copy apart
    fake.static[f"/sources/{name}"] = answer
    problems = fetch.fetch_sources(config)
    assert problems[name] is not None and problems[name].startswith(problem)
    variable = next(v for v, path in SOURCE_VARIABLES.items() if path.endswith(name))
    assert f"check {variable}" in problems[name]
    assert stored(workdir)[name] == previous[name] + b"\n"
    assert [n for n, p in problems.items() if p is None] == [n for n in NAMES if n != name]
    assert read_status(workdir / ".cache" / "sources")[name] == problems[name]
    assert not list((workdir / ".cache" / "sources").glob(".*.tmp"))


def test_fetch_main_succeeds_when_a_source_is_broken(
    workdir: Path, fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Upstream lists are fetched; a source answering an HTML page is a warning, exit 0."""
    tv, movies = real_lists()
    fake.serve_sources()
    fake.static["/db/tv.json"] = (200, (SOURCES.parent / "upstream" / "tv.json").read_bytes(), "application/json")
    fake.static["/db/movies.json"] = (200, (SOURCES.parent / "upstream" / "movies.json").read_bytes(), "text/plain")
    fake.static["/sources/anime_ids.json"] = (200, b"<html>rate limited</html>", "text/html")
    monkeypatch.setenv("ANITRAKT_TV_URL", f"{fake.url}/db/tv.json")
    monkeypatch.setenv("ANITRAKT_MOVIES_URL", f"{fake.url}/db/movies.json")
    for variable, path in SOURCE_VARIABLES.items():
        monkeypatch.setenv(variable, fake.url + path)
    assert fetch.main([]) == 0
    err = capsys.readouterr().err
    assert "fetch: anime_ids.json: not JSON" in err and "(check ANIME_IDS_URL)" in err
    assert "the previous copy is kept and discovery skips this night" in err
    assert (workdir / ".cache" / "upstream" / "tv.json").exists() and len(tv) > len(movies)
    assert set(stored(workdir)) == {"anime-list-master.xml", "tvdb-mal.yaml"}


def test_fetch_no_sources_downloads_only_the_upstream_lists(
    workdir: Path, fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.serve_sources()
    fake.static["/db/tv.json"] = (200, (SOURCES.parent / "upstream" / "tv.json").read_bytes(), "application/json")
    fake.static["/db/movies.json"] = (200, (SOURCES.parent / "upstream" / "movies.json").read_bytes(), "text/plain")
    monkeypatch.setenv("ANITRAKT_TV_URL", f"{fake.url}/db/tv.json")
    monkeypatch.setenv("ANITRAKT_MOVIES_URL", f"{fake.url}/db/movies.json")
    assert fetch.main(["--no-sources"]) == 0
    assert not any(request.path.startswith("/sources/") for request in fake.requests)
    assert not (workdir / ".cache" / "sources").exists()
