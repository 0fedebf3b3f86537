"""The `openai` generator: OpenAI, Azure OpenAI (its v1 API) or any compatible server.

It uses the official `openai` SDK with the SDK's own retries off: retries, backoff and the
circuit breaker are ours (civicdesk.llm.resilience), so the trace can say what happened and
the per-inquiry token budget covers every attempt. Nothing but GenerationFailed leaves this
module. No question or answer text is ever logged, only codes and counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import openai
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessageParam

from civicdesk.llm.generator import (
    GeneratedAnswer,
    GenerationFailed,
    Prices,
    Source,
    TokenUsage,
    failure,
)
from civicdesk.llm.resilience import (
    BreakerState,
    CircuitBreaker,
    RetryPolicy,
    retry_after_seconds,
)
from civicdesk.llm.structured import (
    QUERY_RESPONSE_FORMAT,
    RESPONSE_FORMAT,
    TRANSLATED_RESPONSE_FORMAT,
    estimate_tokens,
    parse_answer,
    parse_translation,
    query_prompt,
    system_prompt,
    user_prompt,
)
from civicdesk.logging import get_logger

log = get_logger(__name__)

OPENAI_BASE_URL = "https://api.openai.com/v1"
_NO_KEY = "not-needed"  # local servers want no key; the SDK wants some string
T = TypeVar("T")


@dataclass(frozen=True)
class _Call:
    """One request, the same on every attempt: messages, the JSON schema asked for, and the
    most tokens the model may write."""

    messages: list[ChatCompletionMessageParam]
    response_format: dict[str, Any]
    max_tokens: int


class OpenAIGenerator:
    name = "openai"

    def __init__(
        self,
        client: openai.OpenAI,
        *,
        model: str,
        max_tokens: int,
        organisation: str = "",
        prices: Prices | None = None,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.client = client
        self.model = model
        self.max_tokens = max_tokens
        self.organisation = organisation
        self.prices = prices or Prices()
        self.retry = retry or RetryPolicy()
        self.breaker = breaker or CircuitBreaker()
        self.structured = True  # set False once the server says it has no JSON-schema mode

    @classmethod
    def connect(
        cls,
        *,
        model: str,
        base_url: str = "",
        api_key: str = "",
        timeout: float = 20.0,
        **options: Any,
    ) -> OpenAIGenerator:
        client = openai.OpenAI(
            api_key=api_key or _NO_KEY,
            base_url=base_url or OPENAI_BASE_URL,
            timeout=timeout,
            max_retries=0,
        )
        return cls(client, model=model, **options)

    # -- the Generator protocol -----------------------------------------------------------

    def generate(
        self,
        question: str,
        sources: Sequence[Source],
        *,
        language: str,
        usage: TokenUsage,
        translate_to: str = "",
    ) -> GeneratedAnswer:
        call = self._answer_call(question, sources, language, usage, translate_to)
        usage.model = self.model
        return self._retrying(lambda: self._attempt(call, usage, _answer))

    def stream(
        self,
        question: str,
        sources: Sequence[Source],
        *,
        language: str,
        usage: TokenUsage,
        translate_to: str = "",
    ) -> Iterator[str]:
        """Text deltas as the model writes. Retries happen only before the first delta:
        once text has gone to the citizen, a failure is raised for the caller to handle."""
        call = self._answer_call(question, sources, language, usage, translate_to)
        usage.model = self.model
        retry = 0
        while True:
            started = False
            try:
                for delta in self._stream_attempt(call, usage):
                    started = True
                    yield delta
                return
            except GenerationFailed as exc:
                if started:
                    raise
                self._wait_or_raise(exc, retry)
                retry += 1

    def translate_query(self, text: str, *, target: str, usage: TokenUsage) -> str:
        """One small call: the question in `target`, to search the guidance with. It may
        write about twice the question's tokens (a translation is about as long)."""
        call = _Call(
            [
                {"role": "system", "content": query_prompt(self.organisation, target)},
                {"role": "user", "content": f"Question: {text.strip()}"},
            ],
            QUERY_RESPONSE_FORMAT,
            2 * estimate_tokens(text) + 64,
        )
        usage.model = self.model
        return self._retrying(lambda: self._attempt(call, usage, _translation))

    def _retrying(self, attempt: Callable[[], T]) -> T:
        retry = 0
        while True:
            try:
                return attempt()
            except GenerationFailed as exc:
                self._wait_or_raise(exc, retry)
                retry += 1

    # -- one attempt ------------------------------------------------------------------------

    def _attempt(self, call: _Call, usage: TokenUsage, read: Callable[[str, bool], T]) -> T:
        self._admit(call, usage)
        structured = self.structured
        try:
            completion = self._create(call, structured)
        except GenerationFailed:
            self.breaker.record_failure()
            raise
        except _SchemaUnsupported:
            self.breaker.record_success()  # the server answered; it only lacks a JSON mode
            self._schema_unsupported()
            return self._attempt(call, usage, read)
        self._count(completion, call.messages, usage)
        try:
            result = read(self._content(completion, call), structured)
        except GenerationFailed as exc:
            if exc.reason == "malformed_output":
                self.breaker.record_failure()
            else:
                self.breaker.record_success()  # a refusal or truncation is not an outage
            raise
        self.breaker.record_success()
        return result

    def _stream_attempt(self, call: _Call, usage: TokenUsage) -> Iterator[str]:
        self._admit(call, usage)
        reported = False
        written: list[str] = []
        try:
            for chunk in self._open_stream(call):
                if chunk.usage is not None:
                    reported = True
                    usage.add(chunk.usage.prompt_tokens, chunk.usage.completion_tokens, self.prices)
                for choice in chunk.choices:
                    if choice.delta.content:
                        written.append(choice.delta.content)
                        yield choice.delta.content
        except _SchemaUnsupported:
            self.breaker.record_success()
            self._schema_unsupported()
            yield from self._stream_attempt(call, usage)
            return
        except GenerationFailed:
            self.breaker.record_failure()
            raise
        except GeneratorExit:  # the reader stopped early; the provider did nothing wrong
            self.breaker.record_success()
            raise
        finally:
            if written and not reported:  # the server sent text but no usage: estimate
                self._estimate(call.messages, "".join(written), usage)
        self.breaker.record_success()

    def _open_stream(self, call: _Call) -> Iterator[ChatCompletionChunk]:
        structured = self.structured
        try:
            stream = self.client.chat.completions.create(
                model=self.model,
                messages=call.messages,
                max_tokens=call.max_tokens,
                temperature=0,
                stream=True,
                stream_options={"include_usage": True},
                **self._format(call, structured),
            )
            with stream:  # closes the response if the reader stops early
                yield from stream
        except openai.BadRequestError as exc:
            if structured and _mentions_response_format(exc):
                raise _SchemaUnsupported from None
            raise _classify(exc) from None
        except _SDK_ERRORS as exc:
            raise _classify(exc) from None

    def _schema_unsupported(self) -> None:
        """From now on describe the JSON in the prompt only, and find it in the text."""
        self.structured = False
        log.warning("llm_json_schema_unsupported", model=self.model)

    def _admit(self, call: _Call, usage: TokenUsage) -> None:
        """Refuse to call when the breaker is open or the budget would be exceeded."""
        needed = _prompt_tokens(call.messages) + call.max_tokens
        if needed > usage.remaining:
            raise failure(
                "over_budget",
                f"this call could use {needed} tokens; {usage.remaining} remain of the "
                f"inquiry's budget of {usage.budget}.",
                "Raise llm_token_budget or lower llm_max_tokens.",
            )
        if not self.breaker.allow():
            raise failure(
                "circuit_open",
                "calls to the provider are paused after repeated failures.",
                f"They resume on their own after {self.breaker.cooldown:g} seconds.",
            )
        usage.attempts += 1

    def _create(self, call: _Call, structured: bool) -> ChatCompletion:
        try:
            completion = self.client.chat.completions.create(
                model=self.model,
                messages=call.messages,
                max_tokens=call.max_tokens,
                temperature=0,
                **self._format(call, structured),
            )
            if not isinstance(completion, ChatCompletion):  # a body that was not JSON
                raise failure("malformed_output", "the provider's reply is not a completion.")
            return completion
        except openai.BadRequestError as exc:
            if structured and _mentions_response_format(exc):
                raise _SchemaUnsupported from None
            raise _classify(exc) from None
        except _SDK_ERRORS as exc:
            raise _classify(exc) from None

    @staticmethod
    def _format(call: _Call, structured: bool) -> dict[str, Any]:
        return {"response_format": call.response_format} if structured else {}

    def _content(self, completion: ChatCompletion, call: _Call) -> str:
        """The reply's text, unless the model refused or was cut off."""
        if not completion.choices:
            raise failure("malformed_output", "the provider's reply has no choices.")
        choice = completion.choices[0]
        if choice.message.refusal:
            raise failure("model_refused", "the model declined to answer.")
        if choice.finish_reason == "length":
            raise failure(
                "truncated",
                f"the reply was cut off at its limit of {call.max_tokens} tokens.",
                "Raise llm_max_tokens.",
            )
        return choice.message.content or ""

    def _count(
        self,
        completion: ChatCompletion,
        messages: list[ChatCompletionMessageParam],
        usage: TokenUsage,
    ) -> None:
        if completion.usage is not None:
            usage.add(
                completion.usage.prompt_tokens, completion.usage.completion_tokens, self.prices
            )
            return
        content = completion.choices[0].message.content if completion.choices else ""
        self._estimate(messages, content or "", usage)

    def _estimate(
        self, messages: list[ChatCompletionMessageParam], written: str, usage: TokenUsage
    ) -> None:
        usage.estimated = True
        usage.add(_prompt_tokens(messages), estimate_tokens(written) if written else 0, self.prices)

    def _wait_or_raise(self, exc: GenerationFailed, retry: int) -> None:
        """Sleep before the next attempt, or raise: not retryable, no retries left, a wait
        too long for a citizen, or the breaker opened on this very failure."""
        if exc.reason not in _RETRYABLE:
            raise exc
        wait = self.retry.delay(retry, exc.retry_after)
        if wait is None or self.breaker.state is BreakerState.OPEN:
            log.warning("llm_call_failed", reason=exc.reason, code=exc.code, attempts=retry + 1)
            raise exc
        log.info("llm_call_retrying", reason=exc.reason, code=exc.code, wait_s=round(wait, 3))
        time.sleep(wait)

    def _answer_call(
        self,
        question: str,
        sources: Sequence[Source],
        language: str,
        usage: TokenUsage,
        translate_to: str,
    ) -> _Call:
        """The answer's request, with the lowest-ranked sources left out until it fits the
        budget. A translated answer writes every sentence twice, so it may write twice
        llm_max_tokens."""
        if translate_to:
            response_format, max_tokens = TRANSLATED_RESPONSE_FORMAT, 2 * self.max_tokens
        else:
            response_format, max_tokens = RESPONSE_FORMAT, self.max_tokens
        system = system_prompt(self.organisation, language, reply_language=translate_to)
        kept = list(sources)
        while True:
            messages: list[ChatCompletionMessageParam] = [
                {"role": "system", "content": system},
                {"role": "user", "content": user_prompt(question, kept)},
            ]
            if len(kept) <= 1 or _prompt_tokens(messages) + max_tokens <= usage.remaining:
                return _Call(messages, response_format, max_tokens)
            kept.pop()


