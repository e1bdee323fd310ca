"""Killed at any moment, enrich leaves each published file whole (old or new), and the next run finishes the work."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pipeline import enrich
from pipeline.config import load_config
from pipeline.enrich import Options
from pipeline.fake_trakt import FakeTrakt
from pipeline.validate import validate_outputs
from tests.conftest import API_KEY, make_config, movie, movie_entry, seasons, show, tv_entry, write_upstream
from tests.faultkit import VirtualTime, snapshot

REPO = Path(__file__).resolve().parent.parent
DATA_FILES = ("tv_ex.json", "not_exist_tv_ex.json", "movies_ex.json", "not_exist_movies_ex.json")
SHOWS, MOVIES = 40, 20
SEED = 20261121


def _world(fake: FakeTrakt, workdir: Path) -> int:
    """40 shows (every 10th not found) and 20 movies (every 10th not found); returns a cold run's requests."""
    tv, films = [], []
    for n in range(1, SHOWS + 1):
        if n % 10 == 0:
            fake.not_found_shows.add(100 + n)
        else:
            fake.shows[100 + n] = show(100 + n, f"Old show {n}")
            fake.seasons[100 + n] = seasons(100 + n, 1)
        tv.append(tv_entry(n, 100 + n))
    for n in range(1, MOVIES + 1):
        if n % 10 == 0:
            fake.not_found_movies.add(300 + n)
        else:
            fake.movies[300 + n] = movie(300 + n, f"Old movie {n}")
        films.append(movie_entry(1000 + n, 300 + n))
    write_upstream(workdir, tv, films)
    return SHOWS * 2 - SHOWS // 10 + MOVIES  # a 404 show asks no seasons


def _publish_old(fake: FakeTrakt, workdir: Path) -> dict[str, bytes]:
    """The previous published output (old titles), then a lost cache and new titles on Trakt."""
    enrich.enrich(make_config(fake), Options(progress=False), client_factory=VirtualTime().factory)
    (workdir / ".cache" / "trakt.sqlite").unlink()
    for answer in [*fake.shows.values(), *fake.movies.values()]:
        answer["title"] = answer["title"].replace("Old", "New")
    fake.reset_log()
    return snapshot(workdir / "output")


