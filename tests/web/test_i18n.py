"""The /cy prefix, the language helpers and the completeness of the Welsh catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from markupsafe import Markup

from civicdesk.errors import ConfigError
from civicdesk.web import i18n
from civicdesk.web.templating import gettext_for, plural_messages

WEB = Path(i18n.__file__).parent


@pytest.mark.parametrize(
    ("path", "lang", "route_path"),
    [
        ("/", "en", "/"),
        ("/cookies", "en", "/cookies"),
        ("/cy", "cy", "/"),
        ("/cy/", "cy", "/"),
        ("/cy/cookies", "cy", "/cookies"),
        ("/cy/api/questions", "cy", "/api/questions"),
        ("/cymru", "en", "/cymru"),
        ("/cyngor/cy", "en", "/cyngor/cy"),
    ],
)
def test_language_from_path(path: str, lang: str, route_path: str) -> None:
    assert i18n.language_from_path(path) == (lang, route_path)


@pytest.mark.parametrize(
    ("route_path", "lang", "public"),
    [("/", "en", "/"), ("/", "cy", "/cy"), ("/ask", "cy", "/cy/ask"), ("ask", "en", "/ask")],
)
def test_localised_path(route_path: str, lang: i18n.Language, public: str) -> None:
    assert i18n.localised_path(route_path, lang) == public


def test_unknown_language_code_is_one_clear_line() -> None:
    with pytest.raises(ConfigError) as caught:
        i18n.translations("fr")
    assert str(caught.value) == "E104: unknown language code 'fr'. Use one of: en, cy."


def test_gettext_escapes_values_but_keeps_markup() -> None:
    welsh = gettext_for("cy")
    assert welsh("Cookies") == "Cwcis"
    english = gettext_for("en")
    text = english("You can email %(email)s for help.", email="<b>x</b>")
    assert text == "You can email &lt;b&gt;x&lt;/b&gt; for help."
    linked = english("You can email %(email)s for help.", email=Markup("<a>x</a>"))
    assert "<a>x</a>" in linked


def test_plural_messages_cover_each_languages_categories() -> None:
    assert set(plural_messages("en", "1", "n")) == {"one", "other"}
    welsh = plural_messages("cy", "1", "n")
    assert welsh == {"zero": "n", "one": "1", "two": "n", "few": "n", "many": "n", "other": "n"}


def template_messages() -> set[str]:
    """Strings marked for translation in citizen templates and code. Staff pages
    (templates/staff/) are English only, so they are not looked at."""
    method_map = [
        ("**/templates/staff/**.html", "ignore"),
        ("**/templates/**.html", "jinja2"),
        ("**.py", "python"),
    ]
    options = {"**/templates/**.html": {"trim_blocks": "True", "lstrip_blocks": "True"}}
    found: set[str] = set()
    for _filename, _line, message, _comments, _context in extract_from_dir(
        str(WEB), method_map, options_map=options
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_page_string_has_a_welsh_translation() -> None:
    with (WEB / "locale" / "cy" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale="cy")
    translated = {
        message.id: message.string
        for message in catalogue
        if message.id and message.string and not message.fuzzy
    }
    missing = sorted(template_messages() - set(translated))
    assert not missing, f"add Welsh for these to messages.po: {missing}"
    for message in catalogue:
        if message.id:
            assert message.string != message.id or message.id in {"Beta"}, message.id
    problems = [(message.id, errors) for message, errors in catalogue.check() if errors]
    assert not problems  # placeholders like %(email)s match in both languages
