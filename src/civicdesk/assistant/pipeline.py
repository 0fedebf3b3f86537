"""The answer pipeline, as a visible list of stages over one context.

    intake -> privacy -> receive -> guard -> language -> route -> retrieve -> compose
           -> check -> decide -> persist

Each stage returns a verdict; the pipeline times it and keeps both in the trace. A stage may
decide the outcome early (refused, signposted, handed over); then only the `always` stages
(decide, persist) still run. Should a stage fail after the inquiry was received, the
citizen is handed to a person rather than shown an error, and the trace says which stage.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from civicdesk.assistant.context import InquiryContext, Stage, Verdict
from civicdesk.assistant.stages.intake import QuestionRejected
from civicdesk.domain.inquiry import AssistantReply, Outcome, StageRecord
from civicdesk.logging import get_logger

log = get_logger(__name__)


class Pipeline:
    def __init__(self, stages: Sequence[Stage]) -> None:
        self.stages = list(stages)

    def run(self, context: InquiryContext) -> InquiryContext:
        received = False
        for stage in self.stages:
            if context.outcome is not None and not stage.always:
                continue
            started = time.perf_counter()
            try:
                verdict = stage(context)
            except QuestionRejected:
                raise  # bad input: nothing has been stored yet
            except Exception as exc:
                if not received or stage.always:
                    raise
                log.error("stage_failed", stage=stage.name, error=type(exc).__name__)
                context.finish(Outcome.HANDED_OVER, f"stage_failed:{stage.name}", confidence=0.0)
                verdict = Verdict("failed", {"error": type(exc).__name__})
            elapsed = (time.perf_counter() - started) * 1000
            context.trace.append(
                StageRecord(stage.name, verdict.verdict, round(elapsed, 3), dict(verdict.detail))
            )
            if stage.name == "receive":
                received = True
        return context


def to_reply(context: InquiryContext) -> AssistantReply:
    if context.outcome is None:  # pragma: no cover - decide always sets it
        raise RuntimeError("the pipeline ended without an outcome")
    return AssistantReply(
        reference=context.reference,
        outcome=context.outcome,
        answer=context.answer,
        parts=tuple(context.parts),
        citations=tuple(context.citations),
        language=context.language,
        confidence=context.confidence,
        reasons=tuple(context.reasons),
        help_lines=tuple(context.help_lines),
        removed_data_types=context.removed_data_types,
        trace=tuple(context.trace),
        guidance_language=context.guidance_language,
        question_language=context.question_language,
        message_language=context.message_language or context.language,
        notice=context.notice,
        generated=context.generated and context.outcome is Outcome.ANSWERED,
        related=tuple(context.related) if context.outcome is Outcome.ANSWERED else (),
    )
