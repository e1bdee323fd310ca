"""The ``latest`` GitHub Release and its assets, through the ``gh`` CLI (shared by publish and status).

Consumers download ``releases/download/latest/<file>`` and send a ``HEAD`` for the ETag first, so the
release is never deleted: it is created when missing, and an asset is replaced only when its bytes
differ from ``output/``, compared through the SHA-256 digest GitHub keeps for every asset.

Not with ``gh release upload --clobber``: it deletes the old asset and then uploads (``uploadWithDelete``
in cli/cli ``pkg/cmd/release/shared/upload.go``), so the file answers 404 for the whole upload, and
for good when the upload fails. Instead the new bytes go up as ``<name>.next``; then, through the REST
API (``PATCH /repos/{repo}/releases/assets/{id}``), the old asset is renamed ``<name>.prev``, the new
one ``<name>``, and the old one deleted. The name is missing only between the two renames (one API
call), and a failed upload leaves the published asset as it was. Leftovers of a run stopped half-way
are put back (``.prev`` when its name is missing) or removed before the next swap.

Standard library only, so the status step still runs on a runner whose set-up failed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
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
COMMITTED_NOTES = (
    "The data as committed on main (output/): the release was created by a run that failed before "
    "publishing, so it starts with the committed files; the next successful run brings its report."
)
NEXT = ".next"  # a new asset's name until it is swapped in
PREVIOUS = ".prev"  # the old asset's name between the two renames
IMMUTABLE = (
    "the {tag!r} release of {repo} is immutable: GitHub refuses to add, replace or rename its assets (HTTP 422). "
    "Turn off release immutability (repository Settings > General > Releases, or the organisation's policy), "
    "then delete the {tag!r} release so the next run creates a mutable one; see docs/github.md"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Asset:
    name: str
    size: int
    digest: str | None  # "sha256:<hex>"; None for assets uploaded before GitHub computed digests
    id: int = 0  # the REST API's asset id, for renames and deletes


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
        found = {
            item["name"]: Asset(
                name=item["name"], size=int(item.get("size", 0)), digest=item.get("digest"), id=int(item.get("id", 0))
            )
            for item in release.get("assets", [])
        }
        immutable = release.get("immutable") is True
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise PipelineError(f"release: unexpected answer for the {TAG!r} release of {gh.repo} ({exc})") from None
    if immutable:
        raise PipelineError("release: " + IMMUTABLE.format(tag=TAG, repo=gh.repo))
    return found


def create(gh: Gh, *, target: str, notes: str) -> None:
    """Create the release (and its tag, at ``target``): only when it does not exist, never re-created."""
    gh.run("release", "create", TAG, "--repo", gh.repo, "--title", TITLE, "--target", target, "--notes-file", "-",
           stdin=notes)  # fmt: skip
    logger.info("release: created the %r release of %s", TAG, gh.repo)


def _failed(gh: Gh, what: str, result: Any) -> PipelineError:
    reason = last_line(result)
    if "immutable" in reason.lower():
        return PipelineError(f"release: {what} failed: " + IMMUTABLE.format(tag=TAG, repo=gh.repo))
    return PipelineError(
        f"release: {what} failed ({reason}); the published assets are unchanged and "
        "the next run uploads every asset that differs from output/"
    )


def rename(gh: Gh, asset: Asset, name: str) -> None:
    result = gh.run("api", "--method", "PATCH", f"repos/{gh.repo}/releases/assets/{asset.id}", "-f", f"name={name}",
                    check=False)  # fmt: skip
    if result.returncode != 0:
        raise _failed(gh, f"renaming the asset {asset.name} to {name}", result)


def delete(gh: Gh, asset: Asset) -> None:
    result = gh.run("api", "--method", "DELETE", f"repos/{gh.repo}/releases/assets/{asset.id}", check=False)
    if result.returncode != 0:
        raise _failed(gh, f"deleting the asset {asset.name}", result)


def tidy(gh: Gh, current: Mapping[str, Asset]) -> dict[str, Asset]:
    """Put back or remove what a stopped swap left (``X.prev`` without ``X``: renamed back); the assets after."""
    if not any(name.endswith((NEXT, PREVIOUS)) for name in current):
        return dict(current)
    for name, asset in current.items():
        if name.endswith(PREVIOUS) and name.removesuffix(PREVIOUS) not in current:
            rename(gh, asset, name.removesuffix(PREVIOUS))
            logger.warning("release: put back %s, left aside by a run that stopped half-way", name)
        elif name.endswith((NEXT, PREVIOUS)):
            delete(gh, asset)
            logger.info("release: removed %s, left by a run that stopped half-way", name)
    return dict(assets(gh) or {})


def upload(gh: Gh, files: Sequence[Path], current: Mapping[str, Asset]) -> None:
    """Replace (or add) assets: upload as ``<name>.next``, then swap it in with two renames (see above)."""
    names = ", ".join(path.name for path in files)
    with tempfile.TemporaryDirectory(prefix="release-") as staging:
        staged = [Path(staging) / (path.name + NEXT) for path in files]
        for path, copy in zip(files, staged, strict=True):
            shutil.copyfile(path, copy)
        result = gh.run("release", "upload", TAG, *map(str, staged), "--repo", gh.repo, check=False)
    if result.returncode != 0:
        raise _failed(gh, f"uploading {names} to the {TAG!r} release", result)
    uploaded = assets(gh) or {}
    for path in files:  # in the order given: meta.json last
        new = uploaded.get(path.name + NEXT)
        if new is None:
            raise PipelineError(f"release: {path.name + NEXT} is not in the {TAG!r} release after its upload")
        old = current.get(path.name)
        if old is None:
            rename(gh, new, path.name)
            continue
        rename(gh, old, path.name + PREVIOUS)
        try:
            rename(gh, new, path.name)  # the only moment the name is missing: between these two calls
        except PipelineError:
            rename(gh, old, path.name)
            raise
        delete(gh, old)


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
    current = tidy(gh, current)
    stale = differing(output_dir, current)
    if not stale:
        logger.info("release: the %s assets already equal %s/", TAG, output_dir.name)
        return []
    upload(gh, [output_dir / name for name in stale], current)
    set_notes(gh, notes)
    logger.info("release: uploaded %s to the %r release", ", ".join(stale), TAG)
    return stale


def put_status(gh: Gh, status_file: Path, *, target: str, committed: Path | None = None) -> None:
    """Upload ``status.json`` (every run); creates the release when a first run fails before any data.

    ``committed``: a folder with the data files as committed on ``target`` (None: there are none).
    A release created here gets them too, so its data URLs never answer 404 while ``main`` has data.
    """
    if status_file.name != STATUS_ASSET:
        raise PipelineError(f"release: the status asset must be named {STATUS_ASSET}, not {status_file.name}")
    current = assets(gh)
    if current is None:
        create(gh, target=target, notes=NO_DATA_NOTES if committed is None else COMMITTED_NOTES)
        if committed is not None:
            upload(gh, [committed / name for name in DATA_ASSETS], {})
            logger.info("release: created with the data committed on %s", target)
        current = assets(gh) or {}
    upload(gh, [status_file], tidy(gh, current))
