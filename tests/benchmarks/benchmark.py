"""Benchmark of enrich against a local fake Trakt with a scaled rate limit (issue 5); run by hand:

    uv run python tests/benchmarks/benchmark.py [--limit 1000] [--period 5] [--latency 0.003] [--nights 60]

1. cold run of the full real upstream lists (pipeline/demo/data/upstream), as a separate process, against
   a fake that answers every id and answers 429 past ``--limit`` calls in any ``--period`` seconds;
   the client is configured for the same limit. Requests, 429s, wall time against the bound
   ``(requests - limit) / (limit / period)``, and the peak RSS;
2. warm run: requests and wall time of ``enrich`` then ``validate``, each as a separate process;
3. ``--nights`` simulated nights after a cold start, on a fake clock (the real requests-cache and
   client, see tests/standins/fake_clock.py), with a few ids leaving the lists every night: requests per night,
   the oldest answer ever served, and the cache's row count;
4. lookups in parallel: a forced enrich of 40 shows and 40 movies against a fake answering in
   ``--parallel-latency``, one lookup at a time, then four (the tests check that four are under way
   at once, by counting, never by timing).

Prints one table and whether each target is met; exits 1 when one is not.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from pipeline.demo.fake_trakt import SPARQL_PATH, FakeTrakt, most_in_window  # noqa: E402
from pipeline.enrich import Options, enrich  # noqa: E402
from pipeline.sources import upstream  # noqa: E402
from pipeline.trakt.client import cache_key  # noqa: E402
from tests.conftest import (  # noqa: E402
    API_KEY,
    copy_real_upstream,
    make_config,
    movie,
    movie_entry,
    real_lists,
    seasons,
    show,
    tv_entry,
    write_upstream,
)
from tests.standins.fake_clock import FakeClock  # noqa: E402

WARM_TARGET_SECONDS = 3.0
RSS_TARGET_MB = 200.0
RATIO_TARGET = 1.10
PARALLEL_TARGET = 0.6  # four lookups in flight take under this share of the time of one at a time
NIGHT_SHARE_TARGET = 1 / 20
MAX_THROTTLED = 5  # "near zero"
CLEARED_VARIABLES = ("TRAKT_", "ANITRAKT_", "GITHUB_STEP_SUMMARY")


@dataclass(slots=True)
class Table:
    """Rows of (figure, value, target, met); printed at the end."""

    rows: list[tuple[str, str, str, bool | None]] = field(default_factory=list)

    def add(self, figure: str, value: str, target: str = "", met: bool | None = None) -> None:
        self.rows.append((figure, value, target, met))
        mark = "" if met is None else ("  ok" if met else "  NOT MET")
        print(f"  {figure}: {value}{mark}", file=sys.stderr, flush=True)

    def print(self) -> None:
        widths = [max(len(row[i]) for row in [*self.rows, ("figure", "value", "target", None)]) for i in range(3)]
        header = f"{'figure':<{widths[0]}}  {'value':>{widths[1]}}  {'target':<{widths[2]}}  met"
        print(header)
        print("-" * len(header))
        for figure, value, target, met in self.rows:
            mark = "" if met is None else ("yes" if met else "NO")
            print(f"{figure:<{widths[0]}}  {value:>{widths[1]}}  {target:<{widths[2]}}  {mark}")

    def finish(self) -> int:
        """Print the table and the verdict; the exit status: 1 when a target was not met."""
        self.print()
        unmet = [figure for figure, *_, met in self.rows if met is False]
        print(f"\nall targets met: {'yes' if not unmet else 'NO: ' + '; '.join(unmet)}")
        return 1 if unmet else 0


# -- a working directory and the URLs it needs -------------------------------------------------------


def make_workdir(path: Path) -> Path:
    """Empty overrides and the real upstream lists, where fetch would have stored them."""
    (path / "overrides").mkdir(parents=True)
    for name in ("override_tv.json", "override_movies.json"):
        (path / "overrides" / name).write_text("[]\n")
    copy_real_upstream(path)
    return path


def needed_paths(workdir: Path, fake: FakeTrakt) -> set[str]:
    """Every API path a run must ask: each distinct show, its seasons unless it is a 404, each movie."""
    tv = upstream.load(workdir / ".cache" / "upstream" / "tv.json", "shows")
    movies = upstream.load(workdir / ".cache" / "upstream" / "movies.json", "movies")
    shows = {entry["trakt_id"] for _, entry in tv.entries}
    found = {i for i in shows if i in fake.shows and i not in fake.not_found_shows}
    return (
        {f"/shows/{i}" for i in shows}
        | {f"/shows/{i}/seasons" for i in found}
        | {f"/movies/{entry['trakt_id']}" for _, entry in movies.entries}
    )


# -- steps as separate processes -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Process:
    started: float  # time.monotonic(), the fake's clock for arrivals
    ended: float
    max_rss_mb: float
    summary: dict[str, Any]

    @property
    def seconds(self) -> float:
        return self.ended - self.started


def step_environment(fake: FakeTrakt, **variables: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(CLEARED_VARIABLES)}
    # Wikidata is the fake's too: left unset, enrich would try the real endpoint and wait out its retries.
    env.update(
        TRAKT_API_URL=fake.url,
        TRAKT_API_KEY=API_KEY,
        WIKIDATA_SPARQL_URL=fake.url + SPARQL_PATH,
        PYTHONPATH=str(ROOT),
        **variables,
    )
    # As on a runner: Python keeps the compiled modules (__pycache__) from one step to the next. A machine
    # with PYTHONDONTWRITEBYTECODE set would recompile every module in every step (~0.2 s a process).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_step(workdir: Path, env: dict[str, str], *args: str) -> Process:
    """Run ``python -m <args>`` in ``workdir``; its wall time, peak RSS (os.wait4) and run summary."""
    started = time.monotonic()
    child = subprocess.Popen([sys.executable, "-m", *args], cwd=workdir, env=env, stderr=subprocess.PIPE)
    assert child.stderr is not None
    errors = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    ended = time.monotonic()
    child.returncode = os.waitstatus_to_exitcode(status)
    child.stderr.close()
    if child.returncode != 0:
        sys.exit(f"benchmark: `python -m {' '.join(args)}` exited {child.returncode}:\n{errors.decode()}")
    summary_path = workdir / ".cache" / "run-summary.json"
    summary = json.loads(summary_path.read_text()) if args[0] == "pipeline.enrich" else {}
    return Process(started, ended, usage.ru_maxrss / 1024, summary)


# -- 1 and 2: cold and warm runs --------------------------------------------------------------------


def cold_and_warm(args: argparse.Namespace, table: Table, base: Path) -> None:
    tv, movies = real_lists()
    fake = FakeTrakt.from_sample(
        expected_key=API_KEY, latency=args.latency, rate_limit=args.limit, rate_period=args.period
    ).synthesize(tv, movies)
    workdir = make_workdir(base / "runs")
    expected = len(needed_paths(workdir, fake))
    with fake:
        env = step_environment(fake, TRAKT_RATE_LIMIT_CALLS=str(args.limit), TRAKT_RATE_LIMIT_PERIOD=f"{args.period:g}")
        print(f"cold run: {expected:,} URLs at {args.limit} calls / {args.period:g} s ...", file=sys.stderr)
        cold = run_step(workdir, env, "pipeline.enrich", "--no-progress")
        arrivals = [request.time for request in fake.requests]
        report_cold(args, table, cold, expected, fake.throttled, arrivals)
        fake.reset_log()
        warm_enrich = run_step(workdir, env, "pipeline.enrich", "--no-progress")
        warm_validate = run_step(workdir, env, "pipeline.validate")
        warm_total = warm_enrich.seconds + warm_validate.seconds
        made = warm_enrich.summary["requests"]["made"]
        table.add("warm: requests made", f"{made:,}", "0", made == 0 and fake.count() == 0)
        table.add("warm: enrich wall time", f"{warm_enrich.seconds:.2f} s")
        table.add("warm: validate wall time", f"{warm_validate.seconds:.2f} s")
        table.add(
            "warm: enrich + validate (2 processes)",
            f"{warm_total:.2f} s",
            f"< {WARM_TARGET_SECONDS:g} s",
            warm_total < WARM_TARGET_SECONDS,
        )
        table.add(
            "warm: peak RSS of enrich",
            f"{warm_enrich.max_rss_mb:.0f} MB",
            f"< {RSS_TARGET_MB:g} MB",
            warm_enrich.max_rss_mb < RSS_TARGET_MB,
        )


def report_cold(
    args: argparse.Namespace, table: Table, cold: Process, expected: int, throttled: int, arrivals: list[float]
) -> None:
    made = cold.summary["requests"]["made"]
    rate = args.limit / args.period
    bound = (made - args.limit) / rate
    floor = (made - 1) // args.limit * args.period  # request k + limit arrives >= period after request k
    table.add("cold: URLs needed (from the fake's data)", f"{expected:,}")
    table.add("cold: requests made", f"{made:,}", f"= {expected:,}", made == expected)
    table.add("cold: 429s received (fake's count)", f"{throttled:,}", f"<= {MAX_THROTTLED}", throttled <= MAX_THROTTLED)
    window = most_in_window(arrivals, args.period)
    table.add(
        f"cold: most arrivals in any {args.period:g} s window",
        f"{window:,}",
        f"<= {args.limit:,}",
        window <= args.limit,
    )
    table.add("cold: wall time (process, startup included)", f"{cold.seconds:.2f} s")
    table.add("cold:   start to first request", f"{arrivals[0] - cold.started:.2f} s")
    table.add("cold:   first to last request", f"{arrivals[-1] - arrivals[0]:.2f} s")
    table.add("cold:   last request to exit", f"{cold.ended - arrivals[-1]:.2f} s")
    table.add(f"cold: bound (requests - {args.limit}) / ({args.limit} / {args.period:g} s)", f"{bound:.2f} s")
    table.add(
        "cold: wall / bound",
        f"{cold.seconds / bound:.3f}",
        f"<= {RATIO_TARGET:.2f}",
        cold.seconds <= RATIO_TARGET * bound,
    )
    table.add(f"cold: sliding-window floor {args.period:g} s x floor((requests - 1) / {args.limit})", f"{floor:.2f} s")
    table.add("cold: floor / bound (best any client can do)", f"{floor / bound:.3f}")
    table.add(
        "cold: wall / floor",
        f"{cold.seconds / floor:.3f}",
        f"<= {RATIO_TARGET:.2f}",
        cold.seconds <= RATIO_TARGET * floor,
    )
    table.add(
        "cold: peak RSS of enrich",
        f"{cold.max_rss_mb:.0f} MB",
        f"< {RSS_TARGET_MB:g} MB",
        cold.max_rss_mb < RSS_TARGET_MB,
    )


# -- 3: nights on a fake clock ----------------------------------------------------------------------


@dataclass(slots=True)
class Lists:
    """The upstream lists of the simulation; ``churn`` shows leave and as many new ones come each night."""

    workdir: Path
    tv: list[dict[str, Any]]
    movies: list[dict[str, Any]]
    left: dict[str, int] = field(default_factory=dict)  # path of an id that left -> night it left
    new_ids: int = 0

    def write(self) -> None:
        folder = self.workdir / ".cache" / "upstream"
        (folder / "tv.json").write_text(json.dumps(self.tv, ensure_ascii=False))
        (folder / "movies.json").write_text(json.dumps(self.movies, ensure_ascii=False))

    def churn(self, fake: FakeTrakt, night: int, count: int) -> None:
        """The first ``count`` shows listed once leave; as many new shows (new MAL and Trakt ids) come."""
        uses: dict[int, int] = {}
        for entry in self.tv:
            uses[entry["trakt_id"]] = uses.get(entry["trakt_id"], 0) + 1
        leaving = [entry for entry in self.tv if uses[entry["trakt_id"]] == 1][:count]
        for entry in leaving:
            self.tv.remove(entry)
            for path in (f"/shows/{entry['trakt_id']}", f"/shows/{entry['trakt_id']}/seasons"):
                self.left[path] = night
        coming = []
        for _ in leaving:
            self.new_ids += 1
            trakt_id, mal_id = 90_000_000 + self.new_ids, 80_000_000 + self.new_ids
            coming.append(tv_entry(mal_id, trakt_id))
        fake.synthesize(coming, [])
        self.tv.extend(coming)
        self.write()


def cache_rows(workdir: Path) -> set[str]:
    with closing(sqlite3.connect(workdir / ".cache" / "trakt.sqlite")) as connection:
        return {key for (key,) in connection.execute("SELECT key FROM responses")}


def key_of(fake: FakeTrakt, path: str) -> str:
    return cache_key(requests.Request("GET", fake.url + path))


@dataclass(slots=True)
class Nights:
    """What the simulation saw: requests per night, last fetch of each path, cache rows."""

    counts: list[int] = field(default_factory=list)
    shares: list[float] = field(default_factory=list)
    last_fetch: dict[str, int] = field(default_factory=dict)
    oldest_served: int = 0  # the most nights an answer in use had not been refreshed
    rows: list[int] = field(default_factory=list)
    rows_of_left: list[int] = field(default_factory=list)
    overdue_left: int = 0  # rows still there for ids that left more than refresh_days nights ago


def simulate(args: argparse.Namespace, table: Table, base: Path) -> None:
    tv, movies = real_lists()
    fake = FakeTrakt.from_sample(expected_key=API_KEY).synthesize(tv, movies)
    lists = Lists(make_workdir(base / "nights"), tv, movies)
    clock = FakeClock(time.time())
    seen = Nights()
    os.chdir(lists.workdir)
    with fake, clock.patched():
        config = make_config(fake, rate_limit_calls=1_000_000)  # the rate limit is measured above
        for night in range(args.nights + 1):
            if night:
                clock.advance(days=1)
                lists.churn(fake, night, args.churn)
            fake.reset_log()
            summary = enrich(config, Options(progress=False), client_factory=clock.client_factory)
            observe(seen, night, summary, lists, fake, config.refresh_days)
            print(f"night {night}: {seen.counts[-1]} requests, {seen.rows[-1]} cache rows", file=sys.stderr)
    report_nights(args, table, seen, config.refresh_days)


def observe(seen: Nights, night: int, summary: dict[str, Any], lists: Lists, fake: FakeTrakt, days: float) -> None:
    needed = needed_paths(lists.workdir, fake)
    fetched = {request.path for request in fake.requests}
    assert summary["requests"]["made"] == len(fake.requests), "the client's count differs from the fake's"
    assert not summary["skipped_upstream"], summary["skipped_upstream"][:3]
    for path in fetched:
        seen.last_fetch[path] = night
    seen.oldest_served = max(seen.oldest_served, max(night - seen.last_fetch[path] for path in needed))
    seen.counts.append(len(fake.requests))
    seen.shares.append(len(fake.requests) / len(needed))
    rows = cache_rows(lists.workdir)
    left_keys = {key_of(fake, path): left_on for path, left_on in lists.left.items() if path not in needed}
    seen.rows.append(len(rows))
    seen.rows_of_left.append(sum(1 for key in rows if key in left_keys))
    seen.overdue_left += sum(1 for key in rows if key in left_keys and night - left_keys[key] > days)


def report_nights(args: argparse.Namespace, table: Table, seen: Nights, days: float) -> None:
    nightly = seen.counts[1:]
    print("\nrequests per simulated night (night 0 is the cold start):")
    for start in range(0, len(seen.counts), 10):
        cells = " ".join(f"{count:5d}" for count in seen.counts[start : start + 10])
        print(f"  nights {start:2d}-{min(start + 9, len(seen.counts) - 1):2d}: {cells}")
    print("cache rows after each night:")
    for start in range(0, len(seen.rows), 10):
        cells = " ".join(f"{rows:5d}" for rows in seen.rows[start : start + 10])
        print(f"  nights {start:2d}-{min(start + 9, len(seen.rows) - 1):2d}: {cells}")
    print()
    shares = seen.shares[1:]
    table.add(f"nights: requests per night, nights 1-{args.nights}", f"{min(nightly)}-{max(nightly)}")
    table.add(
        "nights: max requests / URLs needed",
        f"{max(shares):.2%}",
        f"<= {NIGHT_SHARE_TARGET:.0%}",
        max(shares) <= NIGHT_SHARE_TARGET,
    )
    table.add("nights: mean requests / URLs needed", f"{sum(shares) / len(shares):.2%}")
    table.add(
        "nights: oldest answer served", f"{seen.oldest_served} days", f"<= {days:g} days", seen.oldest_served <= days
    )
    table.add("nights: shows leaving (and coming) per night", f"{args.churn}")
    table.add("nights: cache rows, first night -> last", f"{seen.rows[0]:,} -> {seen.rows[-1]:,}")
    table.add("nights: most rows kept for ids that left", f"{max(seen.rows_of_left):,}")
    table.add(
        f"nights: rows kept > {days:g} nights after their id left",
        f"{seen.overdue_left}",
        "0",
        seen.overdue_left == 0,
    )


# -- 4: lookups in parallel ---------------------------------------------------------------------------


def parallel(args: argparse.Namespace, table: Table, base: Path) -> None:
    workdir = base / "parallel"
    (workdir / "overrides").mkdir(parents=True)
    for name in ("override_tv.json", "override_movies.json"):
        (workdir / "overrides" / name).write_text("[]\n")
    fake = FakeTrakt(expected_key=API_KEY, latency=args.parallel_latency)
    for trakt_id in range(1, 41):
        fake.shows[trakt_id], fake.seasons[trakt_id] = show(trakt_id), seasons(trakt_id, 1)
        fake.movies[trakt_id] = movie(trakt_id)
    write_upstream(workdir, [tv_entry(i, i) for i in range(1, 41)], [movie_entry(10_000 + i, i) for i in range(1, 41)])
    os.chdir(workdir)
    seconds = {}
    with fake:
        for concurrency in (1, 4):
            started = time.monotonic()
            enrich(make_config(fake, concurrency=concurrency), Options(progress=False, force=True))
            seconds[concurrency] = time.monotonic() - started
    latency = f"{args.parallel_latency * 1000:g} ms answers"
    table.add(f"parallel: forced enrich of 120 URLs, {latency}, 1 at a time", f"{seconds[1]:.2f} s")
    table.add("parallel: the same, 4 in flight", f"{seconds[4]:.2f} s")
    ratio = seconds[4] / seconds[1]
    table.add("parallel: 4 in flight / 1 at a time", f"{ratio:.2f}", f"< {PARALLEL_TARGET:g}", ratio < PARALLEL_TARGET)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False)
    parser.add_argument("--limit", type=int, default=1000, help="calls allowed per --period (default 1000)")
    parser.add_argument("--period", type=float, default=5.0, help="rate-limit window in seconds (default 5)")
    parser.add_argument("--latency", type=float, default=0.003, help="fake's answer delay in s (default 0.003)")
    parser.add_argument("--nights", type=int, default=60, help="nights to simulate, 0 skips (default 60)")
    parser.add_argument("--churn", type=int, default=5, help="shows leaving the lists per night (default 5)")
    parser.add_argument("--skip-cold", action="store_true", help="only simulate the nights (skip parts 1, 2 and 4)")
    parser.add_argument(
        "--parallel-latency", type=float, default=0.03, help="fake's answer delay in s for part 4 (default 0.03)"
    )
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # the in-process runs' duplicate warnings; the table is the product
    table = Table()
    with tempfile.TemporaryDirectory(prefix="enrich-benchmark-") as folder:
        if not args.skip_cold:
            cold_and_warm(args, table, Path(folder))
        if args.nights:
            simulate(args, table, Path(folder))
        if not args.skip_cold:
            parallel(args, table, Path(folder))
        os.chdir(ROOT)
    return table.finish()


if __name__ == "__main__":
    raise SystemExit(main())
