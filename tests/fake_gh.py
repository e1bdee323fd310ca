"""A fake ``gh`` executable for the tests: releases, issues and the few API calls the nightly makes.

``FakeGh.install(folder)`` writes ``folder/gh`` (put ``folder`` first on PATH). Every call is appended
to ``calls.jsonl`` (argv and stdin); the state (releases with their asset bytes, issues, the workflow's
state) lives in ``state.json`` beside it, so the test reads what the "GitHub" side holds afterwards.
``fail_on("release upload", "HTTP 502")`` makes every call whose arguments start with those words
exit 1 with that message on stderr, until ``clear_failures()``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FLAGS = {"--clobber"}  # options that take no value


@dataclass
class FakeGh:
    folder: Path

    @classmethod
    def install(cls, folder: Path, *, fork: bool = False, workflow_state: str = "active") -> FakeGh:
        folder.mkdir(parents=True, exist_ok=True)
        fake = cls(folder)
        fake.save({"releases": {}, "issues": [], "fork": fork, "workflow_state": workflow_state, "fail": []})
        (folder / "calls.jsonl").write_text("")
        script = folder / "gh"
        script.write_text(f'#!/bin/sh\nFAKE_GH_STATE="{folder}" exec "{sys.executable}" "{__file__}" "$@"\n')
        script.chmod(0o755)
        return fake

    @property
    def executable(self) -> str:
        return str(self.folder / "gh")

    def state(self) -> dict[str, Any]:
        return json.loads((self.folder / "state.json").read_text())  # type: ignore[no-any-return]

    def save(self, state: dict[str, Any]) -> None:
        (self.folder / "state.json").write_text(json.dumps(state, indent=1))

    def calls(self) -> list[list[str]]:
        lines = (self.folder / "calls.jsonl").read_text().splitlines()
        return [json.loads(line)["argv"] for line in lines]

    def stdins(self) -> list[str | None]:
        lines = (self.folder / "calls.jsonl").read_text().splitlines()
        return [json.loads(line)["stdin"] for line in lines]

    def commands(self) -> list[str]:
        """Each call as its first two words, e.g. ``"release upload"``."""
        return [" ".join(argv[:2]) for argv in self.calls()]

    def fail_on(self, prefix: str, message: str) -> None:
        state = self.state()
        state["fail"].append([prefix, message])
        self.save(state)

    def clear_failures(self) -> None:
        state = self.state()
        state["fail"] = []
        self.save(state)

    def release(self, tag: str = "latest") -> dict[str, Any] | None:
        return self.state()["releases"].get(tag)  # type: ignore[no-any-return]

    def asset_bytes(self, name: str, tag: str = "latest") -> bytes:
        return (self.folder / "assets" / tag / name).read_bytes()

    def issues(self) -> list[dict[str, Any]]:
        return self.state()["issues"]  # type: ignore[no-any-return]


# --- the executable --------------------------------------------------------------------------------


def _parse(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    positional: list[str] = []
    options: dict[str, str] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg.startswith("-") and arg != "-" and arg not in FLAGS:
            options[arg] = argv[i + 1]
            i += 2
        else:
            if arg in FLAGS:
                options[arg] = "true"
            else:
                positional.append(arg)
            i += 1
    return positional, options


def _text(options: dict[str, str], name: str, stdin: str) -> str:
    value = options.get(f"--{name}-file")
    if value == "-":
        return stdin
    if value is not None:
        return Path(value).read_text()
    return options.get(f"--{name}", "")


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


def _api(state: dict[str, Any], folder: Path, args: list[str], options: dict[str, str]) -> int:
    (path,) = args
    repo = "/".join(path.split("/")[1:3])
    if path.endswith("/releases/tags/latest") or "/releases/tags/" in path:
        tag = path.rsplit("/", 1)[1]
        release = state["releases"].get(tag)
        if release is None:
            return _fail("gh: Not Found (HTTP 404)")
        assets = [
            {"name": name, "size": info["size"], "digest": info["digest"]} for name, info in release["assets"].items()
        ]
        print(json.dumps({"tag_name": tag, "body": release["notes"], "assets": assets}))
        return 0
    if path.endswith("/enable") and options.get("--method") == "PUT":
        state["workflow_state"] = "active"
        state.setdefault("enabled", 0)
        state["enabled"] += 1
        return 0
    if "/actions/workflows/" in path:
        print(json.dumps({"state": state["workflow_state"]}))
        return 0
    if path == f"repos/{repo}":
        print(json.dumps({"full_name": repo, "fork": state["fork"]}))
        return 0
    return _fail(f"gh: Not Found (HTTP 404) {path}")


def _release(state: dict[str, Any], folder: Path, args: list[str], options: dict[str, str], stdin: str) -> int:
    action, tag, *files = args
    releases = state["releases"]
    if action == "create":
        if tag in releases:
            return _fail(f"a release with tag {tag} already exists")
        releases[tag] = {"notes": _text(options, "notes", stdin), "target": options.get("--target"), "assets": {}}
        print(f"https://github.example/releases/tag/{tag}")
        return 0
    if tag not in releases:
        return _fail("release not found")
    release = releases[tag]
    if action == "edit":
        release["notes"] = _text(options, "notes", stdin)
        return 0
    if action == "upload":
        for file in files:
            payload = Path(file).read_bytes()
            name = Path(file).name
            if name in release["assets"] and "--clobber" not in options:
                return _fail(f"asset {name} already exists")
            stored = folder / "assets" / tag / name
            stored.parent.mkdir(parents=True, exist_ok=True)
            stored.write_bytes(payload)
            release["assets"][name] = {
                "size": len(payload),
                "digest": "sha256:" + hashlib.sha256(payload).hexdigest(),
                "uploads": release["assets"].get(name, {}).get("uploads", 0) + 1,
            }
        return 0
    return _fail(f"fake gh: unsupported release {action}")


def _issue(state: dict[str, Any], args: list[str], options: dict[str, str], stdin: str) -> int:
    action, *rest = args
    issues = state["issues"]
    if action == "list":
        wanted = options.get("--state", "open")
        found = [
            {"number": issue["number"], "title": issue["title"]}
            for issue in issues
            if wanted == "all" or issue["state"] == wanted
        ]
        print(json.dumps(found))
        return 0
    if action == "create":
        number = len(issues) + 1
        issues.append(
            {
                "number": number,
                "title": options["--title"],
                "body": _text(options, "body", stdin),
                "state": "open",
                "comments": [],
            }
        )
        print(f"https://github.example/issues/{number}")
        return 0
    issue = next((i for i in issues if str(i["number"]) == rest[0]), None)
    if issue is None:
        return _fail(f"issue {rest[0]} not found")
    if action == "comment":
        issue["comments"].append(_text(options, "body", stdin))
        return 0
    if action == "close":
        if "--comment" in options:
            issue["comments"].append(options["--comment"])
        issue["state"] = "closed"
        return 0
    return _fail(f"fake gh: unsupported issue {action}")


def main(argv: list[str]) -> int:
    import os

    folder = Path(os.environ["FAKE_GH_STATE"])
    stdin = sys.stdin.read() if "-" in argv else ""  # only --notes-file - / --body-file - read it
    with open(folder / "calls.jsonl", "a") as log:
        log.write(json.dumps({"argv": argv, "stdin": stdin or None}) + "\n")
    state = json.loads((folder / "state.json").read_text())
    joined = " ".join(argv)
    for prefix, message in state["fail"]:
        if joined.startswith(prefix):
            return _fail(message)
    positional, options = _parse(argv[1:])
    if argv[0] == "api":
        code = _api(state, folder, positional, options)
    elif argv[0] == "release":
        code = _release(state, folder, positional, options, stdin)
    elif argv[0] == "issue":
        code = _issue(state, positional, options, stdin)
    else:
        code = _fail(f"fake gh: unsupported command {joined}")
    (folder / "state.json").write_text(json.dumps(state, indent=1))
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
