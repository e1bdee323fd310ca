"""The GitHub CLI (``gh``) against one repository: the release, the status asset, issues, the keepalive.

Standard library only, like every module that the nightly runs with the runner's ``python3``.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence

from pipeline.errors import PipelineError

# Seconds between tries when GitHub has not caught up with what we just created (about 30 s in all).
WAITS = (1.0, 2.0, 4.0, 8.0, 15.0)


class Gh:
    """Runs ``gh`` against one repository (``owner/name``); a failure is a PipelineError naming the command.

    ``waits`` and ``sleep``: the pauses between tries when GitHub's reads trail its writes (a test passes
    a ``sleep`` that only records).
    """

    def __init__(
        self,
        repo: str,
        *,
        executable: str = "gh",
        environ: Mapping[str, str] | None = None,
        waits: Sequence[float] = WAITS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not repo or repo.count("/") != 1:
            raise PipelineError(f"gh: repository {repo!r} is not owner/name (set GITHUB_REPOSITORY or --repo)")
        self.repo = repo
        self.executable = executable
        self.env = dict(os.environ if environ is None else environ)
        self.waits = tuple(waits)
        self.sleep = sleep

    def run(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        try:
            result = subprocess.run(
                [self.executable, *args],
                input="" if stdin is None else stdin,  # never the caller's stdin
                env=self.env,
                capture_output=True,
                text=True,
                check=False,
            )
        except FileNotFoundError:
            raise PipelineError(f"{self.executable} not found: install the GitHub CLI (gh) or put it on PATH") from None
        if check and result.returncode != 0:
            raise PipelineError(f"gh {' '.join(args[:3])} failed: {last_line(result)}")
        return result


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = (result.stderr or result.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit status {result.returncode}"


def run_url(environ: Mapping[str, str]) -> str | None:
    """The page of the GitHub Actions run described by ``environ`` (None outside a run)."""
    keys = ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    if not all(environ.get(key) for key in keys):
        return None
    server, repository, run_id = (environ[key] for key in keys)
    return f"{server}/{repository}/actions/runs/{run_id}"
