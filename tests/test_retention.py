"""What keeps an entry published (pipeline.evidence.retention): every cell of the table in docs/sources.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.evidence import retention
from pipeline.published.models import ORIGINS

DOC = Path(__file__).resolve().parent.parent / "docs" / "sources.md"
# The table's columns after the first, as (what names the MAL id tonight, Trakt's answer).
COLUMNS = [
    ("override", "ok"),
    ("upstream", "ok"),
    ("discovered", "ok"),
    ("silence", "ok"),
    ("silence", "not_found"),
    ("silence", "failed"),
]
# Each published-before origin's row, as the table says it (the test below checks the doc says the same).
TABLE = {
    "override": ["override", "upstream", "discovered", "removed", "removed", "removed"],
    "upstream": ["override", "upstream", "discovered", "removed", "removed", "removed"],
    "corrected": ["override", "upstream", "discovered", "removed", "removed", "removed"],
    "discovered": ["override", "upstream", "discovered", "discovered", "removed", "kept as published"],
    "imported": ["override", "upstream", "discovered", "imported", "not found", "kept as published"],
}
CELLS = [
    (previous, named, answer, said)
    for previous, row in TABLE.items()
    for (named, answer), said in zip(COLUMNS, row, strict=True)
]


def expected(previous: str, said: str) -> tuple[str, str | None]:
    if said == "removed":
        return "removed", None
    if said == "not found":
        return "not-found", None
    if said == "kept as published":
        return "kept", previous
    return "published", said


@pytest.mark.parametrize(("previous", "named", "answer", "said"), CELLS)
def test_each_cell_of_the_retention_table(previous: str, named: str, answer: str, said: str) -> None:
    """The fate and origin of an entry published before, for what names it tonight and Trakt's answer."""
    assert retention.outcome(previous, named, answer) == expected(previous, said)  # type: ignore[arg-type]


def test_the_table_in_docs_is_the_one_tested() -> None:
    """docs/sources.md's table says, cell for cell, what the tests check; every origin has its row."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## What keeps an entry published") :]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == len(COLUMNS) + 1:
            rows[cells[0]] = cells[1:]
    assert rows == TABLE
    assert set(rows) == set(ORIGINS)


@pytest.mark.parametrize("origin", ["override", "upstream", "imported", "corrected"])
def test_a_404_for_a_mapping_named_tonight_is_a_not_found_entry(origin: str) -> None:
    """Trakt's 404 moves an upstream, override or imported mapping to the not-found file."""
    assert retention.on_trakt(origin, "not_found") == "not-found"  # type: ignore[arg-type]


def test_a_discovered_mapping_that_answers_404_is_removed_never_not_found() -> None:
    """A discovered mapping never goes to the not-found file."""
    assert retention.on_trakt("discovered", "not_found") == "removed"


@pytest.mark.parametrize("origin", ORIGINS)
def test_a_failed_call_keeps_every_entry_as_published(origin: str) -> None:
    """A Trakt failure never changes an entry, whatever its origin."""
    assert retention.on_trakt(origin, "failed") == "kept"


def test_silence_removes_only_what_its_own_source_took_back() -> None:
    """Nothing naming a MAL id removes an override's, upstream's or a correction's entry, and keeps the others."""
    kept = {origin for origin in ORIGINS if retention.mapping_origin(origin, "silence") is not None}
    assert kept == {"discovered", "imported"}
