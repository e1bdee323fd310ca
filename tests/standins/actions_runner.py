"""A small local stand-in for a GitHub Actions runner: runs a workflow's jobs and ``run:`` steps as bash.

It does what a runner does that the nightly relies on, and nothing more:

- jobs in file order, each after the jobs it ``needs``, with job-level ``if:`` and ``outputs:``;
- ``run:`` steps as ``bash --noprofile --norc -eo pipefail`` (GitHub's ``shell: bash``), in a
  workspace, with ``env:`` (workflow, job, step) and the variables a runner sets (``GITHUB_OUTPUT``,
  ``GITHUB_STEP_SUMMARY``, ``GITHUB_REF``, ``GITHUB_SERVER_URL`` ...); step outputs parsed back
  (``key=value`` and ``key<<DELIMITER``);
- ``if:`` and ``${{ }}`` expressions: ``&&``, ``||``, ``!``, ``==``, ``!=``, parentheses, strings,
  the contexts ``github``, ``env``, ``inputs``, ``secrets``, ``steps``, ``needs``, and the functions
  ``always``, ``success``, ``failure``, ``cancelled``, ``hashFiles`` and ``toJSON``. Anything else is
  an error, so a workflow change the runner cannot honour fails the test instead of being skipped;
- ``uses:`` steps are not run, except three stand-ins: ``actions/checkout`` fetches
  ``$GITHUB_SERVER_URL/$GITHUB_REPOSITORY`` at the ``ref`` it is given, at depth 1 without tags unless
  ``fetch-depth`` says otherwise (its default, ``fetch-depth: 1``), and ``actions/cache/restore`` and
  ``/save`` copy files to and from a local store (restore by key prefix, newest first). Others
  (``setup-uv``: uv is already on PATH) count as succeeded;
- ``timeout-minutes`` of steps and jobs (actions/runner ``StepsRunner.RunStepAsync``): a step past its
  limit is stopped (SIGINT, 7.5 s later SIGTERM, 2.5 s later SIGKILL, ``ProcessInvoker``) and fails
  ("has timed out"); the job goes on with the steps whose ``if:`` still holds. The signals go to the
  step's shell alone (``kill(pid, ...)`` in ``ProcessInvoker.SendSignal``; on Linux ``NixKillProcessTree``
  is ``Process.Kill()`` of that one process), and bash does not pass them on to the command it waits
  for: a child that is not ``exec``'d keeps running after its step ended, beside the next steps, until
  the job ends (the runner then kills the job's orphan processes). ``StepRun.survivors`` lists the
  processes of a step still alive when its step ended; A job past its limit
  is cancelled: the running step is stopped, ``cancelled()`` becomes true, only steps whose condition
  holds then (``always()``) run, each for at most the 5-minute cancellation grace, and the job's result
  is ``cancelled``. ``minute`` is how many seconds a minute lasts (60; a test shrinks it), and
  ``before_step`` lets a test change the world (push to the remote) before a step starts;
- ``concurrency:`` between runs is modelled by ``Concurrency`` below (one running, one pending a group).
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# --- expressions ---------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>\d+)|(?P<op>==|!=|&&|\|\||!|\(|\)|,|\.|\[|\])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"
)
_EMBEDDED = re.compile(r"\$\{\{(.*?)\}\}", re.S)


def _tokens(text: str) -> list[tuple[str, str]]:
    found, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ValueError(f"cannot parse expression {text!r} at {text[position:]!r}")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


def _text(value: Any) -> str:
    """A value as GitHub puts it into a string: null is '', booleans are true/false, objects are JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, indent=2)
    return str(value)


def _truthy(value: Any) -> bool:
    return value not in (None, False, "", 0)


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.lower() == right.lower()  # GitHub compares strings ignoring case
    return bool(left == right)


