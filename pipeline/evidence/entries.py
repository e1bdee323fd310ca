"""Each MAL id's entry: the candidate chosen, published, marked not found, kept stale or dropped; the
corrections undone where two MAL ids would share episodes; the overrides' problems for the report.

Pure: the run's records (``pipeline.published.run``) and each candidate's ``Resolved`` in; the run's
decisions recorded in it.
"""

from __future__ import annotations

from typing import Any

from pipeline.evidence import overrides as override_evidence
from pipeline.evidence import retention, taken
from pipeline.evidence import seasons as evidence
from pipeline.evidence.resolve import Resolved
from pipeline.published.models import PUBLISHED_BEFORE, Kind, Mapping, not_found_entry, republished
from pipeline.published.run import Published, Run


def choose(results: list[tuple[Mapping, Resolved]]) -> tuple[Mapping, Resolved]:
    """Of a MAL id's candidates: the last one found with its season, else (if none failed) the last."""
    found = [pair for pair in results if pair[1].status == "ok" and pair[1].season_found]
    if found:
        return found[-1]
    failed = [pair for pair in results if pair[1].status == "failed"]
    return failed[-1] if failed else results[-1]


def decide(run: Run, kind: Kind, results: list[tuple[Mapping, Resolved]]) -> tuple[Mapping, Resolved]:
    """Publish, mark not found or keep stale one MAL id's entry; returns the candidate chosen."""
    mapping, resolved = choose(results)
    files = run.published[kind]
    mal_id = mapping.mal_id
    if (kind, mal_id) in run.duplicates:
        run.duplicates[kind, mal_id]["chosen"] = mapping.source
    if mapping.override_title is not None and resolved.trakt_title not in (None, mapping.override_title):
        run.title_mismatches.append(
            {
                "kind": kind,
                "mal_id": mal_id,
                "source": mapping.source,
                "trakt_id": mapping.trakt_id,
                "override_title": mapping.override_title,
                "trakt_title": resolved.trakt_title,
            }
        )
    fate = retention.on_trakt(mapping.origin, resolved.status)
    if mapping.origin == "discovered" and (
        fate == "removed" or (resolved.status == "ok" and not resolved.season_found)
    ):  # a discovered mapping is never a not-found entry nor a split cour without episodes: it is dropped
        reason = "Trakt answered 404" if resolved.status == "not_found" else f"no season {mapping.season} on Trakt"
        run.discovered_dropped.append(
            {"kind": kind, "mal_id": mal_id, "title": mapping.mal_title, "trakt_id": mapping.trakt_id, "reason": reason}
        )
        return mapping, resolved
    if fate == "published" and resolved.entry is not None:
        files.output[mal_id] = resolved.entry
        _note_verdict(run, mapping, resolved)
        if kind == "shows" and mapping.origin == "discovered" and mapping.source != PUBLISHED_BEFORE:
            run.proposed.add(mal_id)
    elif fate == "not-found":
        files.not_found[mal_id] = not_found_entry(mapping)
    else:
        previous_output = files.old_output_by_id.get(mal_id)
        previous_missing = files.old_not_found_by_id.get(mal_id)
        record = {"kind": kind, "mal_id": mal_id, "title": mapping.mal_title, "reason": resolved.detail}
        if previous_output is not None:  # kept, in today's layout (an entry without origin gets its mapping's)
            files.output[mal_id] = republished(previous_output, mapping.origin)
            run.stale.append(record)
        elif previous_missing is not None:
            files.not_found[mal_id] = previous_missing
            run.stale.append(record)
        else:
            run.failed_new.append(record)
    return mapping, resolved


