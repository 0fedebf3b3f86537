"""The assistant as the shells see it: ask a question, look up an inquiry, record feedback.

Web routes, CLI commands and the evaluation harness all call this one object.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from civicdesk.assistant.context import InquiryContext, Stage
from civicdesk.assistant.guardrails import build_input_guard
from civicdesk.assistant.guardrails.output import load_output_policy
from civicdesk.assistant.live import SentenceSink
from civicdesk.assistant.messages import load_catalogues
from civicdesk.assistant.pipeline import Pipeline, to_reply
from civicdesk.assistant.routing import RuleBook, load_rules
from civicdesk.assistant.similarity import MIN_TRANSLATION_SIMILARITY, CrossLanguageSimilarity
from civicdesk.assistant.stages.check import Check, Detector
from civicdesk.assistant.stages.compose import RELEVANCE_THRESHOLD, Compose
from civicdesk.assistant.stages.decide import Decide
from civicdesk.assistant.stages.guard import Guard
from civicdesk.assistant.stages.intake import Intake
from civicdesk.assistant.stages.language import Language
from civicdesk.assistant.stages.persist import (
    FollowUp,
    HandoverHook,
    Persist,
    run_follow_ups,
    run_handover_hooks,
)
from civicdesk.assistant.stages.privacy import Privacy, Redactor
from civicdesk.assistant.stages.receive import Receive
from civicdesk.assistant.stages.retrieve import Retrieve, Retriever
from civicdesk.assistant.stages.route import Route
from civicdesk.domain.inquiry import AssistantReply, Channel, Citation, Outcome
from civicdesk.domain.knowledge import PageHit
from civicdesk.llm import build_generator
from civicdesk.settings import Settings
from civicdesk.store.audit import record_event
from civicdesk.store.engine import make_sessionmaker, session_scope
from civicdesk.store.inquiries import InquiryRow, get_inquiry

if TYPE_CHECKING:
    from civicdesk.knowledge.retriever import Retriever as KnowledgeRetriever

_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: easy to read out on a phone


def new_reference() -> str:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"CD-{body[:4]}-{body[4:]}"


@dataclass(frozen=True)
class InquiryStatus:
    reference: str
    status: str
    outcome: str | None
    language: str | None
    needs_person: bool
    created_at: datetime
    completed_at: datetime | None


def build_pipeline(
    settings: Settings,
    sessions: sessionmaker[Session],
    retriever: Retriever,
    redactor: Redactor,
    detector: Detector | None,
    rules: RuleBook,
    threshold: float = RELEVANCE_THRESHOLD,
    on_handover: Sequence[HandoverHook] = (),
) -> Pipeline:
    """The stages in order, built from settings. Read top to bottom: this is the pipeline."""
    generator = build_generator(settings)  # None: the offline extractive composer only
    check = Check(
        detector,
        min_support=settings.grounding_min_support,
        known_pages=getattr(retriever, "page_urls", None),
        output_policy=load_output_policy(settings.output_rules_path),
        # a model's translated sentence must mean what its guidance-language twin does
        similarity=translation_similarity(settings) if generator is not None else None,
        min_similarity=MIN_TRANSLATION_SIMILARITY,
    )
    budget = settings.llm_token_budget
    stages: Sequence[Stage] = [
        Intake(settings.max_question_chars),
        Privacy(redactor),
        Receive(sessions),
        Guard(rules, build_input_guard(rules, threshold=settings.guardrail_threshold)),
        # another language goes on if vectors or a model can match it to the guidance
        Language(getattr(retriever, "crosses_languages", None), translates=generator is not None),
        Route(rules),
        # a model renders a question in another language in English to search with
        Retrieve(retriever, translator=generator, token_budget=budget),
        # compose streams a model's sentences through the check stage's tests, when asked
        Compose(threshold, generator, budget, check),
        check,
        Decide(settings.organisation_name, threshold, load_catalogues(settings.catalogues_path)),
        Persist(sessions, to_reply, on_handover),
    ]
    return Pipeline(stages)


def translation_similarity(settings: Settings) -> CrossLanguageSimilarity | None:
    """The embedder's measure of a translation, when an embedder is set (one per process,
    shared with retrieval)."""
    from civicdesk.knowledge.retriever import embedder_for

    embedder = embedder_for(settings)
    return CrossLanguageSimilarity(embedder) if embedder is not None else None


class FreshRetriever:
    """The knowledge index, checked again for new guidance at most every `interval` seconds.

    `load_retriever` compares the database's knowledge fingerprint with the loaded index (one
    small query) and rebuilds only when guidance changed, so a server sees pages ingested
    while it runs without a restart.
    """

    def __init__(self, settings: Settings, engine: Engine, interval: float = 5.0) -> None:
        self._settings = settings
        self._engine = engine
        self._interval = interval
        self._current = self._load()
        self._checked = time.monotonic()
        self._local = threading.local()

    def search(
        self,
        query: str,
        *,
        k: int = 5,
        locale: str | None = None,
        chunks_per_page: int = 3,
        query_language: str | None = None,
    ) -> list[PageHit]:
        now = time.monotonic()
        if now - self._checked >= self._interval:
            self._checked = now
            self._current = self._load()
        current = self._current
        hits = current.search(
            query,
            k=k,
            locale=locale,
            chunks_per_page=chunks_per_page,
            query_language=query_language,
        )
        self._local.ranking = current.last_ranking
        return hits

    @property
    def last_ranking(self) -> str:
        """How this thread's last search ranked: lexical, hybrid or vector."""
        return str(getattr(self._local, "ranking", "lexical"))

    def crosses_languages(self, language: str | None) -> bool:
        """Whether a question in `language` can be matched to guidance in another one."""
        return self._current.crosses_languages(language)

    def page_urls(self) -> Collection[str]:
        """Every page in the loaded index (the same list until guidance changes): links an
        answer may keep."""
        return self._current.index.page_urls

    def _load(self) -> KnowledgeRetriever:
        from civicdesk.knowledge import load_retriever

        return load_retriever(self._settings, self._engine)


