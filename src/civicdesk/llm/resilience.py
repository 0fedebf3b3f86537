"""Bounded retries with backoff, and a circuit breaker, for calls to a model provider.

A citizen is waiting while we call, so retries are few and short: exponential backoff with
jitter (so many workers do not retry in step), a server's Retry-After honoured when it is
short enough to wait for, and given up on when it is not. After `threshold` failed attempts
in a row the breaker opens and calls fail at once, without touching the network, until a
cool-down has passed; then one trial call is let through (half-open), and its result closes
the breaker or opens it again. Web workers answer in threads, so the breaker is locked.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum


@dataclass(frozen=True)
class RetryPolicy:
    """`retries` more attempts after the first; waits of base * 2^n seconds, jittered."""

    retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0
    jitter: Callable[[float, float], float] = field(default=random.uniform, compare=False)

    def delay(self, retry: int, retry_after: float | None = None) -> float | None:
        """Seconds to wait before retry number `retry` (0-based), or None: do not retry.

        A server's Retry-After is waited for exactly (plus nothing) when it is no longer than
        `max_delay`; a longer one means the provider will not help this citizen in time.
        """
        if retry >= self.retries:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_delay else None
        ceiling = min(self.max_delay, self.base_delay * 2.0**retry)
        return ceiling / 2 + self.jitter(0.0, ceiling / 2)  # "equal jitter"


def retry_after_seconds(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """How long a server asked us to wait: `retry-after-ms`, else `Retry-After` (seconds or an
    HTTP date). None when it did not say or said something unreadable."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        threshold: int = 5,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state()

    def _state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self.cooldown:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def allow(self) -> bool:
        """May a call go out now? In half-open state only one trial call at a time may."""
        with self._lock:
            state = self._state()
            if state is BreakerState.CLOSED:
                return True
            if state is BreakerState.HALF_OPEN and not self._trial_running:
                self._trial_running = True
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_running = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._trial_running or self._failures >= self.threshold:
                self._opened_at = self._clock()
            self._trial_running = False
