"""The "nightly failing" issue: opened (or commented on) when a nightly run fails, closed by the next success.

GitHub e-mails a failed scheduled run only to whoever last edited its cron line; an open issue is
seen by every watcher. Run by the workflow's ``alert`` job (the only one with ``issues: write``) with
the data job's result and outputs in the environment: ``RESULT`` (success, failure, cancelled,
skipped), ``FAILED_STEP`` and ``REPORT`` (the run's Markdown report, possibly empty).

On a repository with issues turned off (the default on forks) every issue command fails ("the
'owner/name' repository has disabled issues", cli/cli ``pkg/cmd/issue/list/http.go``): that is a
warning in the log, not a failed job, since the run itself may well have succeeded. The issue is
found through the repository's issue list, not ``--search``: the search index lags, and a second
failure right after the first would open a duplicate.

Standard library only: it runs with the runner's ``python3``, no set-up.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence

from pipeline.errors import PipelineError
from pipeline.github.gh import Gh, run_url

logger = logging.getLogger(__name__)

TITLE = "nightly failing"
BODY_LIMIT = 65_000  # GitHub refuses an issue body or comment over 65,536 characters
NO_REPORT = "No report: the run stopped before enrich finished. The run's log says why."
DISABLED = "has disabled issues"
ISSUES_OFF = (
    "issues are turned off in {repo}, so no {title!r} issue is opened or closed (run result: {result}); "
    "turn them on (Settings > General > Features > Issues) or watch status.json instead (README)"
)


def open_issue(gh: Gh) -> int | None:
    """The number of the open "nightly failing" issue, if there is one (exact title)."""
    listed = gh.run(
        "issue", "list", "--repo", gh.repo, "--state", "open", "--json", "number,title", "--limit", "1000",
    )  # fmt: skip
    try:
        issues = json.loads(listed.stdout)
        numbers = sorted(int(issue["number"]) for issue in issues if issue["title"] == TITLE)
    except (ValueError, KeyError, TypeError) as exc:
        raise PipelineError(f"alert: unexpected answer from gh issue list ({exc})") from None
    return numbers[0] if numbers else None


def body(result: str, failed_step: str, report: str, environ: Mapping[str, str]) -> str:
    where = f" at step `{failed_step}`" if failed_step else ""
    head = (
        f"The nightly run {run_url(environ) or '(no run URL)'} ended with **{result}**{where} "
        f"({environ.get('GITHUB_EVENT_NAME', 'run')} on `{environ.get('GITHUB_REF', '?')}`). "
        "Nothing published changed. This issue is closed by the next successful run.\n\n"
    )
    return (head + (report.strip() or NO_REPORT))[:BODY_LIMIT] + "\n"


def alert(gh: Gh, result: str, failed_step: str, report: str, environ: Mapping[str, str]) -> str:
    """Open, comment on or close the issue; says what it did."""
    number = open_issue(gh)
    if result in ("failure", "cancelled"):
        text = body(result, failed_step, report, environ)
        if number is None:
            gh.run("issue", "create", "--repo", gh.repo, "--title", TITLE, "--body-file", "-", stdin=text)
            return f'opened a "{TITLE}" issue'
        gh.run("issue", "comment", str(number), "--repo", gh.repo, "--body-file", "-", stdin=text)
        return f"commented on issue #{number}"
    if result == "success" and number is not None:
        gh.run(
            "issue",
            "close",
            str(number),
            "--repo",
            gh.repo,
            "--comment",
            f"Run {run_url(environ) or '(no run URL)'} succeeded.",
        )
        return f"closed issue #{number}"
    return f"nothing to do (result {result})"


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    argparse.ArgumentParser(prog="python3 -m pipeline.alert", description=__doc__.splitlines()[0]).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    result = environ.get("RESULT", "")
    try:
        gh = Gh(environ.get("GITHUB_REPOSITORY", ""), environ=environ)
        done = alert(gh, result, environ.get("FAILED_STEP", ""), environ.get("REPORT", ""), environ)
    except PipelineError as exc:
        if DISABLED in str(exc):
            # a workflow command: an annotation on the run's page, where a maintainer looks
            print("::warning title=alert::" + ISSUES_OFF.format(repo=gh.repo, title=TITLE, result=result or "unknown"))
            return 0
        print(f"alert: {exc}", file=sys.stderr)
        return 1
    logger.info("alert: %s", done)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
