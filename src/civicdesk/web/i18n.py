"""English and Welsh pages: the /cy URL prefix and the gettext catalogues.

English lives at ``/path`` and Welsh at ``/cy/path``. :class:`LanguagePrefixMiddleware` strips
the prefix before routing, so every route is written once and serves both languages; the
language chosen is kept in ``scope["state"]["lang"]``.

Catalogues are the ``.po`` files under ``web/locale``; they are compiled in memory the first
time a language is used, so a fresh clone needs no build step (``.mo`` files are ignored).
"""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Literal

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from starlette.types import ASGIApp, Receive, Scope, Send

from civicdesk.errors import ConfigError

Language = Literal["en", "cy"]
LANGUAGES: tuple[Language, ...] = ("en", "cy")
DEFAULT_LANGUAGE: Language = "en"
LOCALE_DIR = Path(__file__).parent / "locale"
WELSH_PREFIX = "/cy"


def language_from_path(path: str) -> tuple[Language, str]:
    """Split a request path into its language and the path routes see.

    ``/cy`` and ``/cy/...`` are Welsh; anything else (including ``/cymru``) is English.
    """
    if path == WELSH_PREFIX:
        return "cy", "/"
    if path.startswith(WELSH_PREFIX + "/"):
        return "cy", path[len(WELSH_PREFIX) :]
    return "en", path


def localised_path(path: str, lang: Language) -> str:
    """The public URL path of the route ``path`` in ``lang``."""
    if not path.startswith("/"):
        path = "/" + path
    if lang == "en":
        return path
    return WELSH_PREFIX if path == "/" else WELSH_PREFIX + path


def other_language(lang: Language) -> Language:
    return "cy" if lang == "en" else "en"


def check_language(code: str) -> Language:
    """Return ``code`` as a supported language, or raise a ConfigError saying which exist."""
    for lang in LANGUAGES:
        if code == lang:
            return lang
    raise ConfigError(
        f"unknown language code {code!r}.",
        hint=f"Use one of: {', '.join(LANGUAGES)}.",
        code="E104",
    )


@lru_cache(maxsize=len(LANGUAGES))
def translations(code: str) -> NullTranslations:
    """The compiled catalogue for a language (English is the source text)."""
    lang = check_language(code)
    if lang == "en":
        return NullTranslations()
    po_path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not po_path.is_file():
        raise ConfigError(
            f"the {lang} message catalogue {po_path} is missing.",
            hint="Reinstall civicdesk, or restore the file from the repository.",
            code="E105",
        )
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled)


def scope_language(scope: Scope) -> Language:
    """The language chosen for this request (set by the middleware)."""
    state = scope.get("state") or {}
    lang = state.get("lang")
    return lang if lang in LANGUAGES else language_from_path(scope.get("path", "/"))[0]


class LanguagePrefixMiddleware:
    """Route ``/cy/...`` to the same handlers as ``/...``, remembering the language."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lang, route_path = language_from_path(scope["path"])
        state = scope.setdefault("state", {})
        state["lang"] = lang
        state["public_path"] = scope["path"]
        if lang != "en":
            scope = dict(scope)
            scope["path"] = route_path
            raw_path = scope.get("raw_path")
            if isinstance(raw_path, bytes) and raw_path.startswith(WELSH_PREFIX.encode()):
                scope["raw_path"] = raw_path[len(WELSH_PREFIX) :] or b"/"
        await self.app(scope, receive, send)
