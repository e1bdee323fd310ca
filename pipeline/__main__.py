"""The whole nightly chain locally: fetch, discover, enrich, validate, report; stops at the first failing step.

``--no-discovery`` skips the mapping sources and the discover step (enrich then keeps the discovered
entries published before). Other flags after ``python -m pipeline`` go to enrich (``--force``,
``--allow-shrink``, ``--no-progress`` ...).

``--demo`` runs the same chain offline and without a key: against a fake Trakt started in this
process on 127.0.0.1 (which also serves the upstream lists and the mapping sources), into a new
temporary directory; the checkout's ``output/`` and ``.cache/`` are never touched.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from pipeline import discover, enrich, fetch, heap, logs, preflight, report, validate
from pipeline.config import load_config
from pipeline.errors import PipelineError

PROG = "python -m pipeline"
USAGE = "%(prog)s [-h] [--demo] [--no-discovery] [enrich's flags: --force, --allow-shrink, --no-progress ...]"
Step = tuple[str, Callable[[], int]]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        usage=USAGE,
        description="The whole nightly chain locally: fetch, discover, enrich, validate, report; stops at the"
        " first failing step. Before the first step it checks the Trakt key and makes one quick try of the"
        " upstream URL, so a missing key or no network fails in seconds.",
        epilog="Every other flag goes to enrich:\n\n" + enrich.flags_help().split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="the same chain offline and without a key, against a local fake Trakt, in a new temporary directory",
    )
    parser.add_argument(
        "--no-discovery",
        action="store_true",
        help="skip the mapping sources and the discover step (enrich keeps the discovered entries published before)",
    )
    return parser


def parse(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str], str | None]:
    """The chain's flags, enrich's (checked by enrich's parser) and the ``--api-key`` among them; a wrong
    one exits 2 before any step."""
    args, rest = _parser().parse_known_args(argv)
    key_flag = enrich.check_args(rest, PROG, USAGE).api_key
    if key_flag is not None and args.demo:
        print("pipeline: --demo uses the local fake Trakt's own key; drop --api-key", file=sys.stderr)
        raise SystemExit(2)
    return args, rest, key_flag


def steps(args: Sequence[str], key: str, *, discovery: bool) -> list[Step]:
    """The chain's steps, in order: ``args`` are enrich's flags, ``key`` the checked Trakt key.

    The nightly workflow runs the same modules, one step each.
    """
    key_args = [f"--api-key={key}"]
    enrich_args = [*args, *key_args]
    chain: list[Step] = [("fetch", lambda: fetch.main([] if discovery else ["--no-sources"]))]
    if discovery:
        chain.append(("discover", lambda: discover.main(key_args)))
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


def checked_run(args: list[str], key_flag: str | None, *, discovery: bool) -> int:
    """The key (``key_flag``: ``--api-key``'s, if given) and the first URL checked, then the chain."""
    logs.setup(secrets=[key_flag or ""])
    heap.tune()
    try:
        key = preflight.check(load_config(), key_flag)
    except PipelineError as exc:
        print(f"pipeline: {exc}", file=sys.stderr)
        return 1
    logs.add_secret(key)
    return run(steps(args, key, discovery=discovery))


def demo(args: list[str], *, discovery: bool) -> int:
    """The chain against local stand-ins, in a temporary directory; says where the files and the report are."""
    from pipeline.demo.run import FAKE_NOTE, demo_environment

    with demo_environment() as directory:
        print(
            f"demo: the whole chain against a local fake Trakt at {os.environ['TRAKT_API_URL']} (no key, no"
            f" network), in {directory}; the warnings and review queues below come from the fake's made-up"
            " answers (see the note at the end)",
            file=sys.stderr,
            flush=True,
        )
        code = checked_run(args, None, discovery=discovery)  # parse refused --api-key with --demo
        report_file = load_config().run_report.resolve()
    output = directory / "output"
    if code == 0:
        print(f"\n{FAKE_NOTE}")
        print(f"demo: the files are in {output}/ (the Trakt cache in {directory / '.cache'}/)")
        print(f"demo: the report above is in {report_file}")
    print(f"demo: nothing outside {directory} was written; delete it when done", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args, rest, key_flag = parse(list(sys.argv[1:] if argv is None else argv))
    if args.demo:
        return demo(rest, discovery=not args.no_discovery)
    return checked_run(rest, key_flag, discovery=not args.no_discovery)


if __name__ == "__main__":
    raise SystemExit(main())
