"""The nightly workflow run for real: its jobs' ``run:`` steps as bash, in order, on a local stand-in runner.

The "server" is a local bare repository (``GITHUB_SERVER_URL`` is its ``file://`` parent), ``gh`` is the
fake from tests/standins/fake_gh.py, Trakt and the upstream lists are the local fake, with a few entries. Each
test plays one or more nights and looks at what a maintainer and a consumer would see: commits on the
remote, the release's assets, status.json, issues.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.demo.fake_trakt import FakeTrakt
from pipeline.published.schemas import problems
from tests.conftest import API_KEY, movie_entry, tv_entry
from tests.standins.actions_runner import JobRun, Runner
from tests.standins.fake_gh import FakeGh

ROOT = Path(__file__).resolve().parent.parent
NIGHTLY = ROOT / ".github" / "workflows" / "nightly.yml"
REPOSITORY = "owner/data"
DATA = ("tv_ex.json", "movies_ex.json", "not_exist_tv_ex.json", "not_exist_movies_ex.json", "meta.json")
TV = [tv_entry(1, 101), tv_entry(2, 102, season=2), tv_entry(3, 106)]  # 106 = 53 * 2: not found
MOVIES = [movie_entry(10, 201), movie_entry(11, 202)]
PASSED = ("PATH", "HOME", "LANG", "TMPDIR", "PYENV_ROOT", "PYENV_VERSION", "UV_CACHE_DIR", "XDG_CACHE_HOME")


def git(cwd: Path, *args: str) -> str:
    identity = ["-c", "user.name=Maintainer", "-c", "user.email=maintainer@example.com"]
    return subprocess.run(["git", *identity, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One project environment for every night of this module (uv sync --locked fills it once)."""
    return tmp_path_factory.mktemp("venv") / ".venv"


class Nightly:
    """The repository on the "server", the fake gh, the fake Trakt, and a way to run one night."""

    def __init__(self, tmp: Path, venv: Path, fake: FakeTrakt) -> None:
        self.tmp = tmp
        self.fake = fake
        self.server = tmp / "server"
        self.remote = self.server / REPOSITORY
        self.gh = FakeGh.install(tmp / "gh")
        self.runs = 0
        (tmp / "gitconfig").write_text("")
        bin_dir = tmp / "bin"
        bin_dir.mkdir()
        (bin_dir / "python3").symlink_to(getattr(sys, "_base_executable", sys.executable))  # no project packages
        self.env = {key: os.environ[key] for key in PASSED if key in os.environ}
        self.env.update(
            PATH=os.pathsep.join([str(self.gh.folder), str(bin_dir), os.environ["PATH"]]),
            GIT_CONFIG_GLOBAL=str(tmp / "gitconfig"),
            GIT_CONFIG_NOSYSTEM="1",
            UV_PROJECT_ENVIRONMENT=str(venv),
            UV_OFFLINE="1",
            TRAKT_API_URL=fake.url,
            ANITRAKT_TV_URL=f"{fake.url}/db/tv.json",
            ANITRAKT_MOVIES_URL=f"{fake.url}/db/movies.json",
            WIKIDATA_SPARQL_URL=f"{fake.url}/sparql",
            TRAKT_RATE_LIMIT_CALLS="1000000",
        )
        self._serve_sources()
        self.serve_upstream(TV, MOVIES)
        self._seed()

    def _serve_sources(self) -> None:
        """The mapping sources, where the project has test copies of them (pipeline/demo/data/sources/)."""
        sources = ROOT / "pipeline" / "demo" / "data" / "sources"
        for variable, name in (
            ("ANIME_LISTS_URL", "anime-list-master.xml"),
            ("ANIME_IDS_URL", "anime_ids.json"),
            ("SHINKRO_TVDB_URL", "tvdb-mal.yaml"),
        ):
            if (sources / name).is_file():
                self.fake.static[f"/sources/{name}"] = (200, (sources / name).read_bytes(), "text/plain")
                self.env[variable] = f"{self.fake.url}/sources/{name}"

    def serve_upstream(self, tv: list[dict[str, Any]] | bytes, movies: list[dict[str, Any]]) -> None:
        body = tv if isinstance(tv, bytes) else json.dumps(tv).encode()
        self.fake.static["/db/tv.json"] = (200, body, "application/json")
        self.fake.static["/db/movies.json"] = (200, json.dumps(movies).encode(), "application/json")
        if not isinstance(tv, bytes):
            self.fake.synthesize(tv, movies)

    def _seed(self) -> None:
        """The project as committed (its tracked and new files, without tests/ and its data), on main."""
        seed = self.tmp / "seed"
        listed = git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard").splitlines()
        for name in listed:
            source = ROOT / name
            if name.startswith(("tests/", "docs/", "output/")) or not source.is_file():
                continue
            target = seed / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
        git(self.tmp, "init", "--quiet", "--bare", "-b", "main", str(self.remote))
        git(seed, "init", "--quiet", "-b", "main")
        git(seed, "add", ".")
        git(seed, "commit", "--quiet", "-m", "the project")
        git(seed, "push", "--quiet", str(self.remote), "main")

    def night(
        self,
        *,
        ref: str = "refs/heads/main",
        event: str = "schedule",
        before_step: Callable[[str | None], None] = lambda step_id: None,
    ) -> dict[str, JobRun]:
        self.runs += 1
        runner = Runner(
            workflow=yaml.safe_load(NIGHTLY.read_text(encoding="utf-8")),
            root=self.tmp / f"run-{self.runs}",
            base_env=self.env,
            github={
                "event_name": event,
                "ref": ref,
                "repository": REPOSITORY,
                "server_url": self.server.as_uri(),
                "run_id": 1000 + self.runs,
                "run_attempt": 1,
            },
            secrets={"TRAKT_API_KEY": API_KEY},
            inputs={"force": False, "allow_shrink": False} if event == "workflow_dispatch" else {},
            cache_store=self.tmp / "actions-cache",
            before_step=before_step,
        )
        return runner.run()

    def commits(self, branch: str = "main") -> list[str]:
        return git(self.remote, "log", "--format=%s", branch).splitlines()

    def committed(self, name: str, branch: str = "main") -> bytes:
        return subprocess.run(
            ["git", "show", f"{branch}:output/{name}"], cwd=self.remote, check=True, capture_output=True
        ).stdout

    def status(self) -> dict[str, Any]:
        return json.loads(self.gh.asset_bytes("status.json"))  # type: ignore[no-any-return]

    def data_uploads(self) -> list[list[str]]:
        """The data files sent by each ``gh release create``/``upload`` (status.json uploads left out)."""
        found = []
        for argv in self.gh.calls():
            if argv[:2] in (["release", "upload"], ["release", "create"]):
                names = [Path(a).name.replace(".next", "") for a in argv[3:] if a.endswith(".json") and "/" in a]
                names = [name for name in names if name != "status.json"]
                if names:
                    found.append(names)
        return found

    def status_uploads(self) -> int:
        return sum(
            1
            for argv in self.gh.calls()
            if argv[:2] in (["release", "upload"], ["release", "create"])
            and any(Path(a).name.startswith("status.") for a in argv[3:])
        )


