"""Answer a question in a thread of its own, and read its checked sentences as they come.

The assistant calls a sink with each checked sentence while it works
(civicdesk.assistant.live); a web response wants to pull them. A LiveAnswer runs
`Assistant.ask` in a thread with a queue as the sink and is iterated: the live events in
order, then `Answered` with the final reply, or `Failed` with the error (a QuestionRejected
among them). Log records keep the request's id (the thread runs in a copy of the request's
context). If the reader goes away the question is still answered and stored, as it is when
a citizen closes the page during a normal post.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from civicdesk.assistant.live import LiveEvent
from civicdesk.assistant.service import Assistant
from civicdesk.assistant.stages.intake import QuestionRejected
from civicdesk.domain.inquiry import AssistantReply, Channel
from civicdesk.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class Answered:
    reply: AssistantReply


@dataclass(frozen=True)
class Failed:
    error: Exception


class LiveAnswer:
    def __init__(
        self,
        assistant: Assistant,
        text: str,
        *,
        channel: Channel,
        page_language: str | None = None,
    ) -> None:
        self._events: queue.Queue[LiveEvent | Answered | Failed] = queue.Queue()
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run,
            args=(self._answer, assistant, text, channel, page_language),
            name="civicdesk-live-answer",
            daemon=True,
        )
        self._thread.start()

    def _answer(
        self, assistant: Assistant, text: str, channel: Channel, page_language: str | None
    ) -> None:
        try:
            reply = assistant.ask(
                text,
                channel=channel,
                on_sentence=self._events.put,
                page_language=page_language,
            )
        except QuestionRejected as rejected:
            self._events.put(Failed(rejected))
        except Exception as exc:
            log.error("live_answer_failed", error=type(exc).__name__)
            self._events.put(Failed(exc))
        else:
            self._events.put(Answered(reply))

    def __iter__(self) -> Iterator[LiveEvent | Answered | Failed]:
        while True:
            event = self._events.get()
            yield event
            if isinstance(event, Answered | Failed):
                return
