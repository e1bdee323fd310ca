"""Workflow step 4: the run summary that enrich left in ``.cache/`` as Markdown.

Written to ``$GITHUB_STEP_SUMMARY`` when set (the job summary), else printed.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline import candidates, heap, logs
from pipeline.candidates import Discovery
from pipeline.config import load_config
from pipeline.errors import PipelineError
from pipeline.published.jsonio import load_json, write_bytes_atomic
from pipeline.published.models import ORIGINS

logger = logging.getLogger(__name__)
LISTED = 20  # ids listed per line before "and N more"


def _ids(values: list[Any]) -> str:
    shown = ", ".join(str(value) for value in values[:LISTED])
    return shown + (f" and {len(values) - LISTED:,} more" if len(values) > LISTED else "")


def _kind_section(kind: str, found: dict[str, Any]) -> list[str]:
    updated = found["updated"]
    lines = [
        f"### {kind}",
        "",
        "| change | count | MAL ids |",
        "| --- | ---: | --- |",
        f"| created | {len(found['created']):,} | {_ids(found['created'])} |",
        f"| updated | {len(updated):,} | {_ids([item['mal_id'] for item in updated])} |",
        f"| removed | {len(found['removed']):,} | {_ids(found['removed'])} |",
        f"| newly not found | {len(found['not_found_new']):,} | {_ids(found['not_found_new'])} |",
        f"| recovered from not found | {len(found['recovered']):,} | {_ids(found['recovered'])} |",
        "",
    ]
    if updated:
        fields: dict[str, int] = {}
        for item in updated:
            for name in item["fields"]:
                fields[name] = fields.get(name, 0) + 1
        lines += ["Updated fields: " + ", ".join(f"`{name}` ({count:,})" for name, count in sorted(fields.items())), ""]
    return lines


def _listing(title: str, rows: list[dict[str, Any]], render: Any) -> list[str]:
    if not rows:
        return [f"**{title}**: none", ""]
    return [f"**{title}** ({len(rows):,}):", "", *[f"- {render(row)}" for row in rows[:100]], ""]


def _failure(row: dict[str, Any]) -> str:
    return f"{row['kind']} MAL {row['mal_id']} {row['title']!r}: {row['reason']}"


def _season(season: int | None, episodes: dict[str, int] | None = None) -> str:
    """S2, or "S1 from episode 13" for a second cour inside a season, or "split cour"."""
    if episodes is not None and episodes["offset"]:
        return f"S{episodes['season']} from episode {episodes['offset'] + 1}"
    return "split cour" if season is None else f"S{season}"


def _correction(row: dict[str, Any]) -> str:
    return (
        f"MAL {row['mal_id']} {row['title']!r}: {_season(row['upstream_season'])} -> "
        f"{_season(row['season'], row['episodes'])} ({row['kind']}); {row['evidence']}"
    )


def _disagreement(row: dict[str, Any]) -> str:
    upstream = _season(row["upstream_season"])
    return f"MAL {row['mal_id']} {row['title']!r} (upstream {upstream}): {row['reason']}; {row['evidence']}"


def _override_problems(rows: list[dict[str, Any]]) -> list[str]:
    """Overrides Trakt refused or that collide with another MAL id: a warning of their own, near the top."""
    if not rows:
        return []
    return [
        f"> [!WARNING]\n> **Override problems** ({len(rows):,}): fix these entries of `overrides/` (docs/overrides.md)",
        "",
        *[f"- {r['kind']} MAL {r['mal_id']} ({r['source']}, trakt {r['trakt_id']}): {r['problem']}" for r in rows],
        "",
    ]


def _letterboxd(films: dict[str, Any] | None) -> list[str]:
    """The movies' Letterboxd ids; a warning when the Wikidata lookup failed."""
    if not films:
        return []
    lines = [
        f"Letterboxd ids: {films['kept']:,} kept, {films['overridden']:,} from overrides, {films['resolved']:,}"
        f" resolved on Wikidata of {films['asked']:,} films asked ({films['batches']:,} queries),"
        f" {films['unknown']:,} unknown.",
        "",
    ]
    if films["problem"]:
        lines += [f"> [!WARNING]\n> Letterboxd lookup failed: {films['problem']}.", ""]
    return lines


