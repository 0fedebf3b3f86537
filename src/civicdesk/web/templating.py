"""Render Jinja2 pages built on GOV.UK Frontend, in the request's language.

A route adds a page with two lines::

    @router.get("/thing", response_class=HTMLResponse)
    def thing(request: Request) -> HTMLResponse:
        return render(request, "thing.html", {"answer": answer})

Every template gets ``_`` (gettext that escapes), ``lang``, ``lang_url(path)``,
``other_lang_url``, ``csp_nonce``, ``settings``, ``service_name`` and ``request_id``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.types import Scope

from civicdesk.language.direction import text_direction
from civicdesk.logging import request_id_var
from civicdesk.settings import Settings, get_settings
from civicdesk.web.i18n import (
    Language,
    localised_path,
    other_language,
    scope_language,
    translations,
)

TEMPLATES_DIR = Path(__file__).parent / "templates"

Gettext = Callable[..., Markup]


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Our templates, with GOV.UK Frontend's macros under ``govuk_frontend_jinja/``."""
    loader = ChoiceLoader(
        [
            FileSystemLoader(TEMPLATES_DIR),
            PrefixLoader(
                {"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja", "templates")}
            ),
        ]
    )
    return Environment(
        loader=loader,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )


def gettext_for(lang: Language) -> Gettext:
    """``_("Text %(name)s", name=value)``: translated, escaped, values escaped unless Markup."""
    catalogue = translations(lang)

    def gettext(message: str, /, **variables: object) -> Markup:
        text = Markup.escape(catalogue.gettext(message))
        return text % variables if variables else text

    return gettext


def link(href: str, text: str, css_class: str = "govuk-link", **attributes: str) -> Markup:
    """An escaped ``<a>`` to drop into a translated sentence: ``_("See %(l)s", l=link(...))``."""
    extra = Markup("").join(
        Markup(' {}="{}"').format(name.replace("_", "-"), value)
        for name, value in attributes.items()
    )
    return Markup('<a class="{}" href="{}"{}>{}</a>').format(css_class, href, extra, text)


PLURAL_CATEGORIES: dict[Language, tuple[str, ...]] = {
    "en": ("one", "other"),
    "cy": ("zero", "one", "two", "few", "many", "other"),
}


def plural_messages(lang: Language, one: str, other: str) -> dict[str, str]:
    """Translated messages by CLDR plural category, as GOV.UK Frontend's JavaScript wants them.

    Welsh has six categories (zero, one, two, few, many, other); English has two.
    """
    return {form: one if form == "one" else other for form in PLURAL_CATEGORIES[lang]}


def service_name(settings: Settings, lang: Language) -> str:
    if lang == "cy" and settings.service_name_cy:
        return settings.service_name_cy
    return settings.service_name


def scope_settings(scope: Scope) -> Settings:
    app = scope.get("app")
    state = getattr(app, "state", None)
    settings = getattr(state, "settings", None)
    return settings if isinstance(settings, Settings) else get_settings()


def page_context(scope: Scope) -> dict[str, Any]:
    """What every page needs, worked out from the ASGI scope."""
    state = scope.get("state") or {}
    lang = scope_language(scope)
    other = other_language(lang)
    settings = scope_settings(scope)
    route_path = scope.get("path", "/")
    gettext = gettext_for(lang)
    return {
        "_": gettext,
        "gettext": gettext,
        "lang": lang,
        "other_lang": other,
        "other_lang_url": localised_path(route_path, other),
        "lang_url": lambda path: localised_path(path, lang),
        "link": link,
        "plural_messages": lambda one, other: plural_messages(lang, one, other),
        "current_path": route_path,
        "csp_nonce": state.get("csp_nonce", ""),
        "settings": settings,
        "service_name": service_name(settings, lang),
        "request_id": request_id_var.get() or "",
        "text_direction": text_direction,
    }


def render_scope(
    scope: Scope,
    name: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page when there is only an ASGI scope (middleware, error pages)."""
    values = page_context(scope)
    if context:
        values.update(context)
    html = environment().get_template(name).render(values)
    return HTMLResponse(html, status_code=status_code)


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render template ``name`` in the request's language with the shared page context."""
    values: dict[str, Any] = {"request": request}
    if context:
        values.update(context)
    return render_scope(request.scope, name, values, status_code)
