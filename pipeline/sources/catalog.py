"""The three mapping sources: file name, configuration, parser; and the night's fetch status.

``pipeline.fetch`` downloads each one into ``sources_dir`` and records whether it succeeded in
``status.json`` beside them; ``pipeline.discover`` skips the night when a source is missing or its
download failed (the previous copy stays, but one night's mix of old and new rows is not trusted).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.config import Config
from pipeline.published.jsonio import load_json, write_json
from pipeline.sources import SourceError, anime_ids, anime_lists, shinkro
from pipeline.sources import parsed as parsed_copy
from pipeline.sources.joined import Joined, join

STATUS_FILE = "status.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    file: str
    variable: str
    config_field: str
    parse: Callable[[bytes], list[Any]]

    def url(self, config: Config) -> str:
        return str(getattr(config, self.config_field))


SOURCES = (
    Source(
        file=anime_lists.FILE, variable=anime_lists.VARIABLE, config_field="anime_lists_url", parse=anime_lists.parse
    ),
    Source(file=anime_ids.FILE, variable=anime_ids.VARIABLE, config_field="anime_ids_url", parse=anime_ids.parse),
    Source(file=shinkro.FILE, variable=shinkro.VARIABLE, config_field="shinkro_tvdb_url", parse=shinkro.parse),
)


def load_parsed(sources_dir: Path) -> tuple[list[list[Any]], list[str]]:
    """Every source's parsed rows, in ``SOURCES``' order, or the warnings why they cannot be used tonight.

    A source whose last download failed, that was never downloaded or does not parse makes a warning;
    with any warning the rows are ``[]`` (one night's mix of old and new rows is not trusted).
    """
    problems = read_status(sources_dir)
    warnings = [f"{name}: {problem}" for name, problem in problems.items() if problem]
    parsed: list[list[Any]] = []
    for source in SOURCES:
        path = sources_dir / source.file
        if not path.exists():
            warnings.append(f"{path}: not downloaded; run `uv run python -m pipeline.fetch` first")
            continue
        try:
            parsed.append(parsed_copy.rows(path, source.parse))  # parsed once a night, read back after
        except SourceError as exc:
            warnings.append(str(exc))
    return ([] if warnings else parsed), warnings


def load_joined(sources_dir: Path) -> tuple[dict[int, Joined], list[str]]:
    """The sources joined by MAL id (``rules.join``), or ``{}`` and the warnings why not tonight."""
    parsed, warnings = load_parsed(sources_dir)
    if warnings:
        return {}, warnings
    lists, ids, mapping = parsed
    return join(lists, ids, mapping), []


def write_status(sources_dir: Path, problems: dict[str, str | None]) -> None:
    """One night's outcome per source file: None when it was stored, else why it was not."""
    write_json(sources_dir / STATUS_FILE, {name: {"problem": problem} for name, problem in problems.items()})


def read_status(sources_dir: Path) -> dict[str, str | None]:
    """The last fetch's problem per source file (a file never fetched is missing from it)."""
    data = load_json(sources_dir / STATUS_FILE, missing={})
    if not isinstance(data, dict):
        return {}
    return {name: entry.get("problem") for name, entry in data.items() if isinstance(entry, dict)}
