"""The GitHub workflows are data: parsed with PyYAML and held to the project's promises."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.config import DEFAULTS_FILE

WORKFLOWS = Path(__file__).resolve().parent.parent / ".github" / "workflows"
NIGHTLY, CHECKS = WORKFLOWS / "nightly.yml", WORKFLOWS / "checks.yml"
CHAIN = ["fetch", "discover", "enrich", "validate", "report", "publish", "status"]
MODULE = re.compile(r"python3? -m pipeline\.(\w+)")
MAIN = "refs/heads/main"


def load(path: Path) -> dict[Any, Any]:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(workflow, dict)
    return workflow


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    """The ``on:`` mapping (YAML 1.1 reads the bare key ``on`` as True)."""
    on = workflow[True] if True in workflow else workflow["on"]
    return on if isinstance(on, dict) else {name: None for name in ([on] if isinstance(on, str) else on)}


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def modules(step: dict[str, Any]) -> list[str]:
    return MODULE.findall(step.get("run", ""))


def step_running(job: dict[str, Any], module: str) -> int:
    found = [i for i, step in enumerate(steps(job)) if module in modules(step)]
    assert len(found) == 1, f"expected one step running pipeline.{module}, found {len(found)}"
    return found[0]


def strings(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every string in the document with its dotted location."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from strings(value, f"{where}.{key}" if where else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from strings(value, f"{where}[{index}]")
    elif isinstance(node, str):
        yield where, node


@pytest.fixture(scope="module")
def nightly() -> dict[Any, Any]:
    return load(NIGHTLY)


@pytest.fixture(scope="module")
def checks() -> dict[Any, Any]:
    return load(CHECKS)


@pytest.fixture(scope="module")
def data_job(nightly: dict[Any, Any]) -> dict[str, Any]:
    """The nightly job that runs the chain."""
    jobs = [job for job in nightly["jobs"].values() if any("enrich" in modules(step) for step in steps(job))]
    assert len(jobs) == 1
    return jobs[0]


def test_nightly_runs_on_a_schedule_and_by_hand_with_force_and_allow_shrink(nightly: dict[Any, Any]) -> None:
    on = triggers(nightly)
    assert on["schedule"] and all("cron" in entry for entry in on["schedule"])
    inputs = on["workflow_dispatch"]["inputs"]
    assert {name: inputs[name]["type"] for name in ("force", "allow_shrink")} == {
        "force": "boolean",
        "allow_shrink": "boolean",
    }


def test_nightly_chains_fetch_enrich_validate_report_publish_status_in_order(data_job: dict[str, Any]) -> None:
    ran = [module for step in steps(data_job) for module in modules(step)]
    assert ran == CHAIN


def test_dispatch_inputs_become_enrich_flags_through_env(data_job: dict[str, Any]) -> None:
    enrich = steps(data_job)[step_running(data_job, "enrich")]
    assert enrich["env"]["FORCE"] == "${{ inputs.force }}"
    assert enrich["env"]["ALLOW_SHRINK"] == "${{ inputs.allow_shrink }}"
    assert "--force" in enrich["run"] and "--allow-shrink" in enrich["run"]


def test_trakt_cache_path_is_the_one_config_yaml_uses(data_job: dict[str, Any]) -> None:
    trakt_cache = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))["paths"]["trakt_cache"]
    cache_steps = [step for step in steps(data_job) if step.get("uses", "").startswith("actions/cache")]
    assert [step["uses"].split("@")[0] for step in cache_steps] == [
        "actions/cache/restore",
        "actions/cache/save",
    ]
    # The glob takes SQLite's -wal beside the database too, when a killed enrich left one; the mapping
    # sources ride along, so a bad download keeps the last good copy.
    sources_dir = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))["discovery"]["sources_dir"]
    expected = [f"{trakt_cache}*", f"{sources_dir}/"]
    assert [step["with"]["path"].split() for step in cache_steps] == [expected, expected]


def test_cache_saves_under_a_run_unique_key_always_and_restores_by_prefix(
    nightly: dict[Any, Any], data_job: dict[str, Any]
) -> None:
    restore, save = (step for step in steps(data_job) if step.get("uses", "").startswith("actions/cache"))
    assert restore["with"]["key"] == save["with"]["key"] == "${{ env.TRAKT_CACHE_KEY }}"
    key = nightly["env"]["TRAKT_CACHE_KEY"]
    assert key == "trakt-cache-${{ github.run_id }}-${{ github.run_attempt }}"
    assert restore["with"]["restore-keys"] == "trakt-cache-"
    assert "always()" in save["if"]
    order = steps(data_job)
    assert order.index(restore) < step_running(data_job, "enrich") < order.index(save)


def test_publish_runs_only_on_main_after_validation_passed(data_job: dict[str, Any]) -> None:
    """Publish comes after validate; its condition (no status function: success() is implied) is main."""
    validate, publish = step_running(data_job, "validate"), step_running(data_job, "publish")
    assert validate < publish
    step = steps(data_job)[publish]
    assert step["if"] == f"github.ref == '{MAIN}'" and not step.get("continue-on-error")
    assert not data_job.get("continue-on-error")
    assert not [s.get("name") for s in steps(data_job)[:publish] if s.get("continue-on-error")]


def test_top_level_permissions_are_read_only(nightly: dict[Any, Any], checks: dict[Any, Any]) -> None:
    for workflow in (nightly, checks):
        assert set(workflow["permissions"].values()) <= {"read", "none"}


def test_only_the_committing_job_may_write_contents(nightly: dict[Any, Any], data_job: dict[str, Any]) -> None:
    writes = {
        name: sorted(scope for scope, level in job.get("permissions", {}).items() if level == "write")
        for name, job in nightly["jobs"].items()
    }
    committing = next(name for name, job in nightly["jobs"].items() if job is data_job)
    assert {name: scopes for name, scopes in writes.items() if scopes} == {
        committing: ["contents"],
        "alert": ["issues"],
        "keepalive": ["actions"],
    }
    assert all(job.get("permissions") is not None for job in nightly["jobs"].values())


def test_keepalive_runs_for_scheduled_runs_only_whatever_the_data_job_did(nightly: dict[Any, Any]) -> None:
    job = nightly["jobs"]["keepalive"]
    assert "needs" not in job and job["if"] == "github.event_name == 'schedule'"
    (run,) = [step for step in steps(job) if "run" in step]
    assert run["run"] == f"exec python3 -m pipeline.keepalive --workflow {NIGHTLY.name}"


def test_checkout_takes_the_branch_tip_and_the_cache_is_restored_right_after(data_job: dict[str, Any]) -> None:
    """Not github.sha (the commit a queued run was queued on); the cache before anything that can fail."""
    order = steps(data_job)
    uses = [step.get("uses", "").split("@")[0] for step in order]
    checkout = uses.index("actions/checkout")
    assert order[checkout]["with"]["ref"] == "${{ github.ref }}"
    assert uses[checkout + 1] == "actions/cache/restore"
    assert all(step["run"].startswith("echo ") for step in order[:checkout])  # only the start time before it


def test_every_data_step_has_an_id_for_the_status(data_job: dict[str, Any]) -> None:
    ids = [step.get("id") for step in steps(data_job)]
    assert all(ids) and len(set(ids)) == len(ids)
    assert "publish" in ids  # status.json reads the data commit from steps.publish.outputs.commit


def test_status_runs_every_time_without_uv_and_uploads_from_main_only(data_job: dict[str, Any]) -> None:
    step = steps(data_job)[-1]
    assert step["id"] == "status" and step["if"] == "always()"
    assert step["run"] == f"exec python3 -m pipeline.status --branch {MAIN.removeprefix('refs/heads/')}"
    assert step["env"]["STEPS"] == "${{ toJSON(steps) }}"
    assert step["env"]["STARTED"] == "${{ steps.start.outputs.at }}"
    assert set(data_job["outputs"]) == {"outcome", "failed_step", "report"}


def test_alert_follows_the_data_job_on_main_with_its_result(nightly: dict[Any, Any]) -> None:
    job = nightly["jobs"]["alert"]
    assert job["needs"] == "data"
    assert job["if"] == f"${{{{ !cancelled() && github.ref == '{MAIN}' }}}}"
    (run,) = [step for step in steps(job) if "run" in step]
    assert run["run"] == "exec python3 -m pipeline.alert"
    assert run["env"]["RESULT"] == "${{ needs.data.result }}"


def test_nightly_runs_never_overlap(nightly: dict[Any, Any]) -> None:
    assert nightly["concurrency"]["group"]
    assert nightly["concurrency"]["cancel-in-progress"] is False


@pytest.mark.parametrize("path", [NIGHTLY, CHECKS], ids=lambda p: p.name)
def test_every_job_has_a_timeout(path: Path) -> None:
    for name, job in load(path)["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int), name


@pytest.mark.parametrize("path", [NIGHTLY, CHECKS], ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_version(path: Path) -> None:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if "uses:" in line]
    assert lines
    for line in lines:
        assert re.fullmatch(r"(- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+", line), line


# Each pin checked against the action's own repository: `git tag --points-at SHA` names the tag and
# `git show SHA:action.yml` (restore/ and save/ for actions/cache) says `using: node24`.
NODE24_PINS = {
    "actions/checkout": ("fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09", "v5.1.0"),
    "astral-sh/setup-uv": ("20cfd1bf945f4377ade1205e4dbc17946fc9a30d", "v10.0.1"),
    "actions/cache/restore": ("27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"),
    "actions/cache/save": ("27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"),
}


@pytest.mark.parametrize("path", [NIGHTLY, CHECKS], ids=lambda p: p.name)
def test_every_action_runs_on_node24_at_a_verified_commit(path: Path) -> None:
    """Node 20 is gone from GitHub's runners: only the pins checked to say ``using: node24`` are allowed."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if "uses:" in line:
            action, _, rest = line.split("uses:")[1].strip().partition("@")
            sha, _, tag = rest.partition(" # ")
            assert NODE24_PINS.get(action) == (sha, tag), line.strip()


