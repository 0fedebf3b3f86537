"""Text analysis for lexical search: words to index terms, per language.

English text is lower-cased, stripped of stop words and stemmed with the Snowball English
stemmer. Welsh text is lower-cased and stripped of Welsh stop words but never stemmed: the
English stemmer would cut Welsh words wrongly and there is no Snowball stemmer for Welsh.
A query is analysed with the analyser of every language it may be matched against.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import Stemmer

_WORD = re.compile(r"[^\W_]+")
_POSSESSIVE = re.compile(r"(?<=[^\W_])'s\b")

ENGLISH_STOP_WORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing done down during each few for
    from further get got had has have having he her here hers herself him himself his how i if
    in into is it its itself just let me more most my myself no nor not now of off on once only
    or other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up upon
    us very was we were what when where which while who whom why will with would you your
    yours yourself yourselves s t d ll m re ve don doesn didn isn wasn weren won wouldn
    couldn shouldn haven hasn hadn aren im ive id youre thats dont doesnt
    want wants wanted wondering like know please thanks thank hi hello would could might
    currently recently just really also still already yet since soon ago
    """.split()
)

WELSH_STOP_WORDS = frozenset(
    """
    a ac ar at chi dan dros drwy eich ei eu fy gan gyda hi hwn hon hyn i mae mewn na nad nac
    neu nid o os pan pe rydw rydych rydym sy sydd y yn yr ydy ydych ydw ydym wedi bod fod
    hefyd ond am i'r o'r a'r
    """.split()
)


def words(text: str) -> list[str]:
    """Lower-cased words: apostrophes joined ("don't" -> "dont"), possessive 's dropped."""
    normal = unicodedata.normalize("NFKC", text).lower()
    normal = _POSSESSIVE.sub("", normal.replace("\u2019", "'").replace("\u2018", "'"))
    return _WORD.findall(normal.replace("'", ""))


Analyser = Callable[[str], list[str]]


@lru_cache(maxsize=1)
def _english_stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def analyse_english(text: str) -> list[str]:
    kept = [w for w in words(text) if w not in ENGLISH_STOP_WORDS and len(w) < 40]
    stems: list[str] = _english_stemmer().stemWords(kept)
    return stems


def analyse_welsh(text: str) -> list[str]:
    """Welsh words, without Welsh or English stop words (Welsh pages quote English names)."""
    return [
        w
        for w in words(text)
        if w not in WELSH_STOP_WORDS and w not in ENGLISH_STOP_WORDS and len(w) < 40
    ]


ANALYSERS: dict[str, Analyser] = {"en": analyse_english, "cy": analyse_welsh}


def analyser_for(locale: str) -> Analyser:
    """The analyser for a locale ("en", "cy", "en-GB" ...); English when unknown."""
    return ANALYSERS.get(locale.split("-")[0].lower(), analyse_english)


def index_terms(language: str, terms: list[str]) -> list[str]:
    """Terms as the index keys them: each language apart, so forms never collide."""
    return terms if language == "en" else [f"{language}:{term}" for term in terms]


def analyse_for_index(locale: str, text: str) -> list[str]:
    """Index terms of a text: its analysed words and each pair of neighbours ("shared_parent").

    Word pairs let a query that names a thing ("adoption pay", "tax credits") prefer passages
    that name it too, over passages that merely use both words somewhere.
    """
    language = language_of(locale)
    terms = ANALYSERS[language](text)
    pairs = [f"{first}_{second}" for first, second in zip(terms, terms[1:], strict=False)]
    return index_terms(language, terms + pairs)


def language_of(locale: str) -> str:
    """The analyser key a locale maps to."""
    key = locale.split("-")[0].lower()
    return key if key in ANALYSERS else "en"
