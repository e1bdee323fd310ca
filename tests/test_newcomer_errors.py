"""The errors a newcomer meets first say what to do next: no network, no key, a rejected key, a hand-edited output/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pipeline.__main__ as chain
from pipeline import enrich, fetch, validate
from pipeline.demo.fake_trakt import FakeTrakt
from pipeline.errors import PipelineError
from tests.conftest import API_KEY, make_config, movie, movie_entry, seasons, show, tv_entry, write_upstream

RESTORE = (
    "output/ is written by the pipeline: if it was edited by hand, `git checkout output/` restores the published"
    " files; corrections go to overrides/"
)


def small_run(workdir: Path, fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch) -> None:
    """One show and one movie upstream, answered by the fake, published once with the test key."""
    fake.shows[10], fake.seasons[10], fake.movies[20] = show(10), seasons(10, 1), movie(20)
    write_upstream(workdir, [tv_entry(1, 10)], [movie_entry(2, 20)])
    monkeypatch.setenv("TRAKT_API_URL", fake.url)
    assert enrich.main(["--api-key", API_KEY, "--no-progress"]) == 0


def test_no_network_names_the_url_the_variable_and_the_demo(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """fetch with nothing listening at the upstream URL says which URL, which variable, and that --demo is offline."""
    waits: list[float] = []
    with FakeTrakt() as fake:
        closed = fake.url
        config = make_config(fake)
    # the fake has stopped: nothing listens on its port any more, as with no network
    with pytest.raises(PipelineError) as caught:
        fetch.fetch(config, sleep=waits.append)
    attempts = config.download_max_retries + 1
    assert str(caught.value) == (
        f"upstream tv.json: cannot reach {closed}/db/tv.json ({attempts} attempts): check your network, or set"
        " ANITRAKT_TV_URL to a reachable copy; `uv run python -m pipeline --demo` runs the whole chain offline"
    )
    assert len(waits) == attempts - 1  # retried with backoff (recorded, not waited) before giving up


def test_no_key_names_the_three_ways_and_the_demo(
    workdir: Path, fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The chain without a key stops before its first step naming --api-key, TRAKT_API_KEY, .env, where to get one,
    and --demo."""
    fake.static["/db/tv.json"] = (200, json.dumps([tv_entry(1, 10)]).encode(), "application/json")
    fake.static["/db/movies.json"] = (200, json.dumps([movie_entry(2, 20)]).encode(), "application/json")
    monkeypatch.setenv("TRAKT_API_URL", fake.url)
    monkeypatch.setenv("ANITRAKT_TV_URL", f"{fake.url}/db/tv.json")
    monkeypatch.setenv("ANITRAKT_MOVIES_URL", f"{fake.url}/db/movies.json")
    assert chain.main(["--no-progress"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1:] == [
        "pipeline: no Trakt API key: give --api-key KEY, set TRAKT_API_KEY, or put TRAKT_API_KEY=... in .env (the"
        " Client ID of your app at https://trakt.tv/oauth/applications); to try the whole chain without a key: uv"
        " run python -m pipeline --demo",
    ]
    assert fake.count() == 0  # checked before any download


def test_rejected_key_says_which_value_to_give(
    workdir: Path, fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 403 says to set the app's Client ID (not the secret) by any of the three ways; nothing published changes."""
    small_run(workdir, fake, monkeypatch)
    before = (workdir / "output" / "tv_ex.json").read_bytes()
    capsys.readouterr()
    assert enrich.main(["--api-key", "my-client-secret", "--no-progress", "--force"]) == 1
    assert capsys.readouterr().err == (
        "enrich: Trakt rejected the API key (403) on /shows/10: set TRAKT_API_KEY (or --api-key, or .env) to the"
        " Client ID of your app at https://trakt.tv/oauth/applications, not its Client Secret; nothing published"
        " changed\n"
    )
    assert (workdir / "output" / "tv_ex.json").read_bytes() == before


def test_hand_edited_output_that_no_longer_validates_says_how_to_restore_it(
    workdir: Path, fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """validate names the field edited by hand, then says output/ is the pipeline's and how to restore it."""
    small_run(workdir, fake, monkeypatch)
    path = workdir / "output" / "tv_ex.json"
    entries = json.loads(path.read_text())
    entries[0]["trakt"]["slug"] = 2020
    path.write_text(json.dumps(entries, indent=2))
    capsys.readouterr()
    assert validate.main([]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "output/tv_ex.json: $[0].trakt.slug: 2020 is not of type 'string'",
        f"validate: 1 problem; fix them before anything is published; {RESTORE}",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[\n  {"mal_id": 2,}\n]\n', "not valid JSON (Expecting property name enclosed in double quotes at line 2"),
        ('{"entries": []}\n', "expected a JSON list"),
        ('[{"title": "Anime 2"}]\n', "$[0]: no MAL id (myanimelist.id or mal_id)"),
    ],
    ids=["broken-json", "not-a-list", "entry-without-mal-id"],
)
def test_enrich_on_a_hand_edited_output_says_how_to_restore_it(
    workdir: Path,
    fake: FakeTrakt,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    text: str,
    problem: str,
) -> None:
    """enrich refuses a published file it cannot read as entries, names it, and says how to restore it."""
    small_run(workdir, fake, monkeypatch)
    (workdir / "output" / "not_exist_movies_ex.json").write_text(text)
    capsys.readouterr()
    assert enrich.main(["--api-key", API_KEY, "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"enrich: output/not_exist_movies_ex.json: {problem}")
    assert err.endswith(f"; {RESTORE}\n")
