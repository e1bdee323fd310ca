"""``python -m tests.standins.slow_step DB``: a step's Python that writes the Trakt cache until it is stopped.

It stops the way ``pipeline.enrich`` does (enrich's own handler, ``_stop_on_sigterm``, for SIGINT and SIGTERM), closes
the database, then leaves ``python.exited`` in the working directory; ``python.pid`` says who it is.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
import time
from pathlib import Path

from pipeline import enrich


def main(argv: list[str]) -> int:
    database = Path(argv[0])
    database.parent.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, enrich._stop_on_sigterm)
    signal.signal(signal.SIGINT, enrich._stop_on_sigterm)
    connection = sqlite3.connect(database)
    connection.execute("CREATE TABLE IF NOT EXISTS responses (n INTEGER)")
    connection.commit()
    Path("python.pid").write_text(str(os.getpid()))
    try:
        row = 0
        while True:
            with connection:  # one transaction a row, like a cached response
                connection.execute("INSERT INTO responses VALUES (?)", (row,))
            row += 1
            time.sleep(0.005)
    finally:
        connection.close()
        Path("python.exited").write_text("")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
