"""The output guardrails: the policy file, the detector, its evaluation, and the check stage
acting on what it finds in extractive answers, a provider's answers and caseworkers' drafts."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from civicdesk.assistant.guardrails.evaluation import (
    read_output_set,
    run_output_policy,
    score_output,
)
from civicdesk.assistant.guardrails.output import (
    FindingKind,
    OutputAction,
    OutputPolicy,
    OutputRulesFile,
    load_output_policy,
    normalise_answer,
    phrase_pattern,
    split_sentences,
)
from civicdesk.assistant.service import Assistant
from civicdesk.assistant.stages.compose import Compose
from civicdesk.casework.drafts import DraftWriter
from civicdesk.domain.inquiry import AssistantReply, Outcome, StageRecord
from civicdesk.errors import ConfigError, InputRejected
from civicdesk.knowledge import sample_council_path
from civicdesk.settings import Settings
from llm.openai_wire import FakeOpenAI, Reply, quote_first_source

REPO = Path(__file__).resolve().parents[2]
EVAL_SET = REPO / "evals" / "output-guardrails.jsonl"
PERMIT_QUESTION = "How much does a resident parking permit cost?"


@pytest.fixture(scope="module")
def policy() -> OutputPolicy:
    return load_output_policy()


def reasons(policy: OutputPolicy, text: str) -> list[str]:
    return [finding.reason for finding in policy.scan([text])]


# --- the detector --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the body's own kind of sentence, including the words the rules are built from
        ("We collect your black bin every 2 weeks.", []),
        ("You can get free, independent advice from Citizens Advice.", []),
        ("If you are worried about your symptoms, contact your GP or call NHS 111.", []),
        ("You must be eligible for housing in the UK, based on your immigration status.", []),
        ("You can appeal to the Traffic Penalty Tribunal within 28 days.", []),
        ("You can vote in local elections if you are registered to vote.", []),
        (
            "Some zones have fewer spaces than homes, so a permit does not guarantee you a space.",
            [],
        ),
        ("The Aberwen Pension Fund invests in shares, bonds and property.", []),
        ("We cannot tell you whether your visa will be approved.", []),
        ("We will apply to the magistrates' court for a liability order.", []),
        # forbidden terms
        (
            "As an AI language model, I cannot see your account.",
            ["forbidden_term:model_self_reference"],
        ),
        ("This answer comes from OpenAI.", ["forbidden_term:provider_name"]),
        ("We guarantee your bin will be collected tomorrow.", ["forbidden_term:promise"]),
        ("You are guaranteed to win your appeal.", ["forbidden_term:outcome_promise"]),
        ("If I were you, I would not pay the charge.", ["forbidden_term:personal_advice"]),
        ("Put the bin out, you twat.", ["forbidden_term:profanity"]),
        ("Housing benefit is not for scroungers.", ["forbidden_term:slur"]),
        # outside the remit
        ("It sounds like you have a chest infection.", ["outside_remit:medical_diagnosis"]),
        ("I'd recommend upping your dose of sertraline.", ["outside_remit:medical_diagnosis"]),
        ("You should sue your builder.", ["outside_remit:legal_dispute"]),
        ("A judge would side with you against your landlord.", ["outside_remit:legal_dispute"]),
        ("Your visa will be approved.", ["outside_remit:immigration_decision"]),
        ("Premium Bonds are a safe place for your savings.", ["outside_remit:investment_advice"]),
        ("You should vote for Plaid Cymru.", ["outside_remit:political_opinion"]),
        (
            "The usual dose of ibuprofen for these symptoms is 400mg, and no diagnosis is needed.",
            ["outside_remit:medical_diagnosis"],
        ),
    ],
)
def test_the_built_in_policy(policy: OutputPolicy, text: str, expected: list[str]) -> None:
    assert reasons(policy, text) == expected


@pytest.mark.parametrize(
    "disguised",
    [
        "As an \u0410I language model, I cannot say.",  # Cyrillic А
        "Open\u200bAI wrote this.",  # zero-width space
        "ＯｐｅｎＡＩ wrote this.",  # full width
        "OPENAI wrote this.",
        "Open-AI wrote this.",
        "Your appeal w\u200cill definitely succ\u0435ed.",  # zero-width non-joiner, Cyrillic е
    ],
)
def test_disguises_are_undone_before_matching(policy: OutputPolicy, disguised: str) -> None:
    assert reasons(policy, disguised)


@pytest.mark.parametrize(
    "innocent",
    [
        "The Scunthorpe depot takes garden waste.",
        "Twatt is a village in Orkney.",
        "Use fire retardant paint on the stairs.",
        "Sue Jenkins in the Libraries team can book a room for you.",
        "Egypt and Cyprus are among the countries we twin with.",
    ],
)
def test_terms_match_whole_words_only(policy: OutputPolicy, innocent: str) -> None:
    assert reasons(policy, innocent) == []


def test_findings_say_which_sentence_which_rule_and_what_to_do(policy: OutputPolicy) -> None:
    sentences = [
        "We collect your black bin every 2 weeks.",
        "ChatGPT says so.",
        "You probably have diabetes.",
    ]
    first, second = policy.scan(sentences)
    assert (first.kind, first.rule, first.action, first.sentence) == (
        FindingKind.FORBIDDEN_TERM,
        "provider_name",
        OutputAction.DROP_SENTENCE,
        1,
    )
    assert first.matched == ("chatgpt",)  # the policy's phrase, not the answer's words
    assert (second.reason, second.action, second.sentence) == (
        "outside_remit:medical_diagnosis",
        OutputAction.HAND_OVER,
        2,
    )


def test_a_subject_needs_advice_and_a_signpost_excuses_it(policy: OutputPolicy) -> None:
    assert reasons(policy, "Your savings are counted in the assessment.") == []
    assert reasons(policy, "I'd suggest moving your savings into shares.") == [
        "outside_remit:investment_advice"
    ]
    signposted = "If you think you have an infection, I'd suggest you contact your GP."
    assert reasons(policy, signposted) == []


def test_split_sentences() -> None:
    assert split_sentences("One. Two? Three!\nFour") == ["One.", "Two?", "Three!", "Four"]


# --- phrases -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "text", "matches"),
    [
        ("invest*", "investment", True),
        ("invest*", "reinvest", False),
        ("(a|b c) d", "b c d", True),
        ("(a|b c) d", "c d", False),
        ("you (really)? should", "you should", True),
        ("you (really)? should", "you really should", True),
        ("you (really)? should", "you truly should", False),
        ("in my opinion you", "in my opinion, you", True),
        ("pre-settled status", "pre settled status", True),
        ("cut off", "cut-off", True),
        ("(we|i) (guarantee|promise) (that)?", "i promise", True),
        ("don't worry", "don’t worry", True),
    ],
)
def test_phrase_syntax(phrase: str, text: str, matches: bool) -> None:
    assert bool(re.search(phrase_pattern(phrase), normalise_answer(text))) is matches


@pytest.mark.parametrize(
    ("phrase", "problem"),
    [
        ("(unclosed", "not closed"),
        ("a ) b", "unexpected ')'"),
        ("a | b", "unexpected '|'"),
        ("(a|) b", "empty alternative"),
        ("(maybe)?", "not optional"),
        ("a ? b", "must follow a (group)"),
        ("in*vest", "'*' may only end a word"),
        ("*", "'*' may only end a word"),
    ],
)
def test_bad_phrases_say_what_is_wrong(phrase: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        phrase_pattern(phrase)


# --- the policy file -----------------------------------------------------------------------


def write_rules(folder: Path, content: str) -> Path:
    path = folder / "output.yaml"
    path.write_text(content, encoding="utf-8")
    return path


def test_a_missing_file_is_e130(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_output_policy(tmp_path / "absent.yaml")
    assert caught.value.code == "E130"
    assert "CIVICDESK_OUTPUT_RULES_PATH" in caught.value.hint


def test_a_file_that_is_not_yaml_is_e131(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_output_policy(write_rules(tmp_path, "version: [1\n"))
    assert caught.value.code == "E131"


TERM = "  - id: t\n    action: drop_sentence\n    phrases: [bad word]\n"


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("version: 2\n", "version"),
        ("version: 1\nforbidden: []\n", "forbidden"),
        ("version: 1\nforbidden_terms:\n" + TERM.replace("drop_sentence", "shout"), "action"),
        ("version: 1\nforbidden_terms:\n" + TERM.replace("[bad word]", "[]"), "phrases"),
        ("version: 1\nforbidden_terms:\n" + TERM.replace("bad word", "'(bad'"), "not closed"),
        ("version: 1\nforbidden_terms:\n" + TERM.replace("id: t", "id: Bad Id"), "id"),
        ("version: 1\nforbidden_terms:\n" + TERM + TERM, "used more than once"),
        ("version: 1\noutside_remit:\n  - topic: x\n", "give phrases"),
        (
            "version: 1\noutside_remit:\n  - topic: x\n    subjects: [visa]\n",
            "subjects and advice go together",
        ),
        (
            "version: 1\noutside_remit:\n  - topic: x\n    cues: [a, b]\n    cues_needed: 3\n",
            "fewer cues than cues_needed",
        ),
    ],
)
def test_a_file_of_the_wrong_shape_is_e132(tmp_path: Path, content: str, named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_output_policy(write_rules(tmp_path, content))
    assert caught.value.code == "E132"
    assert named in caught.value.message


def test_the_built_in_file_loads_every_rule(policy: OutputPolicy) -> None:
    assert "forbidden_term:provider_name" in policy.rules
    assert "outside_remit:political_opinion" in policy.rules


def test_the_sample_council_guidance_never_trips_the_built_in_policy(
    policy: OutputPolicy,
) -> None:
    sentences = [
        sentence
        for page in sorted(sample_council_path().rglob("*.md"))
        for sentence in split_sentences(page.read_text(encoding="utf-8"))
    ]
    assert len(sentences) > 2000
    assert [(s, f.reason) for f in policy.scan(sentences) for s in [sentences[f.sentence]]] == []


# --- evaluation ----------------------------------------------------------------------------


def test_the_shipped_set_blocks_no_legitimate_answer(policy: OutputPolicy) -> None:
    cases = read_output_set(EVAL_SET)
    assert len(cases) >= 60
    report = score_output(run_output_policy(policy, cases))
    overall = report["overall"]
    assert overall["legitimate"] >= 40
    assert overall["false_block_rate"] == 0.0, report["misses"]
    assert report["meets_false_block_target"]
    assert overall["precision"] == 1.0
    assert overall["recall"] >= 0.8, report["misses"]
    assert overall["right_action"] == 1.0


@pytest.mark.parametrize(
    ("lines", "code", "message"),
    [
        (['{"id": "a", "text": "x", "expect": "block", "category": "c"}'], "E524", "expect"),
        (['{"id": "a", "text": "x", "category": "c"}'], "E524", "expect"),
        (["not json"], "E524", "line 1"),
        (
            ['{"id": "a", "text": "x", "expect": "pass", "category": "c"}'] * 2,
            "E524",
            "used twice",
        ),
        (["", "  "], "E525", "holds no answers"),
    ],
)
def test_bad_evaluation_sets(tmp_path: Path, lines: list[str], code: str, message: str) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputRejected) as caught:
        read_output_set(path)
    assert caught.value.code == code
    assert message in caught.value.message


def test_cli_reports_the_shipped_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from civicdesk.cli.main import _register_parts, app

    monkeypatch.setenv("CIVICDESK_DATA_DIR", str(tmp_path))
    _register_parts()
    runner = CliRunner()
    result = runner.invoke(app, ["guardrails", "eval-output", str(EVAL_SET), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["overall"]["false_block_rate"] == 0.0
    assert "misses" not in report
    table = runner.invoke(app, ["guardrails", "eval-output", str(EVAL_SET), "--misses"])
    assert table.exit_code == 0, table.output
    assert "| overall |" in table.output and "False-block target (at most 2%): met." in table.output


def test_cli_uses_the_deployment_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from civicdesk.cli.main import _register_parts, app

    rules = write_rules(tmp_path, "version: 1\nforbidden_terms:\n" + TERM)
    cases = tmp_path / "set.jsonl"
    cases.write_text(
        '{"id": "a", "text": "A bad word.", "expect": "drop_sentence", "category": "c"}\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("CIVICDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CIVICDESK_OUTPUT_RULES_PATH", str(rules))
    _register_parts()
    result = CliRunner().invoke(app, ["guardrails", "eval-output", str(cases), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["overall"]["recall"] == 1.0


# --- the check stage, extractive answers ---------------------------------------------------


def stage(reply: AssistantReply, name: str) -> StageRecord:
    return next(record for record in reply.trace if record.stage == name)


@pytest.fixture(scope="module")
def deployment(
    council: tuple[Settings, Engine], assistant: Assistant, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Assistant]:
    """An assistant on the sample council with a body's own output rules."""
    settings, engine = council
    folder = tmp_path_factory.mktemp("output-rules")

    def make(content: str) -> Assistant:
        path = folder / f"rules-{len(list(folder.iterdir()))}.yaml"
        path.write_text(content, encoding="utf-8")
        local = settings.model_copy(update={"output_rules_path": path})
        return Assistant.from_settings(local, engine, retriever=assistant.retriever)

    return make


