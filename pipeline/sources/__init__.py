"""The mapping sources: one module per source, each parsing its file into typed, frozen records.

Each ``parse(payload)`` takes the downloaded bytes and returns the records, or raises
``SourceError`` naming the file and the configuration variable to check. Rows a source leaves
incomplete are kept with ``None`` fields (the rules decide what to do with them); only a file that is
not the source's format at all is an error.
"""

from __future__ import annotations

from pipeline.errors import PipelineError


class SourceError(PipelineError):
    """A mapping source file that cannot be used at all (not its format, empty, truncated)."""


def int_or_none(value: object) -> int | None:
    """A positive integer id from the file, or None when it is missing, empty, zero or not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value) or None
    return None


def split_ids(value: object) -> tuple[str, ...]:
    """A comma-separated id field ("tt1,tt2", "12,34") as a tuple of its non-empty parts."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (str(value),)
    if not isinstance(value, str):
        return ()
    return tuple(part.strip() for part in value.split(",") if part.strip())
