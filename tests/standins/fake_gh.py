"""A fake ``gh`` executable for the tests: releases, issues and the few API calls the nightly makes.

``FakeGh.install(folder)`` writes ``folder/gh`` (put ``folder`` first on PATH). Every call is appended
to ``calls.jsonl`` (argv and stdin); the state (releases with their asset bytes, issues, the workflow's
state) lives in ``state.json`` beside it, so the test reads what the "GitHub" side holds afterwards.
``fail_on("release upload", "HTTP 502")`` makes every call whose arguments start with those words
exit 1 with that message on stderr, until ``clear_failures()``.

It behaves like the real ``gh`` and GitHub where the nightly could be caught out (cli/cli at its default
branch, read for each):

- ``release upload --clobber`` deletes the existing asset first, then uploads (``uploadWithDelete`` in
  ``pkg/cmd/release/shared/upload.go``): ``fail_upload_after_delete()`` makes the upload fail after the
  delete, so the asset is gone; ``history`` holds the release's asset names after every change, the
  moment between the delete and the upload included, which is what a consumer could have seen;
- assets have ids, and the REST API renames (``PATCH /repos/{repo}/releases/assets/{id}`` with ``name``;
  422 ``already_exists`` when the name is taken) and deletes them (``DELETE`` on the same path);
- ``issues=False``: issue commands fail like ``gh`` on a repository with issues turned off ("the
  'owner/name' repository has disabled issues", ``pkg/cmd/issue/list/http.go``, ``create.go``);
- ``immutable=True``: release immutability is on (a repository or organisation setting): a release
  published while it is on is immutable (its assets can no longer be added, replaced, renamed or deleted:
  HTTP 422), a draft is not; ``GET repos/{repo}/immutable-releases`` answers ``{"enabled": true}`` (404
  when off, as the REST API; ``settings_readable=False``: 403, a token without the Administration
  permission, such as ``GITHUB_TOKEN``). ``release create TAG FILES...`` creates a draft, uploads the
  files, then publishes it (cli/cli ``pkg/cmd/release/create/create.go``, ``draftWhileUploading``);
- ``lag=N``: what was just created is not visible at once (cli/cli#6599): a new release is not found
  (``api .../releases/tags/TAG`` answers 404, ``release upload``/``edit`` "release not found") during the
  next N calls, and a new asset is missing from the release's asset list during the next N calls;
- ``fail_upload_leaving_starter(message)``: the next upload fails with ``message`` (a 502) and leaves the
  asset in state ``starter`` in the list; uploading that name again is refused (HTTP 422
  ``already_exists``: REST documentation of "Upload a release asset"; gh retries a 5xx under the same name,
  ``shared/upload.go``, so its retry meets that 422);
- every asset records its ``content_type``: gh picks it from the file name (``typeForFilename`` in
  ``shared/upload.go``, Go's ``mime.TypeByExtension``; ``tv_ex.json.next`` is ``application/octet-stream``),
  and a rename keeps it;
- ``issue list --search`` reads the search index (``searchIssues`` in ``pkg/cmd/issue/list/http.go``),
  which lags: an issue created is found by a search only after ``search_lag`` more calls; without
  ``--search`` the listing is the repository's (GraphQL), always current.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FLAGS = {"--clobber", "--paginate"}  # options that take no value


@dataclass
class FakeGh:
    folder: Path

    @classmethod
    def install(
        cls,
        folder: Path,
        *,
        fork: bool = False,
        workflow_state: str = "active",
        issues: bool = True,
        immutable: bool = False,
        settings_readable: bool = True,
        search_lag: int = 0,
        lag: int = 0,
    ) -> FakeGh:
        folder.mkdir(parents=True, exist_ok=True)
        fake = cls(folder)
        fake.save(
            {
                "releases": {},
                "issues": [],
                "fork": fork,
                "workflow_state": workflow_state,
                "fail": [],
                "fail_after_delete": None,
                "has_issues": issues,
                "immutable": immutable,
                "settings_readable": settings_readable,
                "search_lag": search_lag,
                "lag": lag,
                "fail_starter": None,
                "calls": 0,
                "next_id": 1,
                "history": [],
            }
        )
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

    def fail_upload_after_delete(self, message: str) -> None:
        """The next ``release upload --clobber`` deletes the existing assets, then its upload fails."""
        state = self.state()
        state["fail_after_delete"] = message
        self.save(state)

    def fail_upload_leaving_starter(self, message: str) -> None:
        """The next asset uploaded stays in state ``starter`` (listed, not downloadable) and the upload fails."""
        state = self.state()
        state["fail_starter"] = message
        self.save(state)

    def clear_failures(self) -> None:
        state = self.state()
        state["fail"] = []
        state["fail_after_delete"] = None
        state["fail_starter"] = None
        self.save(state)

    def set_immutable(self, on: bool = True) -> None:
        """Turn release immutability on (or off): releases published from now on are immutable."""
        state = self.state()
        state["immutable"] = on
        self.save(state)

    def history(self, tag: str = "latest") -> list[tuple[list[str], int, float]]:
        """After every change to the release's assets: their names, the bytes it uploaded, when."""
        return [(names, size, at) for seen, names, size, at in self.state()["history"] if seen == tag]

    def gaps(self, names: tuple[str, ...], tag: str = "latest") -> list[dict[str, Any]]:
        """Each stretch in which one of ``names``, once published, was missing (a consumer's 404).

        ``uploaded``: the bytes uploaded while it was missing (an upload's duration grows with them);
        ``seconds``: how long it lasted here, on the fake.
        """
        seen: set[str] = set()
        found: list[dict[str, Any]] = []
        gone_since: dict[str, float] = {}
        for present, _, at in self.history(tag):
            for name, since in list(gone_since.items()):
                if name in present:
                    uploaded = self._uploaded_between(tag, since, at)
                    found.append({"name": name, "uploaded": uploaded, "seconds": at - since})
                    del gone_since[name]
            for name in names:
                if name in seen and name not in present and name not in gone_since:
                    gone_since[name] = at
            seen |= set(present)
        found += [{"name": name, "uploaded": None, "seconds": None} for name in gone_since]  # never came back
        return found

    def _uploaded_between(self, tag: str, since: float, until: float) -> int:
        return sum(size for _, size, at in self.history(tag) if since < at <= until)

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


