"""A local OpenAI-compatible server per test, and a generator pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from generators import MakeGenerator
from openai_wire import FakeOpenAI

from civicdesk.llm.generator import Prices
from civicdesk.llm.openai_provider import OpenAIGenerator
from civicdesk.llm.resilience import CircuitBreaker, RetryPolicy


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as running:
        yield running


@pytest.fixture
def make_generator(server: FakeOpenAI) -> Iterator[MakeGenerator]:
    """Generators on `server` with fast retries; each one's HTTP client is closed after."""
    made: list[OpenAIGenerator] = []

    def make(**options: Any) -> OpenAIGenerator:
        settings: dict[str, Any] = {
            "model": "fake-model",
            "base_url": server.base_url,
            "timeout": 2.0,
            "max_tokens": 200,
            "organisation": "Aberwen Council",
            "prices": Prices(input_per_1k=0.5, output_per_1k=1.5),
            "retry": RetryPolicy(retries=2, base_delay=0.01, max_delay=2.0),
            "breaker": CircuitBreaker(threshold=5, cooldown=0.3),
        }
        settings.update(options)
        generator = OpenAIGenerator.connect(**settings)
        made.append(generator)
        return generator

    yield make
    for generator in made:
        generator.client.close()