def explain(jobs: dict[str, JobRun]) -> str:
    """Every step's outcome and, for failed ones, their output: the assertion message."""
    lines = []
    for job in jobs.values():
        for step in job.steps:
            lines.append(f"{job.name} / {step.id or step.name}: {step.outcome}")
            if step.outcome == "failure":
                lines += [step.stdout[-2000:], step.stderr[-3000:]]
    return "\n".join(lines)


@pytest.fixture
def nightly(tmp_path: Path, venv: Path) -> Iterator[Nightly]:
    with FakeTrakt(expected_key=API_KEY) as fake:
        yield Nightly(tmp_path, venv, fake)


def test_night_with_changes_makes_one_commit_one_release_update_and_one_status(nightly: Nightly) -> None:
    jobs = nightly.night()

    assert jobs["data"].result == "success", explain(jobs)
    assert len(nightly.commits()) == 2 and nightly.commits()[0].startswith("data: tv 2 (+2 ~0 -0, 1 not found)")
    assert git(nightly.remote, "show", "--name-only", "--format=", "main").split() == [
        f"output/{n}" for n in sorted(DATA)
    ]
    # One release update: created once, the five files uploaded in one call, byte-identical to the commit.
    assert nightly.gh.commands().count("release create") == 1
    assert nightly.data_uploads() == [list(DATA)]
    assert {name: nightly.gh.asset_bytes(name) == nightly.committed(name) for name in DATA} == dict.fromkeys(DATA, True)
    assert "## extended-anitrakt run" in nightly.gh.release()["notes"]  # type: ignore[index]
    # One status.json, after the data.
    assert nightly.status_uploads() == 1
    status = nightly.status()
    assert problems(status, "status.schema.json", where="status.json") == []
    assert (status["outcome"], status["failed_step"]) == ("success", None)
    assert status["data_commit"] == git(nightly.remote, "rev-parse", "main")
    assert status["counts"] == {
        "tv_ex.json": 2,
        "movies_ex.json": 2,
        "not_exist_tv_ex.json": 1,
        "not_exist_movies_ex.json": 0,
    }
    assert status["requests"]["made"] > 0
    assert status["run"]["url"] == f"{nightly.server.as_uri()}/{REPOSITORY}/actions/runs/1001"
    # No issue; the keepalive re-enabled the schedule.
    assert jobs["alert"].result == "success" and nightly.gh.issues() == []
    assert nightly.gh.state()["enabled"] == 1


