"""persist: answer, trace and an audit event are stored before the citizen sees a reply.

When the outcome needs a person, every handover hook runs inside the same transaction (each
in a savepoint), so whatever a hook stores (casework opens a case) exists exactly when the
handed-over inquiry does. The assistant knows hooks only by this signature; the composition
roots (web app, CLI) pass casework's. A hook may return follow-up work, run once the
transaction is committed; a failing hook or follow-up is logged and never costs the citizen
their answer (``civicdesk cases sync`` repairs a missing case).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session, sessionmaker

from civicdesk.assistant.context import InquiryContext, Verdict
from civicdesk.domain.inquiry import AssistantReply
from civicdesk.logging import get_logger
from civicdesk.store.audit import record_event
from civicdesk.store.engine import session_scope
from civicdesk.store.inquiries import complete_inquiry

log = get_logger(__name__)

FollowUp = Callable[[], None]
HandoverHook = Callable[[Session, AssistantReply, InquiryContext | None], FollowUp | None]


def run_handover_hooks(
    hooks: Sequence[HandoverHook],
    session: Session,
    reply: AssistantReply,
    context: InquiryContext | None,
) -> list[FollowUp]:
    """Call each hook in a savepoint of ``session``'s transaction; collect their follow-ups."""
    follow_ups: list[FollowUp] = []
    for hook in hooks:
        try:
            with session.begin_nested():
                follow_up = hook(session, reply, context)
        except Exception as exc:  # a hook's failure must not lose the inquiry
            log.error("handover_hook_failed", hook=_name(hook), error=type(exc).__name__)
            continue
        if follow_up is not None:
            follow_ups.append(follow_up)
    return follow_ups


def run_follow_ups(follow_ups: Sequence[FollowUp]) -> None:
    """Run work hooks asked for after the commit; a failure is logged, not raised."""
    for follow_up in follow_ups:
        try:
            follow_up()
        except Exception as exc:
            log.error("handover_follow_up_failed", error=type(exc).__name__)


def _name(hook: HandoverHook) -> str:
    return str(getattr(hook, "__qualname__", type(hook).__name__))


class Persist:
    name = "persist"
    always = True

    def __init__(
        self,
        sessions: sessionmaker[Session],
        to_reply: Callable[[InquiryContext], AssistantReply],
        on_handover: Sequence[HandoverHook] = (),
    ) -> None:
        self.sessions = sessions
        self.to_reply = to_reply
        self.on_handover = tuple(on_handover)

    def __call__(self, context: InquiryContext) -> Verdict:
        reply = self.to_reply(context)
        follow_ups: list[FollowUp] = []
        with session_scope(self.sessions) as session:
            complete_inquiry(session, reply, needs_person=context.needs_person)
            record_event(
                session,
                actor=f"assistant:{context.channel.value}",
                action="inquiry.completed",
                object_type="inquiry",
                object_id=context.reference,
                payload={
                    "outcome": reply.outcome.value,
                    "reasons": list(reply.reasons),
                    "confidence": reply.confidence,
                    "language": reply.language,
                    "citations": len(reply.citations),
                    "removed_data_types": list(reply.removed_data_types),
                    "needs_person": context.needs_person,
                    **({"llm": context.usage.as_record()} if context.usage else {}),
                },
            )
            if context.needs_person:
                follow_ups = run_handover_hooks(self.on_handover, session, reply, context)
        run_follow_ups(follow_ups)
        return Verdict("stored")
