"""A fake wall clock for requests-cache and the Trakt client, to simulate nights without waiting.

    clock = FakeClock(start=time.time())
    with clock.patched():
        enrich(config, options, client_factory=clock.client_factory)
        clock.advance(days=1)

requests-cache reads the current time in four places (requests_cache 1.2):
``policy.expiration.utcnow`` (expiry of a new answer), the ``utcnow`` imported by
``policy.actions`` and ``models.response`` (``is_expired``, ``created_at``), and ``time`` imported
by ``backends.sqlite`` (``delete(expired=True)``, ``count``/``sorted`` with ``expired=False``).
``patched()`` replaces all of them, so a simulation uses the real cache, not a model of it; the
client's refresh slots read ``wall_clock``, which ``client_factory`` points at this clock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import requests_cache.backends.sqlite
import requests_cache.models.response
import requests_cache.policy.actions
import requests_cache.policy.expiration

from pipeline.config import Config
from pipeline.trakt.client import TraktClient

DAY = 86_400.0

# (module, name) of every reader of the current time in requests-cache, and what it returns.
_UTCNOW = (
    requests_cache.policy.expiration,
    requests_cache.policy.actions,
    requests_cache.models.response,
)
_TIME = (requests_cache.backends.sqlite,)


@dataclass(slots=True)
class FakeClock:
    """Unix seconds that move only when told to."""

    now: float

    def __call__(self) -> float:
        return self.now

    def utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)

    def advance(self, *, days: float = 0.0, seconds: float = 0.0) -> None:
        self.now += days * DAY + seconds

    @contextlib.contextmanager
    def patched(self) -> Iterator[FakeClock]:
        """requests-cache reads this clock instead of the real one, inside the block."""
        with contextlib.ExitStack() as stack:
            for module in _UTCNOW:
                assert hasattr(module, "utcnow"), f"{module.__name__} no longer reads utcnow: update FakeClock"
                stack.enter_context(mock.patch.object(module, "utcnow", self.utcnow))
            for module in _TIME:
                assert hasattr(module, "time"), f"{module.__name__} no longer reads time: update FakeClock"
                stack.enter_context(mock.patch.object(module, "time", self))
            yield self

    def client_factory(self, config: Config, **options: Any) -> TraktClient:
        """A ``TraktClient`` whose refresh slots are computed on this clock (for ``enrich``)."""
        return TraktClient(config, wall_clock=self, **options)
