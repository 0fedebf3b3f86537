"""The assistant's own sentences (handover, crisis, signposting, refusal) in each language.

Each language is one YAML catalogue, ``catalogues/<code>.yaml``: a ``language`` block (the
language's own name, its English name and its writing direction) and ``messages``, key to
template. English is the reference. Another catalogue may leave keys out (the English text is
used for them) but may not have a key, or a placeholder, that English does not have.

A body's own folder (the ``catalogues_path`` setting) adds languages or overrides built-in
ones key by key. :func:`message` is called without settings, so it uses the built-in
catalogues until the app calls :func:`configure_catalogues` with that folder at start.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from civicdesk.datafiles import DataFile, read_yaml_model
from civicdesk.errors import ConfigError

BUILT_IN_CATALOGUES = Path(__file__).parent / "catalogues"
REFERENCE_LANGUAGE = "en"
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})*")  # as detected: "pl", "ur"

Direction = Literal["ltr", "rtl"]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Template = Annotated[Text, AfterValidator(lambda text: " ".join(text.split()))]


class LanguageBlock(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Text  # in the language itself: "Polski"
    english_name: Text  # "Polish"
    direction: Direction


class CatalogueFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: LanguageBlock | None = None  # may be left out when overriding a known language
    messages: dict[str, Template]


@dataclass(frozen=True)
class Catalogue:
    language: LanguageBlock
    messages: Mapping[str, str]


class Catalogues:
    """Every language's catalogue; English fills in whatever another language leaves out.

    A language with no catalogue gets English throughout, so ``name`` and ``direction`` then
    describe English: they always describe the catalogue ``message`` reads.
    """

    def __init__(self, catalogues: Mapping[str, Catalogue]) -> None:
        self._catalogues = dict(catalogues)
        self._english = self._catalogues[REFERENCE_LANGUAGE]

    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self._catalogues))

    def has(self, language: str) -> bool:
        return language in self._catalogues

    def name(self, language: str) -> str:
        """The language's name in itself: "Cymraeg", "Polski"."""
        return self._catalogue(language).language.name

    def english_name(self, language: str) -> str:
        return self._catalogue(language).language.english_name

    def direction(self, language: str) -> Direction:
        return self._catalogue(language).language.direction

    def message(self, key: str, language: str, **values: str) -> str:
        """The message `key` in `language`, or in English where that language lacks it."""
        template = self._catalogue(language).messages.get(key) or self._english.messages[key]
        return template.format(**values)

    def _catalogue(self, language: str) -> Catalogue:
        return self._catalogues.get(language, self._english)


def load_catalogues(extra_folder: Path | None = None) -> Catalogues:
    """The built-in catalogues with each file in `extra_folder` laid over them key by key.

    A bad folder or file is one ConfigError: E115 when a file cannot be read as a catalogue,
    E116 when its messages do not fit the English ones.
    """
    built_in = _built_in()
    if extra_folder is None:
        return Catalogues(built_in)
    reference = built_in[REFERENCE_LANGUAGE].messages
    merged = dict(built_in)
    for code, path in _catalogue_files(extra_folder).items():
        merged[code] = _lay_over(merged.get(code), _read(path, reference), path)
    return Catalogues(merged)


_current: Catalogues | None = None


def configure_catalogues(folder: Path | None) -> Catalogues:
    """From now on, :func:`message` reads the built-in catalogues with `folder`'s laid over.

    Call it at start with the ``catalogues_path`` setting, so that a bad file stops the app
    there rather than on a citizen's question. ``None`` goes back to the built-in catalogues.
    """
    global _current
    _current = load_catalogues(folder)
    return _current


def current_catalogues() -> Catalogues:
    """The catalogues :func:`message` reads: the built-in ones until configured."""
    global _current
    if _current is None:
        _current = load_catalogues(None)
    return _current


def message(key: str, language: str, **values: str) -> str:
    """The message `key` in `language` (English when that language has no such message)."""
    return current_catalogues().message(key, language, **values)


_FILE = DataFile(
    "message catalogue",
    "CIVICDESK_CATALOGUES_PATH",
    "docs/settings.md (catalogues_path)",
    ("E115", "E115", "E115"),
)


@lru_cache(maxsize=1)
def _built_in() -> Mapping[str, Catalogue]:
    files = _catalogue_files(BUILT_IN_CATALOGUES)
    english_path = files.pop(REFERENCE_LANGUAGE)
    english = _read(english_path, reference=None)
    catalogues = {REFERENCE_LANGUAGE: _lay_over(None, english, english_path)}
    for code, path in files.items():
        catalogues[code] = _lay_over(None, _read(path, english.messages), path)
    return catalogues


def _catalogue_files(folder: Path) -> dict[str, Path]:
    """Each `<code>.yaml` in `folder`, by language code."""
    if not folder.is_dir():
        raise ConfigError(
            f"the message catalogue folder {folder} does not exist or is not a folder.",
            hint="Fix CIVICDESK_CATALOGUES_PATH or unset it to use the built-in catalogues.",
            code="E115",
        )
    files: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.suffix not in (".yaml", ".yml"):
            continue
        if path.suffix == ".yml" or not LANGUAGE_CODE.fullmatch(path.stem):
            raise ConfigError(
                f"the message catalogue {path} is not named <language code>.yaml.",
                hint="Name it after the lower-case language code with .yaml, such as pl.yaml.",
                code="E115",
            )
        files[path.stem] = path
    return files


def _read(path: Path, reference: Mapping[str, str] | None) -> CatalogueFile:
    """One catalogue file, checked against the English messages (or itself, for English)."""
    catalogue = read_yaml_model(path, CatalogueFile, _FILE)
    english = catalogue.messages if reference is None else reference
    unknown = sorted(set(catalogue.messages) - set(english))
    if unknown:
        raise ConfigError(
            f"the message catalogue {path} has keys that English does not: {', '.join(unknown)}.",
            hint=f"Use only the keys of the built-in en.yaml: {', '.join(sorted(english))}.",
            code="E116",
        )
    for key, template in catalogue.messages.items():
        allowed = _placeholders(english[key], path, key)
        extra = _placeholders(template, path, key) - allowed
        if extra:
            raise ConfigError(
                f"the message {key!r} in {path} has placeholders that the English one does "
                f"not: {_braced(extra)}.",
                hint=f"Use only {_braced(allowed) or 'no placeholders'}, spelled as in English.",
                code="E116",
            )
    return catalogue


def _placeholders(template: str, path: Path, key: str) -> set[str]:
    try:
        return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
    except ValueError as exc:
        raise ConfigError(
            f"the message {key!r} in {path} is not a valid template ({exc}).",
            hint="Write placeholders as {organisation}, and a literal brace as {{ or }}.",
            code="E116",
        ) from None


def _braced(fields: set[str]) -> str:
    return ", ".join("{" + field + "}" for field in sorted(fields))


def _lay_over(known: Catalogue | None, file: CatalogueFile, path: Path) -> Catalogue:
    """`file`'s messages (and language block, if it has one) over the known catalogue."""
    if known is None:
        if file.language is None:
            raise ConfigError(
                f"the message catalogue {path} adds a language but has no language block.",
                hint="Add `language:` with name, english_name and direction (ltr or rtl).",
                code="E115",
            )
        return Catalogue(file.language, dict(file.messages))
    return Catalogue(file.language or known.language, {**known.messages, **file.messages})
