"""Killed mid-request or mid-write, enrich leaves each published file whole (old or new); the next run finishes."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline import enrich
from pipeline.config import load_config
from pipeline.demo.fake_trakt import FakeTrakt, Fault
from pipeline.enrich import Options
from pipeline.published import write
from pipeline.validate import validate_outputs
from tests.conftest import API_KEY, make_config, movie, movie_entry, seasons, show, tv_entry, write_upstream
from tests.standins.faultkit import VirtualTime, snapshot

REPO = Path(__file__).resolve().parent.parent
DATA_FILES = ("tv_ex.json", "not_exist_tv_ex.json", "movies_ex.json", "not_exist_movies_ex.json")
SHOWS, MOVIES = 40, 20
HELD_REQUESTS = (11, 31)  # the request of each killed run that the fake holds unanswered
HOLD_SECONDS = 120.0  # longer than any run; the fake's stop ends the wait


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
    fake.not_found_movies.discard(310)  # a movie found again: the entry counts in meta.json change too
    fake.movies[310] = movie(310, "New movie 10")
    fake.reset_log()
    return snapshot(workdir / "output")


def _start(fake: FakeTrakt, workdir: Path, pause_before: str = "") -> subprocess.Popen[str]:
    """``python -m pipeline.enrich`` (through tests/standins/paused_enrich.py), paused before renaming
    ``pause_before``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRAKT_", "ANITRAKT_", "GITHUB_"))}
    env.update(PYTHONPATH=str(REPO), TRAKT_API_URL=fake.url, TRAKT_API_KEY=API_KEY, PAUSE_BEFORE_REPLACE=pause_before)
    command = [sys.executable, "-m", "tests.standins.paused_enrich", "--no-progress"]
    return subprocess.Popen(command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _failure(process: subprocess.Popen[str], what: str) -> str:
    process.kill()
    _, err = process.communicate()
    return f"enrich {what} (exit {process.returncode}):\n{err}"


def _wait_until_held(process: subprocess.Popen[str], fake: FakeTrakt, count: int) -> None:
    """Wait until the fake has received its ``count``-th request, the one it holds unanswered."""
    deadline = time.monotonic() + 60  # only for a broken run: never reached when the test passes
    while fake.count() < count:
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(_failure(process, f"ended or stalled before request {count}"))
        time.sleep(0.005)


def _wait_until_paused(process: subprocess.Popen[str], name: str) -> None:
    """Wait for the line the paused writer prints once the new copy of ``name`` is whole on disk."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 60)  # the limit only stops a broken run
    line = process.stdout.readline() if ready else ""  # the writer prints it, then waits to be killed
    if not line.startswith("paused before ") or not line.rstrip().endswith(f"output/{name}"):
        pytest.fail(_failure(process, f"did not pause before renaming {name}: {line!r}"))


def _kill(process: subprocess.Popen[str]) -> None:
    """SIGKILL a run known to be unfinished; it dies of the signal."""
    assert process.poll() is None
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL


def _check_whole(output: Path, old: dict[str, bytes]) -> dict[str, bytes]:
    """Every published file parses and validates; returns them for the old-or-new check at the end."""
    now = snapshot(output)
    assert set(now) >= set(old)  # nothing published disappeared
    for name, payload in now.items():
        if not name.startswith("."):  # .<name>.tmp: the unfinished copy, never the published file
            json.loads(payload)
    assert validate_outputs(output) == []
    return now


def _published(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: payload for name, payload in files.items() if not name.startswith(".")}


def test_sigkill_mid_request_or_mid_write_leaves_old_or_new_files_and_the_next_run_finishes(
    workdir: Path, fake: FakeTrakt
) -> None:
    """Killed while Trakt holds a request (twice), then with a new file whole but not yet renamed (twice)."""
    cold = _world(fake, workdir)
    old = _publish_old(fake, workdir)
    output = workdir / "output"
    snapshots = []
    asked_before = 0
    for held in HELD_REQUESTS:  # the fake holds the run's held-th request unanswered: it cannot finish
        fake.add_fault(Fault(delay=HOLD_SECONDS, after=held - 1, times=1))
        process = _start(fake, workdir)
        _wait_until_held(process, fake, asked_before + held)
        _kill(process)
        snapshots.append(_check_whole(output, old))
        assert _published(snapshots[-1]) == old  # killed before any write
        assert (workdir / ".cache" / "trakt.sqlite-wal").exists()  # killed with the cache open: its WAL is left
        assert not [p for p in (workdir / ".cache").rglob("*") if p.is_file() and API_KEY.encode() in p.read_bytes()]
        asked_before = fake.count()
    assert asked_before < cold  # the kills came before the end of the lookups
    for name, written_before in (("tv_ex.json", set()), ("meta.json", set(DATA_FILES) - {"not_exist_tv_ex.json"})):
        process = _start(fake, workdir, pause_before=name)
        _wait_until_paused(process, name)
        paused = snapshot(output)
        _kill(process)
        assert snapshot(output) == paused
        assert {n for n in old if paused[n] != old[n]} == written_before  # the file itself still the old one
        assert json.loads(paused[f".{name}.tmp"]) != json.loads(old[name])  # the new copy, whole
        snapshots.append(_check_whole(output, old))
    # Each killed run resumed: only the requests a kill cut (one per lookup in flight) were asked twice.
    in_flight = load_config(environ={}, dotenv=None).concurrency
    assert fake.count() <= cold + len(HELD_REQUESTS) * in_flight
    asked_before = fake.count()
    process = _start(fake, workdir)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    final = _check_whole(output, old)
    assert fake.count() == asked_before  # all was received before the last kills
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
    real_write = write.write_json
    calls: list[Path] = []

    def write_then_die(path: Path, data: object) -> bool:
        if path.parent.name == "output" and len(calls) == writes_done:
            raise KeyboardInterrupt  # as a kill would, but at an exact place
        calls.append(path)
        return real_write(path, data)

    monkeypatch.setattr(write, "write_json", write_then_die)
    config = make_config(fake)
    with pytest.raises(KeyboardInterrupt):
        enrich.enrich(config, Options(progress=False), client_factory=VirtualTime().factory)
    assert validate_outputs(workdir / "output") == []
    monkeypatch.setattr(write, "write_json", real_write)
    enrich.enrich(config, Options(progress=False), client_factory=VirtualTime().factory)
    final = snapshot(workdir / "output")
    assert validate_outputs(workdir / "output") == []
    assert final["movies_ex.json"] != old["movies_ex.json"]
    meta = json.loads(final["meta.json"])
    assert meta["files"] == {name: {"entries": len(json.loads(final[name]))} for name in DATA_FILES}
