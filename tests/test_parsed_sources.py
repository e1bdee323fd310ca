"""Issue 23, item 6: each mapping source is parsed once a night; discover and enrich read the copy back."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.sources import catalog, parsed
from tests.test_discover import BEET, write_sources


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The source files parsed from their bytes, by name, in order."""
    seen: list[str] = []

    def counted(source: catalog.Source) -> catalog.Source:
        def parse(payload: bytes) -> list[Any]:
            seen.append(source.file)
            return source.parse(payload)

        return dataclasses.replace(source, parse=parse)

    monkeypatch.setattr(catalog, "SOURCES", tuple(counted(source) for source in catalog.SOURCES))
    return seen


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    write_sources(tmp_path, {BEET})
    return tmp_path / ".cache" / "sources"


def test_discover_and_enrich_parse_each_source_once_a_night(sources: Path, parses: list[str]) -> None:
    """The first load parses the three files; the next step reads the parsed copies back, the same rows."""
    first, warnings = catalog.load_joined(sources)
    assert warnings == [] and first

    second, _ = catalog.load_joined(sources)

    assert second == first
    assert parses == [source.file for source in catalog.SOURCES]  # once each, not again


def test_a_changed_source_file_is_parsed_again(sources: Path, parses: list[str]) -> None:
    """The copy is keyed by the file's content hash: new bytes, a new parse."""
    catalog.load_joined(sources)
    yaml = sources / "tvdb-mal.yaml"
    yaml.write_text(yaml.read_text() + "\n")

    catalog.load_joined(sources)

    assert parses[3:] == ["tvdb-mal.yaml"]


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x05garbage"])
def test_a_corrupt_parsed_copy_is_never_trusted(sources: Path, parses: list[str], damage: bytes) -> None:
    """A truncated or corrupt copy is parsed again from the file, with the same result."""
    first, _ = catalog.load_joined(sources)
    parsed.copy_path(sources / "anime_ids.json").write_bytes(damage)

    again, warnings = catalog.load_joined(sources)

    assert (again, warnings) == (first, [])
    assert parses[3:] == ["anime_ids.json"]


def test_a_copy_of_other_bytes_is_not_used(sources: Path, parses: list[str]) -> None:
    """A copy written for another file's bytes (restored from an older cache) is stale: parsed again."""
    catalog.load_joined(sources)
    xml = sources / "anime-list-master.xml"
    stale = parsed.copy_path(xml).read_bytes()
    xml.write_bytes(xml.read_bytes().replace(b"</anime-list>", b"\n</anime-list>"))
    catalog.load_joined(sources)
    parsed.copy_path(xml).write_bytes(stale)

    catalog.load_joined(sources)

    assert parses[3:] == ["anime-list-master.xml", "anime-list-master.xml"]


def test_a_copy_made_by_other_code_is_parsed_again(
    sources: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A parser fixed since the copy was made (the copy restored from an older night's cache): parsed again."""
    catalog.load_joined(sources)
    monkeypatch.setattr(parsed, "fingerprint", lambda: "other code")

    catalog.load_joined(sources)

    assert parses[3:] == [source.file for source in catalog.SOURCES]


def test_the_upstream_lists_are_checked_once_and_a_users_file_gets_no_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fetch's copy under .cache/upstream is read back by the next steps; a file given with --tv is checked
    as it is, and nothing is written beside it."""
    from pipeline.sources import upstream
    from tests.conftest import tv_entry

    checks: list[str] = []
    real_check = upstream.check
    monkeypatch.setattr(upstream, "check", lambda *a, **k: checks.append(k["where"]) or real_check(*a, **k))
    fetched = tmp_path / ".cache" / "upstream" / "tv.json"
    fetched.parent.mkdir(parents=True)
    fetched.write_text(json.dumps([tv_entry(1, 10), tv_entry(2, 11)]))
    users = tmp_path / "mine" / "tv.json"
    users.parent.mkdir()
    users.write_bytes(fetched.read_bytes())

    first = upstream.load(fetched, "shows", fetched=True)
    again = upstream.load(fetched, "shows", fetched=True)
    upstream.load(users, "shows")

    assert again == first and len(first.entries) == 2
    assert checks == [str(fetched), str(users)]
    assert sorted(p.name for p in users.parent.iterdir()) == ["tv.json"]