def _start(fake: FakeTrakt, workdir: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRAKT_", "ANITRAKT_", "GITHUB_"))}
    env.update(PYTHONPATH=str(REPO), TRAKT_API_URL=fake.url, TRAKT_API_KEY=API_KEY)
    command = [sys.executable, "-m", "pipeline.enrich", "--no-progress"]
    return subprocess.Popen(command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _kill_when(process: subprocess.Popen[bytes], ready: Any, pause: float = 0.0, deadline: float = 20.0) -> bool:
    """SIGKILL ``process`` ``pause`` seconds after ``ready()``; False when it ended first."""
    until = time.monotonic() + deadline
    while not ready():
        if process.poll() is not None:
            return False
        if time.monotonic() > until:
            process.kill()
            pytest.fail("enrich neither reached the kill point nor ended")
        time.sleep(0.001)
    time.sleep(pause)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return True


def _check_whole(output: Path, old: dict[str, bytes]) -> dict[str, bytes]:
    """Every published file parses and validates; returns them for the old-or-new check at the end."""
    now = snapshot(output)
    assert set(now) >= set(old)  # nothing published disappeared
    for name, payload in now.items():
        if not name.startswith("."):  # .<name>.tmp: the unfinished copy, never the published file
            json.loads(payload)
    assert validate_outputs(output) == []
    return now


def test_sigkill_at_any_moment_leaves_old_or_new_files_and_the_next_run_finishes(
    workdir: Path, fake: FakeTrakt
) -> None:
    """Killed mid-request (at two seeded random points), then while the files are written; then run to the end."""
    cold = _world(fake, workdir)
    fake.latency = 0.01
    old = _publish_old(fake, workdir)
    rng = random.Random(SEED)
    snapshots = []
    asked_before = 0
    kill_points = [rng.randint(1, cold // 3), rng.randint(1, cold // 3), None]  # None: once tv_ex.json is replaced
    tv_ex = workdir / "output" / "tv_ex.json"
    for point in kill_points:
        process = _start(fake, workdir)
        if point is None:  # the first file is written: the others are being written, or about to be
            killed = _kill_when(process, lambda: tv_ex.read_bytes() != old["tv_ex.json"])
        else:
            target = asked_before + point
            killed = _kill_when(process, lambda target=target: fake.count() >= target)
        assert killed or process.returncode == 0
        snapshots.append(_check_whole(workdir / "output", old))
        assert (workdir / ".cache" / "trakt.sqlite-wal").exists()  # killed with the cache open: its WAL is left
        assert not [p for p in (workdir / ".cache").rglob("*") if p.is_file() and API_KEY.encode() in p.read_bytes()]
        asked_before = fake.count()
    # Each killed run resumed: only the requests a kill cut (one per lookup in flight) were asked twice.
    in_flight = load_config(environ={}, dotenv=None).concurrency
    assert asked_before <= cold + 2 * in_flight
    process = _start(fake, workdir)
    assert process.wait(timeout=30) == 0, process.stderr.read().decode() if process.stderr else ""
    final = _check_whole(workdir / "output", old)
    assert fake.count() - asked_before == 0  # all was received before the last kill; a cold run asks 96
    new = {name: final[name] for name in DATA_FILES}
    assert all(new[name] != old[name] for name in ("tv_ex.json", "movies_ex.json"))
    for taken in snapshots:
        for name in DATA_FILES:
            assert taken[name] in (old[name], new[name]), name
    assert not [name for name in final if name.startswith(".")]  # no unfinished copy left behind
    meta = json.loads(final["meta.json"])
    assert meta["files"] == {name: {"entries": len(json.loads(new[name]))} for name in DATA_FILES}


@pytest.mark.parametrize("writes_done", range(5))
def test_run_stopped_between_writes_is_completed_by_the_next_run(
    workdir: Path, fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch, writes_done: int
) -> None:
    """Stopped before any one of the 5 writes to output/ (4 data files, then meta.json), the next run completes all."""
    _world(fake, workdir)
    old = _publish_old(fake, workdir)
    for n in range(1, 5):  # the upstream list grew: the entry counts in meta.json change too
        fake.movies[400 + n] = movie(400 + n)
    upstream = json.loads((workdir / ".cache" / "upstream" / "movies.json").read_text())
    write_upstream(
        workdir,
        json.loads((workdir / ".cache" / "upstream" / "tv.json").read_text()),
        upstream + [movie_entry(2000 + n, 400 + n) for n in range(1, 5)],
    )
    real_write = enrich.write_json
    calls: list[Path] = []

    def write_then_die(path: Path, data: object) -> bool:
        if path.parent.name == "output" and len(calls) == writes_done:
            raise KeyboardInterrupt  # as a kill would, but at an exact place
        calls.append(path)
        return real_write(path, data)

    monkeypatch.setattr(enrich, "write_json", write_then_die)
    config = make_config(fake)
    with pytest.raises(KeyboardInterrupt):
        enrich.enrich(config, Options(progress=False), client_factory=VirtualTime().factory)
    assert validate_outputs(workdir / "output") == []
    monkeypatch.setattr(enrich, "write_json", real_write)
    enrich.enrich(config, Options(progress=False), client_factory=VirtualTime().factory)
    final = snapshot(workdir / "output")
    assert validate_outputs(workdir / "output") == []
    assert final["movies_ex.json"] != old["movies_ex.json"]
    meta = json.loads(final["meta.json"])
    assert meta["files"] == {name: {"entries": len(json.loads(final[name]))} for name in DATA_FILES}
