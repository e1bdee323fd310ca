"""Answer a consumer's question from the published files, offline: which Trakt episode is MAL (or AniList)
entry X episode n, and which MAL entry and episode is Trakt show S season s episode e.

    uv run python -m pipeline.lookup --mal 21 --episode 1000
    uv run python -m pipeline.lookup --anilist 21 --episode 1000
    uv run python -m pipeline.lookup --trakt one-piece --season 21 --episode 109

It reads ``tv_ex.json`` and ``movies_ex.json`` (``--dir``, default ``output/``) the way docs/format.md shows
a consumer reading them: an entry by ``myanimelist.id`` (or an id in ``externals.anilist``), then the range
of ``trakt.episode_map`` that holds the episode. It is how a person checks a mapping before reporting it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.evidence import episode_map as maps
from pipeline.published.jsonio import load_json
from pipeline.published.models import ANIME_IDS, OUTPUT_FILE, MapRange, episode_map_of

Entry = dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Found:
    """One answer: the entry, and the MAL and Trakt episode (None where the question named none)."""

    entry: Entry
    mal_episode: int | None = None
    trakt_episode: tuple[int, int] | None = None
    note: str = ""


def load(folder: Path) -> list[Entry]:
    """Every published TV and movie entry of ``folder``."""
    entries: list[Entry] = []
    for name in (OUTPUT_FILE["shows"], OUTPUT_FILE["movies"]):
        entries += load_json(folder / name, missing=[])
    return entries


def by_mal(entries: Sequence[Entry], mal_id: int) -> list[Entry]:
    return [entry for entry in entries if entry["myanimelist"]["id"] == mal_id]


def by_anilist(entries: Sequence[Entry], anilist_id: int) -> list[Entry]:
    return [entry for entry in entries if anilist_id in (entry["trakt"]["externals"].get("anilist") or ())]


def _ranges(entry: Entry) -> tuple[MapRange, ...] | None:
    """The entry's map; without one, the single open range ``trakt.episodes`` says (None without that too)."""
    ranges = episode_map_of(entry["trakt"].get("episode_map"))
    episodes = entry["trakt"].get("episodes")
    if ranges is None and isinstance(episodes, dict):
        return (MapRange(first=1, last=None, season=episodes["season"], episode=episodes["offset"] + 1),)
    return ranges


def to_trakt(entry: Entry, mal_episode: int) -> Found:
    """Where MAL episode ``mal_episode`` of ``entry`` is on Trakt (``trakt_episode`` None: the map stops before)."""
    ranges = _ranges(entry)
    note = "" if entry["trakt"].get("episode_map") else "no episode_map: from trakt.episodes alone"
    if ranges is None:
        return Found(entry=entry, mal_episode=mal_episode, note="neither episode_map nor episodes: no episode known")
    found = maps.trakt_episode(ranges, mal_episode)
    if found is None:
        note = f"the map ends at MAL episode {ranges[-1].last}"
    return Found(entry=entry, mal_episode=mal_episode, trakt_episode=found, note=note)


def from_trakt(entries: Sequence[Entry], show: str, season: int, episode: int) -> list[Found]:
    """The MAL entries and episodes of Trakt ``show`` (id or slug) S``season``E``episode``."""
    found = []
    for entry in entries:
        trakt = entry["trakt"]
        if trakt["type"] != "shows" or show not in (str(trakt["id"]), trakt["slug"]):
            continue
        mal = maps.mal_episode(_ranges(entry) or (), season, episode)
        if mal is not None:
            found.append(Found(entry=entry, mal_episode=mal, trakt_episode=(season, episode)))
    return found


def _mal(entry: Entry) -> str:
    return f"MAL {entry['myanimelist']['id']} {entry['myanimelist']['title']!r}"


def _named(entry: Entry) -> str:
    trakt = entry["trakt"]
    return f"{_mal(entry)} -> Trakt {trakt['title']!r} ({trakt['slug']}, {trakt['id']})"


def describe(found: Found) -> str:
    """One answer as a line, with the Trakt URL of the episode."""
    trakt = found.entry["trakt"]
    line = _named(found.entry)
    if found.mal_episode is not None:
        if found.trakt_episode is None:
            return f"{line}: MAL episode {found.mal_episode} is not on the map ({found.note})"
        season, episode = found.trakt_episode
        url = f"https://trakt.tv/shows/{trakt['slug']}/seasons/{season}/episodes/{episode}"
        line = f"{line}: MAL episode {found.mal_episode} is S{season:02d}E{episode:02d} {url}"
        return f"{line} ({found.note})" if found.note else line
    if trakt["type"] == "movies":
        return f"{line}: a movie, https://trakt.tv/movies/{trakt['slug']}"
    ranges = trakt.get("episode_map")
    shown = (
        "null"
        if not ranges
        else ", ".join(f"MAL {r['mal'][0]}-{r['mal'][1] or 'on'} = S{r['season']}E{r['episode']}" for r in ranges)
    )
    ids = {key: trakt["externals"].get(key) for key in ANIME_IDS}
    return f"{line}: episodes {json.dumps(trakt.get('episodes'))}; episode_map {shown}; {json.dumps(ids)}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.lookup",
        description="Which Trakt episode is a MAL or AniList episode, and the reverse, from the published files.",
        allow_abbrev=False,
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--mal", type=int, metavar="ID", help="a MyAnimeList id")
    which.add_argument("--anilist", type=int, metavar="ID", help="an AniList id")
    which.add_argument("--trakt", metavar="SHOW", help="a Trakt show id or slug (with --season and --episode)")
    parser.add_argument("--season", type=int, metavar="S", help="the Trakt season (with --trakt)")
    parser.add_argument("--episode", type=int, metavar="N", help="the MAL episode, or with --trakt the Trakt episode")
    parser.add_argument("--dir", type=Path, default=Path("output"), help="the published files (default output/)")
    return parser


def answer(args: argparse.Namespace, entries: Sequence[Entry]) -> tuple[list[str], str]:
    """The lines to print, or why there is no answer."""
    if args.trakt is not None:
        found = from_trakt(entries, args.trakt, args.season, args.episode)
        where = f"Trakt {args.trakt} S{args.season:02d}E{args.episode:02d}"
        if not found:
            return [], f"{where}: no published entry's episode map holds it"
        return [f"{where} is {_mal(one.entry)} episode {one.mal_episode}" for one in found], ""
    matched = by_mal(entries, args.mal) if args.mal is not None else by_anilist(entries, args.anilist)
    name = f"MAL {args.mal}" if args.mal is not None else f"AniList {args.anilist}"
    if not matched:
        return [], f"{name}: not in the published files (tv_ex.json, movies_ex.json)"
    if args.episode is None:
        return [describe(Found(entry=entry)) for entry in matched], ""
    return [describe(to_trakt(entry, args.episode)) for entry in matched if entry["trakt"]["type"] == "shows"], ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.trakt is not None and (args.season is None or args.episode is None):
        parser.error("--trakt needs --season and --episode")
    if args.episode is not None and args.episode < 1:
        parser.error("--episode counts from 1")
    entries = load(args.dir)
    if not entries:
        print(
            f"lookup: {args.dir}: no tv_ex.json or movies_ex.json (give the published files with --dir)",
            file=sys.stderr,
        )
        return 1
    lines, problem = answer(args, entries)
    if problem:
        print(f"lookup: {problem}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
