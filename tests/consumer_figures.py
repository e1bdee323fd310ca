"""What the predecessor's consumers get from published files (issue 8); run by hand, prints figures:

    uv run python tests/consumer_figures.py                      # this checkout's chain, full real lists
    uv run python tests/consumer_figures.py --checkout DIR       # another checkout's chain (e.g. an older commit)
    uv run python tests/consumer_figures.py --output-dir DIR     # files already published (e.g. the predecessor's)

Without ``--output-dir``, runs ``python -m pipeline --no-progress`` of the checkout (its code, this
environment's packages) in a temporary directory against a local fake Trakt that answers every id
of the real upstream lists (pipeline/demo_data/upstream), as the README's "Running against a local
fake Trakt" does. Then, for each output file: entries, and for AIOStreams' current and earlier
parsers (tests/consumers.py) the entries accepted and the external ids read, of those present;
and each file's size. No targets: the figures are for the report.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.fake_trakt import UPSTREAM_MOVIES, UPSTREAM_TV, FakeTrakt  # noqa: E402
from pipeline.models import OUTPUT_FILE  # noqa: E402
from tests.conftest import API_KEY, real_lists  # noqa: E402
from tests.consumers import PARSERS, Reading, read_file  # noqa: E402


def run_chain(checkout: Path, workdir: Path) -> Path:
    """The checkout's whole chain in ``workdir`` against a fake Trakt; returns its output directory."""
    shutil.copytree(checkout / "overrides", workdir / "overrides")
    tv, movies = real_lists()
    with FakeTrakt.from_sample(expected_key=API_KEY).synthesize(tv, movies) as fake:
        fake.static["/db/tv.json"] = (200, UPSTREAM_TV.read_bytes(), "application/json")
        fake.static["/db/movies.json"] = (200, UPSTREAM_MOVIES.read_bytes(), "application/json")
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("TRAKT_", "ANITRAKT_", "GITHUB_"))}
        env = {
            **keep,
            "PYTHONPATH": str(checkout),
            "TRAKT_API_URL": fake.url,
            "ANITRAKT_TV_URL": f"{fake.url}/db/tv.json",
            "ANITRAKT_MOVIES_URL": f"{fake.url}/db/movies.json",
            "WIKIDATA_SPARQL_URL": f"{fake.url}/sparql",
            "TRAKT_API_KEY": API_KEY,
            "TRAKT_RATE_LIMIT_PERIOD": "1",  # the fake has no rate limit
        }
        command = [sys.executable, "-m", "pipeline", "--no-progress"]
        done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the chain failed (exit {done.returncode}):\n{done.stderr}")
    return workdir / "output"


def _share(part: int, whole: int) -> str:
    return f"{part:,} / {whole:,}" + (f" ({part / whole:.1%})" if whole else "")


def _ids(reading: Reading, season: bool) -> tuple[int, int]:
    names = [name for name in reading.present | reading.kept if name.startswith("season.") == season]
    return sum(reading.kept[name] for name in names), sum(reading.present[name] for name in names)


def report(output_dir: Path) -> list[str]:
    lines = [f"published files: {output_dir}", ""]
    lines.append("| file | bytes | parser | entries accepted | entry ids read (tvdb, tmdb, imdb) | season ids read |")
    lines.append("| --- | ---: | --- | ---: | ---: | ---: |")
    for kind, name in OUTPUT_FILE.items():
        path = output_dir / name
        entries = json.loads(path.read_text(encoding="utf-8"))
        for parser in PARSERS:
            reading = read_file(parser, entries, kind)
            entry_ids, season_ids = _ids(reading, season=False), _ids(reading, season=True)
            lines.append(
                f"| {name} | {path.stat().st_size:,} | {parser.name} | {_share(reading.accepted, reading.entries)} "
                f"| {_share(*entry_ids)} | {_share(*season_ids) if kind == 'shows' else '-'} |"
            )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the repository whose chain runs (default: this)")
    parser.add_argument("--output-dir", type=Path, help="read these published files instead of running a chain")
    args = parser.parse_args(argv)
    if args.output_dir is not None:
        print("\n".join(report(args.output_dir)))
        return 0
    with tempfile.TemporaryDirectory(prefix="consumer-figures-") as temp:
        commit = subprocess.run(
            ["git", "-C", str(args.checkout), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        print(f"chain of {args.checkout.resolve()} at {commit or 'unknown commit'}, full real lists, fake Trakt")
        print("\n".join(report(run_chain(args.checkout.resolve(), Path(temp)))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
