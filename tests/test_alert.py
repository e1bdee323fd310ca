"""The "nightly failing" issue and the keepalive, against a fake gh."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline import alert, keepalive
from tests.standins.fake_gh import FakeGh

RUN = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "owner/data",
    "GITHUB_RUN_ID": "9",
    "GITHUB_EVENT_NAME": "schedule",
    "GITHUB_REF": "refs/heads/main",
}


@pytest.fixture
def gh(tmp_path: Path) -> FakeGh:
    return FakeGh.install(tmp_path / "gh")


def night(gh: FakeGh, result: str, failed_step: str = "", report: str = "") -> int:
    environ = {**RUN, "PATH": f"{gh.folder}{os.pathsep}{os.environ['PATH']}"}
    return alert.main([], {**environ, "RESULT": result, "FAILED_STEP": failed_step, "REPORT": report})


def test_failure_opens_one_issue_then_comments_and_success_closes_it(gh: FakeGh) -> None:
    """Two failing nights make one issue with two reports; the next success closes it with the run's link."""
    assert night(gh, "failure", "fetch") == 0
    assert night(gh, "failure", "validate", "## extended-anitrakt run\n\n3 problems\n") == 0

    (issue,) = gh.issues()
    assert issue["title"] == "nightly failing" and issue["state"] == "open"
    assert issue["body"].startswith(
        "The nightly run https://github.com/owner/data/actions/runs/9 ended with **failure** at step `fetch`"
    )
    assert issue["body"].endswith(alert.NO_REPORT + "\n")
    assert "at step `validate`" in issue["comments"][0] and "3 problems" in issue["comments"][0]

    assert night(gh, "success") == 0

    (issue,) = gh.issues()
    assert issue["state"] == "closed"
    assert issue["comments"][-1] == "Run https://github.com/owner/data/actions/runs/9 succeeded."


def test_success_without_an_open_issue_does_nothing(gh: FakeGh) -> None:
    assert night(gh, "success") == 0
    assert gh.commands() == ["issue list"]


def test_an_issue_with_another_title_is_left_alone(gh: FakeGh) -> None:
    state = gh.state()
    state["issues"].append({"number": 1, "title": "nightly failing on forks?", "state": "open", "comments": []})
    gh.save(state)
    night(gh, "cancelled", "enrich")
    assert [(i["title"], i["state"]) for i in gh.issues()] == [
        ("nightly failing on forks?", "open"),
        ("nightly failing", "open"),
    ]


def test_long_report_is_cut_to_what_an_issue_holds(gh: FakeGh) -> None:
    night(gh, "failure", "report", "x" * 100_000)
    assert len(gh.issues()[0]["body"]) == alert.BODY_LIMIT + 1


def test_gh_failure_is_exit_1(gh: FakeGh, capsys: pytest.CaptureFixture[str]) -> None:
    gh.fail_on("issue create", "HTTP 403: Resource not accessible by integration")
    assert night(gh, "failure", "fetch") == 1
    assert "HTTP 403: Resource not accessible by integration" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("fork", "state", "enabled"),
    [(False, "active", 1), (True, "active", 0), (False, "disabled_manually", 0)],
    ids=["main-repository", "fork", "disabled-by-hand"],
)
def test_keepalive_enables_only_an_active_workflow_of_the_repository_itself(
    tmp_path: Path, fork: bool, state: str, enabled: int
) -> None:
    gh = FakeGh.install(tmp_path / "gh", fork=fork, workflow_state=state)
    environ = {**RUN, "PATH": f"{gh.folder}{os.pathsep}{os.environ['PATH']}"}
    assert keepalive.main([], environ) == 0
    assert gh.state().get("enabled", 0) == enabled
    assert gh.state()["workflow_state"] == state


@pytest.mark.parametrize("result", ["success", "failure"])
def test_issues_turned_off_is_a_warning_not_a_failed_job(
    tmp_path: Path, result: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Item 2: on a repository with issues off (forks' default) gh refuses every issue command; exit 0, say why."""
    gh = FakeGh.install(tmp_path / "gh", issues=False)

    assert night(gh, result, "fetch") == 0

    err = capsys.readouterr().out
    assert err.startswith("::warning title=alert::issues are turned off in owner/data")
    assert "Settings > General > Features > Issues" in err and "Settings > General > Features > Issues" in err
    assert f"run result: {result}" in err


def test_second_failure_right_after_the_first_comments_instead_of_opening_a_duplicate(tmp_path: Path) -> None:
    """Item 9: ``gh issue list --search`` reads the search index, which lags; the issue list does not."""
    gh = FakeGh.install(tmp_path / "gh", search_lag=50)

    night(gh, "failure", "fetch")
    night(gh, "failure", "enrich")

    (issue,) = gh.issues()
    assert "at step `enrich`" in issue["comments"][0]
