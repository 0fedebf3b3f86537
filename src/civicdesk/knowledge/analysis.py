"""Text analysis for lexical search: words to index terms, per language.

English text is lower-cased, stripped of stop words and stemmed with the Snowball English
stemmer. Welsh text is lower-cased and stripped of Welsh stop words but never stemmed: the
English stemmer would cut Welsh words wrongly and there is no Snowball stemmer for Welsh.
A query is analysed with the analyser of every language it may be matched against.

Two things help a citizen's wording meet the guidance's: every English word is also indexed
as written ("=employer" beside "employ", which "employment" shares), so the citizen's own
word counts more than a relative of it; and acronyms the guidance defines ("Employment and
Support Allowance (ESA)") are spelled out when a question uses them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
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


def _english_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in ENGLISH_STOP_WORDS and len(w) < 40]


def analyse_english(text: str) -> list[str]:
    stems: list[str] = _english_stemmer().stemWords(_english_words(text))
    return stems


def _english_stems_and_forms(text: str) -> tuple[list[str], list[str]]:
    """Stems, and the words as written ("=employer", "=allowance").

    The stem joins a word with its relatives, which finds more, but Snowball also merges
    words that mean different things: "employer" and "employment" are both "employ",
    "allowance" is "allow", "national" is "nation". Indexing the words as written as well
    (a second, exact field, as search engines pair "text" with "text.exact") makes the
    citizen's own word count twice and a relative once. Every word gets its form, not only
    those stemming changed, so no word weighs double merely because Snowball trims it.
    """
    kept = _english_words(text)
    stems: list[str] = _english_stemmer().stemWords(kept)
    return stems, [f"={word}" for word in kept]


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
    """Index terms of a text: its analysed words, each pair of neighbours ("shared_parent")
    and, in English, the words as written (see `_english_stems_and_forms`; `is_word_form`
    tells these apart).

    Word pairs let a query that names a thing ("adoption pay", "tax credits") prefer passages
    that name it too, over passages that merely use both words somewhere.
    """
    language = language_of(locale)
    if language == "en":
        terms, forms = _english_stems_and_forms(text)
    else:
        terms, forms = ANALYSERS[language](text), []
    pairs = [f"{first}_{second}" for first, second in zip(terms, terms[1:], strict=False)]
    return index_terms(language, terms + pairs + forms)


def is_word_form(term: str) -> bool:
    """True for a word-as-written term ("=employer") rather than a stem or a word pair."""
    return term.startswith("=")


_DEFINED = re.compile(r"\(([A-Z][A-Za-z]{1,7})\)")
_ACRONYM = re.compile(r"\b[A-Z][A-Za-z]{1,7}\b")
_LONG_WORD = re.compile(r"[^\W\d_]{3,}")
_JOINING_WORDS = frozenset({"and", "of", "for", "the", "to", "in", "on", "a", "an", "&"})


def _acronym_letters(acronym: str) -> str | None:
    """The initials an acronym stands for ("HNDs" -> "hnd"); None if it is not one."""
    stem = acronym[:-1] if acronym.endswith("s") and acronym[:-1].isupper() else acronym
    return stem.lower() if sum(c.isupper() for c in stem) >= 2 else None


def defined_acronyms(texts: Iterable[str]) -> dict[str, str]:
    """Acronyms the texts define, as written, with their long form ("ESA" -> "Employment and
    Support Allowance"), read from "Long Form (ACRONYM)" where the initials match.

    Only what the guidance itself spells out is used, so a body's own acronyms ("CTR" for
    its Council Tax Reduction) work as well as national ones; when a text defines an
    acronym in more than one way, the most frequent long form wins.
    """
    found: Counter[tuple[str, str]] = Counter()
    for text in texts:
        for match in _DEFINED.finditer(text):
            acronym = match.group(1)
            letters = _acronym_letters(acronym)
            if letters is None:
                continue
            before = text[max(0, match.start() - 120) : match.start()]
            if before and not before[-1].isspace():
                continue
            candidates = before.split()[-8:]
            for size in range(1, len(candidates) + 1):
                tail = candidates[-size:]
                if tail[0].lower() in _JOINING_WORDS:
                    continue
                content = "".join(w[0] for w in tail if w.lower() not in _JOINING_WORDS)
                if letters in (content.lower(), "".join(w[0] for w in tail).lower()):
                    found[(acronym, " ".join(tail))] += 1
                    break
    acronyms: dict[str, str] = {}
    for (acronym, long_form), _ in found.most_common():
        acronyms.setdefault(acronym, long_form)
    return dict(sorted(acronyms.items()))


def expand_acronyms(text: str, acronyms: dict[str, str]) -> str:
    """The text with each defined acronym followed by its long form, in place, so the long
    form's words count where the acronym stood (in the sentence that asks, say).

    Only acronyms written exactly as the guidance writes them expand, and nothing expands
    in a text written mostly in capitals, where "SEND" is more likely a shout than the
    name of a service.
    """
    if not acronyms:
        return text
    long_words = _LONG_WORD.findall(text)
    if len(long_words) >= 3 and sum(w.isupper() for w in long_words) * 2 > len(long_words):
        return text

    def spelled_out(match: re.Match[str]) -> str:
        word = match.group(0)
        long_form = acronyms.get(word)
        return f"{word} ({long_form})" if long_form else word

    return _ACRONYM.sub(spelled_out, text)


def language_of(locale: str) -> str:
    """The analyser key a locale maps to."""
    key = locale.split("-")[0].lower()
    return key if key in ANALYSERS else "en"
