"""The repository's name, in one place (``repository:`` in ``pipeline/config.yaml``), and every file that links it.

The README, docs/, the issue form, the schemas' ``$id`` and the Letterboxd User-Agent name the repository
in their URLs. ``links`` finds every such name (in the URLs of the data, the release, the workflows and
the schemas), so a test holds them to the configured one; ``rename`` rewrites them all after a move:
``uv run python -m pipeline.repository NEW_OWNER/NEW_NAME`` (then commit the files it lists).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import yaml

from pipeline.config import DEFAULTS_FILE, REPO_ROOT

# URLs of this repository: the raw data, release assets, workflow badges and runs, issues, schema ids, docs,
# and the Letterboxd User-Agent ("...extended-anitrakt; nightly Letterboxd film ids").
OWN_URL = re.compile(
    r"(?:https://(?:raw\.githubusercontent\.com|github\.com)|\.\.\.)/(?P<name>[^/\s)`\"';]+/[^/\s)`\"';]+)"
    r"(?=/(?:main/output/|releases/download/latest/|actions/|issues|schemas/|blob/main/)|; nightly)"
)
NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")


def configured(defaults_file: Path = DEFAULTS_FILE) -> str:
    """``repository`` of ``pipeline/config.yaml``: ``owner/name``."""
    name = yaml.safe_load(defaults_file.read_text(encoding="utf-8"))["repository"]
    return str(name)


def files(root: Path = REPO_ROOT) -> list[Path]:
    """Every file that names the repository in a URL."""
    found = [root / "README.md", *sorted((root / "docs").glob("*.md")), *sorted((root / "schemas").glob("*.json"))]
    found += sorted((root / ".github").rglob("*.md")) + sorted((root / ".github" / "ISSUE_TEMPLATE").glob("*.yml"))
    return [*found, root / "pipeline" / "letterboxd.py"]


def links(root: Path = REPO_ROOT) -> Iterator[tuple[Path, int, str]]:
    """(file, line, owner/name) of every URL of this repository in ``files``."""
    for path in files(root):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in OWN_URL.finditer(line):
                yield path, number, match["name"]


def rename(new: str, root: Path = REPO_ROOT, defaults_file: Path = DEFAULTS_FILE) -> list[Path]:
    """Replace the configured name by ``new`` in config.yaml and every file that links it; returns the files changed."""
    old = configured(defaults_file)
    changed = []
    for path in [defaults_file, *files(root)]:
        text = path.read_text(encoding="utf-8")
        updated = text.replace(f"repository: {old}", f"repository: {new}") if path == defaults_file else text
        updated = re.sub(r"(\.com/|\.\.\./)" + re.escape(old) + r"(?=[/;])", rf"\g<1>{new}", updated)
        updated = updated.replace(f"`{old}`", f"`{new}`")
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.repository",
        description="Rename the repository (owner/name) in pipeline/config.yaml and every URL of README, docs/, "
        ".github/ and schemas/ that links it.",
    )
    parser.add_argument("name", help="the new owner/name, e.g. my-org/extended-anitrakt")
    args = parser.parse_args(argv)
    if not NAME.match(args.name):
        parser.error(f"{args.name!r} is not owner/name (GitHub's spelling, e.g. my-org/extended-anitrakt)")
    for path in rename(args.name):
        print(path.relative_to(REPO_ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