def _coverage(coverage: dict[str, Any] | None, no_map: dict[str, int] | None = None) -> list[str]:
    """Episode maps (TV), why some entries have none, and AniDB/AniList ids per output file (issue 22)."""
    if not coverage:
        return []
    lines = []
    if no_map:
        lines.append("Without an episode map: " + ", ".join(f"`{why}` {n:,}" for why, n in no_map.items()) + ".")
    for name, found in coverage.items():
        maps = (
            f"{found['episode_map']:,} with an episode map ({found['several_ranges']:,} across several seasons), "
            if "episode_map" in found
            else ""
        )
        lines.append(
            f"`{name}`: {maps}{found['anidb']:,} with AniDB ids ({found['several_anidb']:,} several),"
            f" {found['anilist']:,} with AniList ids, of {found['entries']:,}."
        )
    return [*lines, ""]


def render(summary: dict[str, Any]) -> str:
    requests = summary["requests"]
    lines = [
        "## extended-anitrakt run",
        "",
        f"Started {summary['started']}, finished {summary['finished']}"
        + (" (forced refresh)" if summary["force"] else ""),
        "",
        "| file | entries |",
        "| --- | ---: |",
        *[f"| `{name}` | {info['entries']:,} |" for name, info in summary["files"].items()],
        "",
        f"Trakt: **{requests['made']:,} requests** made, {requests['from_cache']:,} answers served from cache,"
        f" {requests['retries']:,} retries, {requests['throttled']:,} rate-limited (429),"
        f" {requests['failed']:,} failed for good.",
        "",
    ]
    lines += _override_problems(summary.get("override_problems", []))
    lines += _letterboxd(summary.get("letterboxd"))
    lines += _coverage(summary.get("coverage"), summary.get("no_episode_map"))
    for kind, found in summary["changes"].items():
        lines += _kind_section(kind, found)
    lines += _listing("Kept stale after errors", summary["stale"], _failure)
    lines += _listing("Failed, not published yet", summary["failed_new"], _failure)
    lines += _listing(
        "Duplicate MAL ids upstream",
        summary["duplicates"],
        lambda r: f"{r['kind']} MAL {r['mal_id']}: {'; '.join(r['candidates'])} -> chose {r.get('chosen', '?')}",
    )
    lines += _listing(
        "Override title mismatches (often a mistyped Trakt id)",
        summary["override_title_mismatches"],
        lambda r: (
            f"{r['source']} MAL {r['mal_id']} -> trakt {r['trakt_id']}: override says {r['override_title']!r},"
            f" Trakt says {r['trakt_title']!r}"
        ),
    )
    lines += _listing(
        "Invalid upstream entries skipped", [{"m": m} for m in summary["skipped_upstream"]], lambda r: r["m"]
    )
    lines += _seasons_section(summary)
    return "\n".join(lines).rstrip() + "\n"


def _seasons_section(summary: dict[str, Any]) -> list[str]:
    """Upstream's seasons corrected on the evidence, and the disagreements left for a person (the review queue)."""
    if "corrections" not in summary:  # a summary written before the season evidence existed
        return []
    lines = [f"Season evidence: {summary.get('season_evidence', 'unknown')}.", ""]
    lines += _listing("Seasons corrected (upstream -> ours)", summary["corrections"], _correction)
    lines += _listing("Season review queue (the sources disagree; nothing changed)", summary["review"], _disagreement)
    return lines


REVIEW_LISTED = 30  # review-queue rows shown


