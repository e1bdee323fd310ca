"""The guards that stop one run from publishing a mass change (an upstream cut, a Trakt-side failure).

Two independent checks, both lifted by ``--allow-shrink`` (the nightly's ``allow_shrink`` input):

- **upstream shrink**, before any request: an upstream list with fewer rows than the list the
  published files were built from (``meta.json``'s ``upstream`` entries) by more than
  ``shrink_threshold``;
- **mass change**, per published file: the run would remove, move to not found, or flip to split
  cour more than ``mass_change_threshold`` of the file's published entries, each counted on its own
  (and only past ``mass_change_min_entries`` entries: two of a ten-entry file is no mass change).
  Removals are known before any request (the MAL id is in no mapping any more) and are checked then;
  the Trakt-side changes once every answer is in, before anything is written.

What a migration removes (imported entries nobody maps) counts as removed like any other entry.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.candidates import Discovery
from pipeline.errors import PipelineError
from pipeline.evidence.rules import TRAKT_RULES
from pipeline.published.changes import by_mal_id

WAY_OUT = "if the change is intended, run again with --allow-shrink (the nightly's allow_shrink input)"


@dataclass(frozen=True, slots=True, kw_only=True)
class MassChange:
    """What one run would do to the entries published now in one output file."""

    file: str  # "tv_ex.json"
    published: int  # entries in the file now
    removed: tuple[int, ...] = ()  # MAL ids in no file of their kind any more
    to_not_found: tuple[int, ...] = ()  # published, now in the not-found file
    to_split_cour: tuple[int, ...] = ()  # published with a season, now a split cour

    def over(self, threshold: float, floor: int) -> dict[str, int]:
        """The kinds of change (a template for the count) past ``threshold`` of the published entries and ``floor``."""
        counts = {
            "remove {}": len(self.removed),
            "move {} to not found": len(self.to_not_found),
            "flip {} to split cour": len(self.to_split_cour),
        }
        limit = max(threshold * self.published, floor)
        return {what: count for what, count in counts.items() if count > limit}


def check_upstream(totals: Mapping[str, int], recorded: Mapping[str, Any], threshold: float) -> None:
    """Refuse an upstream list that lost more than ``threshold`` of the rows recorded in ``meta.json``.

    ``totals`` maps a list's name (``tv.json``) to its rows now; ``recorded`` is ``meta.json``'s
    ``upstream`` object. A list with no recorded count (first run, an import) is not checked here:
    the mass-change guard still counts what it would remove.
    """
    for name, total in totals.items():
        record = recorded.get(name)
        before = record.get("entries") if isinstance(record, dict) else None
        if isinstance(before, int) and before > 0 and total < before * (1 - threshold):
            raise PipelineError(
                f"upstream {name} has {total:,} entries, {1 - total / before:.0%} fewer than the {before:,} the"
                f" published files were built from (meta.json; limit {threshold:.0%}); nothing published changed."
                f" If the shrink is intended, run again with --allow-shrink (the nightly's allow_shrink input)"
            )


def removals(file: str, old_output: list[dict[str, Any]], mapped: Iterable[int]) -> MassChange:
    """The published entries of ``file`` whose MAL id no mapping (upstream, override, discovery) holds."""
    old = by_mal_id(old_output)
    return MassChange(file=file, published=len(old), removed=tuple(sorted(old.keys() - set(mapped))))


def mass_change(
    file: str,
    old_output: list[dict[str, Any]],
    new_output: list[dict[str, Any]],
    new_not_found: list[dict[str, Any]],
) -> MassChange:
    """Compare a file's published entries with what this run decided for them."""
    old, new, missing = by_mal_id(old_output), by_mal_id(new_output), set(by_mal_id(new_not_found))
    return MassChange(
        file=file,
        published=len(old),
        removed=tuple(sorted(old.keys() - new.keys() - missing)),
        to_not_found=tuple(sorted(old.keys() & missing - new.keys())),
        to_split_cour=tuple(
            sorted(
                mal_id
                for mal_id in old.keys() & new.keys()
                if not _split_cour(old[mal_id]) and _split_cour(new[mal_id])
            )
        ),
    )


def _split_cour(entry: dict[str, Any]) -> bool:
    """A split cour without a place on Trakt: a second cour the evidence places inside a season
    (``episodes`` set, a correction) has Trakt's season and is no sign of a Trakt-side change."""
    trakt = entry.get("trakt")
    return isinstance(trakt, dict) and trakt.get("is_split_cour") is True and trakt.get("episodes") is None


def discovery_note(changes: Iterable[MassChange], discovery: Discovery | None) -> str:
    """Why discovery did not map the removed entries, when Trakt or a skipped night may be the cause."""
    if discovery is None:  # discover never ran here (a local run of enrich alone)
        return ""
    if discovery.status != "ok":
        return (
            "discovery was skipped this night (see the report's warnings), so the entries only it would map"
            " count as removed: run again once it runs; "
        )
    rules = Counter(str(dropped["rule"]) for dropped in trakt_drops(changes, discovery))
    if not rules:
        return ""
    by_rule = ", ".join(f"{rule} {count:,}" for rule, count in rules.most_common())
    return (
        f"discovery dropped {rules.total():,} of them on Trakt's answers ({by_rule}): if Trakt (or TRAKT_API_URL)"
        " is at fault, run again later; "
    )


def trakt_drops(changes: Iterable[MassChange], discovery: Discovery | None) -> list[dict[str, Any]]:
    """Discovery's dropped records, by a rule on Trakt's answers, of the MAL ids these changes remove."""
    if discovery is None or discovery.status != "ok":
        return []
    removed = {mal_id for change in changes for mal_id in change.removed}
    return [d for d in discovery.dropped if d.get("mal_id") in removed and d.get("rule") in TRAKT_RULES]


def refusal(
    changes: Iterable[MassChange], threshold: float, floor: int, *, trakt_side: bool = False, note: str = ""
) -> str | None:
    """The one-line reason to refuse, or None when every file is within the limits."""
    parts = []
    for change in changes:
        over = change.over(threshold, floor)
        if over:
            share = {verb: f"{count:,} ({count / change.published:.0%})" for verb, count in over.items()}
            what = " and ".join(verb.format(counted) for verb, counted in share.items())
            parts.append(f"{change.file}: of its {change.published:,} published entries, this run would {what}")
    if not parts:
        return None
    cause = (
        "if Trakt (or TRAKT_API_URL) is at fault, run again later: the answers behind these changes were dropped"
        " from the cache; "
        if trakt_side
        else f"their MAL ids are in neither the upstream list, the overrides nor discovery; {note}"
    )
    return f"{'; '.join(parts)} (limit {threshold:.0%} each). Nothing published changed: {cause}{WAY_OUT}"
