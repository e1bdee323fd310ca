"""``python -m pipeline``: its own flags parsed up front, and the key and the first URL checked before any step."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.__main__ import main
from pipeline.demo.fake_trakt import UPSTREAM_MOVIES, UPSTREAM_TV, FakeTrakt, Fault
from tests.conftest import API_KEY

ROOT = Path(__file__).resolve().parent.parent


def serve_upstream(fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.static["/db/tv.json"] = (200, UPSTREAM_TV.read_bytes(), "application/json")
    fake.static["/db/movies.json"] = (200, UPSTREAM_MOVIES.read_bytes(), "application/json")
    monkeypatch.setenv("TRAKT_API_URL", fake.url)
    monkeypatch.setenv("ANITRAKT_TV_URL", f"{fake.url}/db/tv.json")
    monkeypatch.setenv("ANITRAKT_MOVIES_URL", f"{fake.url}/db/movies.json")


def test_help_is_the_chains_and_names_demo_and_no_discovery() -> None:
    """--help prints the chain's usage (not enrich's), with --demo, --no-discovery and enrich's flags."""
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert result.stdout.startswith("usage: python -m pipeline [-h] [--demo] [--no-discovery]")
    assert "--demo" in result.stdout and "--no-discovery" in result.stdout and "--allow-shrink" in result.stdout


def test_a_wrong_flag_fails_before_any_step(
    workdir: Path, fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A flag neither the chain nor enrich knows is a usage error (exit 2) before fetch asks for anything."""
    serve_upstream(fake, monkeypatch)
    monkeypatch.setenv("TRAKT_API_KEY", API_KEY)
    with pytest.raises(SystemExit) as stopped:
        main(["--no-discovery", "--bogus"])
    assert stopped.value.code == 2
    assert "python -m pipeline: error: unrecognized arguments: --bogus" in capsys.readouterr().err
    assert fake.count() == 0
    assert not (workdir / ".cache").exists()


def test_a_wrong_flag_with_demo_leaves_no_temporary_folder(tmp_path: Path) -> None:
    """--demo with a wrong flag exits 2 before the demo's temporary directory is made."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "--demo", "--bogus"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_no_key_fails_before_any_download(
    workdir: Path, fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a key (and off a terminal) the chain stops at once, naming the three ways, having asked nothing."""
    serve_upstream(fake, monkeypatch)
    assert main(["--no-progress"]) == 1
    assert "pipeline: no Trakt API key: give --api-key KEY, set TRAKT_API_KEY" in capsys.readouterr().err
    assert fake.count() == 0


def test_an_unreachable_upstream_is_tried_once_then_named(
    workdir: Path, fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A host that drops every connection gets one quick try, no retries, and the message names URL and variable."""
    serve_upstream(fake, monkeypatch)
    monkeypatch.setenv("FETCH_MAX_RETRIES", "1")  # fetch's own retries would make a second request
    monkeypatch.setenv("TRAKT_API_KEY", API_KEY)
    fake.add_fault(Fault(reset=True, path="^/db/"))
    assert main(["--no-discovery", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert f"pipeline: cannot reach {fake.url}/db/tv.json (ConnectionError, one quick try)" in err
    assert "set ANITRAKT_TV_URL" in err and "--demo" in err
    assert fake.count("/db/tv.json") == 1
