"""``python -m pipeline --demo``: the real chain offline, without a key, into a temporary directory."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import requests

from pipeline.demo import fake_trakt
from pipeline.published.checks import validate_outputs

ROOT = Path(__file__).resolve().parent.parent
SKIPPED = {".git", ".venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file of the checkout (but git's and tools' caches) with its size and modification time."""
    found = {}
    for folder, folders, files in os.walk(root):
        folders[:] = [name for name in folders if name not in SKIPPED]
        for name in files:
            stat = (Path(folder) / name).stat()
            found[str(Path(folder, name).relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return found


def test_demo_runs_the_chain_offline_and_writes_nothing_to_the_checkout(tmp_path: Path) -> None:
    """From the checkout, with no key and every outside host unreachable: exit 0, a report, valid files in TMPDIR."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRAKT_", "ANITRAKT_", "ANIME_", "SHINKRO_"))}
    env.pop("GITHUB_STEP_SUMMARY", None)
    dead = "http://127.0.0.1:9"  # any request that is not for the local fake goes to a closed port and fails
    env.update({"TMPDIR": str(tmp_path), "HTTP_PROXY": dead, "HTTPS_PROXY": dead, "NO_PROXY": "127.0.0.1"})
    before = snapshot(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "--demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=170,
    )
    assert result.returncode == 0, result.stderr
    assert snapshot(ROOT) == before

    match = re.search(r"^demo: the files are in (\S+)/ \(the Trakt cache in (\S+)/\)$", result.stdout, re.M)
    assert match, result.stdout
    output, cache = Path(match[1]), Path(match[2])
    assert output.parent.parent == tmp_path  # a new directory under TMPDIR
    assert validate_outputs(output) == []
    shows = json.loads((output / "tv_ex.json").read_text(encoding="utf-8"))
    assert {"upstream", "discovered"} <= {entry["origin"] for entry in shows}  # the discover step ran too
    assert (cache / "trakt.sqlite").exists()
    assert "## extended-anitrakt run" in result.stdout
    # the warnings and queues of the fake's made-up answers are said to be the fake's; the last line names the report
    assert "come from those made-up answers, not from real Trakt" in result.stdout
    last = result.stdout.rstrip("\n").splitlines()[-1]
    assert last == f"demo: the report above is in {cache / 'report.md'}"
    assert (cache / "report.md").read_text(encoding="utf-8").startswith("## extended-anitrakt run")
    requests = int(re.search(r"Trakt: \*\*([\d,]+) requests\*\* made", result.stdout)[1].replace(",", ""))  # type: ignore[index]
    assert requests > 7000  # the full real lists, each Trakt id asked
    # progress as a real run shows it off a terminal: a line with the counts at the end of the lookups
    assert re.search(r"^enrich: ([\d,]+)/\1 Trakt ids, [\d,]+ requests, [\d,]+ from cache$", result.stderr, re.M)


def test_demo_refuses_an_api_key() -> None:
    """--demo talks to the fake only, so a real key given with it is a usage error (exit 2), never sent."""
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "--demo", "--api-key", "real-key-123"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "pipeline: --demo uses the local fake Trakt's own key; drop --api-key"


def test_mapping_sources_are_served_when_present(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo fake serves each file of demo/data/sources/ at its variable's URL; a missing one is not served."""
    (tmp_path / "tvdb-mal.yaml").write_text("AnimeMap: []\n")
    monkeypatch.setattr(fake_trakt, "SOURCES", tmp_path)
    with fake_trakt.build_local_fake() as fake:
        urls = fake_trakt.local_environment(fake.url)
        answer = requests.get(urls["SHINKRO_TVDB_URL"], timeout=5)
        assert (answer.status_code, answer.text) == (200, "AnimeMap: []\n")
        assert requests.get(urls["ANIME_IDS_URL"], timeout=5).status_code >= 400  # not there: an error, never data


def test_demo_environment_is_put_back_after_the_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside: a new directory under TMPDIR, URLs on 127.0.0.1, the fake's key. After: cwd and variables as before."""
    from pipeline.demo.run import demo_environment

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setenv("TRAKT_API_KEY", "my-real-key")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", "/somewhere/summary.md")
    monkeypatch.delenv("ANIME_IDS_URL", raising=False)
    monkeypatch.chdir(ROOT)
    tempfile_dir = tempfile.tempdir
    tempfile.tempdir = None  # tempfile caches the temporary directory: make it read TMPDIR again
    try:
        with demo_environment() as directory:
            assert Path.cwd() == directory and directory.parent == tmp_path
            assert (directory / "overrides" / "override_tv.json").exists()
            urls = [os.environ[name] for name in ("TRAKT_API_URL", "ANITRAKT_TV_URL", "ANIME_IDS_URL")]
            assert all(url.startswith("http://127.0.0.1:") for url in urls)
            assert os.environ["TRAKT_API_KEY"] == fake_trakt.CLI_API_KEY
            assert "GITHUB_STEP_SUMMARY" not in os.environ
    finally:
        tempfile.tempdir = tempfile_dir
    assert Path.cwd() == ROOT
    assert os.environ["TRAKT_API_KEY"] == "my-real-key"
    assert os.environ["GITHUB_STEP_SUMMARY"] == "/somewhere/summary.md"
    assert "ANIME_IDS_URL" not in os.environ
