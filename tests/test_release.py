"""The ``latest`` release: publish keeps its assets byte-identical to output/, through a fake ``gh``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from pipeline.errors import PipelineError
from pipeline.github import release
from pipeline.github.gh import Gh
from pipeline.publish import Published, main
from tests.fake_gh import FakeGh
from tests.test_publish import clone, git, isolate_git, make_remote, movie, no_problems, remote_head, run, show, write

REPO = "owner/data"
GITHUB = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": REPO, "GITHUB_RUN_ID": "77"}


@pytest.fixture
def remote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate_git(tmp_path, monkeypatch)
    return make_remote(tmp_path)


@pytest.fixture
def work(remote: Path) -> Path:
    work = clone(remote, "work")
    write(work, "meta.json", {"schema_version": 1})
    git(work, "add", "output")
    git(work, "commit", "--quiet", "-m", "meta")
    git(work, "push", "--quiet", "origin", "main")
    (work / ".cache").mkdir()
    (work / ".cache" / "report.md").write_text("## extended-anitrakt run\n\nTonight's report.\n")
    return work


@pytest.fixture
def gh(tmp_path: Path) -> FakeGh:
    return FakeGh.install(tmp_path / "gh")


def night(work: Path, gh: FakeGh) -> Published:
    return run(work, gh=Gh(REPO, executable=gh.executable), environ=GITHUB)


def released(gh: FakeGh, work: Path) -> dict[str, bool]:
    """Each data asset: is the release's copy byte-identical to output/?"""
    return {name: gh.asset_bytes(name) == (work / "output" / name).read_bytes() for name in release.DATA_ASSETS}


def uploads(gh: FakeGh) -> list[list[str]]:
    """The files each ``gh release upload`` call sent, by name."""
    return [
        [Path(a).name for a in argv[3:] if a.endswith(".json")]
        for argv in gh.calls()
        if argv[:2] == ["release", "upload"]
    ]


def test_first_publish_creates_the_release_with_every_file_and_the_report(work: Path, gh: FakeGh) -> None:
    """No release yet: it is created once, all five files uploaded byte-identical, notes = the report."""
    result = night(work, gh)

    assert result.uploaded == release.DATA_ASSETS
    assert released(gh, work) == dict.fromkeys(release.DATA_ASSETS, True)
    notes = gh.release()["notes"]  # type: ignore[index]
    assert (
        notes == "## extended-anitrakt run\n\nTonight's report.\n\nRun: https://github.com/owner/data/actions/runs/77\n"
    )
    assert gh.commands().count("release create") == 1
    assert gh.calls()[-2][:2] == ["release", "upload"] and "--clobber" in gh.calls()[-2]


def test_unchanged_night_uploads_nothing_so_no_etag_changes(work: Path, gh: FakeGh) -> None:
    """Assets equal to output/ (same digest) are not uploaded again, and the notes stay."""
    night(work, gh)
    before = gh.release()
    calls = len(gh.calls())

    assert night(work, gh) == Published(commit=None, pushed=False, uploaded=())

    assert gh.commands()[calls:] == ["api repos/owner/data/releases/tags/latest"]
    assert gh.release() == before


def test_changed_data_replaces_only_the_changed_assets_in_place(work: Path, remote: Path, gh: FakeGh) -> None:
    """One commit, then only the files that changed are uploaded with --clobber; the release is never deleted."""
    night(work, gh)
    write(work, "movies_ex.json", [movie(20), movie(21)])
    write(work, "meta.json", {"schema_version": 1, "changed": True})

    result = night(work, gh)

    assert result.pushed and result.commit == remote_head(remote)
    assert result.uploaded == ("movies_ex.json", "meta.json")
    assert uploads(gh)[-1] == ["movies_ex.json", "meta.json"]
    assert released(gh, work) == dict.fromkeys(release.DATA_ASSETS, True)
    assert gh.commands().count("release create") == 1
    assert not [c for c in gh.commands() if c == "release delete"]
    assets: dict[str, Any] = gh.release()["assets"]  # type: ignore[index]
    assert {name: info["uploads"] for name, info in assets.items()} == {
        "tv_ex.json": 1,
        "movies_ex.json": 2,
        "not_exist_tv_ex.json": 1,
        "not_exist_movies_ex.json": 1,
        "meta.json": 2,
    }


def test_failed_upload_fails_the_run_and_the_next_run_repairs_it(
    work: Path, remote: Path, gh: FakeGh, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The data commit lands, the upload fails (exit 1, one line); a night without data changes re-uploads."""
    monkeypatch.setenv("PATH", f"{gh.folder}{os.pathsep}{os.environ['PATH']}")
    outputs = work.parent / "github-output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    night(work, gh)
    write(work, "tv_ex.json", [show(1), show(6), show(9)])
    gh.fail_on("release upload", "HTTP 502: Bad Gateway (https://uploads.github.com/...)")

    code = main(["--repo", str(work), "--github-repo", REPO, "--backoff", "0"], validate=no_problems)

    assert code == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "release: uploading tv_ex.json to the 'latest' release failed (HTTP 502: Bad Gateway "
        "(https://uploads.github.com/...)); the next run uploads every asset that differs from output/"
    )
    assert git(remote, "show", "main:output/tv_ex.json") == (work / "output" / "tv_ex.json").read_text().strip()
    assert released(gh, work)["tv_ex.json"] is False
    assert outputs.read_text() == f"commit={remote_head(remote)}\n"  # status.json still names the commit

    gh.clear_failures()
    result = night(work, gh)  # output/ equals the last commit: nothing to commit, but the asset differs

    assert result == Published(commit=None, pushed=False, uploaded=("tv_ex.json",))
    assert released(gh, work) == dict.fromkeys(release.DATA_ASSETS, True)


def test_asset_without_a_digest_is_uploaded_again(work: Path, gh: FakeGh) -> None:
    """An asset from before GitHub kept digests cannot be compared: it is replaced once."""
    night(work, gh)
    state = gh.state()
    state["releases"]["latest"]["assets"]["meta.json"]["digest"] = None
    gh.save(state)

    assert night(work, gh).uploaded == ("meta.json",)


def test_unreadable_release_stops_with_the_reason(work: Path, gh: FakeGh) -> None:
    gh.fail_on("api", "HTTP 401: Bad credentials")
    with pytest.raises(PipelineError, match=r"cannot read the 'latest' release of owner/data: HTTP 401"):
        night(work, gh)


def test_status_upload_creates_a_missing_release_then_replaces_status_json(tmp_path: Path, gh: FakeGh) -> None:
    """A first run that fails before any data still gets its status.json out; later ones replace it."""
    status = tmp_path / "status.json"
    client = Gh(REPO, executable=gh.executable)
    for outcome in ("failure", "success"):
        status.write_text(json.dumps({"outcome": outcome}))
        release.put_status(client, status, target="main")

    assert gh.release()["notes"] == release.NO_DATA_NOTES  # type: ignore[index]
    assert gh.commands().count("release create") == 1
    assert json.loads(gh.asset_bytes("status.json")) == {"outcome": "success"}


def test_dry_run_never_touches_the_release(work: Path, gh: FakeGh) -> None:
    write(work, "movies_ex.json", [])
    run(work, dry_run=True, gh=Gh(REPO, executable=gh.executable))
    assert gh.calls() == []
