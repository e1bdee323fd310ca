"""Re-enable the nightly workflow after a scheduled run, so 60 quiet days do not disable it.

Only in the repository itself (a fork's schedule is its owner's business) and only while the workflow
is ``active``: a workflow someone disabled by hand (``disabled_manually``) stays disabled. This is no
guarantee: a workflow that is already disabled runs nothing, this included. The ``status.json``
release asset going stale is what shows a stopped schedule (see docs/maintaining.md).

Standard library only: it runs with the runner's ``python3``, no set-up.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.errors import PipelineError
from pipeline.github.gh import Gh

logger = logging.getLogger(__name__)


def _get(gh: Gh, path: str) -> Any:
    shown = gh.run("api", path)
    try:
        return json.loads(shown.stdout)
    except ValueError:
        raise PipelineError(f"keepalive: gh api {path} did not answer JSON") from None


def keepalive(gh: Gh, workflow: str) -> str:
    """Enable ``workflow`` when it is active in a repository that is not a fork; says what it did."""
    if _get(gh, f"repos/{gh.repo}").get("fork"):
        return f"{gh.repo} is a fork: not re-enabling its schedule"
    path = f"repos/{gh.repo}/actions/workflows/{workflow}"
    state = _get(gh, path).get("state")
    if state != "active":
        return f"{workflow} is {state}: left as it is (enable it on the Actions tab)"
    gh.run("api", "--method", "PUT", f"{path}/enable")
    return f"{workflow} re-enabled"


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m pipeline.keepalive", description=__doc__.splitlines()[0])
    parser.add_argument("--workflow", default="nightly.yml", help="workflow file name (default: nightly.yml)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        done = keepalive(Gh(environ.get("GITHUB_REPOSITORY", ""), environ=environ), args.workflow)
    except PipelineError as exc:
        print(f"keepalive: {exc}", file=sys.stderr)
        return 1
    logger.info("keepalive: %s", done)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
