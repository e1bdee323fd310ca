"""The candidates file: what discover proposes for the MAL ids upstream lacks, for enrich and the report.

``.cache/candidates.json`` (``config.candidates``)::

    {"generated": "2026-11-22T03:23:00Z",   # when discover ran
     "status": "ok" | "skipped",            # skipped: a source or Trakt failed; nothing was proposed
     "warnings": ["..."],                   # why it was skipped, for the report
     "shows": [{"mal_id", "title", "trakt_id", "season", "evidence"}],  # + "episodes": {"season", "offset"}
                                            # for a continuation cour (then "season" is null)
     "movies": [{"mal_id", "title", "trakt_id", "evidence"}],
     "dropped": [{"mal_id", "kind", "rule", "detail", "review"}],  # + "asked": the Trakt API paths
                                                                  # behind a drop on Trakt's answers
     "counts": {"known": ..., "already_mapped": ..., "proposed": ..., "requests": ..., "from_cache": ...,
                "films_filed_as_specials": ..., "films_filed_as_specials_discovered": ...}}
                # films_*: movie claims from rows Anime-Lists files under a show (a special, season 0)

Enrich publishes the candidates after upstream and the overrides (never over them); when the file is
missing or skipped, it keeps the discovered entries it published last time instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pipeline.errors import PipelineError
from pipeline.published.jsonio import load_json, write_json
from pipeline.published.models import Kind, episodes_of, published_mapping


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    kind: Kind
    mal_id: int
    title: str
    trakt_id: int
    season: int | None  # shows only; None for a split cour (then ``episodes`` says where it is)
    evidence: str  # where the mapping comes from, for the report and reviewers
    episodes: tuple[int, int] | None = None  # (season, offset) of a continuation cour inside a Trakt season

    def as_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"mal_id": self.mal_id, "title": self.title, "trakt_id": self.trakt_id}
        if self.kind == "shows":
            entry["season"] = self.season
        if self.episodes is not None:
            entry["episodes"] = {"season": self.episodes[0], "offset": self.episodes[1]}
        entry["evidence"] = self.evidence
        return entry


@dataclass(frozen=True, slots=True, kw_only=True)
class Discovery:
    status: Literal["ok", "skipped"]
    generated: str = ""
    warnings: list[str] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def of_kind(self, kind: Kind) -> list[Candidate]:
        return [candidate for candidate in self.candidates if candidate.kind == kind]


def from_published(kind: Kind, entry: dict[str, Any], evidence: str) -> Candidate:
    """The mapping of a published discovered entry, to publish it again when discovery did not run."""
    mapping = published_mapping(kind, entry)
    return Candidate(
        kind=kind,
        mal_id=mapping.mal_id,
        title=mapping.mal_title,
        trakt_id=mapping.trakt_id,
        season=mapping.season,
        evidence=evidence,
        episodes=mapping.episodes,
    )


def write(path: Path, discovery: Discovery) -> None:
    write_json(
        path,
        {
            "generated": discovery.generated,
            "status": discovery.status,
            "warnings": discovery.warnings,
            "shows": [c.as_json() for c in discovery.of_kind("shows")],
            "movies": [c.as_json() for c in discovery.of_kind("movies")],
            "dropped": discovery.dropped,
            "counts": discovery.counts,
        },
    )


def read(path: Path) -> Discovery | None:
    """The last discovery, or None when discover never ran here."""
    data = load_json(path)
    if data is None:
        return None
    try:
        candidates = [
            Candidate(
                kind=kind,
                mal_id=int(entry["mal_id"]),
                title=str(entry["title"]),
                trakt_id=int(entry["trakt_id"]),
                season=int(entry["season"]) if kind == "shows" and entry["season"] is not None else None,
                evidence=str(entry.get("evidence", "")),
                episodes=episodes_of(entry.get("episodes")),
            )
            for kind in ("shows", "movies")
            for entry in data.get(kind, [])
        ]
        return Discovery(
            status="ok" if data["status"] == "ok" else "skipped",
            generated=str(data.get("generated", "")),
            warnings=[str(w) for w in data.get("warnings", [])],
            candidates=candidates,
            dropped=list(data.get("dropped", [])),
            counts=dict(data.get("counts", {})),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PipelineError(
            f"{path}: not a candidates file ({type(exc).__name__}: {exc}); delete it and run pipeline.discover again"
        ) from None
