"""What a pull request changes in ``overrides/``, as Markdown for the job summary.

Compares the override files at a base ref (``git show REF:overrides/override_tv.json``; a file
missing there counts as ``[]``) with the working tree, and says per MAL id what was added, changed
or removed, the old and new mapping, and whether upstream lists that MAL id.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.config import load_config
from pipeline.errors import PipelineError
from pipeline.jsonio import load_json, parse_json
from pipeline.models import KINDS, OVERRIDE_FILE, UPSTREAM_FILE

# Override file -> the upstream list whose entries it corrects.
FILES = {OVERRIDE_FILE[kind]: UPSTREAM_FILE[kind] for kind in KINDS}


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    action: str  # "added", "changed" or "removed"
    mal_id: int
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


# --- reading ------------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)


def check_ref(repo: Path, ref: str) -> None:
    if _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise PipelineError(f"override_diff: unknown ref {ref!r}: fetch it first (git fetch origin <base branch>)")


def _by_mal_id(entries: Any, where: str) -> dict[int, Mapping[str, Any]]:
    if not isinstance(entries, list):
        raise PipelineError(f"{where}: expected a JSON list of overrides")
    found: dict[int, Mapping[str, Any]] = {}
    for index, entry in enumerate(entries):
        mal = entry.get("myanimelist") if isinstance(entry, dict) else None
        mal_id = mal.get("id") if isinstance(mal, dict) else None
        if not isinstance(mal_id, int):
            raise PipelineError(
                f"{where}: $[{index}].myanimelist.id: missing or not an integer "
                "(run `uv run python -m pipeline.validate` for every problem)"
            )
        found[mal_id] = entry
    return found


def overrides_at_ref(repo: Path, ref: str, path: str) -> dict[int, Mapping[str, Any]]:
    shown = _git(repo, "show", f"{ref}:{path}")
    if shown.returncode != 0:  # the file does not exist at the base: nothing was overridden there
        return {}
    return _by_mal_id(parse_json(shown.stdout, f"{path} at {ref}"), f"{path} at {ref}")


def overrides_in_tree(repo: Path, path: str) -> dict[int, Mapping[str, Any]]:
    return _by_mal_id(load_json(repo / path, missing=[]), path)


def upstream_ids(upstream_file: Path) -> set[int] | None:
    """MAL ids of a downloaded upstream list; None when it was not fetched."""
    entries = load_json(upstream_file)
    if not isinstance(entries, list):
        return None
    return {e["mal_id"] for e in entries if isinstance(e, dict) and isinstance(e.get("mal_id"), int)}


# --- comparing ----------------------------------------------------------------------------------


def compare(before: Mapping[int, Mapping[str, Any]], after: Mapping[int, Mapping[str, Any]]) -> list[Change]:
    changes = []
    for mal_id in sorted(before.keys() | after.keys()):
        old, new = before.get(mal_id), after.get(mal_id)
        if old == new:
            continue
        action = "added" if old is None else "removed" if new is None else "changed"
        changes.append(Change(action=action, mal_id=mal_id, before=old, after=new))
    return changes


# --- Markdown -----------------------------------------------------------------------------------


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def mapping(entry: Mapping[str, Any] | None) -> str:
    """``shows 30857 season 1 “Cowboy Bebop”``; ``—`` when there is no entry."""
    if entry is None:
        return "—"
    trakt = entry.get("trakt")
    trakt = trakt if isinstance(trakt, dict) else {}
    season = trakt.get("season")
    number = f" season {season.get('number')}" if isinstance(season, dict) else ""
    return f"{trakt.get('type', '?')} {trakt.get('id', '?')}{number} “{trakt.get('title', '?')}”"


def _in_upstream(mal_id: int, ids: set[int] | None) -> str:
    if ids is None:
        return "unknown (upstream not fetched)"
    return "yes" if mal_id in ids else "no (the override adds it)"


def _row(change: Change, ids: set[int] | None) -> str:
    entry = change.after or change.before or {}
    mal = entry.get("myanimelist")
    title = mal.get("title", "") if isinstance(mal, dict) else ""
    reason = entry.get("description", "")
    cells = [
        change.action,
        change.mal_id,
        title,
        mapping(change.before),
        mapping(change.after),
        _in_upstream(change.mal_id, ids),
        reason,
    ]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def section(path: str, upstream_name: str, changes: Sequence[Change], ids: set[int] | None) -> list[str]:
    tally = ", ".join(f"{sum(c.action == a for c in changes)} {a}" for a in ("added", "changed", "removed"))
    return [
        f"### `{path}`: {tally}",
        "",
        f"| change | MAL id | MAL title | before | after | in upstream {upstream_name} | reason |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *(_row(change, ids) for change in changes),
        "",
    ]


def render(repo: Path, base_ref: str, overrides_dir: Path, upstream_dir: Path) -> str:
    """The whole Markdown summary of ``overrides/`` at ``base_ref`` against the working tree."""
    check_ref(repo, base_ref)
    lines = ["## Override changes", "", f"Compared with `{base_ref}`.", ""]
    unchanged = True
    for name, upstream_name in FILES.items():
        path = (overrides_dir / name).as_posix()
        changes = compare(overrides_at_ref(repo, base_ref, path), overrides_in_tree(repo, path))
        if changes:
            unchanged = False
            lines += section(path, upstream_name, changes, upstream_ids(repo / upstream_dir / upstream_name))
    if unchanged:
        lines.append(f"No override changes: `{overrides_dir.as_posix()}/` is the same as at `{base_ref}`.")
    return "\n".join(lines).rstrip("\n") + "\n"


# --- command line ------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.override_diff",
        description="Markdown summary of what the working tree changes in overrides/ against a base ref.",
    )
    parser.add_argument("--base-ref", required=True, help="the ref to compare with, e.g. origin/main")
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="repository (default: cwd)")
    args = parser.parse_args(argv)
    repo: Path = args.repo.resolve()
    try:
        config = load_config(dotenv=repo / ".env")
        print(render(repo, args.base_ref, config.overrides_dir, config.upstream_dir), end="")
    except PipelineError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