class Expression:
    """Parses and evaluates one expression against ``context`` and ``functions``."""

    def __init__(self, text: str, context: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]]) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.position = 0
        self.context = context
        self.functions = functions

    def value(self) -> Any:
        result = self._or()
        if self.position != len(self.tokens):
            raise ValueError(f"unexpected {self.tokens[self.position][1]!r} in {self.text!r}")
        return result

    def _peek(self) -> str | None:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> tuple[str, str]:
        if self.position >= len(self.tokens):
            raise ValueError(f"expression {self.text!r} ends too early")
        token = self.tokens[self.position]
        if expected is not None and token[1] != expected:
            raise ValueError(f"expected {expected!r}, got {token[1]!r} in {self.text!r}")
        self.position += 1
        return token

    def _or(self) -> Any:
        left = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            left = left if _truthy(left) else right
        return left

    def _and(self) -> Any:
        left = self._unary()
        while self._peek() == "&&":
            self._take()
            right = self._unary()
            left = right if _truthy(left) else left
        return left

    def _unary(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not _truthy(self._unary())
        left = self._primary()
        if self._peek() in ("==", "!="):
            operator = self._take()[1]
            right = self._primary()
            return _equal(left, right) == (operator == "==")
        return left

    def _primary(self) -> Any:
        kind, token = self._take()
        if token == "(" and kind == "op":
            inner = self._or()
            self._take(")")
            return inner
        if kind == "string":
            return token[1:-1].replace("''", "'")
        if kind == "number":
            return int(token)
        if kind != "name":
            raise ValueError(f"unexpected {token!r} in {self.text!r}")
        if token in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[token]
        if self._peek() == "(":
            return self._call(token)
        if token not in self.context:
            raise ValueError(f"unknown context {token!r} in {self.text!r}")
        value: Any = self.context[token]
        while self._peek() in (".", "["):
            if self._take()[1] == ".":
                key = self._take()[1]
            else:
                key = str(self._or())
                self._take("]")
            value = value.get(key) if isinstance(value, dict) else None
        return value

    def _call(self, name: str) -> Any:
        if name not in self.functions:
            raise ValueError(f"unsupported function {name}() in {self.text!r}")
        self._take("(")
        args = []
        while self._peek() != ")":
            args.append(self._or())
            if self._peek() == ",":
                self._take()
        self._take(")")
        return self.functions[name](*args)


# --- the runner ----------------------------------------------------------------------------------


@dataclass
class StepRun:
    name: str
    id: str | None
    outcome: str  # success, failure, cancelled, skipped
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    survivors: list[str] = field(default_factory=list)  # "pid command" of its processes alive after it ended


@dataclass
class JobRun:
    name: str
    result: str  # success, failure, cancelled, skipped
    steps: list[StepRun] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""


@dataclass
class Runner:
    """Runs one workflow file for one event; ``base_env`` is the machine's environment (PATH, HOME ...)."""

    workflow: dict[str, Any]
    root: Path  # where workspaces, step files and the cache store go
    base_env: dict[str, str]
    github: dict[str, Any]  # event_name, ref, repository, server_url, run_id, ...
    secrets: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    cache_store: Path | None = None
    minute: float = 60.0  # seconds in a minute of timeout-minutes (and of the stop signals' delays)
    before_step: Callable[[str | None], None] = lambda step_id: None
    clock: Callable[[], float] = time.monotonic
    _groups: list[int] = field(default_factory=list)  # each run: step's process group, for the job's end

    def run(self) -> dict[str, JobRun]:
        jobs: dict[str, JobRun] = {}
        for name, job in self.workflow["jobs"].items():
            needs = job.get("needs", [])
            needs = [needs] if isinstance(needs, str) else list(needs)
            jobs[name] = self._job(name, job, {need: jobs[need] for need in needs})
        return jobs

    # -- context ---------------------------------------------------------------------------------

    def _github_env(self, workspace: Path) -> dict[str, str]:
        g = self.github
        return {
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_EVENT_NAME": g["event_name"],
            "GITHUB_REF": g["ref"],
            "GITHUB_REF_NAME": g["ref"].removeprefix("refs/heads/"),
            "GITHUB_REF_TYPE": "branch",
            "GITHUB_REPOSITORY": g["repository"],
            "GITHUB_SERVER_URL": g["server_url"],
            "GITHUB_RUN_ID": str(g["run_id"]),
            "GITHUB_RUN_ATTEMPT": str(g.get("run_attempt", 1)),
            "GITHUB_SHA": g.get("sha", ""),
            "RUNNER_TEMP": str(self.root / "runner-temp"),
        }

    def _evaluate(self, text: Any, context: dict[str, Any], functions: dict[str, Callable[..., Any]]) -> Any:
        """An ``if:`` condition (with or without ``${{ }}``)."""
        if not isinstance(text, str):
            return text
        stripped = text.strip()
        if stripped.startswith("${{") and stripped.endswith("}}") and stripped.count("${{") == 1:
            stripped = stripped[3:-2]
        return Expression(stripped, context, functions).value()

    def _expand(self, value: Any, context: dict[str, Any], functions: dict[str, Callable[..., Any]]) -> str:
        """A string with every ``${{ }}`` replaced by its value as text."""
        if not isinstance(value, str):
            return _text(value)
        return _EMBEDDED.sub(lambda m: _text(Expression(m.group(1), context, functions).value()), value)

    # -- jobs and steps ------------------------------------------------------------------------------

    def _job(self, name: str, job: dict[str, Any], needs: dict[str, JobRun]) -> JobRun:
        workspace = self.root / "work" / name
        if workspace.exists():
            shutil.rmtree(workspace)
        workspace.mkdir(parents=True)
        context: dict[str, Any] = {
            "github": {**self.github, "token": "fake-github-token"},
            "inputs": self.inputs,
            "secrets": self.secrets,
            "needs": {n: {"result": run.result, "outputs": run.outputs} for n, run in needs.items()},
            "env": {},
            "steps": {},
        }
        ok = all(run.result == "success" for run in needs.values())
        job_functions: dict[str, Callable[..., Any]] = {
            "always": lambda: True,
            "success": lambda: ok,
            "failure": lambda: not ok,
            "cancelled": lambda: False,
            "toJSON": _text,
        }
        if not _truthy(self._evaluate(_with_status(job.get("if")), context, job_functions)):
            return JobRun(name, "skipped")
        env: dict[str, str] = {}
        for key, value in {**self.workflow.get("env", {}), **job.get("env", {})}.items():
            env[key] = self._expand(value, {**context, "env": dict(env)}, job_functions)
        context["env"] = env
        run = JobRun(name, "success")
        limit = float(job.get("timeout-minutes", 360)) * self.minute  # 360: GitHub-hosted runners' default
        started = self.clock()
        for index, step in enumerate(job.get("steps", [])):
            if run.result != "cancelled" and self.clock() - started >= limit:
                run.result = "cancelled"
            left = CANCEL_GRACE * self.minute if run.result == "cancelled" else limit - (self.clock() - started)
            run.steps.append(self._step(index, step, workspace, env, context, run, left))
            outcome = run.steps[-1].outcome
            if outcome == "cancelled" or (run.result != "cancelled" and self.clock() - started >= limit):
                run.result = "cancelled"
            elif outcome == "failure" and run.result == "success":
                run.result = "failure"
        run.outputs = {
            key: self._expand(value, context, self._step_functions(run, workspace))
            for key, value in job.get("outputs", {}).items()
        }
        for group in self._groups:  # the job is over: the runner kills the orphans its steps left
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)
        self._groups.clear()
        return run

    def _step_functions(self, run: JobRun, workspace: Path) -> dict[str, Callable[..., Any]]:
        failed = any(step.outcome == "failure" for step in run.steps)
        cancelled = run.result == "cancelled"
        return {
            "always": lambda: True,
            "success": lambda: not failed and not cancelled,
            "failure": lambda: failed and not cancelled,
            "cancelled": lambda: cancelled,
            "toJSON": _text,
            "hashFiles": lambda *patterns: _hash_files(workspace, patterns),
        }

    def _step(
        self,
        index: int,
        step: dict[str, Any],
        workspace: Path,
        env: dict[str, str],
        context: dict[str, Any],
        run: JobRun,
        left: float,
    ) -> StepRun:
        name = step.get("name") or step.get("uses") or step.get("run", "").splitlines()[0]
        step_id = step.get("id")
        functions = self._step_functions(run, workspace)
        if not _truthy(self._evaluate(_with_status(step.get("if")), context, functions)):
            return self._record(StepRun(name, step_id, "skipped"), context, {})
        self.before_step(step_id)
        own = (
            float(self._expand(step["timeout-minutes"], context, functions)) * self.minute
            if "timeout-minutes" in step
            else left
        )
        step_env = {key: self._expand(value, context, functions) for key, value in step.get("env", {}).items()}
        if "uses" in step:
            with_ = {key: self._expand(value, context, functions) for key, value in step.get("with", {}).items()}
            outcome = self._uses(step["uses"].split("@")[0], with_, workspace, {**env, **step_env})
            return self._record(StepRun(name, step_id, outcome), context, {})
        files = self.root / "steps" / f"{len(run.steps)}-{run.name}-{index}"
        files.mkdir(parents=True, exist_ok=True)
        output, summary, script = files / "output", files / "summary", files / "script.sh"
        output.write_text("")
        summary.write_text("")
        script.write_text(step["run"])
        out_file, err_file = files / "stdout", files / "stderr"
        with out_file.open("w") as out, err_file.open("w") as err:  # files: an orphan may keep them open
            process = subprocess.Popen(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=workspace,
                env={
                    **self.base_env,
                    **self._github_env(workspace),
                    **env,
                    **step_env,
                    "GITHUB_OUTPUT": str(output),
                    "GITHUB_STEP_SUMMARY": str(summary),
                },
                stdout=out,
                stderr=err,
                text=True,
                start_new_session=True,  # a group of its own, only so the job's end can find its orphans
            )
        self._groups.append(process.pid)
        stopped = False
        try:
            process.wait(timeout=min(own, left))
        except subprocess.TimeoutExpired:
            stopped = True
            self._stop(process)
        stdout, stderr = out_file.read_text(), err_file.read_text()
        survivors = _alive_in_group(process.pid)
        run.summary += summary.read_text()
        if stopped and own <= left:
            found = StepRun(name, step_id, "failure", stdout, stderr, timed_out=True)  # "has timed out"
        elif stopped:
            found = StepRun(name, step_id, "cancelled", stdout, stderr)  # the job ran out of time
        else:
            found = StepRun(name, step_id, "success" if process.returncode == 0 else "failure", stdout, stderr)
        found.survivors = survivors
        return self._record(found, context, parse_outputs(output.read_text()))

    def _stop(self, process: subprocess.Popen[str]) -> None:
        """SIGINT, then SIGTERM 7.5 s later, then SIGKILL 2.5 s later, to the step's shell only
        (actions/runner ``ProcessInvoker.SendSignal``: ``kill(_proc.Id, signal)``)."""
        for sent, wait in ((signal.SIGINT, 7.5), (signal.SIGTERM, 2.5), (signal.SIGKILL, None)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, sent)
            try:
                process.wait(timeout=None if wait is None else wait * self.minute / 60)
                return
            except subprocess.TimeoutExpired:
                continue

    def _record(self, step: StepRun, context: dict[str, Any], outputs: dict[str, str]) -> StepRun:
        if step.id:
            context["steps"][step.id] = {"outputs": outputs, "outcome": step.outcome, "conclusion": step.outcome}
        return step

    def _uses(self, action: str, with_: dict[str, str], workspace: Path, env: dict[str, str]) -> str:
        if action == "actions/checkout":
            ref = with_.get("ref") or self.github["ref"]
            url = f"{self.github['server_url']}/{self.github['repository']}"
            branch = ref.removeprefix("refs/heads/")
            depth = int(with_.get("fetch-depth") or 1)  # 0: all history
            shallow = ["--depth", str(depth), "--no-tags"] if depth > 0 else []
            cloned = subprocess.run(
                ["git", "clone", "--quiet", *shallow, "--branch", branch, url, str(workspace)],
                env={**self.base_env},
                capture_output=True,
                text=True,
                check=False,
            )
            return "success" if cloned.returncode == 0 else "failure"
        if action in ("actions/cache/restore", "actions/cache/save") and self.cache_store is not None:
            if action.endswith("restore"):
                _cache_restore(self.cache_store, workspace, with_)
            else:
                _cache_save(self.cache_store, workspace, with_)
        return "success"


