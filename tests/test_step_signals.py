"""Issue 23, item 3: a step that times out stops its Python, so nothing runs beside the next steps.

The runner sends SIGINT, then SIGTERM, to the step's shell alone (actions/runner ``ProcessInvoker``),
and bash does not pass a signal on to the command it waits for: unless bash ``exec``s it, the Python
keeps running (writing the Trakt cache) while the cache-save, report and status steps run. ``uv run``
forwards SIGTERM to its child (astral-sh/uv#8933, #13017; the first SIGINT it leaves to the process
group), so ``exec uv run python ...`` delivers the runner's SIGTERM to the step's Python.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.standins.actions_runner import Runner

ROOT = Path(__file__).resolve().parent.parent
NIGHTLY = ROOT / ".github" / "workflows" / "nightly.yml"
SECONDS_A_MINUTE = 4.0  # the enrich step's limit shrunk to 4 s; the signals' delays scale with it


def nightly() -> dict[str, Any]:
    return yaml.safe_load(NIGHTLY.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_every_python_step_execs_it_so_the_runners_signals_reach_it() -> None:
    """A ``run:`` step that ends in a Python command runs it with ``exec`` (no shell left in between)."""
    steps = [step for job in nightly()["jobs"].values() for step in job["steps"] if "run" in step]
    lines = {step.get("id") or step["name"]: step["run"].strip().splitlines()[-1] for step in steps}
    python = {name: line for name, line in lines.items() if " python" in f" {line}" or "python3" in line}
    assert python and all(line.startswith("exec ") for line in python.values()), python


def test_a_timed_out_enrich_step_leaves_no_python_running_and_the_cache_is_saved_whole(tmp_path: Path) -> None:
    """The enrich step, as the workflow writes it, past its limit: its Python stops before the next step."""
    workflow = nightly()
    data = workflow["jobs"]["data"]
    by_id = {step["id"]: step for step in data["steps"]}
    enrich = dict(by_id["enrich"], **{"timeout-minutes": 1})
    assert 'python -m pipeline.enrich "${flags[@]}"' in enrich["run"]
    enrich["run"] = enrich["run"].replace(
        'python -m pipeline.enrich "${flags[@]}"', "python -m tests.standins.slow_step .cache/trakt.sqlite"
    )
    check = {
        "id": "check",
        "if": "always()",
        "run": "if [ -f python.exited ]; then echo stopped; else echo running; fi",
    }
    job = {"timeout-minutes": 100, "steps": [enrich, check, by_id["save-cache"]]}
    store = tmp_path / "cache-store"
    uv = shutil.which("uv")
    assert uv is not None
    runner = Runner(
        workflow={"env": workflow["env"], "jobs": {"data": job}},
        root=tmp_path,
        base_env={
            "PATH": f"{Path(uv).parent}{os.pathsep}/usr/bin:/bin",
            "HOME": os.environ.get("HOME", str(tmp_path)),
            "UV_PROJECT": str(ROOT),  # the workspace is empty: this checkout, in the tests' own environment
            "UV_PROJECT_ENVIRONMENT": sys.prefix,
            "UV_NO_SYNC": "1",
            "PYTHONPATH": str(ROOT),
        },
        github={"event_name": "schedule", "ref": "refs/heads/main", "repository": "o/r", "server_url": "", "run_id": 1},
        secrets={"TRAKT_API_KEY": "k"},
        cache_store=store,
        minute=SECONDS_A_MINUTE,
    )

    steps = {step.id: step for step in runner.run()["data"].steps}

    assert steps["enrich"].timed_out and steps["enrich"].outcome == "failure"
    assert steps["enrich"].survivors == []  # nothing of the step left running beside the next ones
    assert re.search(r"enrich: stopped by signal (2|15);", steps["enrich"].stderr)  # enrich's own handler ran
    assert steps["check"].stdout.strip() == "stopped"
    (saved,) = store.glob("*/.cache/trakt.sqlite")
    connection = sqlite3.connect(saved)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert connection.execute("SELECT count(*) FROM responses").fetchone()[0] > 0
