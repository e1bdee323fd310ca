"""The whole nightly chain locally: fetch, discover, enrich, validate, report; stops at the first failing step.

``--no-discovery`` skips the mapping sources and the discover step (enrich then keeps the discovered
entries published before). Other flags after ``python -m pipeline`` go to enrich (``--force``,
``--allow-shrink``, ``--no-progress`` ...).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from itertools import pairwise

from pipeline import discover, enrich, fetch, report, validate

Step = tuple[str, Callable[[], int]]


def steps(args: Sequence[str]) -> list[Step]:
    """The chain's steps, in order, for the flags given to ``python -m pipeline``."""
    enrich_args = [arg for arg in args if arg != "--no-discovery"]
    discovery = "--no-discovery" not in args
    key = [f"--api-key={arg.split('=', 1)[1]}" for arg in args if arg.startswith(("--api-key=", "-api-key="))]
    for flag, value in pairwise(args):
        if flag in ("--api-key", "-api-key"):
            key = [f"--api-key={value}"]
    chain: list[Step] = [("fetch", lambda: fetch.main([] if discovery else ["--no-sources"]))]
    if discovery:
        chain.append(("discover", lambda: discover.main(key)))
    chain += [
        ("enrich", lambda: enrich.main(enrich_args)),
        ("validate", lambda: validate.main([])),
        ("report", lambda: report.main([])),
    ]
    return chain


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if any(flag in args for flag in ("-h", "--help")):
        print(__doc__)
        return enrich.main(["--help"])
    for name, step in steps(args):
        code = step()
        if code != 0:
            print(f"pipeline: stopped at {name} (exit {code})", file=sys.stderr)
            return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
