"""intake: refuse input that cannot be a question, and clean what can.

Nothing is stored for rejected input: the caller gets a coded error and a sentence saying
what to do. Invisible characters (zero-width spaces, joiners, direction marks) are removed,
because they hide words from every later check.
"""

from __future__ import annotations

import re
import unicodedata

from civicdesk.assistant.context import InquiryContext, Verdict
from civicdesk.errors import InputRejected
from civicdesk.language.detect import PAGE_LANGUAGES

_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")
_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


class QuestionRejected(InputRejected):
    """The question cannot be processed; `status` is the HTTP status that fits."""

    def __init__(self, message: str, *, code: str, status: int = 422) -> None:
        super().__init__(message, code=code)
        self.status = status


def clean_question(raw: str, *, max_chars: int) -> tuple[str, int]:
    """The question with invisible characters removed; raises QuestionRejected."""
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise QuestionRejected(
            "Your question contains characters that are not valid text. Please type it again.",
            code="E503",
        ) from None
    if "\x00" in raw:
        raise QuestionRejected(
            "This looks like a file or binary data, not a question. Please type your question.",
            code="E504",
        )
    controls = [
        ch for ch in raw if unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS
    ]
    if controls:
        raise QuestionRejected(
            "Your question contains control characters. Please type it again as plain text.",
            code="E506",
        )
    cleaned, removed = _INVISIBLE.subn("", raw)
    cleaned = unicodedata.normalize("NFC", cleaned).strip()
    if not cleaned:
        raise QuestionRejected("Please type your question.", code="E501")
    if len(cleaned) > max_chars:
        raise QuestionRejected(
            f"Your question is {len(cleaned):,} characters long. "
            f"Please keep it under {max_chars:,} characters.",
            code="E502",
            status=413,
        )
    if not any(ch.isalpha() for ch in cleaned):
        raise QuestionRejected("Please type your question in words.", code="E507")
    return cleaned, removed


def check_language_code(code: str | None) -> str | None:
    if code is None or code == "":
        return None
    normalised = code.strip().lower().replace("_", "-").split("-")[0]
    if normalised not in PAGE_LANGUAGES:
        raise QuestionRejected(
            f"Unknown language code {code!r}. Use one of: {', '.join(PAGE_LANGUAGES)}, "
            "or leave it out to detect the language.",
            code="E505",
        )
    return normalised


class Intake:
    name = "intake"
    always = False

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars

    def __call__(self, context: InquiryContext) -> Verdict:
        context.text, removed = clean_question(context.raw_text, max_chars=self.max_chars)
        context.requested_language = check_language_code(context.requested_language)
        return Verdict("accepted", {"chars": len(context.text), "invisible_removed": removed})