def test_extractive_answers_still_answer(assistant: Assistant) -> None:
    reply = assistant.ask(PERMIT_QUESTION)
    assert reply.outcome is Outcome.ANSWERED
    check = stage(reply, "check")
    assert check.verdict == "pass"
    assert check.detail["output"] == {"dropped": 0, "rules": []}


def test_a_drop_sentence_term_drops_the_sentence_and_keeps_the_answer(
    deployment: Callable[[str], Assistant],
) -> None:
    rules = "version: 1\nforbidden_terms:\n  - id: visitors\n    action: drop_sentence\n"
    reply = deployment(rules + "    phrases: [visitor permit*]\n").ask(PERMIT_QUESTION)
    assert reply.outcome is Outcome.ANSWERED
    assert "£45" in reply.answer
    assert "visitor permits" not in reply.answer
    assert all("visitor" not in part.text for part in reply.parts)
    assert {part.citation for part in reply.parts} == set(range(len(reply.citations)))
    check = stage(reply, "check")
    assert check.verdict == "dropped"
    assert check.detail["output"] == {"dropped": 1, "rules": ["forbidden_term:visitors"]}


@pytest.mark.parametrize(
    ("rules", "reason"),
    [
        (
            "forbidden_terms:\n  - id: refunds\n    action: hand_over\n    phrases: [refund]\n",
            "forbidden_term:refunds",
        ),
        (
            "outside_remit:\n  - topic: parking\n    phrases: [resident permit*]\n",
            "outside_remit:parking",
        ),
    ],
)
def test_a_hand_over_rule_hands_the_citizen_to_a_person(
    deployment: Callable[[str], Assistant], rules: str, reason: str
) -> None:
    reply = deployment("version: 1\n" + rules).ask(PERMIT_QUESTION)
    assert reply.outcome is Outcome.HANDED_OVER
    assert reply.reasons[-1] == reason
    assert reply.parts == () and reply.citations == ()
    assert "£45" not in reply.answer
    check = stage(reply, "check")
    assert check.verdict == "handed_over"
    assert check.detail["output"]["rules"] == [reason]  # type: ignore[index]
    assert "permit" not in json.dumps(check.detail)  # rule names only, never the answer