@pytest.mark.parametrize("path", [NIGHTLY, CHECKS], ids=lambda p: p.name)
def test_no_expression_is_expanded_inside_a_shell_script(path: Path) -> None:
    """Inputs reach scripts through env, never as ``${{ }}`` pasted into ``run:`` (template injection)."""
    runs = [value for where, value in strings(load(path)) if where.endswith(".run")]
    assert runs and not [run for run in runs if "${{" in run]


def test_trakt_api_key_is_only_in_the_steps_that_ask_trakt(nightly: dict[Any, Any], data_job: dict[str, Any]) -> None:
    uses_secrets = [where for where, value in strings(nightly) if "secrets." in value]
    asking = [step_running(data_job, "discover"), step_running(data_job, "enrich")]
    committing = next(name for name, job in nightly["jobs"].items() if job is data_job)
    assert uses_secrets == [f"jobs.{committing}.steps[{at}].env.TRAKT_API_KEY" for at in asking]
    for at in asking:
        assert steps(data_job)[at]["env"]["TRAKT_API_KEY"] == "${{ secrets.TRAKT_API_KEY }}"


def test_checks_run_on_pull_request_and_push_to_main_without_secrets(checks: dict[Any, Any]) -> None:
    on = triggers(checks)
    assert "pull_request" in on and "pull_request_target" not in on
    assert on["push"]["branches"] == ["main"]
    assert "secrets." not in CHECKS.read_text(encoding="utf-8")
    assert checks["permissions"] == {"contents": "read"}
    assert all("permissions" not in job for job in checks["jobs"].values())


