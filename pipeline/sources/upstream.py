"""The upstream lists: checked as a whole (fatal) and entry by entry (bad entries skipped, reported)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import PipelineError
from pipeline.published import schemas
from pipeline.published.jsonio import parse_json
from pipeline.published.models import UPSTREAM_FILE, Kind
from pipeline.sources import parsed

SCHEMA: dict[Kind, str] = {"shows": "upstream-tv.schema.json", "movies": "upstream-movies.schema.json"}


@dataclass(frozen=True, slots=True, kw_only=True)
class UpstreamList:
    kind: Kind
    name: str  # file name for messages, e.g. "tv.json"
    entries: list[tuple[int, dict[str, Any]]]  # (position in the file, entry) of the good entries
    skipped: list[str]  # one message per bad entry
    sha256: str
    total: int


def check(payload: bytes, kind: Kind, *, where: str, hint: str = "") -> UpstreamList:
    """Parse and check one upstream list; raise PipelineError when it is not a usable list at all."""
    name = UPSTREAM_FILE[kind]
    suffix = f" ({hint})" if hint else ""
    head = payload.lstrip()[:200].lower()
    if head.startswith((b"<!doctype", b"<html", b"<")):
        raise PipelineError(f"upstream {where}: got an HTML page, not a JSON list{suffix}")
    try:
        data = parse_json(payload.decode("utf-8"), f"upstream {where}")
    except UnicodeDecodeError as exc:
        raise PipelineError(f"upstream {where}: not UTF-8 text (byte {exc.start}){suffix}") from None
    except PipelineError as exc:
        raise PipelineError(f"{exc} - truncated or not JSON{suffix}") from None
    if not isinstance(data, list):
        raise PipelineError(f"upstream {where}: expected a JSON list of entries, got {type(data).__name__}{suffix}")
    if not data:
        raise PipelineError(f"upstream {where}: the list is empty{suffix}")
    good: list[tuple[int, dict[str, Any]]] = []
    skipped: list[str] = []
    for position, entry in enumerate(data):
        problems = schemas.problems(
            entry, SCHEMA[kind], where=f"upstream {name}", pointer="/$defs/entry", at=[position]
        )
        if problems:
            skipped.extend(problems)
        else:
            good.append((position, entry))
    if not good:
        raise PipelineError(f"upstream {where}: none of its {len(data)} entries is valid, e.g. {skipped[0]}")
    return UpstreamList(
        kind=kind,
        name=name,
        entries=good,
        skipped=skipped,
        sha256=hashlib.sha256(payload).hexdigest(),
        total=len(data),
    )


def load(path: Path, kind: Kind, *, fetched: bool = False) -> UpstreamList:
    """The list at ``path``, checked. ``fetched``: it is fetch's copy under ``.cache/``, so the check fetch
    made is read back (``pipeline.sources.parsed``) when it is of these very bytes; never beside a user's file."""
    try:
        if not fetched:
            return check(path.read_bytes(), kind, where=str(path))
        return parsed.load(path, lambda payload: check(payload, kind, where=str(path)), UpstreamList, key=kind)
    except FileNotFoundError:
        raise PipelineError(f"{path}: upstream list not found; run `uv run python -m pipeline.fetch` first") from None
