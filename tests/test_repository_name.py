"""The repository's name is in one place (pipeline/config.yaml) and every link of the docs, forms and schemas agrees."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from pipeline import repository

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"<owner>/<repo>|OWNER/REPO|\{owner\}/\{repo\}")


def test_every_link_to_this_repository_names_the_configured_one() -> None:
    """README, docs/, .github/ and schemas/ link the data, releases and workflows of config.yaml's repository."""
    name = repository.configured()
    found = list(repository.links())
    assert len(found) > 20  # the files table, the badges, the schemas' $id ...
    assert any(path.suffix == ".yml" for path, _, _ in found)  # the issue form links the docs
    assert [f"{path.relative_to(ROOT)}:{line}: {other}" for path, line, other in found if other != name] == []


def test_no_placeholder_is_left_for_the_reader_to_fill_in() -> None:
    """No `<owner>/<repo>` or `OWNER/REPO` in what a newcomer reads: the name is known."""
    left = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in repository.files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if PLACEHOLDER.search(line.replace("/repos/{owner}/{repo}/actions", ""))  # GitHub's API route, as documented
    ]
    assert left == []


def test_rename_rewrites_the_name_everywhere(tmp_path: Path) -> None:
    """After a move, one command rewrites config.yaml and every link; the check then holds for the new name."""
    for part in ("README.md", "docs", "schemas", ".github", "pipeline"):
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / part)
    defaults = tmp_path / "pipeline" / "config.yaml"
    changed = repository.rename("my-org/anime-map", tmp_path, defaults)
    assert tmp_path / "README.md" in changed
    assert repository.configured(defaults) == "my-org/anime-map"
    assert {other for _, _, other in repository.links(tmp_path)} == {"my-org/anime-map"}
    assert "/extended-anitrakt/extended-anitrakt/" not in (tmp_path / "docs" / "moving.md").read_text(encoding="utf-8")