class Assistant:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        pipeline: Pipeline,
        on_handover: Sequence[HandoverHook] = (),
        retriever: Retriever | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.pipeline = pipeline
        self.on_handover = tuple(on_handover)
        self.retriever = retriever  # shared with casework's drafts: one index per process

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        engine: Engine,
        *,
        on_handover: Sequence[HandoverHook] = (),
        **overrides: Any,
    ) -> Assistant:
        """The real assistant: the knowledge index, the privacy engine and the routing rules.

        ``on_handover`` hooks run inside the transaction that stores an inquiry needing a
        person (see civicdesk.assistant.stages.persist); casework passes the one that opens a
        case.
        """
        from civicdesk.language.detect import warm_up
        from civicdesk.privacy import install

        sessions = make_sessionmaker(engine)
        privacy = install(settings)  # also redacts every log line and audit payload
        warm_up()
        retriever = overrides.get("retriever") or FreshRetriever(settings, engine)
        pipeline = build_pipeline(
            settings,
            sessions,
            retriever=retriever,
            redactor=privacy,
            detector=privacy,
            rules=overrides.get("rules") or load_rules(settings.assistant_rules_path),
            threshold=overrides.get("threshold", settings.answer_threshold),
            on_handover=on_handover,
        )
        return cls(settings, sessions, pipeline, on_handover, retriever)

    def ask(
        self,
        text: str,
        *,
        language: str | None = None,
        channel: Channel = Channel.API,
        on_sentence: SentenceSink | None = None,
        page_language: str | None = None,
    ) -> AssistantReply:
        """Answer one question. Raises QuestionRejected for input that is not a question.

        `page_language` is the language of the page asked on ("en", "cy"): replies follow
        the question's detected language, and this one until it is known.
        `on_sentence`, when given, is called with each checked sentence of a model's answer
        as it is written, and with a LiveReset when the provider fails part-way (the
        extractive sentences follow); see civicdesk.assistant.live. The reply returned is
        the final, fully checked answer: the one to show in the end.
        """
        context = InquiryContext(
            raw_text=text,
            channel=channel,
            reference=new_reference(),
            requested_language=language,
            on_sentence=on_sentence,
        )
        if page_language:
            # The page the citizen asks on: the language of any message given before the
            # question's own language is known (a refusal, a request to rephrase).
            context.language = page_language
        self.pipeline.run(context)
        return to_reply(context)

    def status(self, reference: str) -> InquiryStatus | None:
        with session_scope(self.sessions) as session:
            row = get_inquiry(session, reference.strip().upper())
            if row is None:
                return None
            return InquiryStatus(
                reference=row.reference,
                status=row.status,
                outcome=row.outcome,
                language=row.language,
                needs_person=row.needs_person,
                created_at=row.created_at,
                completed_at=row.completed_at,
            )

    def record_feedback(self, reference: str, useful: bool) -> bool:
        """Store "was this useful?"; False when the reference is unknown."""
        with session_scope(self.sessions) as session:
            row = get_inquiry(session, reference.strip().upper())
            if row is None:
                return False
            row.useful = useful
            record_event(
                session,
                actor="citizen",
                action="inquiry.feedback",
                object_type="inquiry",
                object_id=row.reference,
                payload={"useful": useful},
            )
            return True

    def request_person(self, reference: str) -> bool:
        """The citizen asked to talk to a person: hand the inquiry over.

        The handover hooks run in the same transaction, as they do for a pipeline handover;
        they are idempotent, so asking twice repairs a missing case and changes nothing else.
        """
        follow_ups: list[FollowUp] = []
        with session_scope(self.sessions) as session:
            row = get_inquiry(session, reference.strip().upper())
            if row is None:
                return False
            if not row.needs_person:
                row.needs_person = True
                if row.outcome == Outcome.ANSWERED.value:
                    row.outcome = Outcome.HANDED_OVER.value
                    row.reasons = [*row.reasons, "citizen_asked_for_person"]
                record_event(
                    session,
                    actor="citizen",
                    action="inquiry.handed_over",
                    object_type="inquiry",
                    object_id=row.reference,
                    payload={"reason": "citizen_asked_for_person"},
                )
            session.flush()
            follow_ups = run_handover_hooks(self.on_handover, session, stored_reply(row), None)
        run_follow_ups(follow_ups)
        return True


def stored_reply(row: InquiryRow) -> AssistantReply:
    """The reply as stored for an inquiry (no trace or parts): what a handover hook reads."""
    answer = row.answer or {}
    return AssistantReply(
        reference=row.reference,
        outcome=Outcome(row.outcome) if row.outcome else Outcome.HANDED_OVER,
        answer=str(answer.get("text", "")),
        parts=(),
        citations=tuple(Citation(**c) for c in answer.get("citations", [])),
        language=row.language or "en",
        confidence=row.confidence or 0.0,
        reasons=tuple(row.reasons),
        removed_data_types=tuple(row.removed_data_types),
    )