CANCEL_GRACE = 5  # minutes an always() step may run once its job is cancelled


def _alive_in_group(group: int) -> list[str]:
    """``"pid command"`` of every live (not zombie) process in process group ``group`` (Linux ``/proc``)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        command = text[text.index("(") + 1 : text.rindex(")")]
        state, _parent, pgrp = text[text.rindex(")") + 2 :].split()[:3]
        if int(pgrp) == group and state != "Z":
            found.append(f"{stat.parent.name} {command}")
    return found


@dataclass
class Concurrency:
    """GitHub's ``concurrency:`` with ``cancel-in-progress: false``: per group, one run in progress and one
    pending; a run queued while one is pending cancels the pending one, which then never starts (no step
    runs, so no status.json and no alert). docs.github.com, "Control the concurrency of workflows and jobs".

    ``queue(group)`` a run; ``finish(group)`` the one in progress (the pending one starts). ``cancelled``
    lists the runs that never started.
    """

    running: dict[str, str] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)
    cancelled: list[str] = field(default_factory=list)
    started: list[str] = field(default_factory=list)

    def queue(self, run: str, group: str) -> None:
        if group not in self.running:
            self.running[group] = run
            self.started.append(run)
            return
        if group in self.pending:
            self.cancelled.append(self.pending[group])
        self.pending[group] = run

    def finish(self, group: str) -> None:
        del self.running[group]
        if group in self.pending:
            self.queue(self.pending.pop(group), group)


def concurrency_group(workflow: dict[str, Any], github: dict[str, Any]) -> str:
    """The workflow's ``concurrency.group`` for a run with ``github`` (its ref, event ...)."""
    group = workflow["concurrency"]["group"]
    context = {"github": github, "inputs": {}, "env": {}}
    return _EMBEDDED.sub(lambda m: _text(Expression(m.group(1), context, {}).value()), group)


