"""The service's own pages: start page, cookies, accessibility statement, privacy notice."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from civicdesk.settings import Settings
from civicdesk.web.i18n import Language, scope_language
from civicdesk.web.templating import render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/")
def start(request: Request) -> HTMLResponse:
    return render(request, "start.html")


@router.get("/cookies")
def cookies(request: Request) -> HTMLResponse:
    return render(request, "cookies.html")


@router.get("/accessibility")
def accessibility(request: Request) -> HTMLResponse:
    return render(request, "accessibility.html")


def privacy_paragraphs(settings: Settings, lang: Language) -> tuple[list[str], Language]:
    """The notice's paragraphs (split on blank lines) and the language they are written in."""
    written_in: Language = "en"
    text = settings.privacy_notice
    if lang == "cy" and settings.privacy_notice_cy.strip():
        written_in, text = "cy", settings.privacy_notice_cy
    blocks = text.replace("\r\n", "\n").split("\n\n")
    paragraphs = [" ".join(block.split()) for block in blocks if block.strip()]
    return paragraphs, written_in


@router.get("/privacy")
def privacy(request: Request) -> HTMLResponse:
    paragraphs, written_in = privacy_paragraphs(
        request.app.state.settings, scope_language(request.scope)
    )
    return render(request, "privacy.html", {"paragraphs": paragraphs, "notice_lang": written_in})
