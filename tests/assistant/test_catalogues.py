"""Message catalogues: complete shipped translations, a body's own folder, coded errors."""

from __future__ import annotations

import string
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from civicdesk.assistant.messages import (
    BUILT_IN_CATALOGUES,
    configure_catalogues,
    load_catalogues,
    message,
)
from civicdesk.errors import ConfigError

VALUES = {"organisation": "Aberwen Council", "reference": "CD-7Q2K", "destination": "HMRC"}
SHIPPED = ["cy", "pl", "ro", "es", "ar", "ur"]


def templates(code: str) -> dict[str, str]:
    raw = yaml.safe_load((BUILT_IN_CATALOGUES / f"{code}.yaml").read_text(encoding="utf-8"))
    return dict(raw["messages"])


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


ENGLISH = templates("en")


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def restore_built_in() -> Iterator[None]:
    yield
    configure_catalogues(None)


def test_every_shipped_file_is_a_language_and_english_has_the_new_keys() -> None:
    codes = {path.stem for path in BUILT_IN_CATALOGUES.glob("*.yaml")}
    assert codes == {"en", *SHIPPED}
    assert load_catalogues().languages() == tuple(sorted(codes))
    assert {"english_guidance_offer", "handed_over_translated"} <= set(ENGLISH)


@pytest.mark.parametrize("code", SHIPPED)
def test_a_shipped_catalogue_has_every_english_key_with_the_same_placeholders(code: str) -> None:
    translated = templates(code)
    assert set(translated) == set(ENGLISH)
    for key, template in translated.items():
        assert placeholders(template) == placeholders(ENGLISH[key]), key
        assert template.strip() != ENGLISH[key].strip(), f"{key} is not translated"


@pytest.mark.parametrize(
    ("code", "name", "english_name", "direction"),
    [
        ("en", "English", "English", "ltr"),
        ("cy", "Cymraeg", "Welsh", "ltr"),
        ("pl", "Polski", "Polish", "ltr"),
        ("ro", "Română", "Romanian", "ltr"),
        ("es", "Español", "Spanish", "ltr"),
        ("ar", "العربية", "Arabic", "rtl"),
        ("ur", "اردو", "Urdu", "rtl"),
    ],
)
def test_each_language_names_itself_and_its_direction(
    code: str, name: str, english_name: str, direction: str
) -> None:
    catalogues = load_catalogues()
    assert catalogues.has(code)
    assert (catalogues.name(code), catalogues.english_name(code)) == (name, english_name)
    assert catalogues.direction(code) == direction


@pytest.mark.parametrize(
    ("key", "language", "expected"),
    [
        ("signposted", "en", "Aberwen Council does not deal with this. HMRC can help you."),
        ("signposted", "cy", "Nid yw Aberwen Council yn delio â hyn. Gall HMRC eich helpu."),
        ("signposted", "es", "Aberwen Council no se ocupa de este asunto. HMRC puede ayudarle."),
        ("english_guidance", "pl", "Te informacje są dostępne tylko w języku angielskim."),
        ("english_guidance", "xx", "This guidance is only available in English."),
        ("english_guidance", "", "This guidance is only available in English."),
        ("english_guidance", "fr", "This guidance is only available in English."),
    ],
)
def test_message_fills_placeholders_and_falls_back_to_english(
    key: str, language: str, expected: str
) -> None:
    assert message(key, language, **VALUES) == expected


@pytest.mark.parametrize("language", ["xx", "fr", "EN"])
def test_a_language_without_a_catalogue_is_english_throughout(language: str) -> None:
    catalogues = load_catalogues()
    assert not catalogues.has(language)
    assert catalogues.message("handed_over", language, **VALUES) == catalogues.message(
        "handed_over", "en", **VALUES
    )
    assert (catalogues.name(language), catalogues.direction(language)) == ("English", "ltr")


