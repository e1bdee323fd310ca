"""What a pull request changes in ``overrides/``, as Markdown for the job summary.

Compares the override files at a base ref (``git show REF:overrides/override_tv.json``; a file
missing there counts as ``[]``) with the working tree, and says per MAL id what was added, changed
or removed, what ``output/`` publishes for it now and what the override asks, and whether upstream
lists that MAL id. Then what the check can tell without Trakt: an override that puts its MAL id on
the show, season and episodes another MAL id is published on, and a season 0 (specials) override.
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
from pipeline.published.jsonio import load_json, parse_json
from pipeline.published.models import KINDS, NOT_FOUND_FILE, OUTPUT_FILE, OVERRIDE_FILE, UPSTREAM_FILE

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


def published(output_dir: Path) -> dict[int, Mapping[str, Any]]:
    """What ``output/`` publishes now, by MAL id: the entry, or ``{"not_found": file}`` for a not-found one."""
    found: dict[int, Mapping[str, Any]] = {}
    for kind in KINDS:
        for entry in _list(load_json(output_dir / NOT_FOUND_FILE[kind])):
            if isinstance(entry.get("mal_id"), int):
                found[entry["mal_id"]] = {"not_found": NOT_FOUND_FILE[kind]}
        for entry in _list(load_json(output_dir / OUTPUT_FILE[kind])):
            mal = entry.get("myanimelist")
            if isinstance(mal, dict) and isinstance(mal.get("id"), int):
                found[mal["id"]] = entry
    return found


def _list(data: Any) -> list[dict[str, Any]]:
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


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


def _episodes(trakt: Mapping[str, Any]) -> str:
    episodes = trakt.get("episodes")
    if not isinstance(episodes, dict):
        return ""
    season, offset = episodes.get("season"), episodes.get("offset")
    where = "specials" if season == 0 else f"season {season}"
    return f", episodes: {where} from episode {offset + 1}" if isinstance(offset, int) and offset else ""


def _season(trakt: Mapping[str, Any]) -> str:
    season = trakt.get("season")
    if isinstance(season, dict):
        number = season.get("number")
        return " season 0 (specials)" if number == 0 else f" season {number}"
    return " split cour" if "season" in trakt else ""


def mapping(entry: Mapping[str, Any] | None) -> str:
    """``shows 30857 season 1 “Cowboy Bebop”`` (an override or a published entry); ``—`` when there is none."""
    if entry is None:
        return "—"
    trakt = entry.get("trakt")
    trakt = trakt if isinstance(trakt, dict) else {}
    return (
        f"{trakt.get('type', '?')} {trakt.get('id', '?')}{_season(trakt)}{_episodes(trakt)} “{trakt.get('title', '?')}”"
    )


def now(entry: Mapping[str, Any] | None) -> str:
    """What ``output/`` publishes for the MAL id: its mapping and origin, not found, or not published."""
    if entry is None:
        return "not published"
    if "not_found" in entry:
        return f"not found on Trakt (`{entry['not_found']}`)"
    return f"{mapping(entry)} ({entry.get('origin', '?')})"


def _in_upstream(mal_id: int, ids: set[int] | None, current: Mapping[str, Any] | None) -> str:
    if ids is not None:
        return "yes" if mal_id in ids else "no (the override adds it)"
    origin = None if current is None else current.get("origin")
    if origin in ("upstream", "corrected", "imported"):
        return f"yes (published from upstream: {origin})"
    if origin == "discovered":
        return "no (published from discovery)"
    return "not known: `uv run python -m pipeline.fetch --no-sources` downloads upstream's lists"


def _row(change: Change, ids: set[int] | None, current: Mapping[str, Any] | None) -> str:
    entry = change.after or change.before or {}
    mal = entry.get("myanimelist")
    title = mal.get("title", "") if isinstance(mal, dict) else ""
    reason = entry.get("description", "")
    after = mapping(change.after) if change.after is not None else "— (upstream's mapping applies again)"
    cells = [
        change.action,
        change.mal_id,
        title,
        now(current),
        after,
        _in_upstream(change.mal_id, ids, current),
        reason,
    ]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def section(
    path: str,
    upstream_name: str,
    changes: Sequence[Change],
    ids: set[int] | None,
    current: Mapping[int, Mapping[str, Any]],
) -> list[str]:
    tally = ", ".join(f"{sum(c.action == a for c in changes)} {a}" for a in ("added", "changed", "removed"))
    return [
        f"### `{path}`: {tally}",
        "",
        f"| change | MAL id | MAL title | published now | override | in upstream {upstream_name} | reason |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *(_row(change, ids, current.get(change.mal_id)) for change in changes),
        "",
    ]


# --- what the check can tell without Trakt ------------------------------------------------------


def _place(trakt: Mapping[str, Any]) -> tuple[int, int, int] | None:
    """(show, season, offset) of a show mapping: its episodes, else its whole season; None for a movie."""
    episodes, season = trakt.get("episodes"), trakt.get("season")
    if isinstance(episodes, dict):
        place = (trakt.get("id"), episodes.get("season"), episodes.get("offset"))
    elif isinstance(season, dict):
        place = (trakt.get("id"), season.get("number"), 0)
    else:
        return None
    show, number, offset = place
    if trakt.get("type") != "shows" or not (isinstance(show, int) and isinstance(number, int)):
        return None
    return (show, number, offset) if isinstance(offset, int) else None


def warnings(overrides: Mapping[int, Mapping[str, Any]], current: Mapping[int, Mapping[str, Any]]) -> list[str]:
    """Overrides on another MAL id's show, season and episodes (as published, or as overridden); season 0 ones."""
    places: dict[int, tuple[int, int, int] | None] = {
        mal_id: _place(entry["trakt"]) for mal_id, entry in current.items() if isinstance(entry.get("trakt"), dict)
    }
    places.update({mal_id: _place(entry.get("trakt") or {}) for mal_id, entry in overrides.items()})
    together: dict[tuple[int, int, int], list[int]] = {}
    for mal_id, place in places.items():
        if place is not None:
            together.setdefault(place, []).append(mal_id)
    found = []
    for mal_id, entry in sorted(overrides.items()):
        place = places.get(mal_id)
        others = [] if place is None else sorted(o for o in together[place] if o != mal_id)
        if place is not None and others:
            show, season, offset = place
            found.append(
                f"MAL {mal_id}: the override puts it on show {show} season {season} from episode {offset + 1}, where"
                f" {', '.join(f'MAL {other}' for other in others)} is published or overridden too: one of them is"
                ' wrong (a second cour needs "season": null and "episodes": {"season": N, "offset": K})'
            )
        trakt = entry.get("trakt") or {}
        if isinstance(trakt.get("season"), dict) and trakt["season"].get("number") == 0 and "episodes" not in trakt:
            found.append(
                f"MAL {mal_id}: season 0 is all of Trakt's specials: MAL episode n is published as special n. If the"
                ' MAL entry is one special among others, say which with "episodes": {"season": 0, "offset": K}'
            )
    return found


