"""Progress of a long step: a bar on a terminal, a line every few seconds in CI logs, or nothing."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Protocol

logger = logging.getLogger(__name__)


class _Counts(Protocol):
    requests: int
    from_cache: int


class Progress:
    def __init__(
        self,
        total: int,
        *,
        enabled: bool = True,
        stats: _Counts | None = None,
        every: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
        tty: bool | None = None,
        noun: str = "entries",
    ) -> None:
        self.total, self.done, self._noun = total, 0, noun
        self._enabled, self._stats, self._every, self._clock = enabled, stats, every, clock
        self._tty = sys.stderr.isatty() if tty is None else tty
        self._last = clock()

    def _line(self) -> str:
        counts = ""
        if self._stats is not None:
            counts = f", {self._stats.requests:,} requests, {self._stats.from_cache:,} from cache"
        return f"enrich: {self.done:,}/{self.total:,} {self._noun}{counts}"

    def advance(self) -> None:
        self.done += 1
        if not self._enabled:
            return
        if self._tty:
            if self.done == self.total or self.done % 25 == 0:
                width = 30
                filled = width * self.done // max(self.total, 1)
                sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self._line()}")
                sys.stderr.flush()
        elif self._clock() - self._last >= self._every:
            self._last = self._clock()
            logger.info(self._line())

    def finish(self) -> None:
        if not self._enabled:
            return
        if self._tty:
            sys.stderr.write("\n")
        else:
            logger.info(self._line())
