"""The stand-ins for ``python -m pipeline --demo``: the fake Trakt and the upstream files, in this process.

``demo_environment()`` starts the fake Trakt of ``pipeline.demo.fake_trakt`` on 127.0.0.1 (a free port),
which also serves the upstream lists and, when ``pipeline/demo/data/sources/`` has them, the mapping
sources; points every URL variable at it with the fake's key; and makes a new temporary directory
the working directory, so ``output/`` and ``.cache/`` of the checkout are never touched. Everything
is put back when the block ends; the directory stays, for the user to look at.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pipeline.config import REPO_ROOT
from pipeline.demo.fake_trakt import CLI_API_KEY, build_local_fake, local_environment

# The fake has no rate limit: pace the client for 1,000 calls a second, not Trakt's 1,000 per 5 minutes.
RATE_LIMIT_PERIOD = "1"
PREFIX = "extended-anitrakt-demo-"
# Said after the report: its warnings and queues are the fake's world, not Trakt's.
FAKE_NOTE = (
    "demo: the fake Trakt answers from pipeline/demo/data/trakt-sample.json and makes up a plausible title,"
    ' seasons and search answers for every other id: the "listed more than once" warnings (real upstream'
    " duplicates, settled on the fake's answers), the title mismatches, the season review queue and the"
    " Discovery review queue above come from those made-up answers, not from real Trakt"
)


@contextlib.contextmanager
def _environment(values: dict[str, str | None]) -> Iterator[None]:
    """Set (or, for None, remove) environment variables for the block, then restore them."""
    saved = {name: os.environ.get(name) for name in values}
    try:
        _put(values)
        yield
    finally:
        _put(saved)


def _put(values: dict[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _new_directory() -> Path:
    """A fresh working directory holding a copy of the project's overrides (the chain reads them)."""
    directory = Path(tempfile.mkdtemp(prefix=PREFIX))
    overrides = REPO_ROOT / "overrides"
    if overrides.is_dir():
        shutil.copytree(overrides, directory / "overrides")
    return directory


@contextlib.contextmanager
def demo_environment() -> Iterator[Path]:
    """Run the block against local stand-ins, in a new temporary directory (yielded)."""
    fake = build_local_fake(expected_key=CLI_API_KEY)
    directory = _new_directory()
    with fake:
        variables: dict[str, str | None] = {
            **local_environment(fake.url),
            "TRAKT_RATE_LIMIT_PERIOD": RATE_LIMIT_PERIOD,
            "GITHUB_STEP_SUMMARY": None,  # the report goes to the terminal, even in CI
        }
        with _environment(variables), contextlib.chdir(directory):
            yield directory