def test_a_folder_adds_a_language_and_overrides_keys_one_by_one(tmp_path: Path) -> None:
    write(
        tmp_path,
        "fr.yaml",
        "language: {name: Français, english_name: French, direction: ltr}\n"
        "messages:\n"
        "  refused: Nous ne pouvons pas vous aider.\n"
        "  signposted: '{organisation} ne traite pas cela. {destination} peut vous aider.'\n",
    )
    write(tmp_path, "en.yaml", "messages:\n  refused: Sorry, we cannot help with that.\n")
    write(tmp_path, "cy.yaml", "messages:\n  refused: Mae'n ddrwg gennym.\n")
    write(tmp_path, "README.md", "Not a catalogue, and left alone.\n")
    catalogues = load_catalogues(tmp_path)

    assert catalogues.languages() == ("ar", "cy", "en", "es", "fr", "pl", "ro", "ur")
    assert (catalogues.name("fr"), catalogues.direction("fr")) == ("Français", "ltr")
    assert catalogues.message("refused", "fr") == "Nous ne pouvons pas vous aider."
    assert catalogues.message("signposted", "fr", **VALUES).startswith("Aberwen Council ne")
    # A key French leaves out is the (overridden) English one; English's other keys stay.
    assert catalogues.message("refused", "en") == "Sorry, we cannot help with that."
    assert catalogues.message("crisis", "fr", **VALUES) == message("crisis", "en", **VALUES)
    # Overriding one Welsh key keeps Welsh's name and every other Welsh message.
    assert catalogues.message("refused", "cy") == "Mae'n ddrwg gennym."
    assert catalogues.message("english_guidance", "cy") == message("english_guidance", "cy")
    assert catalogues.name("cy") == "Cymraeg"
    # The built-in set is untouched.
    assert message("refused", "en").startswith("We cannot help with that request.")


def test_configure_catalogues_changes_what_message_reads(
    tmp_path: Path, restore_built_in: None
) -> None:
    write(tmp_path, "en.yaml", "messages:\n  english_guidance: Only in English, sorry.\n")
    configured = configure_catalogues(tmp_path)
    assert configured.message("english_guidance", "en") == "Only in English, sorry."
    assert message("english_guidance", "xx") == "Only in English, sorry."
    configure_catalogues(None)
    assert message("english_guidance", "xx") == "This guidance is only available in English."


LANGUAGE = "language: {name: Français, english_name: French, direction: ltr}\n"


@pytest.mark.parametrize(
    ("name", "text", "code", "said"),
    [
        ("fr.yaml", LANGUAGE + "messages: {refused: [\n", "E115", "not valid YAML"),
        ("fr.yaml", "messages: {refused: Non.}\n", "E115", "no language block"),
        ("fr.yaml", LANGUAGE.replace("ltr", "up") + "messages: {}\n", "E115", "direction"),
        ("fr.yaml", LANGUAGE + "script: Latn\nmessages: {}\n", "E115", "script"),
        ("fr.yaml", LANGUAGE + "messages: {refused: '   '}\n", "E115", "messages.refused"),
        ("fr.yaml", "language: {name: Français}\nmessages: {}\n", "E115", "english_name"),
        ("french.yaml", LANGUAGE + "messages: {}\n", "E115", "<language code>.yaml"),
        ("fr.yml", LANGUAGE + "messages: {}\n", "E115", "<language code>.yaml"),
        ("fr.yaml", LANGUAGE + "messages: {refuse: Non.}\n", "E116", "refuse"),
        ("en.yaml", "messages: {handover: We passed it on.}\n", "E116", "handover"),
        ("fr.yaml", LANGUAGE + "messages: {refused: 'Non, {name}.'}\n", "E116", "{name}"),
        ("fr.yaml", LANGUAGE + "messages: {refused: 'Non {}.'}\n", "E116", "{}"),
        ("cy.yaml", "messages: {signposted: '{destination} {reference}'}\n", "E116", "{refer"),
        ("fr.yaml", LANGUAGE + "messages: {refused: 'Non {organisation'}\n", "E116", "template"),
    ],
)
def test_a_malformed_catalogue_is_one_coded_error(
    tmp_path: Path, name: str, text: str, code: str, said: str
) -> None:
    write(tmp_path, name, text)
    with pytest.raises(ConfigError) as raised:
        load_catalogues(tmp_path)
    assert raised.value.code == code
    assert name in str(raised.value) and said in str(raised.value)


def test_a_missing_folder_is_a_coded_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_catalogues(tmp_path / "nowhere")
    assert raised.value.code == "E115" and "CIVICDESK_CATALOGUES_PATH" in str(raised.value)
