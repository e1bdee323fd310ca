"""The run's status, written by every nightly run (success or not) and uploaded as ``status.json``.

The workflow runs this last, with ``if: always()``: it reads the outcome of each step (the ``steps``
context, as JSON in ``$STEPS``), the Trakt requests from the run summary and the published counts from
``output/meta.json`` as committed, writes ``.cache/status.json`` (schema: ``schemas/status.schema.json``),
adds a few lines to the job summary, gives ``outcome``, ``failed_step`` and ``report`` to the next job
(``$GITHUB_OUTPUT``) and, on the publishing branch only, replaces the ``status.json`` asset of the
``latest`` release. It is not a commit, so a quiet night still commits nothing.

Standard library only: it runs with the runner's ``python3`` even when setting up uv failed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.errors import PipelineError
from pipeline.github import release
from pipeline.github.gh import Gh, run_url
from pipeline.published.models import STAMP

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
# The paths of pipeline/config.yaml (a test holds them equal): config.py needs PyYAML, this must not.
RUN_SUMMARY = Path(".cache/run-summary.json")
RUN_REPORT = Path(".cache/report.md")
STATUS_FILE = Path(".cache") / release.STATUS_ASSET
META = "output/meta.json"
REQUEST_KEYS = ("made", "from_cache", "retries", "throttled", "failed")
REPORT_LIMIT = 60_000  # an issue body holds 65,536 characters; the status lines and the link come first


def now() -> str:
    return datetime.now(UTC).strftime(STAMP)


def outcome_of(steps: Mapping[str, Any]) -> tuple[str, str | None]:
    """(outcome, first failed step id) from the ``steps`` context.

    Its keys are in the order the steps ran: the runner adds a step when it records its outcome, and its
    context dictionaries keep insertion order (so with ``toJSON``). Only steps with an ``id`` are in it.
    """
    outcomes = {name: str(step.get("outcome")) for name, step in steps.items() if isinstance(step, dict)}
    failed = [name for name, outcome in outcomes.items() if outcome == "failure"]
    if failed:
        return "failure", failed[0]
    if "cancelled" in outcomes.values():
        return "cancelled", next(name for name, outcome in outcomes.items() if outcome == "cancelled")
    return "success", None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def requests_of(summary: Any) -> dict[str, int] | None:
    """This run's Trakt requests, from the run summary enrich left (None when enrich did not finish)."""
    found = summary.get("requests") if isinstance(summary, dict) else None
    if not isinstance(found, dict) or not all(isinstance(found.get(key), int) for key in REQUEST_KEYS):
        return None
    return {key: found[key] for key in REQUEST_KEYS}


def published_counts(repo: Path) -> dict[str, int] | None:
    """Entries per published file, from ``output/meta.json`` as committed at HEAD (the published data)."""
    shown = subprocess.run(
        ["git", "show", f"HEAD:{META}"], cwd=repo, capture_output=True, text=True, check=False, input=""
    )
    try:
        files = json.loads(shown.stdout)["files"] if shown.returncode == 0 else None
        return {name: int(info["entries"]) for name, info in files.items()} if isinstance(files, dict) else None
    except (ValueError, KeyError, TypeError):
        return None


def committed_data(repo: Path, folder: Path) -> Path | None:
    """The release's data files as committed at HEAD (not as this run left them), in ``folder``;
    None when HEAD lacks one of them."""
    for name in release.DATA_ASSETS:
        shown = subprocess.run(
            ["git", "show", f"HEAD:output/{name}"], cwd=repo, capture_output=True, check=False, input=b""
        )
        if shown.returncode != 0:
            return None
        (folder / name).write_bytes(shown.stdout)
    return folder


def build(environ: Mapping[str, str], repo: Path, *, ended: str) -> dict[str, Any]:
    """The status record; ``$STEPS`` must hold the job's ``steps`` context as JSON."""
    try:
        steps = json.loads(environ["STEPS"])
    except (KeyError, ValueError):
        raise PipelineError("status: set STEPS to the job's steps context (${{ toJSON(steps) }})") from None
    outcome, failed = outcome_of(steps)
    publish = steps.get("publish", {}) if isinstance(steps, dict) else {}
    commit = (publish.get("outputs") or {}).get("commit") or None
    return {
        "schema_version": SCHEMA_VERSION,
        "outcome": outcome,
        "failed_step": failed,
        "started": environ.get("STARTED") or ended,
        "ended": ended,
        "data_commit": commit,
        "counts": published_counts(repo),
        "requests": requests_of(_read_json(repo / RUN_SUMMARY)),
        "run": {
            "id": environ.get("GITHUB_RUN_ID") or None,
            "url": run_url(environ),
            "event": environ.get("GITHUB_EVENT_NAME") or None,
            "ref": environ.get("GITHUB_REF") or None,
        },
    }


def summary_lines(status: Mapping[str, Any], *, publishes: bool, branch: str) -> list[str]:
    """What the job summary says about the run as a whole."""
    outcome = status["outcome"]
    lines = ["### Run status", ""]
    if status["failed_step"]:
        lines.append(f"**{outcome}** at step `{status['failed_step']}`; nothing published changed by this run.")
    else:
        lines.append(f"**{outcome}**" + (f", data commit {status['data_commit']}" if status["data_commit"] else ""))
    if not publishes:
        lines += [
            "",
            f"Not published: only runs on `{branch}` publish (this run: `{status['run']['ref']}`); "
            "it stopped after the report. No commit, no release, no status.json.",
        ]
    return [*lines, ""]


def _append(path: str | None, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


def outputs(status: Mapping[str, Any], report: str) -> str:
    """``$GITHUB_OUTPUT`` lines: outcome, failed step, and the report under a random delimiter."""
    delimiter = f"EOF_{secrets.token_hex(8)}"
    return (
        f"outcome={status['outcome']}\n"
        f"failed_step={status['failed_step'] or ''}\n"
        f"report<<{delimiter}\n{report[:REPORT_LIMIT]}\n{delimiter}\n"
    )


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m pipeline.status", description=__doc__.splitlines()[0])
    parser.add_argument("--branch", default="main", help="the only branch whose runs upload it (default: main)")
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="the checkout (default: cwd)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    repo: Path = args.repo
    publishes = environ.get("GITHUB_REF") == f"refs/heads/{args.branch}"
    try:
        status = build(environ, repo, ended=now())
        path = repo / STATUS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(status, indent=2) + "\n", encoding="utf-8")
        print(json.dumps(status, indent=2))
        try:
            report = (repo / RUN_REPORT).read_text(encoding="utf-8")
        except OSError:
            report = ""
        lines = summary_lines(status, publishes=publishes, branch=args.branch)
        _append(environ.get("GITHUB_STEP_SUMMARY"), "\n".join(lines))
        _append(environ.get("GITHUB_OUTPUT"), outputs(status, report))
        if publishes and environ.get("GITHUB_REPOSITORY"):
            gh = Gh(environ["GITHUB_REPOSITORY"], environ=environ)
            with tempfile.TemporaryDirectory(prefix="committed-") as folder:
                committed = committed_data(repo, Path(folder))
                release.put_status(gh, path, target=args.branch, committed=committed)
            logger.info("status: %s uploaded to the %r release", release.STATUS_ASSET, release.TAG)
        else:
            logger.info("status: not uploaded (only runs on %s of the repository upload it)", args.branch)
    except PipelineError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
