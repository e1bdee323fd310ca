"""Each mapping's verdict over Trakt's answers: its entry, whether Trakt has its season, what the sources say.

Pure: the mapping, Trakt's show (or film) and seasons, and the mapping sources in; a ``Resolved`` out.
Asking Trakt is the step's (``pipeline.enrich.resolve``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipeline.evidence import episode_map as maps
from pipeline.evidence import episode_maps
from pipeline.evidence import overrides as override_evidence
from pipeline.evidence import seasons as evidence
from pipeline.evidence.retention import TraktAnswer
from pipeline.published.models import Mapping, Movie, Origin, Season, Show, movie_entry, show_entry
from pipeline.sources.joined import Joined


@dataclass(frozen=True, slots=True)
class Resolved:
    """The outcome of looking one mapping up on Trakt."""

    status: TraktAnswer
    entry: dict[str, Any] | None = None
    season_found: bool = False
    trakt_title: str | None = None
    detail: str = ""
    verdict: evidence.Verdict | None = None  # what the sources and Trakt's seasons say (shows)
    fallback: dict[str, Any] | None = None  # the entry without the verdict's correction
    episode_map: maps.Outcome | None = None  # the entry's episode map, or why it has none (shows)


@dataclass(frozen=True, slots=True)
class Sources:
    """The mapping sources joined by MAL id for the season evidence; ``None`` on a night they are unusable."""

    joined: dict[int, Joined] | None
    previous: dict[int, dict[str, Any]] = field(default_factory=dict)  # published show entries, by MAL id
    problem: str = ""  # why there is no evidence tonight, for the report


def _verdict(mapping: Mapping, show: Show, seasons: list[Season], sources: Sources) -> evidence.Verdict:
    if mapping.episodes is not None and mapping.origin == "override":  # checked like the evidence, never corrected
        return override_evidence.judge(mapping.season, mapping.episodes, seasons)
    if mapping.episodes is not None:  # a discovered continuation cour: inside the season its episodes say
        return evidence.continuation(*mapping.episodes, seasons)
    if sources.joined is not None:
        joined = sources.joined.get(mapping.mal_id)
        may_correct = mapping.origin in ("upstream", "imported")
        return evidence.judge(mapping.season, show.tmdb, seasons, joined, may_correct=may_correct)
    # The sources failed tonight: a correction published before keeps its place while Trakt lists it.
    previous = sources.previous.get(mapping.mal_id)
    kept = evidence.as_published(previous, mapping.trakt_id, mapping.season, seasons) if previous else None
    return kept or evidence.judge(mapping.season, show.tmdb, seasons, None, may_correct=False)


def _show_entry(
    mapping: Mapping, show: Show, seasons: list[Season], verdict: evidence.Verdict, sources: Sources
) -> tuple[dict[str, Any], maps.Outcome]:
    listed = {season.number: season for season in seasons}
    previous = sources.previous.get(mapping.mal_id)
    outcome = episode_maps.outcome(mapping, show, seasons, verdict.episodes, sources.joined, previous)
    episodes = None if verdict.episodes is None else (verdict.episodes.season, verdict.episodes.offset)
    if mapping.episode_map is not None:  # an override's map says where MAL episode 1 is
        episodes = (mapping.episode_map[0].season, mapping.episode_map[0].episode - 1)
    origin: Origin | None = "corrected" if verdict.correction is not None else None
    season = None if verdict.season is None else listed[verdict.season]
    return show_entry(mapping, show, season, episodes, origin, outcome.ranges), outcome


def movie(mapping: Mapping, found: Movie) -> Resolved:
    """A film Trakt lists: published as it is."""
    return Resolved("ok", movie_entry(mapping, found), True, found.title)


def show(mapping: Mapping, found: Show, seasons: list[Season], sources: Sources) -> Resolved:
    """A show Trakt lists, with its seasons: judged against the sources; a correction keeps its entry uncorrected."""
    verdict = _verdict(mapping, found, seasons, sources)
    entry, outcome = _show_entry(mapping, found, seasons, verdict, sources)
    fallback = None
    if verdict.correction is not None:
        as_is = evidence.judge(mapping.season, found.tmdb, seasons, None, may_correct=False)
        fallback = _show_entry(mapping, found, seasons, as_is, sources)[0]
    found_season = verdict.episodes is not None
    return Resolved("ok", entry, found_season, found.title, verdict=verdict, fallback=fallback, episode_map=outcome)
