"""``python -m tests.standins.paused_enrich ARGS``: ``python -m pipeline.enrich ARGS``, stoppable at a known point.

For the kill tests. With ``PAUSE_BEFORE_REPLACE=<file name>`` set, the atomic writer, once its
temporary copy of that file is whole on disk, prints ``paused before <path>`` on stdout and waits to
be killed instead of renaming the copy into place. The test then knows exactly where the run stands.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from pipeline import enrich

PAUSE_VARIABLE = "PAUSE_BEFORE_REPLACE"


def pause_before_replacing(name: str) -> None:
    real_replace = os.replace

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(dst).name == name:
            print(f"paused before {dst}", flush=True)
            threading.Event().wait()  # until killed
        real_replace(src, dst)

    os.replace = replace


if __name__ == "__main__":
    if os.environ.get(PAUSE_VARIABLE):
        pause_before_replacing(os.environ[PAUSE_VARIABLE])
    raise SystemExit(enrich.main(sys.argv[1:]))
