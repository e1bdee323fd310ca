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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pipeline.errors import PipelineError
from pipeline.github.gh import Gh, last_line

logger = logging.getLogger(__name__)
T = TypeVar("T")

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
NEXT = ".next"  # marks a new asset's name until it is swapped in: tv_ex.next.json
PREVIOUS = ".prev"  # marks the old asset's name between the two renames: tv_ex.prev.json
IMMUTABLE = (
    "the {tag!r} release of {repo} is immutable: GitHub refuses to add, replace or rename its assets, and its "
    "tag can never be moved, deleted or reused, so do NOT delete the release (the {tag!r} URLs would answer "
    "404 for good). Turn off release immutability (repository Settings > General > Releases, or the "
    "organisation's policy) and follow docs/github.md, 'Immutable releases'"
)
IMMUTABLE_SETTING = (
    "release immutability is on for {repo}: a {tag!r} release published now could never be updated, and its "
    "tag never reused. Nothing was published. Turn the setting off (repository Settings > General > Releases, "
    "or the organisation's policy), then run the workflow again; see docs/github.md, 'Immutable releases'"
)
UPLOAD_ATTEMPTS = 3  # uploads of one batch of assets, a half-made one removed between them


@dataclass(frozen=True, slots=True, kw_only=True)
class Asset:
    name: str
    size: int
    digest: str | None  # "sha256:<hex>"; None for assets uploaded before GitHub computed digests
    id: int = 0  # the REST API's asset id, for renames and deletes
    state: str = "uploaded"  # "starter": an upload that broke off (not downloadable, its name taken)


def staged(name: str, mark: str) -> str:
    """``tv_ex.json`` marked ``.next`` is ``tv_ex.next.json``: ``.json`` stays last, so gh sends it as JSON.

    gh picks the Content-Type from the file name (``typeForFilename`` in cli/cli
    ``pkg/cmd/release/shared/upload.go``) and a rename keeps it: ``tv_ex.json.next`` would be served as
    ``application/octet-stream`` for good.
    """
    stem, dot, extension = name.rpartition(".")
    return f"{stem}{mark}{dot}{extension}" if stem else name + mark


def leftover(name: str) -> tuple[str, str] | None:
    """``(published name, mark)`` of a temporary name (also the older ``tv_ex.json.next`` form); else None."""
    for mark in (NEXT, PREVIOUS):
        if name.endswith(mark):
            return name.removesuffix(mark), mark
        stem, dot, extension = name.rpartition(".")
        if stem.endswith(mark):
            return f"{stem.removesuffix(mark)}{dot}{extension}", mark
    return None


