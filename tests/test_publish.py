"""pipeline.publish against real git: a working clone, a bare remote, and a second clone that races it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import Config, load_config
from pipeline.errors import PipelineError
from pipeline.github.push import BOT, Git, rebase_onto
from pipeline.publish import Published, main, publish, rooted

TESTER = ["-c", "user.name=Tester", "-c", "user.email=tester@example.com"]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *TESTER, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def show(mal_id: int, title: str = "", season: int = 1) -> dict[str, Any]:
    return {
        "myanimelist": {"title": title or f"Anime {mal_id}", "id": mal_id},
        "trakt": {
            "title": f"Show {mal_id}",
            "id": 1000 + mal_id,
            "type": "shows",
            "season": {"number": season},
        },
    }


def movie(mal_id: int) -> dict[str, Any]:
    return {"myanimelist": {"title": f"Movie {mal_id}", "id": mal_id}, "trakt": {"id": 2000 + mal_id}}


def write(repo: Path, name: str, data: Any) -> None:
    path = repo / "output" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_summary(repo: Path, shows: dict[str, list[Any]], movies: dict[str, list[Any]]) -> None:
    (repo / ".cache").mkdir(exist_ok=True)
    (repo / ".cache" / "run-summary.json").write_text(json.dumps({"changes": {"shows": shows, "movies": movies}}))


def no_problems(config: Config) -> list[str]:
    return []


@pytest.fixture(autouse=True)
def bare_git_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Like a fresh runner: no global identity, so publish must bring its own."""
    isolate_git(tmp_path, monkeypatch)


def isolate_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "empty-gitconfig").write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "empty-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for variable in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    return make_remote(tmp_path)


def make_remote(tmp_path: Path) -> Path:
    """A bare remote whose main holds published data, a README and .gitignore."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", "-b", "main", str(bare))
    seed = tmp_path / "seed"
    git(tmp_path, "init", "--quiet", "-b", "main", str(seed))
    write(seed, "tv_ex.json", [show(1), show(6)])
    write(seed, "not_exist_tv_ex.json", [{"mal_id": 7, "title": "Anime 7"}])
    write(seed, "movies_ex.json", [movie(20)])
    write(seed, "not_exist_movies_ex.json", [])
    (seed / "README.md").write_text("# data\n")
    (seed / ".gitignore").write_text(".cache/\n")
    git(seed, "add", ".")
    git(seed, "commit", "--quiet", "-m", "seed")
    git(seed, "push", "--quiet", str(bare), "main")
    return bare


def clone(remote: Path, name: str) -> Path:
    target = remote.parent / name
    git(remote.parent, "clone", "--quiet", str(remote), str(target))
    return target


@pytest.fixture
def work(remote: Path) -> Path:
    return clone(remote, "work")


def config_for(repo: Path) -> Config:
    return rooted(load_config(environ={}, dotenv=None), repo)


def remote_head(remote: Path) -> str:
    return git(remote, "rev-parse", "main")


def run(repo: Path, **options: Any) -> Published:
    options.setdefault("validate", no_problems)
    options.setdefault("sleep", lambda seconds: None)
    options.setdefault("environ", {})
    return publish(repo, config_for(repo), **options)


def test_unchanged_output_makes_no_commit(work: Path, remote: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Same bytes in output/ (and a fresh run summary) commit and push nothing."""
    before = remote_head(remote)
    write_summary(work, {"created": []}, {"created": []})
    caplog.set_level("INFO")

    assert run(work) == Published(commit=None, pushed=False)

    assert git(work, "rev-parse", "HEAD") == before == remote_head(remote)
    assert "publish: output/ unchanged, nothing to commit" in caplog.messages


def test_changed_output_makes_one_commit_that_is_pushed(work: Path, remote: Path) -> None:
    """One commit of output/ only, by the bot, with the counts in its message, lands on the remote."""
    before = remote_head(remote)
    write(work, "tv_ex.json", [show(1, season=2), show(6), show(30)])
    write(work, "not_exist_movies_ex.json", [{"mal_id": 99, "title": "Movie 99"}])
    (work / "scratch.txt").write_text("not ours to commit\n")
    write_summary(
        work,
        {"created": [30], "updated": [{"mal_id": 1, "fields": ["trakt.season.number"]}], "removed": []},
        {"created": [], "updated": [], "removed": [], "not_found_new": [99], "recovered": []},
    )

    github = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "42"}

    result = run(work, environ=github)

    assert result.pushed and result.commit == remote_head(remote)
    assert git(remote, "rev-list", "--count", f"{before}..main") == "1"
    files = git(remote, "show", "--name-only", "--format=", "main").split()
    assert files == ["output/not_exist_movies_ex.json", "output/tv_ex.json"]
    bot = f"{BOT.name} <{BOT.email}>"
    assert git(remote, "log", "-1", "--format=%an <%ae>|%cn <%ce>", "main") == f"{bot}|{bot}"
    assert git(remote, "log", "-1", "--format=%B", "main") == (
        "data: tv 3 (+1 ~1 -0, 1 not found), movies 1 (+0 ~0 -0, 1 not found)\n"
        "\n"
        "tv_ex.json: 3 entries; 1 created, 1 updated, 0 removed\n"
        "not_exist_tv_ex.json: 1 entries; 0 newly not found, 0 recovered\n"
        "movies_ex.json: 1 entries; 0 created, 0 updated, 0 removed\n"
        "not_exist_movies_ex.json: 1 entries; 1 newly not found, 0 recovered\n"
        "\n"
        "Run: https://github.com/o/r/actions/runs/42"
    )
    assert git(work, "status", "--porcelain") == "?? scratch.txt"


