"""Item 3 of issue 16: time limits that add up, and discover and enrich stopping on their own before theirs.

On GitHub a step past its ``timeout-minutes`` fails the run, and a job past its own is cancelled
(report and publish skipped, ``always()`` steps cut to a 5-minute grace): actions/runner
``StepsRunner.RunStepAsync``. The stand-in runner enforces both (first tests); the workflow's limits
add up (static test); discover and enrich stop asking Trakt after ``--stop-after`` minutes, keep their
progress in the cache and let the run publish what is done (tests on a clock that advances one minute
per Trakt request, so nothing depends on this machine's speed).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline import candidates, discover, enrich
from pipeline.config import Config
from pipeline.demo.fake_trakt import FakeTrakt
from pipeline.enrich import Options
from pipeline.trakt.client import OUT_OF_TIME, TraktClient
from tests.conftest import make_config, movie, movie_entry, read, seasons, show, tv_entry, write_upstream
from tests.standins.actions_runner import Runner
from tests.test_discover import BEET, MOVIE, MOVIE_TMDB, add_beet, found_movie, searches, write_sources

ROOT = Path(__file__).resolve().parent.parent
NIGHTLY = ROOT / ".github" / "workflows" / "nightly.yml"
MINUTE = 60.0


def minute_per_request(fake: FakeTrakt) -> Any:
    """A client factory whose clock advances one minute per request Trakt received."""

    def factory(config: Config, **options: Any) -> TraktClient:
        return TraktClient(config, clock=lambda: MINUTE * fake.count(), **options)

    return factory


# --- the workflow's limits ----------------------------------------------------------------------------


def stop_after(step: dict[str, Any]) -> float:
    found = re.search(r"--stop-after (\d+)", step["run"])
    assert found, f"step {step['id']} runs without --stop-after"
    return float(found.group(1))


def test_the_data_jobs_limits_add_up_and_trakt_steps_stop_well_before_theirs() -> None:
    """Every step has a limit; together they fit in the job's; discover and enrich stop 10+ minutes early.

    Sized for a cold first night with discovery (~16,600 Trakt calls at 1,000 per 5 minutes: ~27 minutes
    of discover, ~56 of enrich with issue 15's season checks), with room for a slow Trakt.
    """
    job = yaml.safe_load(NIGHTLY.read_text(encoding="utf-8"))["jobs"]["data"]
    limits = {step["id"]: step.get("timeout-minutes") for step in job["steps"]}
    assert all(isinstance(limit, int) for limit in limits.values()), limits
    assert sum(limits.values()) <= job["timeout-minutes"] <= 360  # 360: GitHub-hosted runners' maximum
    by_id = {step["id"]: step for step in job["steps"]}
    for step_id, needs in (("discover", 27), ("enrich", 56)):
        budget = stop_after(by_id[step_id])
        assert needs * 1.4 <= budget <= limits[step_id] - 10, step_id


# --- the stand-in runner enforces timeout-minutes ------------------------------------------------------


def run_workflow(tmp_path: Path, jobs: dict[str, Any], minute: float) -> Any:
    runner = Runner(
        workflow={"jobs": jobs},
        root=tmp_path,
        base_env={"PATH": "/usr/bin:/bin"},
        github={"event_name": "schedule", "ref": "refs/heads/main", "repository": "o/r", "server_url": "", "run_id": 1},
        minute=minute,
    )
    return runner.run()


def test_a_step_past_its_timeout_is_stopped_and_fails_and_always_steps_still_run(tmp_path: Path) -> None:
    steps = [
        {"id": "slow", "timeout-minutes": 1, "run": "trap 'echo got SIGINT; exit 130' INT; sleep 60 & wait"},
        {"id": "next", "run": "echo next"},
        {"id": "last", "if": "always()", "run": "echo last"},
    ]
    jobs = run_workflow(tmp_path, {"job": {"timeout-minutes": 10, "steps": steps}}, minute=0.2)
    outcomes = {step.id: step.outcome for step in jobs["job"].steps}
    assert outcomes == {"slow": "failure", "next": "skipped", "last": "success"}
    assert jobs["job"].steps[0].timed_out and "got SIGINT" in jobs["job"].steps[0].stdout
    assert jobs["job"].result == "failure"


def test_a_job_past_its_timeout_is_cancelled_and_only_always_steps_run(tmp_path: Path) -> None:
    """The job's limit, not the step's: ``!cancelled()`` steps (report) and plain ones (publish) are skipped."""
    steps = [
        {"id": "slow", "timeout-minutes": 100, "run": "sleep 60"},
        {"id": "report", "if": "${{ !cancelled() }}", "run": "echo report"},
        {"id": "publish", "run": "echo publish"},
        {"id": "status", "if": "always()", "run": "echo status"},
    ]
    jobs = run_workflow(tmp_path, {"job": {"timeout-minutes": 1, "steps": steps}}, minute=0.2)
    outcomes = {step.id: step.outcome for step in jobs["job"].steps}
    assert outcomes == {"slow": "cancelled", "report": "skipped", "publish": "skipped", "status": "success"}
    assert jobs["job"].result == "cancelled"


# --- enrich and discover stop on their own -------------------------------------------------------------


def test_enrich_stops_asking_trakt_after_its_budget_keeps_what_is_published_and_resumes(
    workdir: Path, fake: FakeTrakt
) -> None:
    """A forced refresh of six movies with two minutes: two asked, four keep their data; the next run asks
    only the four (the two answers are in the cache)."""
    for trakt_id in range(1, 7):
        fake.movies[trakt_id] = movie(trakt_id)
    write_upstream(workdir, None, [movie_entry(100 + i, i) for i in range(1, 7)])
    enrich.enrich(make_config(fake), Options(progress=False, kinds=("movies",)))
    published = read(workdir, "movies_ex.json")
    fake.reset_log()

    summary = enrich.enrich(
        make_config(fake),
        Options(progress=False, kinds=("movies",), force=True, stop_after=2),
        client_factory=minute_per_request(fake),
    )

    assert len(fake.requests) == summary["requests"]["made"] == 2
    assert read(workdir, "movies_ex.json") == published  # nothing lost, nothing removed
    assert len(summary["stale"]) == 4 and {entry["reason"] for entry in summary["stale"]} == {OUT_OF_TIME}
    fake.reset_log()

    summary = enrich.enrich(make_config(fake), Options(progress=False, kinds=("movies",)))

    assert summary["stale"] == [] and len(fake.requests) == 0  # the four: still cached from the first run


def test_enrich_cli_passes_stop_after_to_the_client() -> None:
    parser = enrich._parser()
    assert enrich._options(parser.parse_args(["--stop-after", "115"]), parser).stop_after == 115


def test_discover_out_of_time_skips_the_night_and_the_next_one_goes_on_from_the_cache(
    workdir: Path, fake: FakeTrakt
) -> None:
    add_beet(fake, 0, 1)
    fake.search["tmdb", str(MOVIE_TMDB)] = [found_movie(600, MOVIE_TMDB)]
    fake.movies[600] = movie(600, tmdb=MOVIE_TMDB)
    write_sources(workdir, {BEET, MOVIE})
    write_upstream(workdir, [tv_entry(1, 10)], [movie_entry(2, 20)])
    fake.shows[10], fake.seasons[10], fake.movies[20] = show(10), seasons(10, 1), movie(20)

    first = discover.discover(make_config(fake), client_factory=minute_per_request(fake), stop_after=1)

    assert first.status == "skipped" and "--stop-after" in first.warnings[0]
    assert candidates.read(make_config(fake).candidates).status == "skipped"  # type: ignore[union-attr]
    asked = searches(fake)
    assert len(asked) == 1

    second = discover.discover(make_config(fake))

    assert second.status == "ok"
    assert sorted(c.mal_id for c in second.candidates) == sorted([BEET, MOVIE])
    assert [path for path in searches(fake) if path not in asked] and searches(fake).count(asked[0]) == 1


@pytest.mark.parametrize("module", [discover, enrich])
def test_both_steps_take_stop_after(module: Any) -> None:
    source = Path(module.__file__).read_text(encoding="utf-8")
    assert '"--stop-after"' in source
