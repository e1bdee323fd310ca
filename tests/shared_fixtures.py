"""Where the measure scripts find the shared snapshots of real data: ``../shared/fixtures`` beside the checkout.

Only scripts run by hand read them; tests never do (they use their own subsets under tests/fixtures/).
"""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


def require(folder: Path, parser: argparse.ArgumentParser, option: str) -> Path:
    """``folder``, or a usage error saying where the snapshots are expected and how to point elsewhere."""
    if not folder.is_dir():
        parser.error(
            f"{folder}: no such folder. The shared snapshots are expected in ../shared/fixtures beside "
            f"this checkout ({DEFAULT}); give {option} DIR to read them elsewhere"
        )
    return folder
