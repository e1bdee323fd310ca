"""The one atomic writer: a published file is always whole, the old bytes or the new, never a mix."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.published import jsonio

OLD = [{"mal_id": 1, "title": "Old"}]
NEW = [{"mal_id": 1, "title": "New"}, {"mal_id": 2, "title": "Added"}]


def published(folder: Path) -> Path:
    path = folder / "output" / "tv_ex.json"
    jsonio.write_json(path, OLD)
    return path


def test_rename_that_fails_leaves_the_published_file_whole_and_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the swap into place fails, the file keeps its old bytes; only the hidden copy holds the new ones."""
    path = published(tmp_path)
    old_bytes = path.read_bytes()

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(jsonio.os, "replace", refuse)
    with pytest.raises(OSError, match="No space left"):
        jsonio.write_json(path, NEW)

    assert path.read_bytes() == old_bytes
    leftovers = sorted(p.name for p in path.parent.iterdir() if p != path)
    assert leftovers == [".tv_ex.json.tmp"]  # hidden and ignored by git (output/.*.tmp), never published
    assert (path.parent / ".tv_ex.json.tmp").read_bytes() == jsonio.dumps(NEW).encode()


@pytest.mark.parametrize("first_write", [False, True], ids=["replacing", "first-write"])
def test_new_bytes_are_complete_on_disk_before_the_swap_and_the_file_is_untouched_until_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_write: bool
) -> None:
    """At the swap, the new bytes are whole in a sibling file and the published one is as it was."""
    path = tmp_path / "output" / "tv_ex.json" if first_write else published(tmp_path)
    before = None if first_write else path.read_bytes()
    real_replace = os.replace
    seen: list[tuple[Path, Path, bytes | None, bytes]] = []

    def observe(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        source, target = Path(src), Path(dst)
        seen.append((source, target, target.read_bytes() if target.exists() else None, source.read_bytes()))
        real_replace(src, dst)

    monkeypatch.setattr(jsonio.os, "replace", observe)
    assert jsonio.write_json(path, NEW) is True

    [(source, target, target_then, source_then)] = seen
    assert target == path
    assert source != path and source.parent == path.parent  # same directory, so the rename is atomic
    assert target_then == before
    assert source_then == jsonio.dumps(NEW).encode()
    assert path.read_bytes() == source_then
    assert sorted(p.name for p in path.parent.iterdir()) == ["tv_ex.json"]


def test_unchanged_data_is_not_written_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing the bytes a file already holds returns False and renames nothing."""
    path = published(tmp_path)
    renamed: list[object] = []
    monkeypatch.setattr(jsonio.os, "replace", lambda src, dst: renamed.append(dst))
    assert jsonio.write_json(path, OLD) is False
    assert renamed == []


@pytest.mark.parametrize(
    "data",
    [
        [],
        {},
        [{"a": [], "b": {}, "c": None, "d": True, "e": False}],
        {"nested": [[1, [2, [3, {}]]], {"x": {"y": [None]}}]},
        ["Märchen Mädchen", "\u3042\u3044", 'quote " and \\ backslash', "tab\tnew\nline", "\x00\x1f\u2028", "😀"],
        [0, -1, 10**30, 1.5, -0.0, 1e-7, 1e22, 0.1 + 0.2, 2.0],
        {"key with ü": 1, "": 2},
        [(1, 2), {1: "int key"}, float("nan"), float("inf")],  # left to json.dumps
    ],
)
def test_dumps_gives_the_bytes_of_json_dumps(data: object) -> None:
    """Issue 23, item 6: the faster writer is byte for byte the published formatting of ``json.dumps``."""
    import json

    assert jsonio.dumps(data) == json.dumps(data, ensure_ascii=False, indent=2) + "\n"
