"""Commit ``output/``, push it, and make the ``latest`` release match it: the nightly's last data step.

Runs only after validation passed (and only on main, the workflow decides). Validates again, commits
nothing when ``output/`` is unchanged, otherwise makes one commit whose message carries the counts.
Before pushing it catches up with the remote branch: a remote that moved without touching
``output/`` is rebased onto; one that changed ``output/`` too stops the step, nothing pushed. Then
every release asset that differs from ``output/`` is uploaded again (a failed upload is repaired by
the next run, even when the data did not change), with the run's report as the release notes.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from pipeline import logs
from pipeline.config import Config, load_config
from pipeline.errors import PipelineError
from pipeline.github import release
from pipeline.github.commit_message import collect_counts, commit_message
from pipeline.github.gh import Gh, run_url
from pipeline.github.push import BOT, DEFAULT_AUTHOR, Git, Identity, catch_up, current_branch, push_with_retry
from pipeline.published.jsonio import load_json

logger = logging.getLogger(__name__)

Validator = Callable[[Config], list[str]]  # problems found; empty when the data may be published


@dataclass(frozen=True, slots=True, kw_only=True)
class Published:
    commit: str | None  # None when output/ was unchanged
    pushed: bool
    uploaded: tuple[str, ...] = ()  # release assets replaced because they differed from output/


# --- the steps ---------------------------------------------------------------------------------


def _validate_all(config: Config) -> list[str]:
    """The checks pipeline.validate runs (shared modules, not the step): published files and overrides."""
    from pipeline.overrides import check_overrides
    from pipeline.published.checks import validate_outputs  # here, so that importing publish needs no schemas

    return validate_outputs(config.output_dir) + check_overrides(config.overrides_dir)[0]


def rooted(config: Config, repo: Path) -> Config:
    """The configuration with its relative paths taken relative to ``repo`` instead of the cwd."""
    paths = {f.name: getattr(config, f.name) for f in fields(config)}
    return config.replace(**{name: repo / value for name, value in paths.items() if isinstance(value, Path)})


def _pathspec(repo: Path, output_dir: Path) -> str:
    try:
        return (repo / output_dir).resolve().relative_to(repo.resolve()).as_posix()
    except ValueError:
        raise PipelineError(f"publish: {output_dir} is not inside the repository {repo}") from None


def publish(
    repo: Path,
    config: Config,
    *,
    validate: Validator = _validate_all,
    remote: str = "origin",
    branch: str | None = None,
    identity: Identity = BOT,
    attempts: int = 3,
    backoff: float = 2.0,
    dry_run: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    environ: Mapping[str, str] = os.environ,
    gh: Gh | None = None,
) -> Published:
    """Validate, commit ``output/`` when it changed, push it, then sync the release when ``gh`` is given.

    ``config`` paths are used as given.
    """
    problems = validate(config)
    if problems:
        for problem in problems:
            logger.error("%s", problem)
        raise PipelineError(f"publish: validation found {len(problems)} problem(s); nothing committed")

    git = Git(repo, identity)
    spec = _pathspec(repo, config.output_dir)
    commit = _commit(git, spec, config, environ)
    if dry_run:
        logger.info("publish: dry run, not pushing")
        return Published(commit=commit, pushed=False)
    target = branch or current_branch(git)
    catch_up(git, remote, target, spec)
    if commit is not None:
        push_with_retry(git, remote, target, attempts=attempts, backoff=backoff, sleep=sleep)
        commit = git.out("rev-parse", "HEAD")
        step_output(environ, "commit", commit)  # now, so status.json has it even if the upload fails
    uploaded: list[str] = []
    if gh is not None:
        uploaded = release.sync_data(gh, config.output_dir, target=target, notes=_notes(config, environ))
        step_output(environ, "uploaded", ",".join(uploaded))
    return Published(commit=commit, pushed=commit is not None, uploaded=tuple(uploaded))


def _notes(config: Config, environ: Mapping[str, str]) -> str:
    """The release notes: the run's report (written by pipeline.report) and a link to the run."""
    try:
        report = config.run_report.read_text(encoding="utf-8")
    except OSError:
        report = "The run's report is in its job summary.\n"
    url = run_url(environ)
    return report + (f"\nRun: {url}\n" if url else "")


def _entries(data: Any) -> list[dict[str, Any]]:
    return data if isinstance(data, list) else []


def _commit(git: Git, spec: str, config: Config, environ: Mapping[str, str]) -> str | None:
    """One commit of ``spec`` with the counts in its message; None when it is unchanged."""
    if not git.out("status", "--porcelain", "--", spec):
        logger.info("publish: %s/ unchanged, nothing to commit", spec)
        return None
    counts = collect_counts(
        config.run_summary,
        read_old=lambda name: _entries(git.show("HEAD", f"{spec}/{name}")),
        read_new=lambda name: _entries(load_json(config.output_dir / name)),
    )
    message = commit_message(counts, environ)
    git.run("add", "--", spec)
    git.run("commit", "--quiet", "--file=-", "--", spec, stdin=message)
    commit = git.out("rev-parse", "HEAD")
    logger.info("publish: committed %s %s", commit[:12], message.splitlines()[0])
    return commit


# --- command line ------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.publish",
        description="Validate output/, commit it when it changed, and push with retry.",
    )
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="repository to commit in (default: cwd)")
    parser.add_argument("--remote", default="origin", help="remote to push to (default: origin)")
    parser.add_argument("--branch", help="branch to push to (default: the checked-out branch)")
    parser.add_argument(
        "--author",
        help="author and committer, 'Name <email>' (default: $PUBLISH_AUTHOR, else github-actions[bot])",
    )
    parser.add_argument("--attempts", type=int, default=3, help="pushes to try before failing (default: 3)")
    parser.add_argument("--backoff", type=float, default=2.0, help="seconds before retry n is n times this")
    parser.add_argument("--dry-run", action="store_true", help="commit, but do not push or touch the release")
    parser.add_argument(
        "--github-repo",
        default=os.environ.get("GITHUB_REPOSITORY"),
        help="owner/name whose 'latest' release gets output/ (default: $GITHUB_REPOSITORY; unset: no release)",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="log debug output")
    return parser


def main(argv: Sequence[str] | None = None, *, validate: Validator = _validate_all) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.attempts < 1:
        parser.error("--attempts must be at least 1")
    logs.setup(verbose=args.verbose)
    repo: Path = args.repo.resolve()
    try:
        identity = Identity.parse(args.author or os.environ.get("PUBLISH_AUTHOR") or DEFAULT_AUTHOR)
        config = rooted(load_config(dotenv=repo / ".env"), repo)
        gh = Gh(args.github_repo) if args.github_repo and not args.dry_run else None
        if gh is None:
            logger.info("publish: no GitHub repository given (GITHUB_REPOSITORY), the release is not touched")
        publish(
            repo,
            config,
            validate=validate,
            remote=args.remote,
            branch=args.branch,
            identity=identity,
            attempts=args.attempts,
            backoff=args.backoff,
            dry_run=args.dry_run,
            gh=gh,
        )
    except PipelineError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def step_output(environ: Mapping[str, str], key: str, value: str) -> None:
    """A step output for the workflow (``$GITHUB_OUTPUT``): the status step reads ``commit`` and ``uploaded``."""
    path = environ.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"{key}={value}\n")


if __name__ == "__main__":
    raise SystemExit(main())