def test_drafts_for_caseworkers_get_the_same_checks(assistant: Assistant) -> None:
    retriever = assistant.retriever
    assert retriever is not None
    refunds = OutputPolicy(
        OutputRulesFile.model_validate(
            {
                "version": 1,
                "forbidden_terms": [{"id": "t", "action": "hand_over", "phrases": ["refund"]}],
            }
        )
    )
    unchecked = DraftWriter(lambda: retriever, None, "Aberwen", 0.4)
    checked = DraftWriter(lambda: retriever, None, "Aberwen", 0.4, refunds)
    written = {"reference": "CD-TEST-0001", "text": PERMIT_QUESTION, "language": "en"}
    assert "£45" in unchecked.write(**written, help_lines=()).text
    draft = checked.write(**written, help_lines=())
    assert "£45" not in draft.text and draft.citations == []


# --- the check stage, a provider's answers -------------------------------------------------


@pytest.fixture
def with_provider(
    council: tuple[Settings, Engine], assistant: Assistant
) -> Iterator[Callable[[FakeOpenAI], Assistant]]:
    """An assistant whose provider is the given wire server; its HTTP client closed after."""
    made: list[Assistant] = []

    def make(server: FakeOpenAI) -> Assistant:
        settings, engine = council
        local = Settings(
            data_dir=settings.data_dir,
            environment="test",
            organisation_name="Aberwen",
            llm_provider="openai",
            llm_model="fake-model",
            llm_base_url=server.base_url,
            llm_max_retries=0,
            llm_timeout_seconds=2.0,
        )
        made.append(Assistant.from_settings(local, engine, retriever=assistant.retriever))
        return made[-1]

    yield make
    for made_one in made:
        compose = next(s for s in made_one.pipeline.stages if isinstance(s, Compose))
        compose.generator.client.close()  # type: ignore[union-attr]


