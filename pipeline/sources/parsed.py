"""A parsed copy of each mapping source, keyed by the source file's content hash: parsed once a night.

Parsing the three sources takes about a second (most of it the YAML of shinkro); discover and enrich
both need them. The first step that parses a file (fetch, right after the download) leaves its rows
in ``<sources_dir>/parsed/<file>.pickle`` with the SHA-256 of the bytes it parsed; a later step reads
them back when the file's hash still matches. A copy that is stale (another file), of another format
or unreadable (truncated, corrupt) is ignored and the file parsed again: the copy is never trusted
over the file. Written through a temporary file renamed into place, like every write.

The copy lives under ``.cache/sources/``, written only by this pipeline's own steps and restored from
this repository's Actions cache; pickle is used because it reads back about ten times faster than the
file parses.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

FOLDER = "parsed"
FORMAT = 1  # bump when a source's record type changes shape: older copies are then parsed again


def copy_path(source_file: Path) -> Path:
    return source_file.parent / FOLDER / f"{source_file.name}.pickle"


def rows(source_file: Path, parse: Callable[[bytes], list[Any]]) -> list[Any]:
    """``parse(source_file's bytes)``, from the parsed copy when it is of these very bytes.

    ``parse``'s SourceError propagates (and no copy is written for a file that does not parse).
    """
    payload = source_file.read_bytes()
    digest = hashlib.sha256(payload).hexdigest()
    found = _read(copy_path(source_file), digest)
    if found is not None:
        return found
    parsed = parse(payload)
    _write(copy_path(source_file), digest, parsed)
    return parsed


def keep(source_file: Path, payload: bytes, parsed: list[Any]) -> None:
    """Leave the rows ``parse(payload)`` gave beside ``source_file`` (fetch, which has just parsed it)."""
    _write(copy_path(source_file), hashlib.sha256(payload).hexdigest(), parsed)


def _read(path: Path, digest: str) -> list[Any] | None:
    try:
        with path.open("rb") as handle:
            stored = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception as exc:
        logger.info("sources: %s unreadable (%s); parsing the file again", path, type(exc).__name__)
        return None
    if not (isinstance(stored, tuple) and len(stored) == 3 and stored[:2] == (FORMAT, digest)):
        logger.info("sources: %s is not of the current file; parsing it again", path)
        return None
    found = stored[2]
    return found if isinstance(found, list) else None


def _write(path: Path, digest: str, parsed: list[Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # two steps at once never share one
        with tmp.open("wb") as handle:
            pickle.dump((FORMAT, digest, parsed), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError as exc:  # a read-only or full disk costs the next step a parse, nothing more
        logger.warning("sources: cannot keep the parsed copy %s (%s)", path, exc)
