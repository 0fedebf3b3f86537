"""The openai generator against a real local server speaking the OpenAI wire format."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from generators import SOURCES, MakeGenerator
from openai_wire import FakeOpenAI, Raw, Reply, Slow, Status, Stream, answer_json, deltas

from civicdesk.llm.generator import GeneratedSentence, GenerationFailed, TokenUsage
from civicdesk.llm.openai_provider import OpenAIGenerator
from civicdesk.llm.resilience import BreakerState, CircuitBreaker, RetryPolicy
from civicdesk.llm.structured import (
    complete_sentences,
    estimate_tokens,
    system_prompt,
    user_prompt,
)

QUESTION = "How much is a permit for my first car?"
GOOD = answer_json(("A permit for your first vehicle costs £45 for 12 months.", [1]))


def generate(generator: OpenAIGenerator, budget: int = 10_000) -> tuple[object, TokenUsage]:
    usage = TokenUsage(budget=budget)
    answer = generator.generate(QUESTION, SOURCES, language="en", usage=usage)
    return answer, usage


def failure(
    generator: OpenAIGenerator, budget: int = 10_000
) -> tuple[GenerationFailed, TokenUsage]:
    usage = TokenUsage(budget=budget)
    with pytest.raises(GenerationFailed) as caught:
        generator.generate(QUESTION, SOURCES, language="en", usage=usage)
    return caught.value, usage


def test_structured_answer_with_sources_tokens_and_cost(
    server: FakeOpenAI, make_generator: MakeGenerator
) -> None:
    server.script(Reply(GOOD, usage=(400, 60)))
    answer, usage = generate(make_generator())
    assert answer.sentences == (  # type: ignore[attr-defined]
        GeneratedSentence("A permit for your first vehicle costs £45 for 12 months.", (1,)),
    )
    assert answer.structured  # type: ignore[attr-defined]
    [request] = server.completions()
    body = request.body
    assert body["model"] == "fake-model"
    assert body["temperature"] == 0
    assert body["max_tokens"] == 200
    schema = body["response_format"]
    assert schema["type"] == "json_schema"
    assert schema["json_schema"]["strict"] is True
    assert schema["json_schema"]["schema"]["required"] == ["sentences"]
    system, user = body["messages"]
    assert system["role"] == "system" and "Aberwen Council" in system["content"]
    assert "[1] Resident and visitor parking permits > Resident permits" in user["content"]
    assert "[2] Bin collection days" in user["content"]
    assert user["content"].endswith(f"Question: {QUESTION}")
    assert request.headers["authorization"] == "Bearer not-needed"
    assert (usage.prompt_tokens, usage.completion_tokens, usage.attempts) == (400, 60, 1)
    assert usage.cost == pytest.approx(400 / 1000 * 0.5 + 60 / 1000 * 1.5)
    assert usage.as_record()["model"] == "fake-model"
    assert not usage.estimated


def test_api_key_is_sent_as_a_bearer_token(
    server: FakeOpenAI, make_generator: MakeGenerator
) -> None:
    generate(make_generator(api_key="sk-test-123"))
    assert server.completions()[0].headers["authorization"] == "Bearer sk-test-123"


def test_a_server_without_json_schema_gets_the_shape_in_the_prompt(
    make_generator: MakeGenerator,
) -> None:
    with FakeOpenAI(supports_json_schema=False) as plain:
        plain.script(Reply(f"Here is the answer:\n```json\n{GOOD}\n```"), Reply(GOOD))
        generator = make_generator(base_url=plain.base_url)
        answer, usage = generate(generator)
        assert answer.sentences[0].sources == (1,)  # type: ignore[attr-defined]
        assert not answer.structured  # type: ignore[attr-defined]
        assert not generator.structured
        generate(generator)  # remembered: no second refusal
        sent = [("response_format" in r.body) for r in plain.completions()]
        assert sent == [True, False, False]
        generator.client.close()
    assert generator.breaker.state is BreakerState.CLOSED


def test_usage_is_estimated_when_the_server_reports_none(
    server: FakeOpenAI, make_generator: MakeGenerator
) -> None:
    server.script(Reply(GOOD, usage=None))
    _, usage = generate(make_generator())
    assert usage.estimated
    assert usage.prompt_tokens > 100 and usage.completion_tokens > 5


def test_timeouts_are_retried_then_given_up(
    server: FakeOpenAI, make_generator: MakeGenerator
) -> None:
    generator = make_generator(timeout=0.3)
    server.script(Slow(1.0), Reply(GOOD))
    answer, usage = generate(generator)
    assert usage.attempts == 2
    server.script(Slow(1.0), Slow(1.0), Slow(1.0))
    error, usage = failure(generator)
    assert (error.reason, error.code, usage.attempts) == ("timeout", "E1001", 3)


def test_429_waits_as_long_as_retry_after_says(
    server: FakeOpenAI, make_generator: MakeGenerator
) -> None:
    server.script(Status(429, "slow down", {"Retry-After": "1"}), Reply(GOOD))
    generate(make_generator())
    first, second = server.completions()
    assert second.at - first.at >= 1.0


def test_429_retry_after_ms_is_honoured_too(
    server: FakeOpenAI, make_generator: MakeGenerator
) -> None:
    server.script(Status(429, "slow down", {"retry-after-ms": "250"}), Reply(GOOD))
    generate(make_generator())
    first, second = server.completions()
    assert 0.25 <= second.at - first.at < 1.0


def test_429_asking_for_too_long_a_wait_gives_up_at_once(
    server: FakeOpenAI, make_generator: MakeGenerator
) -> None:
    server.script(Status(429, "quota", {"Retry-After": "120"}))
    error, usage = failure(make_generator())
    assert (error.reason, error.code) == ("rate_limited", "E1003")
    assert len(server.completions()) == 1


def test_server_errors_are_retried_with_backoff(
    server: FakeOpenAI, make_generator: MakeGenerator
) -> None:
    server.script(Status(500), Status(503), Reply(GOOD))
    _, usage = generate(make_generator())
    assert usage.attempts == 3
    server.script(Status(500), Status(502), Status(500))
    error, _ = failure(make_generator())
    assert (error.reason, error.code) == ("server_error", "E1004")


@pytest.mark.parametrize(
    "broken",
    [
        Reply("I think a permit costs about £45."),  # prose, no JSON
        Reply('{"answer": "£45"}'),  # JSON of the wrong shape
        Reply('{"sentences": [{"text": "£45", "sources": "first"}]}'),
        Raw(b"<html>502 Bad Gateway</html>", "text/html"),  # not JSON at all
    ],
)
def test_malformed_output_is_retried_then_given_up(
    server: FakeOpenAI, make_generator: MakeGenerator, broken: Reply | Raw
) -> None:
    server.script(broken, Reply(GOOD))
    _, usage = generate(make_generator())
    assert usage.attempts == 2
    server.script(broken, broken, broken)
    error, _ = failure(make_generator())
    assert (error.reason, error.code) == ("malformed_output", "E1005")


@pytest.mark.parametrize(
    ("behaviour", "reason", "code"),
    [
        (Status(401, "invalid api key"), "rejected", "E1006"),
        (Status(404, "model not found"), "rejected", "E1006"),
        (Reply('{"sentences": [{"text": "A perm', finish_reason="length"), "truncated", "E1007"),
        (Reply("", refusal="I can't help with that."), "model_refused", "E1008"),
    ],
)
def test_failures_a_retry_cannot_fix_are_not_retried(
    server: FakeOpenAI,
    make_generator: MakeGenerator,
    behaviour: Status | Reply,
    reason: str,
    code: str,
) -> None:
    server.script(behaviour)
    error, usage = failure(make_generator())
    assert (error.reason, error.code, usage.attempts) == (reason, code, 1)
    assert len(server.completions()) == 1


def test_an_unreachable_server_fails_as_unreachable(make_generator: MakeGenerator) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    generator = make_generator(base_url=f"http://127.0.0.1:{port}/v1")
    error, usage = failure(generator)
    assert (error.reason, error.code, usage.attempts) == ("unreachable", "E1002", 3)


def test_circuit_breaker_opens_then_half_opens_then_closes(
    server: FakeOpenAI, make_generator: MakeGenerator
) -> None:
    generator = make_generator(
        breaker=CircuitBreaker(threshold=3, cooldown=0.3),
        retry=RetryPolicy(retries=1, base_delay=0.01),
    )
    server.script(Status(500), Status(500), Status(500), Status(500))
    failure(generator)  # two failed attempts
    assert generator.breaker.state is BreakerState.CLOSED
    error, usage = failure(generator)  # the third failure opens it: no retry, its own error
    assert error.reason == "server_error"
    assert generator.breaker.state is BreakerState.OPEN
    assert len(server.completions()) == 3
    error, usage = failure(generator)  # open: no call at all
    assert (error.reason, error.code, usage.attempts) == ("circuit_open", "E1010", 0)
    assert len(server.completions()) == 3

    time.sleep(0.35)
    assert generator.breaker.state is BreakerState.HALF_OPEN
    error, _ = failure(generator)  # the trial call fails (the fourth 500): open again
    assert len(server.completions()) == 4
    assert generator.breaker.state is BreakerState.OPEN

    time.sleep(0.35)
    generate(generator)  # the trial succeeds: closed
    assert generator.breaker.state is BreakerState.CLOSED
    assert len(server.completions()) == 5


def test_half_open_lets_one_trial_through_at_a_time() -> None:
    now = [0.0]
    breaker = CircuitBreaker(threshold=1, cooldown=10, clock=lambda: now[0])
    breaker.record_failure()
    assert not breaker.allow()
    now[0] = 10.0
    assert breaker.allow()
    assert not breaker.allow()  # a second caller while the trial runs
    breaker.record_success()
    assert breaker.allow() and breaker.allow()


def test_the_token_budget_leaves_sources_out_then_refuses_to_call(
    server: FakeOpenAI, make_generator: MakeGenerator
) -> None:
    generator = make_generator(max_tokens=100)
    system = system_prompt("Aberwen Council", "en")
    one, both = (
        estimate_tokens(system) + estimate_tokens(user_prompt(QUESTION, sources)) + 8 + 100
        for sources in (SOURCES[:1], SOURCES)
    )
    assert one < both
    generate(generator, budget=one)  # room for the prompt with one source only
    prompt = server.completions()[0].body["messages"][1]["content"]
    assert "[1] " in prompt and "[2] " not in prompt
    error, usage = failure(generator, budget=one - 1)
    assert (error.reason, error.code, usage.attempts) == ("over_budget", "E1009", 0)
    assert len(server.completions()) == 1


def test_retries_stop_when_the_budget_is_spent(
    server: FakeOpenAI, make_generator: MakeGenerator
) -> None:
    server.script(Reply("not json", usage=(300, 200)), Reply(GOOD))
    error, usage = failure(make_generator(max_tokens=100), budget=900)
    assert error.reason == "over_budget"
    assert (usage.attempts, usage.total) == (1, 500)


def test_streaming_yields_deltas_as_they_arrive_and_counts_tokens(
    server: FakeOpenAI, make_generator: MakeGenerator
) -> None:
    hold = threading.Event()
    pieces = tuple(deltas(GOOD))
    server.script(Stream(pieces, usage=(300, 40), hold=hold))
    usage = TokenUsage(budget=10_000)
    stream = make_generator().stream(QUESTION, SOURCES, language="en", usage=usage)
    first = next(stream)  # arrives while the server waits: streamed, not buffered
    hold.set()
    text = first + "".join(stream)
    assert text == GOOD
    assert (usage.prompt_tokens, usage.completion_tokens, usage.attempts) == (300, 40, 1)
    body = server.completions()[0].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


def test_streamed_sentences_come_out_as_each_completes() -> None:
    text = answer_json(
        ('A permit costs £45 {not a brace problem} "quoted".', [1]),
        ("We collect bins every 2 weeks.", [2]),
    )
    found = list(complete_sentences(deltas(text, size=3)))
    assert found == [
        GeneratedSentence('A permit costs £45 {not a brace problem} "quoted".', (1,)),
        GeneratedSentence("We collect bins every 2 weeks.", (2,)),
    ]


def test_a_stream_is_retried_only_before_its_first_delta(
    server: FakeOpenAI, make_generator: MakeGenerator
) -> None:
    generator = make_generator()
    server.script(Status(503), Stream(tuple(deltas(GOOD))))
    usage = TokenUsage(budget=10_000)
    assert "".join(generator.stream(QUESTION, SOURCES, language="en", usage=usage)) == GOOD
    assert usage.attempts == 2

    server.script(Stream(tuple(deltas(GOOD)), fail_after=2))
    usage = TokenUsage(budget=10_000)
    received: list[str] = []
    with pytest.raises(GenerationFailed):
        for delta in generator.stream(QUESTION, SOURCES, language="en", usage=usage):
            received.append(delta)
    assert len(received) == 2
    assert usage.attempts == 1  # text already went out: no retry
    assert usage.estimated and usage.prompt_tokens > 0