def sha256_digest(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def _read(gh: Gh) -> tuple[dict[str, Asset], bool] | None:
    """The release's assets by name and its ``immutable`` flag; None when no ``latest`` release is visible."""
    shown = gh.run("api", f"repos/{gh.repo}/releases/tags/{TAG}", check=False)
    if shown.returncode != 0:
        if "HTTP 404" in shown.stderr or "Not Found" in shown.stderr:
            return None
        raise PipelineError(f"release: cannot read the {TAG!r} release of {gh.repo}: {last_line(shown)}")
    try:
        release: Any = json.loads(shown.stdout)
        found = {
            item["name"]: Asset(
                name=item["name"],
                size=int(item.get("size", 0)),
                digest=item.get("digest"),
                id=int(item.get("id", 0)),
                state=str(item.get("state") or "uploaded"),
            )
            for item in release.get("assets", [])
        }
        return found, release.get("immutable") is True
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise PipelineError(f"release: unexpected answer for the {TAG!r} release of {gh.repo} ({exc})") from None


def assets(gh: Gh) -> dict[str, Asset] | None:
    """The release's assets by name; None when there is no ``latest`` release (yet, or not visible yet)."""
    read = _read(gh)
    if read is None:
        return None
    found, immutable = read
    if immutable:
        raise PipelineError("release: " + IMMUTABLE.format(tag=TAG, repo=gh.repo))
    return found


def _patiently(gh: Gh, look: Callable[[], T | None]) -> T | None:
    """``look()`` until it finds something, waiting ``gh.waits`` between tries: what GitHub just created
    is not always visible at once (cli/cli#6599; gh's own lookup, ``shared/fetch.go``, does not retry)."""
    for wait in (*gh.waits, None):
        found = look()
        if found is not None or wait is None:
            return found
        gh.sleep(wait)
    return None


def _visible_release(gh: Gh, what: str) -> dict[str, Asset]:
    found = _patiently(gh, lambda: assets(gh))
    if found is None:
        raise PipelineError(
            f"release: the {TAG!r} release of {gh.repo} {what} but is still not found after {len(gh.waits) + 1} "
            "tries; the next run finds it and uploads every asset that differs from output/"
        )
    return found


def immutability_on(gh: Gh) -> bool | None:
    """Is release immutability on for the repository? None: this token cannot read the setting.

    ``GET /repos/{repo}/immutable-releases`` answers 200 ``{"enabled": ...}`` or 404 (off); it needs the
    Administration permission, which ``GITHUB_TOKEN`` never has (403).
    """
    shown = gh.run("api", f"repos/{gh.repo}/immutable-releases", check=False)
    if shown.returncode == 0:
        try:
            return json.loads(shown.stdout).get("enabled") is True
        except (ValueError, AttributeError):
            return None
    if "HTTP 404" in shown.stderr:
        return False
    logger.info("release: cannot read the immutability setting of %s (%s)", gh.repo, last_line(shown))
    return None


def create(gh: Gh, files: Sequence[Path], *, target: str, notes: str) -> tuple[dict[str, Asset], bool]:
    """Create the release with ``files`` as its assets; never a published release without them.

    The assets after, and whether it was created here (False: another step had created it, not yet
    visible to the lookup before; ``files`` are then not uploaded).

    ``gh release create TAG FILES`` creates a draft, uploads the files, then publishes it (and deletes the
    draft when an upload fails: cli/cli ``pkg/cmd/release/create/create.go``), so a release under
    immutability is never published empty. The setting is checked first where the token can read it.
    """
    if immutability_on(gh):
        raise PipelineError("release: " + IMMUTABLE_SETTING.format(tag=TAG, repo=gh.repo))
    result = gh.run("release", "create", TAG, *map(str, files), "--repo", gh.repo, "--title", TITLE,
                    "--target", target, "--notes-file", "-", stdin=notes, check=False)  # fmt: skip
    if result.returncode != 0 and "already exists" not in last_line(result):
        raise _failed(gh, f"creating the {TAG!r} release", result)
    if result.returncode != 0:  # created meanwhile by another step, and not yet visible to our lookup
        logger.info("release: the %r release exists already; waiting until it is visible", TAG)
        return _visible_release(gh, "exists"), False
    current = _visible_release(gh, "was created")  # raises when published immutable (the setting was unreadable)
    logger.info("release: created the %r release of %s with %s", TAG, gh.repo, ", ".join(p.name for p in files))
    return _wait_for(gh, {path.name for path in files}, current), True


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
    """Put back or remove what a stopped swap left (``X.prev.json`` without ``X``: renamed back); the assets after."""
    after = dict(current)
    for name, asset in current.items():
        found = leftover(name)
        if found is None:
            continue
        published, mark = found
        del after[name]
        if mark == PREVIOUS and published not in current:
            rename(gh, asset, published)
            after[published] = Asset(name=published, size=asset.size, digest=asset.digest, id=asset.id)
            logger.warning("release: put back %s, left aside by a run that stopped half-way", name)
        else:
            delete(gh, asset)
            logger.info("release: removed %s, left by a run that stopped half-way", name)
    return after


def _wait_for(gh: Gh, names: set[str], current: Mapping[str, Asset]) -> dict[str, Asset]:
    """The assets once every one of ``names`` is listed, uploaded (the list trails an upload)."""

    def complete(found: Mapping[str, Asset] | None) -> dict[str, Asset] | None:
        if found is None or any(found.get(n) is None or found[n].state != "uploaded" for n in names):
            return None
        return dict(found)

    listed = complete(current) or _patiently(gh, lambda: complete(assets(gh)))
    if listed is None:
        missing = ", ".join(sorted(names))
        raise PipelineError(
            f"release: {missing} not listed in the {TAG!r} release after {len(gh.waits) + 1} tries; the published "
            "assets are unchanged and the next run uploads every asset that differs from output/"
        )
    return listed


def _upload_staged(gh: Gh, staged_files: Sequence[Path], names: str) -> dict[str, Asset]:
    """``gh release upload`` of the ``.next`` copies; a failed try's half-made copies removed before the next.

    An upload answered 5xx can leave the asset in state ``starter``, and its name is then refused (422
    ``already_exists``: REST "Upload a release asset"); gh retries under the same name and meets that 422.
    A release just created can answer "release not found" a moment longer (cli/cli#6599).
    """
    wanted = {path.name for path in staged_files}
    for attempt in range(1, UPLOAD_ATTEMPTS + 1):
        result = gh.run("release", "upload", TAG, *map(str, staged_files), "--repo", gh.repo, check=False)
        if result.returncode == 0:
            return _wait_for(gh, wanted, {})
        if attempt == UPLOAD_ATTEMPTS or "immutable" in last_line(result).lower():
            raise _failed(gh, f"uploading {names} to the {TAG!r} release", result)
        logger.warning("release: uploading %s failed (%s); trying again", names, last_line(result))
        gh.sleep(gh.waits[min(attempt, len(gh.waits)) - 1] if gh.waits else 0)
        for asset in (assets(gh) or {}).values():
            if asset.name in wanted:
                delete(gh, asset)
                logger.info("release: removed %s, half-made by the failed upload", asset.name)
    raise AssertionError("unreachable")


def upload(gh: Gh, files: Sequence[Path], current: Mapping[str, Asset]) -> None:
    """Replace (or add) assets: upload as ``<name>.next``, then swap it in with two renames (see above)."""
    names = ", ".join(path.name for path in files)
    with tempfile.TemporaryDirectory(prefix="release-") as staging:
        copies = [Path(staging) / staged(path.name, NEXT) for path in files]
        for path, copy in zip(files, copies, strict=True):
            shutil.copyfile(path, copy)
        uploaded = _upload_staged(gh, copies, names)
    for path in files:  # in the order given: meta.json last
        new = uploaded[staged(path.name, NEXT)]
        old = current.get(path.name)
        if old is None:
            rename(gh, new, path.name)
            continue
        rename(gh, old, staged(path.name, PREVIOUS))
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
        files = [output_dir / name for name in DATA_ASSETS]
        differing(output_dir, {})  # every file is there, before anything is created
        current, created = create(gh, files, target=target, notes=notes)
        if created:
            logger.info("release: uploaded %s to the new %r release", ", ".join(DATA_ASSETS), TAG)
            return list(DATA_ASSETS)
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
    A release created here gets them too, in the same ``gh release create``, so its data URLs never
    answer 404 while ``main`` has data.
    """
    if status_file.name != STATUS_ASSET:
        raise PipelineError(f"release: the status asset must be named {STATUS_ASSET}, not {status_file.name}")
    current = assets(gh)
    if current is None:
        data = [] if committed is None else [committed / name for name in DATA_ASSETS]
        notes = NO_DATA_NOTES if committed is None else COMMITTED_NOTES
        current, created = create(gh, [*data, status_file], target=target, notes=notes)
        if created:
            logger.info("release: created with %s", "status.json" if committed is None else "the committed data")
            return
    upload(gh, [status_file], tidy(gh, current))