def test_checks_lint_test_and_validate(checks: dict[Any, Any]) -> None:
    runs = "\n".join(value for where, value in strings(checks) if where.endswith(".run"))
    for command in (
        "uv run ruff check",
        "uv run mypy",
        "uv run pytest",
        "uv run python -m pipeline.validate",
        "check-jsonschema --builtin-schema vendor.github-workflows",
        "zizmor --offline",
    ):
        assert command in runs


def test_override_summary_runs_only_for_pull_requests_touching_overrides(checks: dict[Any, Any]) -> None:
    job = checks["jobs"]["overrides"]
    assert job["if"] == "github.event_name == 'pull_request'"
    (summary,) = [step for step in steps(job) if "override_diff" in modules(step)]
    assert summary["if"] == "steps.touched.outputs.overrides == 'true'"
    assert '>> "${GITHUB_STEP_SUMMARY}"' in summary["run"]


def test_maintainers_page_matches_the_workflow(data_job: dict[str, Any]) -> None:
    """The step ids the maintainers' page says status.json can name exist; the keepalive is not sold as a guarantee."""
    root = WORKFLOWS.parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    maintainers = (root / "docs" / "maintaining.md").read_text(encoding="utf-8")
    named = re.search(r"first step that failed\s+\(([^)]*)\)", maintainers)
    assert named is not None
    ids = {step.get("id") for step in steps(data_job)}
    assert set(re.findall(r"`([\w-]+)`", named.group(1))) <= ids
    assert "cannot stop quietly" not in readme + maintainers and "releases/download/latest/status.json" in maintainers
    assert "**only on `main`**" in maintainers and "tip of the\nbranch" in maintainers