def _note_verdict(run: Run, mapping: Mapping, resolved: Resolved) -> None:
    """Record a published entry's correction (with its uncorrected entry) or its disagreement, for the report;
    and an episode map the sources' numbering disagrees with."""
    record: dict[str, Any] = {
        "mal_id": mapping.mal_id,
        "title": mapping.mal_title,
        "trakt_id": mapping.trakt_id,
        "origin": mapping.origin,
        "upstream_season": mapping.season,
    }
    outcome = resolved.episode_map
    if outcome is not None and outcome.ranges is None and outcome.reason is not None:
        run.no_map[outcome.reason] = run.no_map.get(outcome.reason, 0) + 1
    if outcome is not None and outcome.review:
        run.review.append({**record, "reason": outcome.reason, "evidence": outcome.evidence})
    verdict = resolved.verdict
    if verdict is None or (verdict.correction is None and verdict.review is None):
        return
    if verdict.correction is not None and resolved.fallback is not None:
        run.fallbacks[mapping.mal_id] = resolved.fallback
        episodes = verdict.episodes
        ours = None if episodes is None else {"season": episodes.season, "offset": episodes.offset}
        run.corrections[mapping.mal_id] = {
            **record,
            "kind": verdict.correction,
            "season": verdict.season,
            "episodes": ours,
            "evidence": verdict.evidence,
        }
    elif verdict.review is not None:
        run.review.append({**record, "reason": verdict.review, "evidence": verdict.evidence})


def settle_collisions(run: Run) -> None:
    """Undo the corrections that put a MAL id on a season and offset another MAL id is on (queue them),
    then drop tonight's proposals on the episodes another MAL id holds after the corrections."""
    files = run.published.get("shows")
    if files is None:
        return
    reverted = evidence.collisions(
        {mal_id: _place(entry) for mal_id, entry in files.output.items() if mal_id not in run.proposed},
        {mal_id: _place(entry) for mal_id, entry in run.fallbacks.items()},
    )
    for mal_id, others in sorted(reverted.items()):
        files.output[mal_id] = run.fallbacks.pop(mal_id)
        record = run.corrections.pop(mal_id)
        met = ", ".join(f"MAL {other}" for other in others)
        run.review.append(
            {
                **{key: record[key] for key in ("mal_id", "title", "trakt_id", "origin", "upstream_season")},
                "reason": evidence.COLLISION,
                "evidence": f"{record['evidence']}; would share S{record['episodes']['season']}"
                f"+{record['episodes']['offset']} with {met}",
            }
        )
    _drop_taken(run, files)


def _drop_taken(run: Run, files: Published) -> None:
    """Tonight's proposals on episodes another MAL id holds: dropped (the entry published before stays, if any)."""
    places = {mal_id: _place(entry) for mal_id, entry in files.output.items()}
    held = {mal_id: place for mal_id, place in places.items() if mal_id not in run.proposed}
    for mal_id, others in taken.taken(held, {m: places[m] for m in run.proposed}).items():
        entry = files.output.pop(mal_id)
        previous = files.old_output_by_id.get(mal_id)
        if previous is not None:
            files.output[mal_id] = republished(previous, "discovered")
        episodes = entry["trakt"]["episodes"]
        run.discovered_dropped.append(
            {
                "kind": "shows",
                "mal_id": mal_id,
                "title": entry["myanimelist"]["title"],
                "trakt_id": entry["trakt"]["id"],
                "reason": f"{taken.RULE}: S{episodes['season']}+{episodes['offset']} is MAL {others}'s",
            }
        )


def _place(entry: dict[str, Any]) -> evidence.Placed:
    episodes = entry["trakt"].get("episodes")
    placed = None if episodes is None else evidence.Episodes(season=episodes["season"], offset=episodes["offset"])
    return int(entry["trakt"]["id"]), placed


def override_problems(groups: dict[Kind, dict[int, list[Mapping]]], run: Run) -> list[dict[str, Any]]:
    """The overrides Trakt refused or that collide with another MAL id, for the report's own section."""
    overridden = [
        override_evidence.Overridden(kind=kind, mal_id=m.mal_id, source=m.source, trakt_id=m.trakt_id)
        for kind, by_id in groups.items()
        for found in by_id.values()
        for m in found
        if m.origin == "override"
    ]
    refused = {row["mal_id"]: row["evidence"] for row in run.review if row["reason"] == override_evidence.REFUSED}
    shows = run.published.get("shows")
    places = {} if shows is None else {mal_id: _place(entry) for mal_id, entry in shows.output.items()}
    not_found = {kind: set(files.not_found) for kind, files in run.published.items()}
    return override_evidence.problems(overridden, not_found, refused, places)
