"""docs/moving.md says the move from the predecessor as it is: where each file was, where it is, how often.

The predecessor's layout and schedule at its last commit are in tests/fixtures/predecessor-tree.txt
(from ``git ls-tree`` and its workflow at rensetsu/db.trakt.extended-anitrakt@91a8adb).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from pipeline import repository
from pipeline.published.models import META_FILE, NOT_FOUND_FILE, OUTPUT_FILE

ROOT = Path(__file__).resolve().parent.parent
OLD = "https://raw.githubusercontent.com/rensetsu/db.trakt.extended-anitrakt/main/"


def section() -> str:
    return (ROOT / "docs" / "moving.md").read_text(encoding="utf-8")


def predecessor() -> tuple[list[str], str]:
    lines = (Path(__file__).parent / "fixtures" / "predecessor-tree.txt").read_text(encoding="utf-8").splitlines()
    paths = [line for line in lines if line and not line.startswith(("#", "-"))]
    (cron,) = [line for line in lines if line.startswith("- cron:")]
    return paths, cron


def rows() -> dict[str, list[str]]:
    """The move table: file -> its cells (old raw URL, ours, release asset)."""
    found = {}
    for line in section().splitlines():
        cells = [cell.strip().strip("`") for cell in line.strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 4:
            found[cells[0]] = cells[1:]
    return found


def test_every_published_file_has_its_old_and_new_url() -> None:
    """Each of the predecessor's files, not-found files included, has a row naming its real old path."""
    paths, _ = predecessor()
    table = rows()
    assert set(table) >= {*OUTPUT_FILE.values(), *NOT_FOUND_FILE.values(), "last_updated.txt", META_FILE}
    for path in paths:
        old = table[Path(path).name][0].replace("...", "https://raw.githubusercontent.com")
        assert old == OLD + path, path
    for name in (*OUTPUT_FILE.values(), *NOT_FOUND_FILE.values()):
        assert table[name][1].endswith(f"/{repository.configured()}/main/output/{name}")
        assert table[name][2].endswith(f"/{repository.configured()}/releases/download/latest/{name}")
    assert any("json/not_found/" in table[name][0] for name in NOT_FOUND_FILE.values())


def test_the_schedules_said_are_the_real_ones() -> None:
    """Weekly (the predecessor's cron) to nightly (ours, read from the workflow)."""
    _, cron = predecessor()
    assert cron == '- cron: "0 5 * * 5"'  # Fridays, 05:00 UTC
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "nightly.yml").read_text(encoding="utf-8"))
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads "on" as True
    (ours,) = [entry["cron"] for entry in triggers["schedule"]]
    minute, hour, *rest = ours.split()
    assert rest == ["*", "*", "*"]  # every day
    text = " ".join(section().split())
    assert "Fridays at 05:00 UTC" in text
    assert f"every day at {int(hour):02d}:{int(minute):02d} UTC" in text


def test_the_year_convention_and_letterboxd_ids_are_said() -> None:
    """The section says an unknown year is 0 at the top level and null inside trakt, and the ids are kept."""
    text = " ".join(section().split())
    assert re.search(r"unknown year .* is `0` in the top-level `release_year`", text)
    assert "inside `trakt` it is `null`" in text
    assert "`externals.letterboxd`" in text and "1,257" in text
    assert "`trakt_fetched`" in text
