"""Name gazetteers built offline from maintained packages, once per process.

* Given names and family names: every locale of Faker's person provider (MIT), which covers
  British, Irish, Welsh-ish English, South Asian (en_IN, en_PK, bn_BD ...), Nigerian (en_NG,
  yo_NG, ig_NG, ha_NG), Polish and other European, Arabic (romanised where the locale has it),
  Chinese and Japanese romanisations, and more. Only names in Latin script are kept.
* Common English words: the lower-case entries of the Webster's word list shipped by the
  ``english-words`` package (MIT). A name that is also a common word ("Will", "Grace", "Smith")
  is ambiguous alone and needs support (a second name token, an honorific, an introduction).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from dataclasses import dataclass
from functools import lru_cache

from civicdesk.wordsets import WordSet

_NAME_TOKEN = re.compile(r"^[^\W\d_]{2,}(?:['’\-][^\W\d_]+)*$")
_NAME_ATTRIBUTES = ("first_name", "last_name", "romanized")


@dataclass(frozen=True)
class Gazetteer:
    given: frozenset[str]
    family: frozenset[str]
    common_words: WordSet  # about 200,000 words: hashes, not strings (civicdesk.wordsets)

    def is_name(self, token: str) -> bool:
        return token in self.given or token in self.family

    def is_common_word(self, token: str) -> bool:
        """An ordinary English word: inflected ("Bins", "Planning", "Complained"), or two
        words joined ("Helpline", "Fly-tipping")."""
        word = token.lower()
        if word in self.common_words:
            return True
        if self.is_name(token):  # a known name: the word itself or its plural only
            return len(word) > 3 and word.endswith("s") and word[:-1] in self.common_words
        return _common(word, self.common_words)


def _stems(word: str) -> list[str]:
    stems = [word]
    if word.endswith("'s") or word.endswith("’s"):
        stems.append(word[:-2])
    if len(word) > 3 and word.endswith("s"):
        stems.append(word[:-1])
        if word.endswith("es"):
            stems.append(word[:-2])
    if len(word) > 5 and word.endswith("ing"):
        stems += [word[:-3], word[:-3] + "e"]
        if word[-4] == word[-5]:
            stems.append(word[:-4])
    if len(word) > 4 and word.endswith("ed"):
        stems += [word[:-2], word[:-1]]
        if len(word) > 5 and word[-3] == word[-4]:
            stems.append(word[:-3])
    return stems


@lru_cache(maxsize=65536)
def _cached(word: str, words: WordSet) -> bool:
    if any(stem in words for stem in _stems(word)):
        return True
    if "-" in word:
        return all(_cached(part, words) for part in word.split("-") if part)
    return any(
        word[:cut] in words and any(stem in words for stem in _stems(word[cut:]))
        for cut in range(4, len(word) - 3)
    )


def _common(word: str, words: WordSet) -> bool:
    return _cached(word, words)


def _latin(token: str) -> bool:
    return all(ord(char) < 0x250 or char in "’" for char in token)


def _names_of(provider: object) -> tuple[set[str], set[str]]:
    given: set[str] = set()
    family: set[str] = set()
    for attribute in dir(provider):
        if attribute.startswith("_") or "format" in attribute:
            continue
        if not any(part in attribute for part in _NAME_ATTRIBUTES):
            continue
        values = getattr(provider, attribute)
        if not isinstance(values, list | tuple | dict):
            continue
        target = family if "last" in attribute else given
        for value in values:
            if not isinstance(value, str):
                continue
            for part in value.split():
                if part[:1].isupper() and _NAME_TOKEN.match(part) and _latin(part):
                    target.add(part)
    return given, family


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """Read the packages once (about half a second); every engine shares the result."""
    import faker.providers.person as person_providers
    from english_words import get_english_words_set  # type: ignore[import-untyped]

    loaded_before = set(sys.modules)
    given: set[str] = set()
    family: set[str] = set()
    for module in pkgutil.iter_modules(person_providers.__path__):
        provider = importlib.import_module(f"{person_providers.__name__}.{module.name}").Provider
        more_given, more_family = _names_of(provider)
        given |= more_given
        family |= more_family
    words = get_english_words_set(["web2"], lower=False, alpha=True)
    common = WordSet(word for word in words if word[:1].islower())
    del words
    _forget_modules(loaded_before)
    return Gazetteer(frozenset(given), frozenset(family), common)


def _forget_modules(loaded_before: set[str]) -> None:
    """Drop the Faker locale modules imported only to read their names (about 12 MB of
    lists a server would otherwise keep, and copy into every forked worker it touches)."""
    for name in set(sys.modules) - loaded_before:
        if name.startswith("faker.providers.person."):
            del sys.modules[name]
            parent, _, child = name.rpartition(".")
            if parent in sys.modules and hasattr(sys.modules[parent], child):
                delattr(sys.modules[parent], child)
