"""status.json: every run's outcome, failed step, counts and requests, uploaded from main only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pipeline import status
from pipeline.config import load_config
from pipeline.published.schemas import problems
from tests.standins.fake_gh import FakeGh

RUN = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "owner/data",
    "GITHUB_RUN_ID": "501",
    "GITHUB_EVENT_NAME": "schedule",
    "GITHUB_REF": "refs/heads/main",
    "STARTED": "2026-11-22T03:23:05Z",
}


def steps(**outcomes: str) -> str:
    return json.dumps({name: {"outcome": o, "conclusion": o, "outputs": {}} for name, o in outcomes.items()})


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A checkout whose HEAD has an output/meta.json, and a run summary from enrich."""
    repo = tmp_path / "repo"
    (repo / "output").mkdir(parents=True)
    meta = {"files": {"tv_ex.json": {"entries": 3}, "movies_ex.json": {"entries": 1}}}
    (repo / "output" / "meta.json").write_text(json.dumps(meta))
    identity = ["-c", "user.name=T", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run(["git", *identity, "add", "."], cwd=repo, check=True)
    subprocess.run(["git", *identity, "commit", "-qm", "seed"], cwd=repo, check=True)
    (repo / ".cache").mkdir()
    requests = {"made": 12, "from_cache": 30, "retries": 1, "throttled": 0, "failed": 0}
    (repo / ".cache" / "run-summary.json").write_text(json.dumps({"requests": requests}))
    return repo


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ({"sync": "success", "fetch": "success", "publish": "success"}, ("success", None)),
        ({"sync": "success", "fetch": "failure", "enrich": "skipped", "report": "failure"}, ("failure", "fetch")),
        ({"setup-uv": "failure", "sync": "skipped"}, ("failure", "setup-uv")),
        ({"fetch": "success", "enrich": "cancelled", "validate": "skipped"}, ("cancelled", "enrich")),
        ({"fetch": "success", "publish": "skipped"}, ("success", None)),
    ],
)
def test_outcome_is_the_first_failed_step_in_run_order(outcomes: dict[str, str], expected: tuple[str, Any]) -> None:
    assert status.outcome_of(json.loads(steps(**outcomes))) == expected


def test_status_of_a_failed_night_names_the_step_and_matches_its_schema(repo: Path) -> None:
    """Enrich failed: outcome failure, failed_step enrich, no requests, counts as published at HEAD."""
    (repo / ".cache" / "run-summary.json").unlink()
    environ = {**RUN, "STEPS": steps(start="success", sync="success", fetch="success", enrich="failure")}

    found = status.build(environ, repo, ended="2026-11-22T03:40:00Z")

    assert found == {
        "schema_version": 1,
        "outcome": "failure",
        "failed_step": "enrich",
        "started": "2026-11-22T03:23:05Z",
        "ended": "2026-11-22T03:40:00Z",
        "data_commit": None,
        "counts": {"tv_ex.json": 3, "movies_ex.json": 1},
        "requests": None,
        "run": {
            "id": "501",
            "url": "https://github.com/owner/data/actions/runs/501",
            "event": "schedule",
            "ref": "refs/heads/main",
        },
    }
    assert problems(found, "status.schema.json", where="status.json") == []


def test_status_of_a_published_night_carries_the_commit_and_requests(repo: Path) -> None:
    commit = "a" * 40
    outcomes = json.loads(steps(fetch="success", publish="success"))
    outcomes["publish"]["outputs"] = {"commit": commit, "uploaded": "tv_ex.json"}
    found = status.build({**RUN, "STEPS": json.dumps(outcomes)}, repo, ended="2026-11-22T04:00:00Z")
    assert found["outcome"] == "success" and found["data_commit"] == commit
    assert found["requests"] == {"made": 12, "from_cache": 30, "retries": 1, "throttled": 0, "failed": 0}
    assert problems(found, "status.schema.json", where="status.json") == []


def test_schema_rejects_an_unknown_outcome() -> None:
    found = problems({"outcome": "maybe"}, "status.schema.json", where="status.json")
    assert "status.json: $.outcome: 'maybe' is not one of ['success', 'failure', 'cancelled']" in found