def model_adding(prefix: str) -> Any:
    """A model that quotes the first sentence of source [1], then says it again after
    `prefix` (the same words, so the grounding check keeps it)."""

    def model(body: dict[str, Any]) -> Reply:
        first = json.loads(quote_first_source(body).content)["sentences"][0]
        again = dict(first, text=prefix + first["text"][0].lower() + first["text"][1:])
        return Reply(json.dumps({"sentences": [first, again]}))

    return model


def test_a_provider_sentence_with_a_forbidden_term_is_dropped(
    with_provider: Callable[[FakeOpenAI], Assistant],
) -> None:
    with FakeOpenAI(model=model_adding("As an AI, ")) as server:
        reply = with_provider(server).ask(PERMIT_QUESTION)
    assert reply.outcome is Outcome.ANSWERED
    assert len(reply.parts) == 1 and "AI" not in reply.answer
    check = stage(reply, "check")
    assert check.verdict == "dropped"
    assert check.detail["grounding"]["verdicts"] == ["supported", "supported"]  # type: ignore[index]
    assert check.detail["output"] == {
        "dropped": 1,
        "rules": ["forbidden_term:model_self_reference"],
    }


def test_a_provider_answer_with_advice_goes_to_a_person(
    with_provider: Callable[[FakeOpenAI], Assistant],
) -> None:
    with FakeOpenAI(model=model_adding("If I were you, ")) as server:
        reply = with_provider(server).ask(PERMIT_QUESTION)
    assert reply.outcome is Outcome.HANDED_OVER
    assert reply.reasons[-1] == "forbidden_term:personal_advice"
    assert reply.parts == () and "I were you" not in reply.answer
    check = stage(reply, "check")
    assert check.verdict == "handed_over"
    assert check.detail["output"]["rules"] == ["forbidden_term:personal_advice"]  # type: ignore[index]
    assert "were you" not in json.dumps(check.detail)


def test_when_every_sentence_is_dropped_the_reason_says_why(
    with_provider: Callable[[FakeOpenAI], Assistant],
) -> None:
    def model(body: dict[str, Any]) -> Reply:
        first = json.loads(quote_first_source(body).content)["sentences"][0]
        first["text"] = "As an AI, " + first["text"][0].lower() + first["text"][1:]
        return Reply(json.dumps({"sentences": [first]}))

    with FakeOpenAI(model=model) as server:
        reply = with_provider(server).ask(PERMIT_QUESTION)
    assert reply.outcome is Outcome.HANDED_OVER
    assert reply.reasons[-1] == "forbidden_term:model_self_reference"
