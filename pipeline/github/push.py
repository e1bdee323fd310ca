"""Git for the data commit: the publishing identity, git in one repository, catching up and pushing.

Before pushing, publish catches up with the remote branch: a remote that moved without touching
``output/`` is rebased onto; one that changed ``output/`` too stops the step, nothing pushed. A
rejected push is retried after a rebase, a few times.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import PipelineError
from pipeline.github.gh import last_line
from pipeline.published.jsonio import parse_json

logger = logging.getLogger(__name__)

DEFAULT_AUTHOR = "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>"
NEXT_NIGHT = "nothing pushed; the next night publishes on top of it"


@dataclass(frozen=True, slots=True)
class Identity:
    name: str
    email: str

    @classmethod
    def parse(cls, text: str) -> Identity:
        """``"Name <email>"`` -> Identity, or a PipelineError that shows the expected form."""
        name, sep, rest = text.partition("<")
        if not sep or not rest.endswith(">") or not name.strip() or not rest[:-1].strip():
            raise PipelineError(f"publish: author {text!r} is not of the form 'Name <email>'")
        return cls(name.strip(), rest[:-1].strip())

    def environment(self) -> dict[str, str]:
        """Author and committer both, so commits and rebases work on a runner without git config."""
        return {
            "GIT_AUTHOR_NAME": self.name,
            "GIT_AUTHOR_EMAIL": self.email,
            "GIT_COMMITTER_NAME": self.name,
            "GIT_COMMITTER_EMAIL": self.email,
        }


BOT = Identity.parse(DEFAULT_AUTHOR)


class Git:
    """Runs git in one repository, with the publishing identity in every command's environment."""

    def __init__(self, repo: Path, identity: Identity) -> None:
        self.repo = repo
        self.env = {**os.environ, **identity.environment()}

    def run(self, *args: str, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["git", *args],
            cwd=self.repo,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        if check and result.returncode != 0:
            raise PipelineError(f"publish: git {' '.join(args)} failed: {last_line(result)}")
        return result

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.strip()

    def show(self, ref: str, path: str) -> Any:
        """A JSON file as committed at ``ref``; None when it is not there."""
        shown = self.run("show", f"{ref}:{path}", check=False)
        return parse_json(shown.stdout, f"{path} at {ref}") if shown.returncode == 0 else None


def current_branch(git: Git) -> str:
    branch = git.out("rev-parse", "--abbrev-ref", "HEAD")
    if branch == "HEAD":
        raise PipelineError("publish: HEAD is detached; pass --branch to say where to push")
    return branch


def push_with_retry(
    git: Git, remote: str, branch: str, *, attempts: int, backoff: float, sleep: Callable[[float], None]
) -> None:
    """Push; when rejected, rebase onto the remote branch and try again, up to ``attempts`` pushes."""
    for attempt in range(1, attempts + 1):
        pushed = git.run("push", remote, f"HEAD:refs/heads/{branch}", check=False)
        if pushed.returncode == 0:
            logger.info("publish: pushed to %s %s (attempt %d)", remote, branch, attempt)
            return
        logger.warning("publish: push %d/%d rejected: %s", attempt, attempts, last_line(pushed))
        if attempt == attempts:
            break
        sleep(backoff * attempt)
        rebase_onto(git, remote, branch)
    raise PipelineError(
        f"publish: push to {remote} {branch} failed {attempts} times ({last_line(pushed)}); "
        "the commit stays local, nothing was published"
    )


def catch_up(git: Git, remote: str, branch: str, spec: str) -> None:
    """Rebase onto the remote branch when it moved without touching ``spec``; stop when it touched it.

    The run built ``output/`` from the commit it checked out; data someone else pushed since then
    would be overwritten by a rebase that "succeeds", so overlapping data is never merged.
    """
    if git.run("ls-remote", "--exit-code", remote, f"refs/heads/{branch}", check=False).returncode == 2:
        return  # a branch the remote does not have yet: nothing to catch up with
    git.run("fetch", "--quiet", remote, f"refs/heads/{branch}")
    theirs = git.out("rev-parse", "FETCH_HEAD")
    if git.run("merge-base", "--is-ancestor", theirs, "HEAD", check=False).returncode == 0:
        return
    base = git.out("merge-base", "HEAD", theirs)
    touched = git.out("diff", "--name-only", base, theirs, "--", spec).split()
    if touched:
        raise PipelineError(
            f"publish: {remote} {branch} moved since this run checked it out ({base[:12]} -> {theirs[:12]}) "
            f"and also changed {', '.join(touched)}; {NEXT_NIGHT}"
        )
    logger.info("publish: %s %s moved (%s -> %s) outside %s/; rebasing", remote, branch, base[:12], theirs[:12], spec)
    rebase_onto(git, remote, branch)


def rebase_onto(git: Git, remote: str, branch: str) -> None:
    """``git pull --rebase``; a conflict aborts the rebase and fails, naming the files."""
    pulled = git.run("pull", "--rebase", "--autostash", remote, branch, check=False)
    if pulled.returncode == 0:
        logger.info("publish: rebased onto %s/%s", remote, branch)
        return
    conflicts = git.out("diff", "--name-only", "--diff-filter=U").split()
    git.run("rebase", "--abort", check=False)
    if conflicts:
        raise PipelineError(
            f"publish: a concurrent push to {remote} {branch} also changed {', '.join(conflicts)}; "
            f"rebase aborted, {NEXT_NIGHT}"
        )
    logger.warning("publish: pull --rebase from %s %s failed: %s", remote, branch, last_line(pulled))