def render_discovery(discovery: Discovery | None, summary: dict[str, Any]) -> str:
    """Discovery: what was proposed and published, what was dropped by which rule, what to review."""
    lines = ["### Discovery", ""]
    origins = summary.get("origins", {})
    if origins:
        lines += ["| file | " + " | ".join(ORIGINS) + " |", "| --- |" + " ---: |" * len(ORIGINS)]
        lines += [
            f"| `{name}` | " + " | ".join(f"{counts.get(o, 0):,}" for o in ORIGINS) + " |"
            for name, counts in origins.items()
        ]
        lines += ["", f"Discovered mappings from {summary.get('discovered_from', '?')}.", ""]
    if discovery is None:
        return "\n".join([*lines, "Discovery has not run (`uv run python -m pipeline.discover`).", ""])
    if discovery.status != "ok":
        lines += [
            f"**Discovery skipped** ({discovery.generated}); the discovered entries published before are kept:",
            "",
        ]
        return "\n".join([*lines, *[f"- {warning}" for warning in discovery.warnings], ""])
    counts = discovery.counts
    lines += [
        f"Discovery of {discovery.generated}: {len(discovery.of_kind('shows')):,} shows and"
        f" {len(discovery.of_kind('movies')):,} movies discovered, of {counts.get('proposed', 0):,} claims the"
        f" rules kept among {counts.get('known', 0):,} MAL ids the sources know"
        f" ({counts.get('already_mapped', 0):,} mapped already); {counts.get('requests', 0):,}"
        f" Trakt requests, {counts.get('from_cache', 0):,} answers from cache.",
        "",
    ]
    if counts.get("films_filed_as_specials"):
        lines += [
            f"Films filed as specials (`film-filed-as-special`): {counts['films_filed_as_specials']:,} movie claims"
            f" from rows Anime-Lists files under a show, {counts.get('films_filed_as_specials_discovered', 0):,}"
            " of them discovered (one Trakt movie for their id).",
            "",
        ]
    by_rule: dict[str, list[int]] = {}
    for dropped in discovery.dropped:
        by_rule.setdefault(dropped["rule"], []).append(dropped["mal_id"])
    if by_rule:
        lines += ["| dropped by rule | count | MAL ids |", "| --- | ---: | --- |"]
        lines += [f"| `{rule}` | {len(ids):,} | {_ids(ids)} |" for rule, ids in sorted(by_rule.items())]
        lines.append("")
    review = [d for d in discovery.dropped if d.get("review")]
    lines += _listing(
        "Review queue (split-cour-like and type conflicts: candidates for overrides)",
        review[:REVIEW_LISTED],
        lambda r: f"{r['kind']} MAL {r['mal_id']}: `{r['rule']}`: {r['detail']}",
    )
    if len(review) > REVIEW_LISTED:
        lines += [f"and {len(review) - REVIEW_LISTED:,} more in `.cache/candidates.json`.", ""]
    lines += _listing(
        "Discovered but not published (Trakt 404 or season missing)",
        summary.get("discovered_dropped", []),
        lambda r: f"{r['kind']} MAL {r['mal_id']} {r['title']!r} -> trakt {r['trakt_id']}: {r['reason']}",
    )
    return "\n".join(lines).rstrip() + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.report",
        description="Render the last enrich run as Markdown (to $GITHUB_STEP_SUMMARY when set, else stdout).",
    )
    parser.add_argument("--summary", type=Path, help="run summary file (default from pipeline/config.yaml)")
    args = parser.parse_args(argv)
    logs.setup()
    heap.tune()
    try:
        config = load_config()
        config.run_report.unlink(missing_ok=True)  # never the previous run's report as this run's notes
        path = args.summary or config.run_summary
        summary = load_json(path)
        if summary is None:
            raise PipelineError(
                f"{path}: no run summary: the last enrich did not finish (its log says why), or never ran"
            )
        text = render(summary) + "\n" + render_discovery(candidates.read(config.candidates), summary)
        write_bytes_atomic(config.run_report, text.encode("utf-8"))  # the release notes, and the issue's
    except PipelineError as exc:
        logger.error("report: %s", exc)
        return 1
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(text)
        logger.info("report: written to the job summary")
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
