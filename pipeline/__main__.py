"""The whole nightly chain locally: fetch, discover, enrich, validate, report; stops at the first failing step.

``--no-discovery`` skips the mapping sources and the discover step (enrich then keeps the discovered
entries published before). Other flags after ``python -m pipeline`` go to enrich (``--force``,
``--allow-shrink``, ``--no-progress`` ...).

``--demo`` runs the same chain offline and without a key: against a fake Trakt started in this
process on 127.0.0.1 (which also serves the upstream lists and the mapping sources), into a new
temporary directory; the checkout's ``output/`` and ``.cache/`` are never touched.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from itertools import pairwise

from pipeline import discover, enrich, fetch, report, validate

DEMO = "--demo"
Step = tuple[str, Callable[[], int]]


def steps(args: Sequence[str]) -> list[Step]:
    """The chain's steps, in order, for the flags given to ``python -m pipeline``.

    The nightly workflow runs the same modules, one step each.
    """
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


def run(chain: list[Step]) -> int:
    for name, step in chain:
        code = step()
        if code != 0:
            print(f"pipeline: stopped at {name} (exit {code})", file=sys.stderr)
            return code
    return 0


def demo(args: list[str]) -> int:
    """The chain against local stand-ins, in a temporary directory; says where the files are."""
    from pipeline.demo import demo_environment

    if any(arg.lstrip("-") == "api-key" or arg.lstrip("-").startswith("api-key=") for arg in args):
        print("pipeline: --demo uses the local fake Trakt's own key; drop --api-key", file=sys.stderr)
        return 2
    with demo_environment() as directory:
        print(
            f"demo: the whole chain against a local fake Trakt at {os.environ['TRAKT_API_URL']} (no key, no"
            f" network), in {directory}",
            file=sys.stderr,
            flush=True,
        )
        code = run(steps(args))
    output = directory / "output"
    if code == 0:
        print(f"\ndemo: the files are in {output}/ (the Trakt cache in {directory / '.cache'}/)")
    print(f"demo: nothing outside {directory} was written; delete it when done", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if any(flag in args for flag in ("-h", "--help")):
        print(__doc__)
        return enrich.main(["--help"])
    if DEMO in args:
        return demo([arg for arg in args if arg != DEMO])
    return run(steps(args))


if __name__ == "__main__":
    raise SystemExit(main())
