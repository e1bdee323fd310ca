"""One bounded budget of time a night for each outside source (a download, Wikidata), retries included.

An unreachable source used to cost every night its full retry schedule (Wikidata: 62 s of backoff for
one batch); a source that has used its budget is skipped for the night, and the step says so. Trakt
has its own (``--stop-after``, ``TraktClient.budget``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Budget:
    """``seconds`` for ``source`` tonight, counted from the first use on ``clock``."""

    source: str
    seconds: float
    clock: Callable[[], float] = time.monotonic
    _started: float | None = field(default=None, repr=False)

    def remaining(self) -> float:
        now = self.clock()
        if self._started is None:
            self._started = now
        return max(0.0, self.seconds - (now - self._started))

    def allows(self, seconds: float) -> bool:
        """Is there room for ``seconds`` more (a wait before a retry) tonight?"""
        return seconds <= self.remaining()

    def skipped(self, problem: str) -> str:
        return (
            f"skipped for tonight: {self.source} used its budget of {self.seconds:g} s ({problem});"
            " the next night tries again"
        )
