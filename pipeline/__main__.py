"""The whole nightly chain locally: fetch, enrich, validate, report; stops at the first failing step.

Flags after ``python -m pipeline`` go to enrich (``--force``, ``--allow-shrink``, ``--no-progress`` ...).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from pipeline import enrich, fetch, report, validate


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if any(flag in args for flag in ("-h", "--help")):
        print(__doc__)
        return enrich.main(["--help"])
    steps: list[tuple[str, Callable[[], int]]] = [
        ("fetch", lambda: fetch.main([])),
        ("enrich", lambda: enrich.main(args)),
        ("validate", lambda: validate.main([])),
        ("report", lambda: report.main([])),
    ]
    for name, step in steps:
        code = step()
        if code != 0:
            print(f"pipeline: stopped at {name} (exit {code})", file=sys.stderr)
            return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
