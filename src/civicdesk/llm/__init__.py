"""Language-model providers, picked by name from settings.

`extractive` (the default) needs no provider: the assistant's own composer writes the answer
offline, and `build_generator` returns None. `openai` speaks the OpenAI chat-completions API
(OpenAI, Azure OpenAI, vLLM, llama.cpp, Ollama and other compatible servers). A new provider
registers a factory in PROVIDERS the same way the built-in one does.
"""

from __future__ import annotations

from collections.abc import Callable

from civicdesk.errors import ConfigError
from civicdesk.llm.generator import Generator, Prices
from civicdesk.llm.resilience import CircuitBreaker, RetryPolicy
from civicdesk.settings import Settings


def _openai(settings: Settings) -> Generator:
    from civicdesk.llm.openai_provider import OpenAIGenerator

    if not settings.llm_model:
        raise ConfigError(
            "llm_provider is openai but no llm_model is set.",
            hint="Set CIVICDESK_LLM_MODEL to the model or Azure deployment name.",
            code="E1011",
        )
    return OpenAIGenerator.connect(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key.get_secret_value(),
        timeout=settings.llm_timeout_seconds,
        max_tokens=settings.llm_max_tokens,
        organisation=settings.organisation_name,
        prices=Prices(settings.llm_price_per_1k_input, settings.llm_price_per_1k_output),
        retry=RetryPolicy(retries=settings.llm_max_retries),
        breaker=CircuitBreaker(
            settings.llm_breaker_failures, settings.llm_breaker_cooldown_seconds
        ),
    )


PROVIDERS: dict[str, Callable[[Settings], Generator]] = {"openai": _openai}


def build_generator(settings: Settings) -> Generator | None:
    """The configured generator, or None for the offline extractive composer."""
    if settings.llm_provider == "extractive":
        return None
    return PROVIDERS[settings.llm_provider](settings)
