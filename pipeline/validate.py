"""Step: check ``output/`` and ``overrides/`` against ``schemas/`` and the invariants a schema cannot state.

Every problem is one line, ``<file>: <JSON path>: <what is wrong>``; all of them are printed, then the
step exits 1. The checks themselves live in ``pipeline.published.checks`` (published files) and
``pipeline.overrides`` (override files, which enrich and discover refuse to start on when malformed).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from pipeline import heap, logs
from pipeline.config import Config, load_config
from pipeline.errors import PipelineError
from pipeline.overrides import HOW_TO_FIX
from pipeline.overrides import check_overrides as _overrides
from pipeline.published.checks import RESTORE, read_outputs, validate_outputs
from pipeline.published.models import KINDS, OUTPUT_FILE

logger = logging.getLogger(__name__)


def validate_overrides(overrides_dir: Path) -> list[str]:
    """Every problem of the override files in ``overrides_dir``; a missing file counts as ``[]``."""
    return _overrides(overrides_dir)[0]


def validate_all(config: Config) -> list[str]:
    """Every problem of the published files and the override files."""
    return validate_outputs(config.output_dir) + validate_overrides(config.overrides_dir)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.validate",
        description="Check output/ and overrides/ against schemas/ and the published invariants.",
    )
    parser.add_argument("--output-dir", type=Path, help="the published files (default: output)")
    parser.add_argument("--overrides-dir", type=Path, help="the override files (default: overrides)")
    return parser


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _summary(outputs: dict[str, Any], overrides: dict[str, Any], overrides_dir: Path) -> str:
    present = sum((overrides_dir / name).exists() for name in overrides)
    shows, movies = (len(outputs.get(OUTPUT_FILE[kind], [])) for kind in KINDS)
    count = sum(len(data) for data in overrides.values())
    return (
        f"validate: {_count(len(outputs), 'output file')} and {_count(present, 'override file')} valid "
        f"({_count(shows, 'show')} + {_count(movies, 'movie')}, {_count(count, 'override')})"
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logs.setup()
    heap.tune()
    try:
        config = load_config({"output_dir": args.output_dir, "overrides_dir": args.overrides_dir})
        output_problems, outputs = read_outputs(config.output_dir)
        override_problems, overrides = _overrides(config.overrides_dir)
    except PipelineError as exc:
        print(exc, file=sys.stderr)
        return 1
    found = output_problems + override_problems
    for problem in found:
        print(problem, file=sys.stderr)
    if found:
        restore = f"; {RESTORE}" if output_problems else ""
        logger.error("validate: %s; fix them before anything is published%s", _count(len(found), "problem"), restore)
        if override_problems:
            logger.error("%s", HOW_TO_FIX)
        return 1
    logger.info("%s", _summary(outputs, overrides, config.overrides_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
