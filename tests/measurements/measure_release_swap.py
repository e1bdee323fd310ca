"""How long a consumer could see a 404 while the nightly replaces release assets; run by hand:

    uv run python tests/measurements/measure_release_swap.py [--output output] [--rounds 5]

Against tests/standins/fake_gh.py (which deletes before it uploads, like cli/cli's ``uploadWithDelete``), with the
checkout's real output/ files, every asset changed: today's ``gh release upload --clobber`` against
pipeline/github/release.py's upload-as-``.next``-then-rename. For each replaced asset it prints how long its name
was missing on the fake, the bytes uploaded meanwhile (on GitHub the gap of ``--clobber`` lasts the whole
upload of those bytes; the swap's gap is one ``PATCH`` call), and what a failed upload leaves behind.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pipeline.errors import PipelineError  # noqa: E402
from pipeline.github import release  # noqa: E402
from pipeline.github.gh import Gh  # noqa: E402
from tests.standins.fake_gh import FakeGh  # noqa: E402

REPO = "owner/data"


def changed_copy(source: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    for name in release.DATA_ASSETS:
        (target / name).write_bytes((source / name).read_bytes() + b"\n")  # other bytes, other digest
    return target


def replace(strategy: str, output: Path, folder: Path, *, fail: bool) -> list[dict[str, Any]]:
    gh = FakeGh.install(folder / "gh")
    client = Gh(REPO, executable=gh.executable)
    release.sync_data(client, output, target="main", notes="first")
    newer = changed_copy(output, folder / "newer")
    if fail:
        gh.fail_upload_after_delete("HTTP 502: Bad Gateway")
        if strategy == "swap":  # the swap's own upload (never --clobber) fails before anything changed
            gh.fail_on("release upload", "HTTP 502: Bad Gateway")
    try:
        if strategy == "clobber":
            files = [str(newer / name) for name in release.DATA_ASSETS]
            client.run("release", "upload", release.TAG, *files, "--clobber", "--repo", REPO)
        else:
            release.sync_data(client, newer, target="main", notes="second")
    except PipelineError:
        pass  # the failure being measured
    return gh.gaps(release.DATA_ASSETS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "output", help="the files to publish")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sizes = {name: (args.output / name).stat().st_size for name in release.DATA_ASSETS}
    print(f"assets: {', '.join(f'{name} {size:,} B' for name, size in sizes.items())}")
    print(
        "| strategy | upload | names missing at some moment | gap on the fake (max, median) "
        "| bytes uploaded during a gap | lost for good |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for strategy in ("clobber", "swap"):
        for fail in (False, True):
            gaps: list[dict[str, Any]] = []
            for _ in range(args.rounds):
                with tempfile.TemporaryDirectory(prefix="swap-") as folder:
                    gaps += replace(strategy, args.output, Path(folder), fail=fail)
            lost = sorted({gap["name"] for gap in gaps if gap["seconds"] is None})
            timed = [gap["seconds"] for gap in gaps if gap["seconds"] is not None]
            uploaded = max((gap["uploaded"] or 0 for gap in gaps), default=0)
            names = len({gap["name"] for gap in gaps})
            longest = f"{max(timed) * 1000:.0f} ms (median {statistics.median(timed) * 1000:.0f} ms)" if timed else "-"
            print(
                f"| {strategy} | {'fails' if fail else 'succeeds'} | {names} of {len(sizes)} | {longest} "
                f"| {uploaded:,} | {', '.join(lost) or 'none'} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
