"""What wins between the mappings of one MAL id: upstream, then overrides, then discovery, then the
entries published before that nothing names tonight (``pipeline.evidence.retention``).

Pure: the upstream lists, the overrides, discover's candidates and the published entries in; the
mappings to look up, grouped by kind and MAL id, out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipeline.evidence import overrides as override_evidence
from pipeline.evidence import retention
from pipeline.published.models import OVERRIDE_FILE, Kind, Mapping, episode_map_of, published_mapping
from pipeline.published.run import Duplicates
from pipeline.sources import upstream

if TYPE_CHECKING:
    from pipeline import candidates

Groups = dict[Kind, dict[int, list[Mapping]]]  # kind -> MAL id -> its candidates, in the order they are listed


def build_mappings(
    lists: dict[Kind, upstream.UpstreamList], overrides: list[tuple[str, dict[str, Any]]]
) -> tuple[Groups, Duplicates]:
    """Group the upstream entries by MAL id per kind, then apply the overrides; report duplicates."""
    groups: Groups = {kind: {} for kind in lists}
    for kind, listed in lists.items():
        for position, entry in listed.entries:
            groups[kind].setdefault(entry["mal_id"], []).append(
                Mapping(
                    mal_id=entry["mal_id"],
                    mal_title=entry["title"],
                    trakt_id=entry["trakt_id"],
                    kind=kind,
                    season=entry.get("season") if kind == "shows" else None,
                    source=f"{listed.name}[{position}]",
                )
            )
    duplicates: Duplicates = {
        (kind, mal_id): {
            "kind": kind,
            "mal_id": mal_id,
            "candidates": [f"{m.source}: trakt {m.trakt_id}" for m in found],
        }
        for kind in groups
        for mal_id, found in sorted(groups[kind].items())
        if len(found) > 1
    }
    counters: dict[str, int] = {}
    for file_name, override in overrides:
        position = counters[file_name] = counters.get(file_name, -1) + 1
        corrects: Kind = "shows" if file_name == OVERRIDE_FILE["shows"] else "movies"
        target: Kind = override["trakt"]["type"]
        mal_id = override["myanimelist"]["id"]
        groups.get(corrects, {}).pop(mal_id, None)
        if target in groups:
            groups[target][mal_id] = [
                Mapping(
                    mal_id=mal_id,
                    mal_title=override["myanimelist"]["title"],
                    trakt_id=override["trakt"]["id"],
                    kind=target,
                    season=(override["trakt"].get("season") or {}).get("number") if target == "shows" else None,
                    source=f"{file_name}[{position}]",
                    override_title=override["trakt"]["title"],
                    origin="override",
                    episode_map=episode_map_of(override["trakt"].get("episode_map")) if target == "shows" else None,
                    episodes=override_evidence.of_override(override["trakt"]) if target == "shows" else None,
                )
            ]
    return groups, duplicates


def add_discovered(
    discovery: candidates.Discovery | None,
    groups: Groups,
    published_before: dict[Kind, list[dict[str, Any]]],
    *,
    candidates_file: str,
) -> str:
    """Add discover's candidates for the MAL ids nothing else maps (upstream and overrides win), then
    the entries published before that nothing names tonight (``pipeline.evidence.retention``).

    Without a usable candidates file (discovery off, skipped, never run), the discovered entries
    published last time are kept like any entry nothing names: a bad night never removes them.
    Returns where the discovered mappings came from, for the summary.
    """
    if discovery is not None and discovery.status == "ok":
        found, origin = discovery.candidates, candidates_file
    else:
        found, origin = [], "the discovered entries published before"
    mapped = {mal_id for by_id in groups.values() for mal_id in by_id}
    for position, candidate in enumerate(found):
        if candidate.kind in groups and candidate.mal_id not in mapped:
            groups[candidate.kind][candidate.mal_id] = [
                Mapping(
                    mal_id=candidate.mal_id,
                    mal_title=candidate.title,
                    trakt_id=candidate.trakt_id,
                    kind=candidate.kind,
                    season=candidate.season,
                    source=f"discovered[{position}]",
                    origin="discovered",
                    episodes=candidate.episodes,
                )
            ]
    _add_retained(groups, published_before)
    return origin


def _add_retained(groups: Groups, published_before: dict[Kind, list[dict[str, Any]]]) -> None:
    """The published entries whose MAL id nothing maps tonight, looked up again as they are, where they stay."""
    mapped = {mal_id for by_id in groups.values() for mal_id in by_id}
    for kind, entries in published_before.items():
        for entry in entries:
            mapping = published_mapping(kind, entry)
            if mapping.mal_id not in mapped and retention.mapping_origin(mapping.origin, "silence") is not None:
                groups[kind][mapping.mal_id] = [mapping]
