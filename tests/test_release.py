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
from tests.standins.fake_gh import FakeGh
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
        [Path(a).name.replace(release.NEXT, "") for a in argv[3:] if a.endswith(release.NEXT + ".json")]
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
    upload = next(argv for argv in gh.calls() if argv[:2] == ["release", "create"])
    assert "--clobber" not in upload  # never: gh deletes the published asset before it uploads


def test_unchanged_night_uploads_nothing_so_no_etag_changes(work: Path, gh: FakeGh) -> None:
    """Assets equal to output/ (same digest) are not uploaded again, and the notes stay."""
    night(work, gh)
    before = gh.release()
    calls = len(gh.calls())

    assert night(work, gh) == Published(commit=None, pushed=False, uploaded=())

    assert gh.commands()[calls:] == ["api repos/owner/data/releases/tags/latest"]
    assert gh.release() == before


def test_changed_data_replaces_only_the_changed_assets_in_place(work: Path, remote: Path, gh: FakeGh) -> None:
    """One commit, then only the files that changed are uploaded and swapped in; the release is never deleted."""
    night(work, gh)
    ids_before = {name: info["id"] for name, info in gh.release()["assets"].items()}  # type: ignore[index]
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
    assert {name: info["id"] == ids_before[name] for name, info in assets.items()} == {
        "tv_ex.json": True,  # the same asset: its ETag did not change
        "movies_ex.json": False,
        "not_exist_tv_ex.json": True,
        "not_exist_movies_ex.json": True,
        "meta.json": False,
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
        "(https://uploads.github.com/...)); the published assets are unchanged and the next run uploads every "
        "asset that differs from output/"
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


def test_replacing_an_asset_uploads_nothing_while_it_is_missing(work: Path, gh: FakeGh) -> None:
    """Item 1: the new bytes go up under a temporary name first; the name is gone only across one rename.

    ``gh release upload --clobber`` deletes the old asset, then uploads (cli/cli ``uploadWithDelete``):
    the file answers 404 for the whole upload. Here no byte is uploaded while a published name is missing.
    """
    night(work, gh)
    write(work, "movies_ex.json", [movie(20), movie(21)])
    write(work, "meta.json", {"schema_version": 1, "changed": True})

    assert night(work, gh).uploaded == ("movies_ex.json", "meta.json")

    gaps = gh.gaps(release.DATA_ASSETS)
    assert [(gap["name"], gap["uploaded"]) for gap in gaps] == [("movies_ex.json", 0), ("meta.json", 0)]
    assert released(gh, work) == dict.fromkeys(release.DATA_ASSETS, True)
    assert sorted(gh.release()["assets"]) == sorted(release.DATA_ASSETS)  # type: ignore[index]  # no leftovers


def test_upload_failing_after_the_delete_loses_no_published_asset(work: Path, gh: FakeGh) -> None:
    """Item 1: an upload that fails leaves the published copy in place; the next run cleans up and repairs."""
    night(work, gh)
    before = gh.asset_bytes("tv_ex.json")
    write(work, "tv_ex.json", [show(1), show(6), show(9)])
    gh.fail_upload_after_delete("HTTP 502: Bad Gateway (https://uploads.github.com/...)")
    gh.fail_on("api --method PATCH", "HTTP 502: Bad Gateway")  # and the swap, should the upload get through

    with pytest.raises(PipelineError, match="HTTP 502"):
        night(work, gh)

    assert gh.gaps(release.DATA_ASSETS) == []
    assert gh.asset_bytes("tv_ex.json") == before
    gh.clear_failures()
    assert night(work, gh).uploaded == ("tv_ex.json",)
    assert released(gh, work) == dict.fromkeys(release.DATA_ASSETS, True)
    assert sorted(gh.release()["assets"]) == sorted(release.DATA_ASSETS)  # type: ignore[index]


def test_leftovers_of_an_interrupted_swap_are_put_back_or_removed(work: Path, gh: FakeGh) -> None:
    """Item 1: a run killed between the two renames leaves ``X.prev`` (and ``X.next``): the next run restores X."""
    night(work, gh)
    client = Gh(REPO, executable=gh.executable)
    current = release.assets(client)
    assert current is not None
    release.rename(client, current["tv_ex.json"], release.staged("tv_ex.json", release.PREVIOUS))  # killed here
    write(work, "movies_ex.json", [movie(30)])

    assert night(work, gh).uploaded == ("movies_ex.json",)

    assert sorted(gh.release()["assets"]) == sorted(release.DATA_ASSETS)  # type: ignore[index]
    assert released(gh, work) == dict.fromkeys(release.DATA_ASSETS, True)


def test_status_json_is_replaced_without_a_gap(tmp_path: Path, gh: FakeGh) -> None:
    """Item 1 for status.json, replaced every night."""
    status = tmp_path / "status.json"
    client = Gh(REPO, executable=gh.executable)
    for outcome in ("failure", "success", "failure"):
        status.write_text(json.dumps({"outcome": outcome}))
        release.put_status(client, status, target="main")

    assert [gap["uploaded"] for gap in gh.gaps((release.STATUS_ASSET,))] == [0, 0]
    assert json.loads(gh.asset_bytes("status.json")) == {"outcome": "failure"}


def test_immutable_release_stops_before_uploading_and_names_the_setting(tmp_path: Path, work: Path) -> None:
    """Item 8: a release that became immutable (published while the setting was on): nothing is uploaded."""
    gh = FakeGh.install(tmp_path / "immutable-gh")
    night(work, gh)
    state = gh.state()
    state["releases"]["latest"]["immutable"] = True
    gh.save(state)
    write(work, "movies_ex.json", [movie(40)])

    with pytest.raises(PipelineError, match=r"immutable.*Settings") as raised:
        night(work, gh)

    assert "the next run uploads" not in str(raised.value)  # it never would, while the setting is on
    assert gh.commands().count("release upload") == 0
    assert "do NOT delete" in str(raised.value)  # deleting it would lose the tag for good


def test_with_immutability_on_no_release_is_published_and_the_advice_keeps_the_tag(tmp_path: Path, work: Path) -> None:
    """Item 4: the setting is read before the first publish: nothing is created, and no advice to delete."""
    gh = FakeGh.install(tmp_path / "immutable-gh", immutable=True)

    with pytest.raises(PipelineError, match=r"immutability is on.*Nothing was published.*Settings") as raised:
        night(work, gh)

    assert gh.release() is None
    assert gh.commands().count("release create") == 0
    assert "delete" not in str(raised.value)


def test_immutability_unreadable_never_publishes_an_empty_release(tmp_path: Path, work: Path) -> None:
    """Item 4: GITHUB_TOKEN cannot read the setting (403): the release is published with its assets, never empty."""
    gh = FakeGh.install(tmp_path / "immutable-gh", immutable=True, settings_readable=False)

    with pytest.raises(PipelineError, match=r"immutable.*do NOT delete"):
        night(work, gh)

    published = gh.release()
    assert published is not None and published["immutable"] is True
    assert sorted(published["assets"]) == sorted(release.DATA_ASSETS)
    assert released(gh, work) == dict.fromkeys(release.DATA_ASSETS, True)


def recorded_sleeps(gh: FakeGh, slept: list[float]) -> Gh:
    return Gh(REPO, executable=gh.executable, sleep=slept.append)


def test_first_night_waits_for_the_release_it_just_created(tmp_path: Path, work: Path) -> None:
    """Item 1: GitHub shows a new release and new assets only a moment later (cli/cli#6599); publish waits."""
    gh = FakeGh.install(tmp_path / "lagging-gh", lag=2)
    slept: list[float] = []

    result = run(work, gh=recorded_sleeps(gh, slept), environ=GITHUB)

    assert result.uploaded == release.DATA_ASSETS
    assert released(gh, work) == dict.fromkeys(release.DATA_ASSETS, True)
    assert slept  # it did wait, by counted tries, not by the clock
    assert len(slept) <= len(release.Gh(REPO).waits)


def test_a_replaced_asset_is_waited_for_when_the_asset_list_is_stale(work: Path, tmp_path: Path) -> None:
    """Item 1: after ``gh release upload`` the asset list trails; the swap waits for ``NAME.next.json``."""
    gh = FakeGh.install(tmp_path / "lagging-gh", lag=3)
    slept: list[float] = []
    client = recorded_sleeps(gh, slept)
    run(work, gh=client, environ=GITHUB)
    write(work, "movies_ex.json", [movie(20), movie(21)])

    assert run(work, gh=client, environ=GITHUB).uploaded == ("movies_ex.json",)

    assert released(gh, work) == dict.fromkeys(release.DATA_ASSETS, True)
    assert sorted(gh.release()["assets"]) == sorted(release.DATA_ASSETS)  # type: ignore[index]


def test_status_right_after_the_first_publish_finds_the_release_and_keeps_its_data(tmp_path: Path, work: Path) -> None:
    """Item 1: the status step runs while the new release is not yet visible: it waits, never creates twice."""
    gh = FakeGh.install(tmp_path / "lagging-gh", lag=4)
    client = recorded_sleeps(gh, [])
    run(work, gh=client, environ=GITHUB)
    status = tmp_path / "status.json"
    status.write_text('{"outcome": "success"}\n')
    state = gh.state()
    state["releases"]["latest"]["created_at_call"] = state["calls"]  # as if created by the call just made
    gh.save(state)

    release.put_status(client, status, target="main")

    assert sorted(gh.release()["assets"]) == sorted([*release.DATA_ASSETS, "status.json"])  # type: ignore[index]
    assert released(gh, work) == dict.fromkeys(release.DATA_ASSETS, True)


@pytest.mark.parametrize(
    "answer",
    [
        "HTTP 502: Bad Gateway (https://uploads.github.com/...)",
        'HTTP 422: Validation Failed [{"resource":"ReleaseAsset","code":"already_exists","field":"name"}]',
    ],
)
def test_an_upload_that_leaves_a_starter_asset_is_cleaned_up_and_retried(work: Path, gh: FakeGh, answer: str) -> None:
    """Item 2: a 5xx can leave ``NAME.next.json`` as ``starter`` (its name then refused, 422): removed, retried."""
    night(work, gh)
    write(work, "tv_ex.json", [show(1), show(6), show(9)])
    gh.fail_upload_leaving_starter(answer)

    assert night(work, gh).uploaded == ("tv_ex.json",)

    assert released(gh, work) == dict.fromkeys(release.DATA_ASSETS, True)
    assert sorted(gh.release()["assets"]) == sorted(release.DATA_ASSETS)  # type: ignore[index]
    assert gh.commands().count("release upload") == 2


def test_every_asset_is_served_as_json(work: Path, gh: FakeGh, tmp_path: Path) -> None:
    """Item 5: gh picks the Content-Type from the name and a rename keeps it: the temporary name ends in .json."""
    night(work, gh)
    write(work, "tv_ex.json", [show(1), show(6), show(9)])
    night(work, gh)
    status = tmp_path / "status.json"
    status.write_text("{}\n")
    release.put_status(Gh(REPO, executable=gh.executable), status, target="main")

    assets: dict[str, Any] = gh.release()["assets"]  # type: ignore[index]
    assert {name: info["content_type"] for name, info in assets.items()} == dict.fromkeys(
        [*release.DATA_ASSETS, "status.json"], "application/json"
    )


def test_a_failed_second_rename_puts_the_old_asset_back(work: Path, gh: FakeGh) -> None:
    """Item 8: ``NAME.next.json`` -> ``NAME`` fails: the old asset gets its name back, so NAME never stays 404."""
    night(work, gh)
    before = gh.asset_bytes("tv_ex.json")
    write(work, "tv_ex.json", [show(1), show(6), show(9)])
    new_id = gh.state()["next_id"]  # the id the upload of tv_ex.next.json gets
    gh.fail_on(f"api --method PATCH repos/{REPO}/releases/assets/{new_id}", "HTTP 502: Bad Gateway")

    with pytest.raises(PipelineError, match=r"renaming the asset tv_ex\.next\.json to tv_ex\.json failed"):
        night(work, gh)

    assert gh.asset_bytes("tv_ex.json") == before
    assert [gap["uploaded"] for gap in gh.gaps(release.DATA_ASSETS)] == [0]  # missing for one call, then back