def render(
    repo: Path, base_ref: str, overrides_dir: Path, upstream_dir: Path, output_dir: Path = Path("output")
) -> str:
    """The whole Markdown summary of ``overrides/`` at ``base_ref`` against the working tree."""
    check_ref(repo, base_ref)
    lines = ["## Override changes", "", f"Compared with `{base_ref}`.", ""]
    current = published(repo / output_dir)
    unchanged = True
    problems: list[str] = []
    for name, upstream_name in FILES.items():
        path = (overrides_dir / name).as_posix()
        tree = overrides_in_tree(repo, path)
        changes = compare(overrides_at_ref(repo, base_ref, path), tree)
        if changes:
            unchanged = False
            ids = upstream_ids(repo / upstream_dir / upstream_name)
            lines += section(path, upstream_name, changes, ids, current)
            touched = {change.mal_id: tree[change.mal_id] for change in changes if change.mal_id in tree}
            problems += warnings(touched, {k: v for k, v in current.items() if k not in tree} | tree)
    if unchanged:
        lines.append(f"No override changes: `{overrides_dir.as_posix()}/` is the same as at `{base_ref}`.")
    if problems:
        lines += ["> [!WARNING]", "> Check these before merging:", *[f"> - {problem}" for problem in problems], ""]
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
        print(render(repo, args.base_ref, config.overrides_dir, config.upstream_dir, config.output_dir), end="")
    except PipelineError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
