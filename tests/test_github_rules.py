"""What GitHub does around the workflows that the stand-ins cannot run: concurrency, tokens, push triggers.

Items 4, 6 and 8 of issue 16, each against GitHub's documented rule (docs/github.md cites them):

- concurrency: one run in progress and ONE pending a group; a newer run cancels the pending one;
- a push made with ``GITHUB_TOKEN`` starts no workflow (so checks.yml never runs on a data commit);
- an action given no value for a token input gets its default, which for ``actions/checkout``
  (``token``) and ``astral-sh/setup-uv`` (``github-token``) is ``github.token`` (their action.yml).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.standins.actions_runner import Concurrency, concurrency_group

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
NIGHTLY, CHECKS = WORKFLOWS / "nightly.yml", WORKFLOWS / "checks.yml"
MAIN = {"ref": "refs/heads/main", "event_name": "schedule"}
BRANCH = {"ref": "refs/heads/try-this", "event_name": "workflow_dispatch"}
# The inputs whose default is github.token, in each action's action.yml at the pinned commit.
TOKEN_DEFAULTS = {"actions/checkout": "token", "astral-sh/setup-uv": "github-token"}


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_the_stand_in_keeps_one_pending_run_and_cancels_the_older_one() -> None:
    """The rule itself: three runs of one group while the first works; the second never starts."""
    queue = Concurrency()
    for run in ("night-1", "night-2", "night-3"):
        queue.queue(run, "g")
    queue.finish("g")
    assert (queue.started, queue.cancelled) == (["night-1", "night-3"], ["night-2"])


def test_a_dispatch_on_a_branch_never_cancels_mains_pending_run() -> None:
    """Item 4: with one group for every branch, a test dispatch would cancel main's pending scheduled run."""
    workflow = load(NIGHTLY)
    queue = Concurrency()
    for run, github in (("main-1", MAIN), ("main-2", MAIN), ("try", BRANCH)):
        queue.queue(run, concurrency_group(workflow, github))
    assert queue.cancelled == []
    queue.finish(concurrency_group(workflow, MAIN))
    assert queue.started == ["main-1", "try", "main-2"]
    assert workflow["concurrency"]["cancel-in-progress"] is False  # never cancelled mid-publish


def token_holders(job: dict[str, Any]) -> list[str]:
    """The steps that hold github.token: given it explicitly, or by an action input's default."""
    found = []
    for step in job["steps"]:
        explicit = any("github.token" in str(value) for value in (step.get("env") or {}).values())
        action = step.get("uses", "").split("@")[0]
        given = (step.get("with") or {}).get(TOKEN_DEFAULTS.get(action, ""), None)
        by_default = action in TOKEN_DEFAULTS and given != ""
        if explicit or by_default or "github.token" in str(given):
            found.append(step.get("id") or action or step["name"])
    return found


def test_only_checkout_publish_and_status_hold_the_token_in_the_data_job() -> None:
    """Item 8: setup-uv's ``github-token`` defaults to github.token (uv comes from Astral's mirror without it)."""
    nightly = load(NIGHTLY)
    assert token_holders(nightly["jobs"]["data"]) == ["checkout", "publish", "status"]
    for name in ("alert", "keepalive"):  # the checkout, and the one step that calls gh
        assert token_holders(nightly["jobs"][name]) == ["actions/checkout", nightly["jobs"][name]["steps"][1]["name"]]
    for job in load(CHECKS)["jobs"].values():
        assert token_holders(job) == ["actions/checkout"]  # read-only token, to fetch
    maintaining = (ROOT / "docs" / "maintaining.md").read_text(encoding="utf-8")
    assert "only its checkout, publish and status steps hold the token" in maintaining


def test_data_commits_start_no_checks_so_publish_validates_before_it_pushes() -> None:
    """Item 6: publish pushes with github.token, and such a push starts no workflow; checks.yml must not
    promise to run on it, and the publish step itself validates (pipeline.publish runs validate first)."""
    data = load(NIGHTLY)["jobs"]["data"]
    publish = next(step for step in data["steps"] if step.get("id") == "publish")
    assert publish["env"]["PUSH_TOKEN"] == "${{ github.token }}"
    source = (ROOT / "pipeline" / "publish.py").read_text(encoding="utf-8")
    assert "_validate_all" in source
    header = CHECKS.read_text(encoding="utf-8").split("\nname:")[0]
    assert "GITHUB_TOKEN" in header and "start no workflow" in header