def _with_status(condition: Any) -> str:
    """GitHub adds ``success() &&`` to a condition that uses no status function (and uses it alone for none)."""
    if condition is None:
        return "success()"
    text = str(condition).strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    if any(f"{function}(" in text for function in ("always", "success", "failure", "cancelled")):
        return text
    return f"success() && ({text})"


def parse_outputs(text: str) -> dict[str, str]:
    """``key=value`` lines and ``key<<DELIMITER`` blocks, as the runner reads ``$GITHUB_OUTPUT``."""
    outputs: dict[str, str] = {}
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, index + 1)
            outputs[key] = "\n".join(lines[index + 1 : end])
            index = end + 1
            continue
        if "=" in line:
            key, value = line.split("=", 1)
            outputs[key] = value
        index += 1
    return outputs


def _hash_files(workspace: Path, patterns: tuple[str, ...]) -> str:
    paths = sorted(p for pattern in patterns for p in glob.glob(str(workspace / pattern)) if Path(p).is_file())
    if not paths:
        return ""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(hashlib.sha256(Path(path).read_bytes()).digest())
    return digest.hexdigest()


def _cache_save(store: Path, workspace: Path, with_: dict[str, str]) -> None:
    entry = store / with_["key"]
    if entry.exists():
        return  # entries are immutable
    patterns = [line.strip() for line in with_["path"].splitlines() if line.strip()]  # one path or glob a line
    found = [Path(path) for pattern in patterns for path in glob.glob(str(workspace / pattern))]
    files = [path for found_path in found for path in ([found_path] if found_path.is_file() else found_path.rglob("*"))]
    for path in files:
        if path.is_file():
            target = entry / path.relative_to(workspace)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    entry.mkdir(parents=True, exist_ok=True)
    (entry / ".saved").write_text(str(time.monotonic_ns()))


def _cache_restore(store: Path, workspace: Path, with_: dict[str, str]) -> None:
    exact = store / with_["key"]
    candidates = [exact] if exact.exists() else []
    prefix = with_.get("restore-keys", "").strip()
    if not candidates and prefix and store.exists():
        matching = [entry for entry in store.iterdir() if entry.name.startswith(prefix)]
        candidates = sorted(matching, key=lambda entry: int((entry / ".saved").read_text()), reverse=True)
    if candidates:
        for path in candidates[0].rglob("*"):
            if path.is_file() and path.name != ".saved":
                target = workspace / path.relative_to(candidates[0])
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