def test_unchanged_night_commits_nothing_and_only_replaces_status(nightly: Nightly) -> None:
    first = nightly.night()
    assert first["data"].result == "success", explain(first)
    commits, uploads = nightly.commits(), nightly.data_uploads()

    jobs = nightly.night()

    assert jobs["data"].result == "success", explain(jobs)
    assert nightly.commits() == commits
    assert nightly.data_uploads() == uploads  # no asset changed, so no ETag changed
    assert nightly.status_uploads() == 2
    assert [gap["uploaded"] for gap in nightly.gh.gaps(("status.json",))] == [0]  # swapped in, never --clobber
    status = nightly.status()
    assert (status["outcome"], status["data_commit"]) == ("success", None)
    assert status["requests"]["made"] == 0  # the Trakt cache came back through actions/cache
    assert status["run"]["id"] == "1002"


def test_failing_night_commits_nothing_names_the_step_and_opens_an_issue(nightly: Nightly) -> None:
    """Upstream serves an HTML page: fetch fails; status says so; the issue opens, the next success closes it."""
    nightly.serve_upstream(b"<html>504 Gateway Time-out</html>", MOVIES)

    jobs = nightly.night()

    assert jobs["data"].result == "failure"
    assert nightly.commits() == ["the project"]
    assert nightly.data_uploads() == []
    status = nightly.status()
    assert (status["outcome"], status["failed_step"], status["data_commit"]) == ("failure", "fetch", None)
    assert status["requests"] is None and status["counts"] is None
    assert problems(status, "status.schema.json", where="status.json") == []
    (issue,) = nightly.gh.issues()
    assert (issue["title"], issue["state"]) == ("nightly failing", "open")
    assert f"{REPOSITORY}/actions/runs/1001 ended with **failure** at step `fetch`" in issue["body"]
    assert nightly.gh.state()["enabled"] == 1  # a failing night still keeps the schedule alive

    nightly.serve_upstream(TV, MOVIES)
    jobs = nightly.night()

    assert jobs["data"].result == "success", explain(jobs)
    assert nightly.gh.issues()[0]["state"] == "closed"
    assert nightly.status()["outcome"] == "success" and len(nightly.commits()) == 2


def test_run_on_another_branch_publishes_nothing(nightly: Nightly) -> None:
    """A dispatch on a branch runs the chain and stops after the report: no commit, no release, no issue."""
    git(nightly.remote, "branch", "try-this", "main")

    jobs = nightly.night(ref="refs/heads/try-this", event="workflow_dispatch")

    assert jobs["data"].result == "success", explain(jobs)
    ran = {step.id: step.outcome for step in jobs["data"].steps}
    assert (ran["report"], ran["publish"], ran["status"]) == ("success", "skipped", "success")
    assert nightly.commits("try-this") == nightly.commits("main") == ["the project"]
    assert nightly.gh.calls() == []  # no release, no status.json, no issue, no keepalive
    assert (jobs["alert"].result, jobs["keepalive"].result) == ("skipped", "skipped")
    assert "Not published: only runs on `main` publish (this run: `refs/heads/try-this`)" in jobs["data"].summary


def test_a_shallow_checkout_catches_up_with_a_main_that_moved_before_publish(nightly: Nightly) -> None:
    """Item 10: actions/checkout fetches depth 1; a maintainer's push landing while the run works is rebased
    onto, and the data commit goes on top of it."""
    shallow: list[str] = []

    def maintainer_pushes(step_id: str | None) -> None:
        if step_id == "publish":
            shallow.append(git(nightly.tmp / "run-1" / "work" / "data", "rev-parse", "--is-shallow-repository"))
            other = nightly.tmp / "maintainer"
            git(nightly.tmp, "clone", "--quiet", str(nightly.remote), str(other))
            (other / "NOTES.md").write_text("a maintainer's change outside output/\n")
            git(other, "add", "NOTES.md")
            git(other, "commit", "--quiet", "-m", "notes")
            git(other, "push", "--quiet", "origin", "main")

    jobs = nightly.night(before_step=maintainer_pushes)

    assert jobs["data"].result == "success", explain(jobs)
    assert shallow == ["true"]
    assert nightly.commits()[1:] == ["notes", "the project"] and nightly.commits()[0].startswith("data: ")
    assert nightly.status()["data_commit"] == git(nightly.remote, "rev-parse", "main")


def test_with_issues_turned_off_the_alert_job_still_succeeds(nightly: Nightly) -> None:
    """Item 2: forks have issues off by default; gh refuses every issue command there. A failing night is
    still red (the data job), but the alert job is not, and it says why in an annotation."""
    nightly.gh = FakeGh.install(nightly.tmp / "gh", issues=False)
    nightly.serve_upstream(b"<html>504 Gateway Time-out</html>", MOVIES)

    jobs = nightly.night()

    assert jobs["data"].result == "failure"
    assert jobs["alert"].result == "success", explain(jobs)
    (step,) = [step for step in jobs["alert"].steps if step.outcome != "skipped" and "issue" in step.name]
    assert "::warning title=alert::issues are turned off in owner/data" in step.stdout
    assert nightly.status()["outcome"] == "failure"