def _record(state: dict[str, Any], tag: str, uploaded: int = 0) -> None:
    """The asset names after a change, the bytes that change uploaded, and when (for the measure script)."""
    state["history"].append([tag, sorted(state["releases"][tag]["assets"]), uploaded, time.time()])


def _asset_by_id(state: dict[str, Any], asset_id: str) -> tuple[str, str] | None:
    for tag, release in state["releases"].items():
        for name, info in release["assets"].items():
            if str(info["id"]) == asset_id:
                return tag, name
    return None


def _asset_call(state: dict[str, Any], folder: Path, path: str, options: dict[str, str]) -> int:
    """PATCH (rename, ``-f name=...``) or DELETE ``repos/{repo}/releases/assets/{id}``, as the REST API."""
    found = _asset_by_id(state, path.rsplit("/", 1)[1])
    if found is None:
        return _fail("gh: Not Found (HTTP 404)")
    tag, name = found
    release = state["releases"][tag]
    method = options.get("--method", options.get("-X", "GET"))
    if method in ("PATCH", "DELETE") and release.get("immutable"):
        return _fail("gh: Cannot modify an asset of an immutable release. (HTTP 422)")
    stored = folder / "assets" / tag
    if method == "DELETE":
        del release["assets"][name]
        (stored / name).unlink()
        _record(state, tag)
        return 0
    if method == "PATCH":
        fields = dict(value.split("=", 1) for key, value in options.items() if key in ("-f", "--raw-field"))
        new = fields.get("name", name)
        if new != name and new in release["assets"]:
            return _fail('gh: Validation Failed: {"resource":"ReleaseAsset","code":"already_exists"} (HTTP 422)')
        release["assets"][new] = release["assets"].pop(name)
        (stored / name).rename(stored / new)
        _record(state, tag)
        print(json.dumps({"id": release["assets"][new]["id"], "name": new}))
        return 0
    return _fail(f"fake gh: unsupported {method} {path}")


def _api(state: dict[str, Any], folder: Path, args: list[str], options: dict[str, str]) -> int:
    (path,) = args
    repo = "/".join(path.split("/")[1:3])
    if "/releases/assets/" in path:
        return _asset_call(state, folder, path, options)
    if path.endswith("/immutable-releases"):
        if not state["settings_readable"]:
            return _fail("gh: Resource not accessible by integration (HTTP 403)")
        if not state["immutable"]:
            return _fail("gh: Not Found (HTTP 404)")
        print(json.dumps({"enabled": True, "enforced_by_owner": False}))
        return 0
    if "/releases/tags/" in path:
        tag = path.rsplit("/", 1)[1]
        release = state["releases"].get(tag)
        if release is None or release.get("draft") or not _visible(state, release):
            return _fail("gh: Not Found (HTTP 404)")
        assets = [
            {
                "id": info["id"],
                "name": name,
                "size": info["size"],
                "digest": info["digest"],
                "state": info.get("state", "uploaded"),
                "content_type": info.get("content_type"),
            }
            for name, info in release["assets"].items()
            if _visible(state, info)
        ]
        answer = {"tag_name": tag, "body": release["notes"], "immutable": bool(release.get("immutable")),
                  "assets": assets}  # fmt: skip
        print(json.dumps(answer))
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


