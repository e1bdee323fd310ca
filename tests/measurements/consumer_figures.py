"""What the predecessor's consumers get from published files (issues 8 and 17); run by hand, prints figures:

    uv run python tests/measurements/consumer_figures.py --fixtures ../shared/fixtures --before main
    uv run python tests/measurements/consumer_figures.py --output-dir DIR
        # only files already published (e.g. the predecessor's)

For each consumer of tests/standins/consumers.py (animeApi, AIOStreams' three parsers, aiometadata, Usenet-Ultimate)
and each output file: the entries it accepts and the ids it reads, of the ids it looks for that the
entries carry, on

- the predecessor's last published files (``--fixtures``/predecessor/, when that folder exists);
- the committed ``output/`` of ``--before`` (a git ref, read with ``git show``) and of this checkout;
- the output of the whole chain (``python -m pipeline --no-progress``) of ``--before`` (extracted with
  ``git archive`` into a temporary directory) and of this checkout, each run in a temporary directory
  against a local fake Trakt that answers every id of the real upstream lists
  (pipeline/demo/data/upstream) and whose Wikidata stand-in knows the real Letterboxd slugs of
  pipeline/demo/data/wikidata-letterboxd.json, as docs/running.md's "Running against a local fake Trakt" does;

then the Letterboxd coverage of the movies (full ids, slug only, null) of each. No targets: the figures
are for the report.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pipeline.demo.fake_trakt import SPARQL_PATH, UPSTREAM_MOVIES, UPSTREAM_TV, FakeTrakt  # noqa: E402
from pipeline.published.models import OUTPUT_FILE  # noqa: E402
from tests.conftest import API_KEY, real_lists  # noqa: E402
from tests.standins.consumers import ALL, Reading, read_file  # noqa: E402

FIXTURES = ROOT.parent / "shared" / "fixtures"  # the shared snapshots, beside the checkout
Files = dict[str, list[dict[str, Any]]]  # output file name -> entries


def run_chain(checkout: Path, workdir: Path) -> Files:
    """The checkout's whole chain in ``workdir`` against a fake Trakt; returns its output files."""
    if (checkout / "overrides").is_dir():
        shutil.copytree(checkout / "overrides", workdir / "overrides")
    tv, movies = real_lists()
    with FakeTrakt.from_sample(expected_key=API_KEY).synthesize(tv, movies) as fake:
        fake.serve_letterboxd()
        fake.static["/db/tv.json"] = (200, UPSTREAM_TV.read_bytes(), "application/json")
        fake.static["/db/movies.json"] = (200, UPSTREAM_MOVIES.read_bytes(), "application/json")
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("TRAKT_", "ANITRAKT_", "GITHUB_"))}
        env = {
            **keep,
            "PYTHONPATH": str(checkout),
            "TRAKT_API_URL": fake.url,
            "ANITRAKT_TV_URL": f"{fake.url}/db/tv.json",
            "ANITRAKT_MOVIES_URL": f"{fake.url}/db/movies.json",
            "WIKIDATA_SPARQL_URL": f"{fake.url}{SPARQL_PATH}",
            "TRAKT_API_KEY": API_KEY,
            "TRAKT_RATE_LIMIT_PERIOD": "1",  # the fake has no rate limit
        }
        command = [sys.executable, "-m", "pipeline", "--no-progress"]
        done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the chain of {checkout} failed (exit {done.returncode}):\n{done.stderr}")
    return read_folder(workdir / "output")


def read_folder(folder: Path) -> Files:
    return {name: json.loads((folder / name).read_text(encoding="utf-8")) for name in OUTPUT_FILE.values()}


def read_ref(ref: str) -> Files:
    """The committed output files at ``ref``."""
    return {
        name: json.loads(subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:output/{name}"], check=True,
                                        capture_output=True, text=True).stdout)
        for name in OUTPUT_FILE.values()
    }  # fmt: skip


def extract(ref: str, folder: Path) -> Path:
    """The tree of ``ref`` written into ``folder`` (git archive: no worktree, nothing of this checkout touched)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def _share(part: int, whole: int) -> str:
    return f"{part:,}/{whole:,}"


def _cell(reading: Reading | None) -> str:
    if reading is None:
        return "-"
    return f"{_share(reading.accepted, reading.entries)}; ids {_share(reading.ids_kept, reading.ids_present)}"


def consumer_table(datasets: dict[str, Files]) -> list[str]:
    names = list(datasets)
    lines = [
        "entries accepted / entries; ids read / ids it looks for that the entries carry",
        "",
        "| consumer | file | " + " | ".join(names) + " |",
        "| --- | --- | " + " | ".join("---" for _ in names) + " |",
    ]
    for parser in ALL:
        for kind, name in OUTPUT_FILE.items():
            if kind not in parser.kinds:
                continue
            cells = [_cell(read_file(parser, files[name], kind)) for files in datasets.values()]
            lines.append(f"| {parser.name} | {name} | " + " | ".join(cells) + " |")
    return lines


def letterboxd_table(datasets: dict[str, Files]) -> list[str]:
    lines = ["", "| movies_ex.json | entries | slug, lid, uid | slug only | null | no key |"]
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, files in datasets.items():
        found = [entry.get("externals", {}) for entry in files["movies_ex.json"]]
        ids = [externals.get("letterboxd") for externals in found]
        full = sum(1 for value in ids if value and all(value.get(key) for key in ("slug", "lid", "uid")))
        slug = sum(1 for value in ids if value and value.get("slug") and not value.get("lid"))
        absent = sum(1 for externals in found if "letterboxd" not in externals)
        nulls = sum(1 for value in ids if value is None) - absent
        lines.append(f"| {label} | {len(ids):,} | {full:,} | {slug:,} | {nulls:,} | {absent:,} |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fixtures", type=Path, default=FIXTURES, help=f"the shared snapshots (default: {FIXTURES})")
    parser.add_argument("--before", metavar="REF", help="also the committed data and the chain of this git ref")
    parser.add_argument("--output-dir", type=Path, help="read only these published files")
    parser.add_argument("--no-chain", action="store_true", help="skip the chains (the committed data only)")
    args = parser.parse_args(argv)
    if args.output_dir is not None:
        print("\n".join(consumer_table({str(args.output_dir): read_folder(args.output_dir)})))
        return 0
    datasets: dict[str, Files] = {}
    predecessor = args.fixtures / "predecessor"
    if predecessor.is_dir():
        datasets["predecessor's files"] = read_folder(predecessor)
    else:
        print(f"{predecessor}: not found, so no figures for the predecessor's files (give --fixtures DIR)")
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    here = f"this checkout ({commit.stdout.strip()}, with its changes)"
    if args.before:
        datasets[f"committed, {args.before}"] = read_ref(args.before)
    datasets[f"committed, {here}"] = read_folder(ROOT / "output")
    if not args.no_chain:
        with tempfile.TemporaryDirectory(prefix="consumer-figures-") as temp:
            if args.before:
                old = extract(args.before, Path(temp) / "before")
                (Path(temp) / "run-before").mkdir()
                datasets[f"chain, {args.before}"] = run_chain(old, Path(temp) / "run-before")
            (Path(temp) / "run").mkdir()
            datasets[f"chain, {here}"] = run_chain(ROOT, Path(temp) / "run")
    print("\n".join(consumer_table(datasets) + letterboxd_table(datasets)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
