"""Providers are picked by name from settings; a half-configured provider stops the start."""

from __future__ import annotations

import pytest

from civicdesk.errors import ConfigError
from civicdesk.llm import build_generator
from civicdesk.llm.openai_provider import OpenAIGenerator
from civicdesk.settings import Settings


def test_extractive_needs_no_generator() -> None:
    assert build_generator(Settings(environment="test")) is None


def test_openai_without_a_model_is_a_coded_error() -> None:
    with pytest.raises(ConfigError) as caught:
        build_generator(Settings(environment="test", llm_provider="openai"))
    assert caught.value.code == "E1011"


def test_openai_is_built_from_settings_and_sends_nothing_yet() -> None:
    settings = Settings(
        environment="test",
        llm_provider="openai",
        llm_model="gpt-test",
        llm_api_key="sk-secret",
        llm_timeout_seconds=7,
        llm_max_tokens=321,
        llm_max_retries=4,
        llm_breaker_failures=9,
        llm_price_per_1k_output=2.5,
    )
    generator = build_generator(settings)
    assert isinstance(generator, OpenAIGenerator)
    try:
        assert str(generator.client.base_url).rstrip("/") == "https://api.openai.com/v1"
        assert generator.client.api_key == "sk-secret"
        assert generator.client.max_retries == 0  # retries are civicdesk's, not the SDK's
        assert (generator.model, generator.max_tokens) == ("gpt-test", 321)
        assert (generator.retry.retries, generator.breaker.threshold) == (4, 9)
        assert generator.prices.output_per_1k == 2.5
    finally:
        generator.client.close()


def test_the_key_is_never_shown_in_settings() -> None:
    view = Settings(environment="test", llm_api_key="sk-secret").public_view()
    assert view["llm_api_key"] == "********"