def test_concurrent_push_is_rebased_onto_and_the_push_succeeds(work: Path, remote: Path) -> None:
    """Someone pushed a README change meanwhile: the data commit is rebased on top of it before the push."""
    other = clone(remote, "other")
    (other / "README.md").write_text("# data\n\nEdited while the nightly ran.\n")
    git(other, "commit", "--quiet", "-am", "docs: edit README")
    git(other, "push", "--quiet", "origin", "main")
    theirs = remote_head(remote)
    write(work, "movies_ex.json", [movie(20), movie(21)])
    sleeps: list[float] = []

    result = run(work, sleep=sleeps.append, backoff=0.5)

    assert result.pushed and result.commit == remote_head(remote)
    assert git(remote, "rev-parse", "main~1") == theirs
    subject = git(remote, "log", "-1", "--format=%s", "main")
    assert subject == "data: tv 2 (+0 ~0 -0, 1 not found), movies 2 (+1 ~0 -0, 0 not found)"
    assert "Edited while the nightly ran." in git(remote, "show", "main:README.md")
    assert sleeps == []  # caught up before pushing: the first push lands


def test_failed_validation_commits_nothing(work: Path, remote: Path) -> None:
    """A validation problem refuses the publish: no commit, nothing staged, nothing pushed."""
    before = remote_head(remote)
    write(work, "tv_ex.json", [show(1), show(6), {"myanimelist": {"id": "x"}}])

    with pytest.raises(PipelineError, match=r"validation found 1 problem\(s\); nothing committed"):
        run(
            work,
            validate=lambda config: ["output/tv_ex.json: $[2].trakt.id: '1030' is not of type 'integer'"],
        )

    assert git(work, "rev-parse", "HEAD") == before == remote_head(remote)
    assert git(work, "diff", "--cached", "--name-only") == ""
    assert git(work, "status", "--porcelain") == "M output/tv_ex.json"


