"""Trakt's rate limit, kept on our side: never more than N GET requests in any window of P seconds.

Trakt allows 1000 GET calls per 5 minutes per application; ``config.yaml`` sets the numbers
(``rate_limit_calls``, ``rate_limit_period_seconds``), and ``pipeline.trakt.client`` sends every request
that really goes out through one limiter.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """Never more than ``calls`` requests in any ``period`` seconds (a sliding window).

    A request counts from the moment it is let through (in flight) and, once answered, from the
    moment its answer arrived, which is after Trakt counted it: the window the client sees is never
    ahead of Trakt's, however many threads send. The first ``calls`` requests go out at once.
    """

    POLL = 0.01  # how long to wait when every slot is taken by a request still in flight

    def __init__(
        self,
        calls: int,
        period: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._calls, self._period = calls, period
        self._clock, self._sleep = clock, sleep
        self._answered: deque[float] = deque()
        self._in_flight = 0
        self._blocked_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Wait until a request may go out, and count it as in flight."""
        while True:
            with self._lock:
                now = self._clock()
                while self._answered and self._answered[0] <= now - self._period:
                    self._answered.popleft()
                wait = self._blocked_until - now
                if len(self._answered) + self._in_flight >= self._calls:
                    # A slot frees when the oldest answer leaves the window (in-flight ones only add).
                    wait = max(wait, self._answered[0] + self._period - now if self._answered else self.POLL)
                if wait <= 0:
                    self._in_flight += 1
                    return
            self._sleep(wait)

    def record(self) -> None:
        """The answer to a request let through by ``acquire`` arrived (or it failed)."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            self._answered.append(self._clock())

    def ages(self) -> list[float]:
        """How long ago each answer still in the window arrived, oldest first (for the next process)."""
        with self._lock:
            now = self._clock()
            return [now - at for at in self._answered if at > now - self._period]

    def seed(self, ages: list[float]) -> None:
        """Count answers an earlier process received ``ages`` seconds ago, as if this limiter had."""
        with self._lock:
            now = self._clock()
            earlier = sorted(now - age for age in ages if 0 <= age < self._period)
            self._answered = deque(sorted([*earlier, *self._answered]))

    def block_for(self, seconds: float) -> None:
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + seconds)
