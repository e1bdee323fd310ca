"""Logging for every step: one format, and the API key redacted from every line, tracebacks included."""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

_SECRETS: set[str] = set()
REDACTED = "[redacted]"


def redact(text: str) -> str:
    for secret in _SECRETS:
        text = text.replace(secret, REDACTED)
    return text


class _Redact(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def _print_redacted(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """``sys.excepthook``: an uncaught exception keeps its traceback, minus the secrets in its messages."""
    sys.stderr.write(redact("".join(traceback.format_exception(kind, value, tb))))


def add_secret(secret: str) -> None:
    if len(secret) >= 4:
        _SECRETS.add(secret)


def setup(*, verbose: bool = False, secrets: list[str] | None = None) -> None:
    """INFO (or DEBUG with --verbose) to stderr, as ``message`` lines; secrets never printed."""
    for secret in secrets or []:
        add_secret(secret)
    sys.excepthook = _print_redacted
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Redact("%(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("pipeline").setLevel(logging.DEBUG if verbose else logging.INFO)
