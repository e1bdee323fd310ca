"""The command line: the original tool's flags, the API key's three sources and the prompt, progress."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline import enrich
from pipeline.demo.fake_trakt import FakeTrakt
from tests.conftest import API_KEY, movie, movie_entry, seasons, show, tv_entry, write_upstream

ROOT = Path(__file__).resolve().parent.parent


def environment(fake: FakeTrakt, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRAKT_", "ANITRAKT_"))}
    env.update({"PYTHONPATH": str(ROOT), "TRAKT_API_URL": fake.url, **extra})
    return env


def run_enrich(workdir: Path, fake: FakeTrakt, *argv: str) -> subprocess.CompletedProcess[str]:
    """``python -m pipeline.enrich ARGV`` in ``workdir``, with no terminal and no key in the environment."""
    return subprocess.run(
        [sys.executable, "-m", "pipeline.enrich", *argv],
        cwd=workdir,
        env=environment(fake),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


def small_lists(workdir: Path, fake: FakeTrakt) -> None:
    fake.shows[10] = show(10)
    fake.seasons[10] = seasons(10, 1)
    fake.movies[20] = movie(20)
    write_upstream(workdir, [tv_entry(1, 10)], [movie_entry(2, 20)])


@pytest.mark.parametrize("dash", ["-", "--"])
def test_original_flags_work_in_both_spellings(workdir: Path, fake: FakeTrakt, dash: str) -> None:
    """-tv/--tv, -output/--output, -api-key/--api-key and -no-progress/--no-progress as the Go tool had them."""
    small_lists(workdir, fake)
    source = workdir / "my_tv.json"
    source.write_text(json.dumps([tv_entry(1, 10)]))
    argv = [f"{dash}tv", str(source), f"{dash}output", "custom.json", f"{dash}api-key", API_KEY, f"{dash}no-progress"]
    result = run_enrich(workdir, fake, *argv)
    assert result.returncode == 0, result.stderr
    assert json.loads((workdir / "custom.json").read_text())[0]["trakt"]["id"] == 10
    assert json.loads((workdir / "not_exist_custom.json").read_text()) == []
    assert not (workdir / "output" / "movies_ex.json").exists()  # only the list that was named
    assert fake.count("/movies/20") == 0


def test_output_with_both_lists_is_a_usage_error(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--output names one file, so giving it with both lists exits 2 and says why."""
    with pytest.raises(SystemExit) as exit_info:
        enrich.main(["-tv", "a.json", "-movies", "b.json", "-output", "c.json"])
    assert exit_info.value.code == 2
    assert "--output names one file: give it with --tv or with --movies, not both" in capsys.readouterr().err


def test_missing_api_key_off_a_terminal_names_the_three_ways(workdir: Path, fake: FakeTrakt) -> None:
    """Without a key and without a terminal, enrich exits 1 naming --api-key, TRAKT_API_KEY and .env."""
    small_lists(workdir, fake)
    result = run_enrich(workdir, fake, "--no-progress")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "enrich: no Trakt API key: give --api-key KEY, set TRAKT_API_KEY, or put TRAKT_API_KEY=... in .env (the"
        " Client ID of your app at https://trakt.tv/oauth/applications); to try the whole chain without a key:"
        " uv run python -m pipeline --demo"
    )
    assert fake.count() == 0


def test_api_key_is_read_from_dotenv(workdir: Path, fake: FakeTrakt) -> None:
    """A .env file in the working directory gives the key when neither flag nor environment does."""
    small_lists(workdir, fake)
    (workdir / ".env").write_text(f"TRAKT_API_KEY={API_KEY}\n")
    result = run_enrich(workdir, fake, "--no-progress")
    assert result.returncode == 0, result.stderr
    assert {r.headers["trakt-api-key"] for r in fake.requests} == {API_KEY}


def _read_until(fd: int, marker: bytes, timeout: float = 30.0) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


def test_api_key_is_asked_for_without_echo_on_a_terminal(workdir: Path, fake: FakeTrakt) -> None:
    """On a terminal with no key configured, enrich prompts for it and the typed key is not echoed."""
    small_lists(workdir, fake)
    env = environment(fake)
    pid, fd = pty.fork()
    if pid == 0:  # the child: enrich on a real pseudo-terminal
        os.chdir(workdir)
        os.execve(sys.executable, [sys.executable, "-m", "pipeline.enrich", "--no-progress"], env)
    try:
        prompt = _read_until(fd, b"Trakt API key (client id): ")
        assert b"Trakt API key (client id): " in prompt
        os.write(fd, API_KEY.encode() + b"\n")
        rest = _read_until(fd, b"enrich: done")
    finally:
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, rest
    assert API_KEY.encode() not in rest  # not echoed, not logged
    assert {r.headers["trakt-api-key"] for r in fake.requests} == {API_KEY}


def test_progress_is_a_periodic_line_off_a_terminal(
    workdir: Path, fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In CI logs (no terminal) progress is plain lines, no bar; --no-progress silences them."""
    small_lists(workdir, fake)
    monkeypatch.setenv("TRAKT_API_URL", fake.url)
    assert enrich.main(["--api-key", API_KEY]) == 0
    err = capsys.readouterr().err
    assert "enrich: 2/2 Trakt ids, 3 requests, 0 from cache" in err
    assert "\r" not in err and "#" not in err
    assert enrich.main(["--api-key", API_KEY, "--no-progress"]) == 0
    assert "Trakt ids," not in capsys.readouterr().err


def test_verbose_logs_each_entry(
    workdir: Path, fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--verbose logs one line per MAL entry with its outcome."""
    small_lists(workdir, fake)
    fake.seasons[10] = seasons(10, 2)  # MAL's season 1 is missing: a split cour
    monkeypatch.setenv("TRAKT_API_URL", fake.url)
    assert enrich.main(["--api-key", API_KEY, "--no-progress", "--verbose"]) == 0
    err = capsys.readouterr().err
    assert "enrich: shows 1 'Anime 1' -> trakt 10: ok (split cour)" in err
    assert "enrich: movies 2 'Anime movie 2' -> trakt 20: ok" in err


def test_progress_is_a_bar_on_a_terminal(workdir: Path, fake: FakeTrakt) -> None:
    """On a terminal, progress is one bar redrawn in place (carriage returns), not log lines."""
    small_lists(workdir, fake)
    env = environment(fake)
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(workdir)
        os.execve(sys.executable, [sys.executable, "-m", "pipeline.enrich", "--api-key", API_KEY], env)
    try:
        screen = _read_until(fd, b"enrich: done")
    finally:
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, screen
    assert b"\r[" + b"#" * 30 + b"] enrich: 2/2 Trakt ids, 3 requests, 0 from cache" in screen
