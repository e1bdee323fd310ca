"""The ``latest`` GitHub Release and its assets, through the ``gh`` CLI (shared by publish and status).

Consumers download ``releases/download/latest/<file>`` and send a ``HEAD`` for the ETag first, so the
release is never deleted: it is created when missing, and an asset is replaced in place
(``gh release upload --clobber``) only when its bytes differ from ``output/``, compared through the
SHA-256 digest GitHub keeps for every asset. Standard library only, so the status step still runs on
a runner whose set-up failed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import PipelineError
from pipeline.github.gh import Gh, last_line

logger = logging.getLogger(__name__)

TAG = "latest"
TITLE = "Latest data"
# The published files, in the order consumers know them; meta.json last.
DATA_ASSETS = ("tv_ex.json", "movies_ex.json", "not_exist_tv_ex.json", "not_exist_movies_ex.json", "meta.json")
STATUS_ASSET = "status.json"
NO_DATA_NOTES = "No data published yet: the nightly has not completed a run on main."


@dataclass(frozen=True, slots=True, kw_only=True)
class Asset:
    name: str
    size: int
    digest: str | None  # "sha256:<hex>"; None for assets uploaded before GitHub computed digests


def sha256_digest(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def assets(gh: Gh) -> dict[str, Asset] | None:
    """The release's assets by name; None when there is no ``latest`` release yet."""
    shown = gh.run("api", f"repos/{gh.repo}/releases/tags/{TAG}", check=False)
    if shown.returncode != 0:
        if "HTTP 404" in shown.stderr or "Not Found" in shown.stderr:
            return None
        raise PipelineError(f"release: cannot read the {TAG!r} release of {gh.repo}: {last_line(shown)}")
    try:
        release: Any = json.loads(shown.stdout)
        return {
            item["name"]: Asset(name=item["name"], size=int(item.get("size", 0)), digest=item.get("digest"))
            for item in release.get("assets", [])
        }
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise PipelineError(f"release: unexpected answer for the {TAG!r} release of {gh.repo} ({exc})") from None


def create(gh: Gh, *, target: str, notes: str) -> None:
    """Create the release (and its tag, at ``target``): only when it does not exist, never re-created."""
    gh.run("release", "create", TAG, "--repo", gh.repo, "--title", TITLE, "--target", target, "--notes-file", "-",
           stdin=notes)  # fmt: skip
    logger.info("release: created the %r release of %s", TAG, gh.repo)


def upload(gh: Gh, files: Sequence[Path]) -> None:
    """Replace (or add) assets in place; a failure says that the next run uploads them again."""
    result = gh.run("release", "upload", TAG, *map(str, files), "--clobber", "--repo", gh.repo, check=False)
    if result.returncode != 0:
        names = ", ".join(path.name for path in files)
        raise PipelineError(
            f"release: uploading {names} to the {TAG!r} release failed ({last_line(result)}); "
            "the next run uploads every asset that differs from output/"
        )


def set_notes(gh: Gh, notes: str) -> None:
    gh.run("release", "edit", TAG, "--repo", gh.repo, "--notes-file", "-", stdin=notes)


def differing(output_dir: Path, current: Mapping[str, Asset]) -> list[str]:
    """The data assets whose release copy is missing or not byte-identical to ``output_dir``."""
    found = []
    for name in DATA_ASSETS:
        path = output_dir / name
        if not path.is_file():
            raise PipelineError(f"release: {path} is missing; nothing uploaded (run enrich first)")
        asset = current.get(name)
        if asset is None or asset.size != path.stat().st_size or asset.digest != sha256_digest(path):
            found.append(name)
    return found


def sync_data(gh: Gh, output_dir: Path, *, target: str, notes: str) -> list[str]:
    """Make the release's data assets equal to ``output_dir``; the names uploaded (empty: already equal).

    The notes become ``notes`` (the run's report) whenever an asset was uploaded.
    """
    current = assets(gh)
    if current is None:
        create(gh, target=target, notes=notes)
        current = {}
    stale = differing(output_dir, current)
    if not stale:
        logger.info("release: the %s assets already equal %s/", TAG, output_dir.name)
        return []
    upload(gh, [output_dir / name for name in stale])
    set_notes(gh, notes)
    logger.info("release: uploaded %s to the %r release", ", ".join(stale), TAG)
    return stale


def put_status(gh: Gh, status_file: Path, *, target: str) -> None:
    """Upload ``status.json`` (every run); creates the release when a first run fails before any data."""
    if status_file.name != STATUS_ASSET:
        raise PipelineError(f"release: the status asset must be named {STATUS_ASSET}, not {status_file.name}")
    if assets(gh) is None:
        create(gh, target=target, notes=NO_DATA_NOTES)
    upload(gh, [status_file])
