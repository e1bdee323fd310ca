"""Trakt faults: transient ones are retried, lasting ones keep the previous data, a dead Trakt stops the run."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from pipeline import enrich
from pipeline.demo.fake_trakt import FakeTrakt, Fault
from pipeline.enrich import Options
from pipeline.trakt.client import TraktUnavailable
from tests.conftest import API_KEY, make_config, movie, movie_entry, read, seasons, show, tv_entry, write_upstream
from tests.standins.faultkit import (
    FAILING,
    FAILING_MAL,
    FAILING_PATHS,
    Transient,
    VirtualTime,
    rename_failing,
    restore_logging,  # noqa: F401  # a fixture, used by name
    small_world,
    snapshot,
    transient_params,
)

QUIET = Options(progress=False)
FORCED = Options(progress=False, force=True)


def config_for(fake: FakeTrakt, case: Transient | None = None, **changes: Any) -> Any:
    """Production backoffs (time is virtual, so they cost nothing) and two retries."""
    settings = {"backoff": 1.0, "backoff_max": 60.0, "retry_after_max": 300.0, "max_retries": 2}
    return make_config(fake, **{**settings, **(case.config if case else {}), **changes})


def run(config: Any, options: Options = QUIET, clock: VirtualTime | None = None) -> dict[str, Any]:
    return enrich.enrich(config, options, client_factory=(clock or VirtualTime()).factory)


@pytest.mark.parametrize("case", transient_params())
def test_transient_fault_is_retried_with_backoff_then_succeeds(workdir: Path, fake: FakeTrakt, case: Transient) -> None:
    """Two faulty answers, then the good one: published as if nothing happened, after two waits."""
    small_world(fake, workdir)
    fake.add_fault(dataclasses.replace(case.make(), path=r"^/shows/10/seasons$", times=2))
    clock = VirtualTime()
    summary = run(config_for(fake, case), clock=clock)
    assert fake.count("/shows/10/seasons") == 3
    assert clock.waits == list(case.waits or (1.0, 2.0))  # what the answers asked, else exponential backoff
    assert summary["requests"]["retries"] == 2
    assert (summary["stale"], summary["failed_new"], summary["requests"]["failed"]) == ([], [], 0)
    trakt = read(workdir, "tv_ex.json")[0]["trakt"]
    assert (trakt["is_split_cour"], trakt["season"]["number"]) == (False, 2)
    fake.reset_log()
    assert run(config_for(fake, case))["requests"]["made"] == 0  # the good answer was cached, not a bad one


@pytest.mark.parametrize("case", transient_params())
def test_lasting_fault_keeps_the_previous_data_as_stale(workdir: Path, fake: FakeTrakt, case: Transient) -> None:
    """When retries run out on a forced refresh, the entries keep their published bytes and are reported stale."""
    small_world(fake, workdir)
    config = config_for(fake, case, max_retries=1)
    run(config)
    before = snapshot(workdir / "output")
    rename_failing(fake)
    fake.add_fault(dataclasses.replace(case.make(), path=FAILING))
    summary = run(config, FORCED)
    assert snapshot(workdir / "output") == before
    assert sorted((s["kind"], s["mal_id"]) for s in summary["stale"]) == FAILING_MAL
    assert summary["failed_new"] == []
    assert read(workdir, "not_exist_tv_ex.json") == read(workdir, "not_exist_movies_ex.json") == []
    assert not any(entry["trakt"]["is_split_cour"] for entry in read(workdir, "tv_ex.json"))


@pytest.mark.parametrize("case", transient_params())
def test_failed_answer_is_never_cached_so_the_next_run_asks_again(
    workdir: Path, fake: FakeTrakt, case: Transient
) -> None:
    """A new entry whose lookup fails is neither published nor not-found; once Trakt is back it is asked again."""
    small_world(fake, workdir)
    config = config_for(fake, case, max_retries=1)
    fake.add_fault(dataclasses.replace(case.make(), path=FAILING))
    summary = run(config)
    assert sorted((f["kind"], f["mal_id"]) for f in summary["failed_new"]) == FAILING_MAL
    assert [e["myanimelist"]["id"] for e in read(workdir, "tv_ex.json")] == [3]
    assert read(workdir, "not_exist_tv_ex.json") == read(workdir, "not_exist_movies_ex.json") == []
    fake.clear_faults()
    fake.reset_log()
    summary = run(config)
    asked = sorted(request.path for request in fake.requests)
    assert asked == sorted([*FAILING_PATHS, "/shows/11/seasons"])
    assert summary["failed_new"] == []
    assert [e["myanimelist"]["id"] for e in read(workdir, "tv_ex.json")] == [1, 2, 3]
    assert read(workdir, "movies_ex.json")[0]["trakt"]["title"] == "Movie 20"


def test_json_of_the_wrong_shape_is_stale_and_asked_again_next_run(workdir: Path, fake: FakeTrakt) -> None:
    """A 200 whose JSON is not a show keeps the previous entry, and is not reused from the cache next run."""
    small_world(fake, workdir)
    config = config_for(fake)
    run(config)
    before = snapshot(workdir / "output")
    fake.add_fault(Fault(body=b'{"error": "maintenance"}', path=r"^/movies/20$"))
    summary = run(config, FORCED)
    assert [s["mal_id"] for s in summary["stale"]] == [4]
    assert snapshot(workdir / "output") == before
    fake.clear_faults()
    fake.reset_log()
    fake.movies[20]["title"] = "Renamed film"
    run(config)
    assert fake.count() == 1
    assert read(workdir, "movies_ex.json")[0]["trakt"]["title"] == "Renamed film"


# -- a rejected key ---------------------------------------------------------------------------------


def _previous_output(fake: FakeTrakt, workdir: Path) -> dict[str, bytes]:
    small_world(fake, workdir)
    run(config_for(fake))
    (workdir / ".cache" / "trakt.sqlite").unlink()  # a lost cache: every lookup goes to Trakt
    return snapshot(workdir / "output")


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize("force", [False, True], ids=["cold-cache", "forced"])
@pytest.mark.parametrize("status", [401, 403])
def test_rejected_key_exits_1_with_one_line_naming_trakt_api_key(
    workdir: Path,
    fake: FakeTrakt,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    status: int,
    force: bool,
) -> None:
    """A 401 or 403 stops the run at the first answer: exit 1, one line naming TRAKT_API_KEY, files unchanged."""
    before = _previous_output(fake, workdir)
    monkeypatch.setenv("TRAKT_API_URL", fake.url)
    monkeypatch.setenv("TRAKT_API_KEY", API_KEY if status == 401 else "someone-elses-key")
    if status == 401:
        fake.add_fault(Fault(status=401))
    fake.reset_log()
    capsys.readouterr()
    assert enrich.main(["--no-progress", *(["--force"] if force else [])]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"enrich: Trakt rejected the API key ({status}) on /shows/10: set TRAKT_API_KEY (or --api-key, or .env) to"
        " the Client ID of your app at https://trakt.tv/oauth/applications, not its Client Secret; nothing published"
        " changed\n"
    )
    assert fake.count() == 1
    assert snapshot(workdir / "output") == before


def test_rejected_key_raises_trakt_unavailable(workdir: Path, fake: FakeTrakt) -> None:
    """Through the library, a rejected key is a TraktUnavailable (a PipelineError), not a stale entry."""
    before = _previous_output(fake, workdir)
    with pytest.raises(TraktUnavailable, match=r"^Trakt rejected the API key \(403\) on /shows/10: set TRAKT_API_KEY"):
        run(config_for(fake, api_key="someone-elses-key"), FORCED)
    assert snapshot(workdir / "output") == before


# -- a full outage ----------------------------------------------------------------------------------


def wide_world(fake: FakeTrakt, workdir: Path) -> int:
    """30 shows and 20 movies; returns the number of distinct URLs a cold run asks (80)."""
    for trakt_id in range(101, 131):
        fake.shows[trakt_id] = show(trakt_id)
        fake.seasons[trakt_id] = seasons(trakt_id, 1)
    for trakt_id in range(200, 220):
        fake.movies[trakt_id] = movie(trakt_id)
    write_upstream(
        workdir,
        [tv_entry(mal_id, 100 + mal_id) for mal_id in range(1, 31)],
        [movie_entry(100 + n, 200 + n) for n in range(20)],
    )
    return 30 * 2 + 20


OUTAGES = {
    "503": Fault(status=503),
    "connection-reset": Fault(reset=True),
    "429-retry-after-300": Fault(status=429, headers={"Retry-After": "300"}),
}


@pytest.mark.parametrize("outage", [pytest.param(fault, id=name) for name, fault in OUTAGES.items()])
@pytest.mark.parametrize("force", [False, True], ids=["cold-cache", "forced"])
def test_outage_stops_in_bounded_time_and_changes_nothing(
    workdir: Path, fake: FakeTrakt, outage: Fault, force: bool
) -> None:
    """Trakt dead from the 17th call: the breaker stops the run after 8 failed attempts; nothing published moves."""
    wide_world(fake, workdir)
    config = config_for(fake, max_retries=5)  # the production retry settings, in virtual time
    run(config)
    before = snapshot(workdir / "output")
    if not force:
        (workdir / ".cache" / "trakt.sqlite").unlink()
    for trakt_id in fake.movies:
        fake.movies[trakt_id]["title"] = "Renamed"
    fake.reset_log()
    fake.add_fault(dataclasses.replace(outage, after=16))
    clock = VirtualTime()
    with pytest.raises(TraktUnavailable, match=r"^Trakt looks unavailable: 8 failed attempts in a row \(last: "):
        run(config, FORCED if force else QUIET, clock)
    assert fake.count() - 16 == config.circuit_breaker_failures  # no request after the breaker opened
    assert sum(clock.waits) <= (config.circuit_breaker_failures - 1) * config.retry_after_max  # < 1 hour
    assert snapshot(workdir / "output") == before


def test_next_run_after_an_outage_asks_only_what_it_lacks(workdir: Path, fake: FakeTrakt) -> None:
    """The answers received before the outage are in the cache: the next run asks only the rest, then finishes."""
    total = wide_world(fake, workdir)
    config = config_for(fake)
    fake.add_fault(Fault(status=503, after=16))
    with pytest.raises(TraktUnavailable):
        run(config)
    assert not (workdir / "output").exists()
    fake.clear_faults()
    fake.reset_log()
    summary = run(config)
    assert fake.count() == total - 16
    assert (summary["requests"]["made"], summary["requests"]["from_cache"]) == (total - 16, 16)
    assert len(read(workdir, "tv_ex.json")) == 30 and len(read(workdir, "movies_ex.json")) == 20


def test_next_run_after_an_outage_during_a_forced_refresh_finishes(workdir: Path, fake: FakeTrakt) -> None:
    """After an outage cut a forced refresh short, a normal run needs no request and publishes valid files."""
    from pipeline.validate import validate_outputs

    wide_world(fake, workdir)
    config = config_for(fake)
    run(config)
    for trakt_id in fake.shows:
        fake.shows[trakt_id]["title"] = "Renamed"
    fake.add_fault(Fault(status=503, after=10))
    with pytest.raises(TraktUnavailable):
        run(config, FORCED)
    fake.clear_faults()
    fake.reset_log()
    summary = run(config)
    assert fake.count() == 0
    assert validate_outputs(workdir / "output") == []
    titles = [entry["trakt"]["title"] for entry in read(workdir, "tv_ex.json")]
    assert titles.count("Renamed") == 5  # the 5 shows (2 calls each) refreshed before the outage
    assert summary["stale"] == []


def test_sparse_failures_below_the_breaker_do_not_stop_the_run(workdir: Path, fake: FakeTrakt) -> None:
    """Failures separated by successes never open the breaker: the run finishes with those entries stale."""
    wide_world(fake, workdir)
    config = config_for(fake, max_retries=0)
    run(config)
    fake.add_fault(Fault(status=502, path=r"^/movies/\d*[02468]$"))
    summary = run(config, FORCED)
    assert len(summary["stale"]) == 10
    assert len(read(workdir, "movies_ex.json")) == 20