def test_publish_validates_with_the_schemas_itself(work: Path, remote: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Given no validator, publish checks output/ against the schemas and refuses data that fails them."""
    before = remote_head(remote)
    broken = show(30)
    broken["trakt"]["id"] = "1030"
    write(work, "tv_ex.json", [show(1), show(6), broken])

    with pytest.raises(PipelineError, match=r"validation found \d+ problem\(s\); nothing committed"):
        publish(work, config_for(work), sleep=lambda seconds: None, environ={})

    assert git(work, "rev-parse", "HEAD") == before == remote_head(remote)
    problem = f"{work / 'output' / 'tv_ex.json'}: $[2].trakt.id: '1030' is not of type 'integer'"
    assert problem in caplog.messages


def test_validation_sees_the_repository_paths(work: Path) -> None:
    """The validator is given the configuration rooted at the repository, not at the cwd."""
    seen: list[Config] = []
    run(work, validate=lambda config: seen.append(config) or [])
    assert seen[0].output_dir == work / "output" and seen[0].overrides_dir == work / "overrides"


def test_remote_that_changed_output_stops_the_publish_with_nothing_pushed(work: Path, remote: Path) -> None:
    """Another writer changed output/ since the checkout: no rebase over their data, the error names the file."""
    before = remote_head(remote)
    other = clone(remote, "other")
    write(other, "tv_ex.json", [show(1), show(6, title="Edited elsewhere")])
    git(other, "commit", "--quiet", "-am", "data: by hand")
    git(other, "push", "--quiet", "origin", "main")
    theirs = remote_head(remote)
    write(work, "tv_ex.json", [show(1), show(6, title="Edited by the nightly")])

    with pytest.raises(PipelineError) as raised:
        run(work)

    assert str(raised.value) == (
        f"publish: origin main moved since this run checked it out ({before[:12]} -> {theirs[:12]}) "
        "and also changed output/tv_ex.json; nothing pushed; the next night publishes on top of it"
    )
    assert remote_head(remote) == theirs
    assert not (work / ".git" / "rebase-merge").exists() and not (work / ".git" / "rebase-apply").exists()
    assert git(work, "status", "--porcelain") == ""


def test_remote_that_changed_output_stops_even_an_unchanged_night(work: Path, remote: Path) -> None:
    """Nothing to commit, but output/ moved on the remote: stop rather than sync the release to old data."""
    other = clone(remote, "other")
    write(other, "movies_ex.json", [])
    git(other, "commit", "--quiet", "-am", "data: by hand")
    git(other, "push", "--quiet", "origin", "main")

    with pytest.raises(PipelineError, match=r"also changed output/movies_ex.json; nothing pushed"):
        run(work)


def test_push_race_that_conflicts_in_output_aborts_the_rebase(work: Path, remote: Path) -> None:
    """A push that lands between the catch-up and our push, changing the same file: rebase aborted, clean tree."""
    write(work, "tv_ex.json", [show(1), show(6, title="Edited by the nightly")])
    git(work, "commit", "--quiet", "-am", "data: nightly")
    other = clone(remote, "other")
    write(other, "tv_ex.json", [show(1), show(6, title="Edited elsewhere")])
    git(other, "commit", "--quiet", "-am", "data: by hand")
    git(other, "push", "--quiet", "origin", "main")

    with pytest.raises(PipelineError, match=r"also changed output/tv_ex.json; rebase aborted, nothing pushed"):
        rebase_onto(Git(work, BOT), "origin", "main")

    assert not (work / ".git" / "rebase-merge").exists() and git(work, "status", "--porcelain") == ""


def test_push_gives_up_after_the_attempts_with_backoff(work: Path, remote: Path) -> None:
    """A remote that keeps refusing: three pushes, waits of 1x and 2x the backoff, then a clear failure."""
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = remote_head(remote)
    write(work, "movies_ex.json", [])
    sleeps: list[float] = []

    with pytest.raises(PipelineError, match=r"push to origin main failed 3 times .*the commit stays local"):
        run(work, sleep=sleeps.append, backoff=2.0)

    assert sleeps == [2.0, 4.0]
    assert remote_head(remote) == before


def test_without_run_summary_changes_are_counted_against_the_previous_commit(work: Path, remote: Path) -> None:
    """No .cache/run-summary.json: created/updated/removed come from HEAD's files versus the new ones."""
    write(work, "tv_ex.json", [show(6, title="Renamed"), show(8)])
    write(work, "not_exist_tv_ex.json", [])

    run(work)

    assert git(remote, "log", "-1", "--format=%B", "main") == (
        "data: tv 2 (+1 ~1 -1, 0 not found), movies 1 (+0 ~0 -0, 0 not found)\n"
        "\n"
        "tv_ex.json: 2 entries; 1 created, 1 updated, 1 removed\n"
        "not_exist_tv_ex.json: 0 entries; 0 newly not found, 0 recovered\n"
        "movies_ex.json: 1 entries; 0 created, 0 updated, 0 removed\n"
        "not_exist_movies_ex.json: 0 entries; 0 newly not found, 0 recovered\n"
        "\n"
        "No run summary: changes counted against the previous commit."
    )


def test_dry_run_commits_but_does_not_push(work: Path, remote: Path) -> None:
    before = remote_head(remote)
    write(work, "movies_ex.json", [])

    result = run(work, dry_run=True)

    assert result == Published(commit=git(work, "rev-parse", "HEAD"), pushed=False)
    assert result.commit != before and remote_head(remote) == before


def test_new_output_file_is_committed(work: Path, remote: Path) -> None:
    """An untracked file in output/ (meta.json on the first run) is part of the commit."""
    write(work, "meta.json", {"schema_version": 1})
    run(work)
    assert "output/meta.json" in git(remote, "show", "--name-only", "--format=", "main").split()


def test_main_refuses_on_validation_problems_with_one_line_and_exit_1(
    work: Path, remote: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = remote_head(remote)
    write(work, "movies_ex.json", [])

    code = main(["--repo", str(work)], validate=lambda config: ["output/movies_ex.json: broken"])

    assert code == 1
    assert capsys.readouterr().err.splitlines()[-1] == "publish: validation found 1 problem(s); nothing committed"
    assert remote_head(remote) == before


def test_main_pushes_with_the_given_author_and_branch(work: Path, remote: Path) -> None:
    write(work, "movies_ex.json", [])

    code = main(
        ["--repo", str(work), "--author", "Data Bot <bot@example.com>", "--branch", "data", "--backoff", "0"],
        validate=no_problems,
    )

    assert code == 0
    assert git(remote, "log", "-1", "--format=%an <%ae>", "data") == "Data Bot <bot@example.com>"


@pytest.mark.parametrize("author", ["no email", "Name <>", "<a@b.c>"])
def test_main_rejects_a_malformed_author(work: Path, author: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--repo", str(work), "--author", author], validate=no_problems) == 1
    assert capsys.readouterr().err.strip() == f"publish: author {author!r} is not of the form 'Name <email>'"
