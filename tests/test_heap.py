"""Issue 23, item 6: the steps of a night collect garbage seldom (pipeline/heap.py).

A warm enrich of the full lists spent a third of its time in CPython's cyclic collector walking records
that live until the step ends. Each step is run here as the workflow runs it (``python -m``), in an empty
folder where it stops early, and reports the collector's thresholds it ends with.
"""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import heap

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import gc, runpy, sys
sys.argv = [sys.argv[1]]
try:
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
except SystemExit:
    pass
print("threshold", *gc.get_threshold())
"""


@pytest.mark.parametrize("step", ["pipeline.discover", "pipeline.enrich", "pipeline.validate", "pipeline.report"])
def test_a_step_collects_garbage_seldom(step: str, tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, step], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    line = next(line for line in done.stdout.splitlines() if line.startswith("threshold"))
    young, middle, old = map(int, line.split()[1:])
    assert young == heap.YOUNG, done.stderr
    assert (middle, old) == gc.get_threshold()[1:]  # the older generations keep CPython's ratios