def _answer(content: str, structured: bool) -> GeneratedAnswer:
    return GeneratedAnswer(parse_answer(content), structured=structured)


def _translation(content: str, structured: bool) -> str:
    return parse_translation(content)


_RETRYABLE = frozenset(
    {"timeout", "unreachable", "rate_limited", "server_error", "malformed_output"}
)


class _SchemaUnsupported(Exception):
    """The server refused response_format: json_schema (a 400 that names it)."""


def _mentions_response_format(exc: openai.BadRequestError) -> bool:
    text = f"{exc.message} {exc.body}".lower()
    return "response_format" in text or "json_schema" in text


def _prompt_tokens(messages: list[ChatCompletionMessageParam]) -> int:
    return sum(estimate_tokens(str(m.get("content", ""))) + 4 for m in messages)


def _classify(exc: Exception) -> GenerationFailed:
    """The SDK's exception as one of our failure reasons; a Retry-After rides along."""
    if isinstance(exc, openai.APITimeoutError):
        return failure("timeout", "the provider did not answer in time.", _TIMEOUT_HINT)
    if isinstance(exc, openai.APIConnectionError):
        return failure("unreachable", "cannot reach the provider.", "Check llm_base_url.")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        wait = retry_after_seconds(exc.response.headers)
        if status == 429:
            return failure(
                "rate_limited", "the provider is limiting requests (429).", retry_after=wait
            )
        if status >= 500 or status == 408:
            return failure("server_error", f"the provider failed ({status}).", retry_after=wait)
        return failure(
            "rejected",
            f"the provider refused the request ({status}).",
            "Check llm_api_key and llm_model.",
        )
    return failure(
        "malformed_output", f"the provider's reply could not be read ({type(exc).__name__})."
    )


_TIMEOUT_HINT = "Check the provider, or raise llm_timeout_seconds."
# The SDK raises its own errors for HTTP trouble; a body it cannot decode surfaces as a
# ValueError (JSON) or a pydantic error, which are malformed output all the same.
_SDK_ERRORS: tuple[type[Exception], ...] = (openai.OpenAIError, ValueError)