def _visible(state: dict[str, Any], item: dict[str, Any]) -> bool:
    """Created at least ``lag`` calls ago (GitHub's reads trail its writes)."""
    return bool(state["calls"] - item.get("created_at_call", 0) > state["lag"])


def _release(state: dict[str, Any], folder: Path, args: list[str], options: dict[str, str], stdin: str) -> int:
    action, tag, *files = args
    releases = state["releases"]
    if action == "create":
        if tag in releases:
            return _fail(f"a release with tag {tag} already exists")
        release = {"notes": _text(options, "notes", stdin), "target": options.get("--target"), "assets": {},
                   "created_at_call": state["calls"], "draft": True}  # fmt: skip
        releases[tag] = release
        if files:  # gh: a draft while the files upload, published after; the draft deleted when one fails
            code = _upload(state, folder, tag, files, clobber=False)
            if code != 0:
                del releases[tag]
                shutil.rmtree(folder / "assets" / tag, ignore_errors=True)
                return code
        release["draft"] = "--draft" in options
        release["immutable"] = state["immutable"] and not release["draft"]
        print(f"https://github.example/releases/tag/{tag}")
        return 0
    if tag not in releases or not _visible(state, releases[tag]):
        return _fail("release not found")
    release = releases[tag]
    if action == "edit":
        release["notes"] = _text(options, "notes", stdin)
        return 0
    if action == "upload":
        return _upload(state, folder, tag, files, clobber="--clobber" in options)
    return _fail(f"fake gh: unsupported release {action}")


def _upload(state: dict[str, Any], folder: Path, tag: str, files: list[str], *, clobber: bool) -> int:
    """Like ``gh release upload``: an existing asset is an error, or with --clobber deleted before the upload."""
    release = state["releases"][tag]
    if release.get("immutable"):
        return _fail("HTTP 422: Cannot upload assets to an immutable release. (https://uploads.github.com/...)")
    stored = folder / "assets" / tag
    stored.mkdir(parents=True, exist_ok=True)
    existing = [Path(file).name for file in files if Path(file).name in release["assets"]]
    starters = [name for name in existing if release["assets"][name].get("state") == "starter"]
    if starters:  # not in gh's own check (it lists uploaded assets); GitHub refuses the name
        return _fail('HTTP 422: Validation Failed [{"resource":"ReleaseAsset","code":"already_exists","field":"name"}]')
    if existing and not clobber:
        return _fail(f"asset under the same name already exists: {existing}")
    for file in files:  # uploadWithDelete, one asset after the other: the old one goes first
        payload = Path(file).read_bytes()
        name = Path(file).name
        uploads = 0
        if name in release["assets"]:
            uploads = release["assets"].pop(name)["uploads"]
            (stored / name).unlink()
            _record(state, tag)
            if state["fail_after_delete"]:
                message, state["fail_after_delete"] = state["fail_after_delete"], None
                return _fail(message)
        (stored / name).write_bytes(payload)
        release["assets"][name] = {
            "id": state["next_id"],
            "size": len(payload),
            "digest": "sha256:" + hashlib.sha256(payload).hexdigest(),
            "uploads": uploads + 1,
            "content_type": mimetypes.guess_type(name)[0] or "application/octet-stream",
            "created_at_call": state["calls"],
        }
        state["next_id"] += 1
        if state["fail_starter"]:  # the upload broke off: the asset stays listed, in state starter
            message, state["fail_starter"] = state["fail_starter"], None
            release["assets"][name].update(state="starter", size=0, digest=None)
            _record(state, tag)
            return _fail(message)
        _record(state, tag, len(payload))
    return 0


def _issue(state: dict[str, Any], args: list[str], options: dict[str, str], stdin: str) -> int:
    action, *rest = args
    issues = state["issues"]
    if not state["has_issues"]:
        return _fail(f"the '{options.get('--repo', 'owner/name')}' repository has disabled issues")
    if action == "list":
        wanted = options.get("--state", "open")
        indexed = issues
        if "--search" in options:  # the search index: issues created in the last search_lag calls are not in it
            indexed = [
                issue for issue in issues if state["calls"] - issue.get("created_at_call", 0) > state["search_lag"]
            ]
        found = [
            {"number": issue["number"], "title": issue["title"]}
            for issue in indexed
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
                "created_at_call": state["calls"],
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
    state["calls"] += 1
    joined = " ".join(argv)
    for prefix, message in state["fail"]:
        if joined.startswith(prefix):
            (folder / "state.json").write_text(json.dumps(state, indent=1))
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