def test_main_on_main_uploads_status_json_and_hands_the_report_to_the_next_job(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gh = FakeGh.install(tmp_path / "gh")
    (repo / ".cache" / "report.md").write_text("## extended-anitrakt run\n\nline two\n")
    output, summary = tmp_path / "output.txt", tmp_path / "summary.md"
    environ = {
        **RUN,
        "PATH": f"{gh.folder}{os.pathsep}{os.environ['PATH']}",
        "STEPS": steps(fetch="failure"),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
    }

    assert status.main(["--repo", str(repo)], environ) == 0

    uploaded = json.loads(gh.asset_bytes("status.json"))
    assert uploaded == json.loads((repo / ".cache" / "status.json").read_text())
    assert uploaded["failed_step"] == "fetch"
    lines = output.read_text().splitlines()
    assert lines[:2] == ["outcome=failure", "failed_step=fetch"]
    delimiter = lines[2].removeprefix("report<<")
    assert lines[3:] == ["## extended-anitrakt run", "", "line two", "", delimiter]
    assert "**failure** at step `fetch`" in summary.read_text()


def test_main_on_another_branch_uploads_nothing_and_says_so(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gh = FakeGh.install(tmp_path / "gh")
    summary = tmp_path / "summary.md"
    environ = {
        **RUN,
        "GITHUB_REF": "refs/heads/try-this",
        "PATH": f"{gh.folder}{os.pathsep}{os.environ['PATH']}",
        "STEPS": steps(fetch="success", report="success"),
        "GITHUB_STEP_SUMMARY": str(summary),
    }

    assert status.main(["--repo", str(repo)], environ) == 0

    assert gh.calls() == []
    assert "Not published: only runs on `main` publish (this run: `refs/heads/try-this`)" in summary.read_text()


def test_failed_status_upload_is_exit_1_with_the_reason(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gh = FakeGh.install(tmp_path / "gh")
    gh.fail_on("release", "HTTP 503")  # the first run: status.json goes up in ``gh release create``
    environ = {**RUN, "PATH": f"{gh.folder}{os.pathsep}{os.environ['PATH']}", "STEPS": steps(fetch="success")}
    assert status.main(["--repo", str(repo)], environ) == 1
    assert "creating the 'latest' release failed (HTTP 503)" in capsys.readouterr().err


def test_paths_are_the_ones_config_yaml_uses() -> None:
    config = load_config(environ={}, dotenv=None)
    assert (config.run_summary, config.run_report) == (status.RUN_SUMMARY, status.RUN_REPORT)
    assert config.output_dir / "meta.json" == Path(status.META)


def test_status_release_and_alert_need_no_third_party_package() -> None:
    """They run with the runner's python3 when uv could not be set up: the standard library only."""
    code = (
        "import sys; import pipeline.status, pipeline.alert, pipeline.keepalive; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'yaml', 'requests', 'jsonschema', 'dotenv'}))"
    )
    root = Path(__file__).resolve().parent.parent
    shown = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "[]"


def test_a_first_run_failing_before_publish_creates_the_release_with_the_committed_data(
    repo: Path, tmp_path: Path
) -> None:
    """Item 7: the release does not exist until a first publish; a run failing before it used to create it
    with status.json alone, so every data URL answered 404. Now it starts with the files committed on main
    (HEAD's, not the ones the failed run left in the working tree)."""
    data = ("tv_ex.json", "movies_ex.json", "not_exist_tv_ex.json", "not_exist_movies_ex.json")
    for name in data:
        (repo / "output" / name).write_text(f'[{{"committed": "{name}"}}]\n')
    identity = ["-c", "user.name=T", "-c", "user.email=t@example.com"]
    subprocess.run(["git", *identity, "add", "output"], cwd=repo, check=True)
    subprocess.run(["git", *identity, "commit", "-qm", "data"], cwd=repo, check=True)
    (repo / "output" / "tv_ex.json").write_text("half-written by a failed enrich")
    gh = FakeGh.install(tmp_path / "gh")
    environ = {**RUN, "PATH": f"{gh.folder}{os.pathsep}{os.environ['PATH']}", "STEPS": steps(fetch="failure")}

    assert status.main(["--repo", str(repo)], environ) == 0

    assert sorted(gh.release()["assets"]) == sorted([*data, "meta.json", "status.json"])  # type: ignore[index]
    assert gh.asset_bytes("tv_ex.json") == b'[{"committed": "tv_ex.json"}]\n'
    assert gh.asset_bytes("meta.json") == (repo / "output" / "meta.json").read_bytes()
