"""The Trakt API key never appears in the cache, logs, outputs, summaries or tracebacks, whatever goes wrong."""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline import enrich, report
from pipeline.config import load_config
from pipeline.demo.fake_trakt import FakeTrakt, Fault
from tests.conftest import API_KEY, make_config
from tests.standins.faultkit import (  # noqa: F401  # restore_logging: a fixture, used by name
    FAILING,
    SLOW_TIMEOUT,
    TRANSIENT,
    VirtualTime,
    restore_logging,
    small_world,
)

REPO = Path(__file__).resolve().parent.parent
REAL_ENRICH = enrich.enrich
KEY = API_KEY.encode()

# Every fault path: each transient fault lasting past the retries, plus the ones that stop the run.
FAULTS = {
    **{name: dataclasses.replace(case.make(), path=FAILING) for name, case in TRANSIENT.items()},
    "401": Fault(status=401),
    "403": Fault(status=403),
    "outage-from-call-3": Fault(status=503, after=3),
    "200-wrong-shape": Fault(body=b'{"error": "maintenance"}', path=FAILING),
}


class _Raw(logging.Handler):
    """Keeps every record as formatted without redaction, traceback included."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def raw_logs(request: pytest.FixtureRequest) -> Iterator[_Raw]:
    """DEBUG from the pipeline, urllib3 and requests-cache, recorded before any redaction."""
    request.getfixturevalue("restore_logging")
    handler = _Raw()
    names = ("pipeline", "urllib3", "requests_cache")
    for name in names:
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield handler
    for name in names:
        logging.getLogger(name).removeHandler(handler)


def _files_holding_the_key(folder: Path) -> list[str]:
    return [
        str(path) for path in folder.rglob("*") if path.is_file() and path.name != ".env" and KEY in path.read_bytes()
    ]


def _published_before(fake: FakeTrakt, workdir: Path) -> None:
    small_world(fake, workdir)
    REAL_ENRICH(make_config(fake), enrich.Options(progress=False), client_factory=VirtualTime().factory)


def _main(monkeypatch: pytest.MonkeyPatch, fake: FakeTrakt, *flags: str) -> int:
    """``python -m pipeline.enrich --verbose --no-progress ...`` in-process, waits in virtual time."""
    monkeypatch.setenv("TRAKT_API_URL", fake.url)
    monkeypatch.setenv("TRAKT_MAX_RETRIES", "1")
    monkeypatch.setattr(enrich, "enrich", functools.partial(REAL_ENRICH, client_factory=VirtualTime().factory))
    return enrich.main(["--verbose", "--no-progress", *flags])


@pytest.mark.parametrize("fault", [pytest.param(fault, id=name) for name, fault in FAULTS.items()])
def test_key_never_written_in_any_fault_path(
    workdir: Path,
    fake: FakeTrakt,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    raw_logs: _Raw,
    fault: Fault,
) -> None:
    """A forced --verbose run under the fault, then the report: the key is in no file, no output, no log record."""
    _published_before(fake, workdir)
    monkeypatch.setenv("TRAKT_API_KEY", API_KEY)
    if fault.delay:
        monkeypatch.setenv("TRAKT_TIMEOUT", str(SLOW_TIMEOUT))
    fake.add_fault(fault)
    _main(monkeypatch, fake, "--force")
    report.main([])
    out, err = capfd.readouterr()
    assert "GET /" in err or "Trakt" in err  # the run logged what it did (requests, or why it stopped)
    assert API_KEY not in out + err
    assert not [line for line in raw_logs.lines if API_KEY in line]
    assert any(line.startswith("urllib3.connectionpool DEBUG") for line in raw_logs.lines)  # DEBUG was really on
    assert _files_holding_the_key(workdir) == []
    assert fake.requests and all(r.headers["trakt-api-key"] == API_KEY for r in fake.requests)  # it was sent


@pytest.mark.parametrize("source", ["environment", "flag", "dotenv"])
def test_key_never_written_wherever_it_comes_from(
    workdir: Path,
    fake: FakeTrakt,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    raw_logs: _Raw,
    source: str,
) -> None:
    """The key from TRAKT_API_KEY, --api-key or .env is sent, and appears nowhere else."""
    small_world(fake, workdir)
    flags = ["--api-key", API_KEY] if source == "flag" else []
    if source == "environment":
        monkeypatch.setenv("TRAKT_API_KEY", API_KEY)
    if source == "dotenv":
        (workdir / ".env").write_text(f"TRAKT_API_KEY={API_KEY}\n")
    assert _main(monkeypatch, fake, *flags) == 0
    report.main([])
    out, err = capfd.readouterr()
    assert "GET /shows/10 -> 200" in err
    assert API_KEY not in out + err
    assert not [line for line in raw_logs.lines if API_KEY in line]
    assert _files_holding_the_key(workdir) == []
    assert fake.count() == 7


def test_key_pasted_with_a_newline_is_used_without_it(workdir: Path, fake: FakeTrakt) -> None:
    """A TRAKT_API_KEY ending in a newline (a pasted secret) works, instead of failing with the key in the error."""
    config = load_config(environ={"TRAKT_API_KEY": f" {API_KEY}\n"}, dotenv=None)
    assert config.api_key == API_KEY
    small_world(fake, workdir)
    run = make_config(fake).replace(api_key=config.api_key)
    summary = REAL_ENRICH(run, enrich.Options(progress=False), client_factory=VirtualTime().factory)
    assert summary["failed_new"] == []


_CRASH = """
import os, sys
import pipeline.trakt.client
def crash(data):
    raise RuntimeError("unexpected answer while using " + os.environ["TRAKT_API_KEY"])
pipeline.trakt.client.parse_movie = crash
from pipeline.enrich import main
sys.exit(main(sys.argv[1:]))
"""


def test_key_is_redacted_from_a_traceback(workdir: Path, fake: FakeTrakt) -> None:
    """An unexpected exception keeps its traceback on stderr, with the key in its message redacted."""
    small_world(fake, workdir)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TRAKT_", "ANITRAKT_"))},
        "PYTHONPATH": str(REPO),
        "TRAKT_API_KEY": API_KEY,
        "TRAKT_API_URL": fake.url,
    }
    done = subprocess.run(
        [sys.executable, "-c", _CRASH, "--verbose", "--no-progress"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "Traceback (most recent call last):" in done.stderr
    assert "RuntimeError: unexpected answer while using [redacted]" in done.stderr
    assert API_KEY not in done.stdout + done.stderr
    assert _files_holding_the_key(workdir) == []
