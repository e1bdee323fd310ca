"""A parsed copy of each input file, keyed by the file's content hash: each is parsed once a night.

Parsing the three mapping sources takes about a second (most of it the YAML of shinkro), checking the
upstream lists against their schema a few tenths more; discover and enrich both need them. The first
step that parses a file (fetch, right after the download) leaves the result in
``<folder>/parsed/<file>.pickle`` with the SHA-256 of the bytes it parsed and a fingerprint of the code
and schemas that parsed them; a later step reads it back when both still match. A copy that is stale
(other bytes, other code), of another format or unreadable (truncated, corrupt) is ignored and the
file parsed again: the copy is never trusted over the file. Written through a temporary file renamed
into place, like every write.

The copies live under ``.cache/``, written only by this pipeline's own steps (``.cache/sources/`` is
restored from this repository's Actions cache); pickle is used because it reads back about ten times
faster than the files parse.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from pipeline.config import SCHEMAS_DIR

logger = logging.getLogger(__name__)

T = TypeVar("T")
FOLDER = "parsed"
FORMAT = 2  # the layout of a copy
PACKAGE = Path(__file__).resolve().parent.parent  # pipeline/


@cache
def fingerprint() -> str:
    """The package's code and the schemas: a copy made by other code (a parser, a record, wherever it lives) is
    parsed again."""
    digest = hashlib.sha256()
    for path in sorted([*PACKAGE.rglob("*.py"), *SCHEMAS_DIR.glob("*.json")]):
        digest.update(str(path.relative_to(PACKAGE.parent)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def copy_path(source_file: Path) -> Path:
    return source_file.parent / FOLDER / f"{source_file.name}.pickle"


def load(source_file: Path, parse: Callable[[bytes], T], kind: type[T], *, key: str = "") -> T:
    """``parse(source_file's bytes)``, from the parsed copy when it is of these very bytes (and ``key``).

    ``parse``'s errors propagate (and no copy is written for a file that does not parse).
    """
    payload = source_file.read_bytes()
    stamp = _stamp(payload, key)
    found = _read(copy_path(source_file), stamp)
    if isinstance(found, kind):
        return found
    parsed = parse(payload)
    _write(copy_path(source_file), stamp, parsed)
    return parsed


def rows(source_file: Path, parse: Callable[[bytes], list[Any]]) -> list[Any]:
    """A mapping source's records (``parse`` is its module's)."""
    return load(source_file, parse, list)


def keep(source_file: Path, payload: bytes, parsed: object, *, key: str = "") -> None:
    """Leave what ``parse(payload)`` gave beside ``source_file`` (fetch, which has just parsed it)."""
    _write(copy_path(source_file), _stamp(payload, key), parsed)


def _stamp(payload: bytes, key: str) -> tuple[Any, ...]:
    return (FORMAT, hashlib.sha256(payload).hexdigest(), key, fingerprint())


def _read(path: Path, stamp: tuple[Any, ...]) -> object:
    try:
        with path.open("rb") as handle:
            stored = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception as exc:  # any unreadable copy (truncated, corrupt, classes gone): parse again
        logger.info("parsed: %s unreadable (%s); parsing the file again", path, type(exc).__name__)
        return None
    if not (isinstance(stored, tuple) and len(stored) == 2 and stored[0] == stamp):
        logger.info("parsed: %s is not of the current file and code; parsing it again", path)
        return None
    return stored[1]


def _write(path: Path, stamp: tuple[Any, ...], parsed: object) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # two steps at once never share one
        with tmp.open("wb") as handle:
            pickle.dump((stamp, parsed), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError as exc:  # a read-only or full disk costs the next step a parse, nothing more
        logger.warning("parsed: cannot keep the parsed copy %s (%s)", path, exc)
