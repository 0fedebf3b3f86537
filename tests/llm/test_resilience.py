"""Backoff, Retry-After and the breaker's states, without a server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from civicdesk.llm.resilience import BreakerState, CircuitBreaker, RetryPolicy, retry_after_seconds

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "Mon, 23 Nov 2026 12:00:07 GMT"}, 7.0),
        ({"retry-after": "Mon, 23 Nov 2026 11:00:00 GMT"}, 0.0),  # in the past: now
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after(headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after_seconds(headers, now=NOW) == seconds


def test_backoff_doubles_with_jitter_within_bounds_and_stops() -> None:
    lowest = RetryPolicy(retries=3, base_delay=1.0, max_delay=3.0, jitter=lambda a, b: a)
    highest = RetryPolicy(retries=3, base_delay=1.0, max_delay=3.0, jitter=lambda a, b: b)
    assert [lowest.delay(n) for n in range(4)] == [0.5, 1.0, 1.5, None]
    assert [highest.delay(n) for n in range(4)] == [1.0, 2.0, 3.0, None]


def test_retry_after_replaces_backoff_unless_too_long() -> None:
    policy = RetryPolicy(retries=2, max_delay=8.0)
    assert policy.delay(0, retry_after=5.0) == 5.0
    assert policy.delay(0, retry_after=60.0) is None
    assert policy.delay(2, retry_after=1.0) is None  # no retries left


def test_breaker_counts_failures_in_a_row_only() -> None:
    now = [0.0]
    breaker = CircuitBreaker(threshold=3, cooldown=5, clock=lambda: now[0])
    for _ in range(2):
        breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    now[0] = 4.9
    assert not breaker.allow()
    now[0] = 5.0
    assert breaker.state is BreakerState.HALF_OPEN
