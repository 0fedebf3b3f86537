"""Nonsense: keyboard mash, random characters, one thing repeated, no letters at all.

Detection only: `assess` says whether a message reads as nonsense, which signal decided it and
how many of its words looked wrong; the guard decides what to do about it. Nothing is learned
from citizens' messages and nothing is downloaded.

Each word written in Latin letters is judged on its own (accents folded, so "śmieci" is read as
"smieci"): a word found in a word list is fine; any other word looks wrong when

- its letters run along one keyboard row ("asdfgh", "qwerty"),
- it is one short piece repeated ("hahahaha", "asdasdasd"),
- it is 30 or more letters long,
- or its letter triples are implausible: too rare on average, too many never seen in any word
  of the word lists, six or more consonants in a row, or no vowel at all.

Apart from words, a run of characters with two or more symbols between its letters
("x7#kQ!9z@pL"), or with letters of several alphabets ("ЖxΩ"), looks wrong; one with digits
in it (a postcode, a reference, a price) is not judged.

The word lists are English (Webster's list from `english-words`, about 235,000 words) and,
so that Welsh, Polish or Romanian words are not judged by English spelling alone, words of 25
other Latin-script languages: CLDR's names of languages, countries, currencies, months and
days (through `babel`), `Faker`'s word lists, the Welsh stop words of the search index, and
the assistant's own translated messages. All are already dependencies. Words in other
scripts (Arabic, Urdu, Chinese ...) are never judged: they always count as words.

A message is nonsense when it has no letters at all, when it is one letter or one word over
and over, when it is single letters apart ("a s d f"), or when more of its words look wrong
than right (half is enough when one of them is keyboard mash, repetition or random
characters). A typo ("colected"), a postcode or reference number, an acronym ("HMRC") or a
long place name among real words does not tip it.
"""

from __future__ import annotations

import importlib
import pickle
import pkgutil
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

import numpy as np
from numpy.typing import NDArray

from civicdesk.assistant.guardrails.normalise import HOMOGLYPHS
from civicdesk.assistant.messages import BUILT_IN_CATALOGUES
from civicdesk.knowledge.analysis import WELSH_STOP_WORDS
from civicdesk.privacy.normalise import INVISIBLE
from civicdesk.wordsets import WordSet

# The signals, most telling first: when words look wrong for different reasons, the message
# is reported under the first of them.
SIGNALS = (
    "no_letters",
    "repeated",
    "keyboard",
    "random_characters",
    "long_word",
    "gibberish",
)

# Thresholds, set on words from real questions in seven languages and on generated mash (see
# ADR 0062). Log-probabilities are base 2, averaged over a word's letter triples.
MIN_MEAN_LOG_PROB = -5.3
MAX_UNSEEN_SHARE = 0.25
KEYBOARD_SHARE = 0.8
KEYBOARD_MAX_LOG_PROB = -3.6  # a run along one row that also reads like a word is a word
CONSONANT_RUN = 6
LONG_WORD = 30
ACRONYM = 6  # capitals up to this long, among lower-case words, are an acronym ("HMRC")

# Latin-script languages whose CLDR names (and Faker word lists, where it has one) join the
# word lists: the languages of the UK and Ireland, and those most spoken by people living here.
OTHER_LANGUAGES = (
    "cs", "cy", "de", "es", "fil", "fr", "ga", "gd", "gv", "hu", "it", "kw", "lt", "lv", "nl",
    "pl", "pt", "ro", "sk", "so", "sq", "sw", "tr", "vi", "yo",
)  # fmt: skip

_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*(?:[_:][A-Za-z0-9_\-]+)?>")  # privacy's <UK_NINO>
_ADDRESS = re.compile(
    r"(?i)^(?:https?://\S+|www\.\S+|\S+@\S+\.\S+|[\w-]+(?:\.[\w-]+)+(?:/\S*)?)$"
)  # a web address, an email address, a domain or a file name
_LETTERS = re.compile(r"[^\W\d_]+")
_NOT_CONTRACTION = re.compile(r"n['’]t\b", re.IGNORECASE)  # didn't -> did
_RUN_OF_THREE = re.compile(r"(.)\1\1+")
_CONSONANTS = re.compile(r"[^aeiouy]+")
_VOWEL = re.compile(r"[aeiouyw]")  # w is a vowel in Welsh ("cwm")
_SEPARATORS = set("-'’./&_:+,")
_FOLD = str.maketrans(
    {"ł": "l", "ø": "o", "ß": "ss", "đ": "d", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th", "ð": "d"}
)
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEY = {key: (row, column) for row, keys in enumerate(_ROWS) for column, key in enumerate(keys)}
_EAST_ASIAN = frozenset({"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO"})
_SIZE = 27  # a boundary mark and the 26 letters
_SUFFIXES = ("s", "es", "ed", "ing", "ly")
# Signals that tip a message whose words are half wrong, half right ("hello asdfgh"); an
# implausible spelling alone needs a majority, so that "gwastraff bwyd" is not nonsense.
_STRONG = frozenset({"keyboard", "repeated", "random_characters"})


@dataclass(frozen=True)
class Assessment:
    """What `assess` found: the deciding signal ("" for none) and the words it judged."""

    signal: str
    judged: int
    flagged: int

    @property
    def nonsense(self) -> bool:
        return bool(self.signal)

    @property
    def share(self) -> float:
        """The share of judged words that looked wrong (1.0 for a message with no letters)."""
        return 1.0 if self.signal == "no_letters" else self.flagged / (self.judged or 1)


SENSE = Assessment("", 0, 0)


@dataclass(frozen=True)
class LetterModel:
    """Known words, and how likely each letter is after the two before it."""

    vocabulary: WordSet  # about 260,000 words, as hashes (civicdesk.wordsets)
    log_prob: NDArray[np.float64]  # (27**3,): the higher of the English and other tables
    seen: NDArray[np.bool_]  # (27**3,): the triple occurs in some listed word

    def mean_log_prob(self, word: str) -> float:
        return float(self.log_prob[_triples(word)].mean())

    def unseen_share(self, word: str) -> float:
        return float(1.0 - self.seen[_triples(word)].mean())


def assess(text: str, model: LetterModel | None = None) -> Assessment:
    """Whether `text` reads as nonsense, and why (see the module's description)."""
    model = model or letter_model()
    text = unicodedata.normalize("NFKC", "".join(c for c in text if c not in INVISIBLE))
    text, placeholders = _PLACEHOLDER.subn(" ", text)
    if not any(c.isalpha() for c in text):
        return SENSE if placeholders else Assessment("no_letters", 0, 0)
    words, odd = _words(text)
    latin = [w for w, is_latin in words if is_latin]
    if len(latin) == len(words):
        repeated = _repeated(latin)
        if repeated:
            return repeated
    chunks = text.split()
    scattered = sum(1 for c in chunks if len(c) == 1 and c.isalpha() and c.isascii())
    if scattered >= 4 and scattered >= 0.6 * len(chunks):
        return Assessment("gibberish", len(chunks), scattered)  # "a s d f g h"
    shouting = not any(c.islower() for c in text) and len(words) >= 3
    signals: list[str] = list(odd)
    good = 0
    for word, is_latin in words:
        folded = fold(word) if is_latin else ""
        if not is_latin or len(folded) <= 2 or _known(folded, model.vocabulary):
            good += 1
            continue
        acronym = word.isupper() and len(word) <= ACRONYM and not shouting  # "HMRC"
        signal = judge_word(folded, model, acronym=acronym)
        if signal:
            signals.append(signal)
        else:
            good += 1
    judged = good + len(signals)
    if len(signals) > good or (signals and len(signals) == good and set(signals) & _STRONG):
        counts = Counter(signals)
        first = min(counts, key=lambda s: (-counts[s], SIGNALS.index(s)))
        return Assessment(first, judged, len(signals))
    return Assessment("", judged, len(signals))


def judge_word(word: str, model: LetterModel, *, acronym: bool = False) -> str:
    """The signal an unlisted word of Latin letters (folded) raises; "" if it reads as a word.

    An acronym is only judged for keyboard runs and repetition: its letters are not a word's.
    """
    if not word.isascii() or not word.isalpha():
        return ""  # a letter the tables do not know ("ħ"): not judged
    if len(word) >= LONG_WORD:
        return "long_word"
    if _periodic(word):
        return "repeated"
    squeezed = _RUN_OF_THREE.sub(r"\1\1", word)  # "pleeease" is "pleease"
    mean = model.mean_log_prob(squeezed)
    if len(squeezed) >= 4 and _keyboard_share(squeezed) >= KEYBOARD_SHARE:
        if mean < KEYBOARD_MAX_LOG_PROB:
            return "keyboard"
    if acronym:
        return ""
    if (
        mean < MIN_MEAN_LOG_PROB
        or model.unseen_share(squeezed) >= MAX_UNSEEN_SHARE
        or max(map(len, _CONSONANTS.findall(squeezed)), default=0) >= CONSONANT_RUN
        or (len(squeezed) >= 4 and not _VOWEL.search(squeezed))
    ):
        return "gibberish"
    return ""


def fold(word: str) -> str:
    """Lower case, accents removed: "Śmieci" -> "smieci", "Łódź" -> "lodz"."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_FOLD)


def _words(text: str) -> tuple[list[tuple[str, bool]], list[str]]:
    """Letter runs, each with whether it is Latin, and the signals of chunks of odd symbols."""
    words: list[tuple[str, bool]] = []
    odd: list[str] = []
    for chunk in _NOT_CONTRACTION.sub("", text).split():
        if _ADDRESS.match(chunk):
            continue
        kinds = [_kind(c) for c in chunk]
        if "L" not in kinds:
            continue
        first, last = kinds.index("L"), len(kinds) - kinds[::-1].index("L")
        inner = chunk[first:last]
        symbols = sum(1 for c, k in zip(inner, kinds[first:last], strict=True) if k == "S")
        if symbols >= 2 or _mixed_scripts(inner):
            odd.append("random_characters")  # "x7#kQ!9z@pL", or letters of several alphabets
            continue
        if "N" in kinds:
            continue  # a reference, a postcode, a price: not judged
        run = ""
        for char, kind in zip(chunk, kinds, strict=True):
            if kind == "L":
                run += char
            elif run:
                words.append((run, _scripts(run) == {"LATIN"}))
                run = ""
        if run:
            words.append((run, _scripts(run) == {"LATIN"}))
    return words, odd


def _kind(char: str) -> str:
    """L for a letter or a mark on one, N for a digit, P for a separator, S for others."""
    category = unicodedata.category(char)
    if category[0] in "LM":
        return "L"
    if category[0] == "N":
        return "N"
    return "P" if char in _SEPARATORS else "S"


def _scripts(run: str) -> set[str]:
    """The scripts of a run's letters. Marks take their letter's script; East Asian scripts,
    which sit beside Latin letters without a space ("eta申請表"), are left out."""
    found = {
        unicodedata.name(c, "?").split(" ")[0] for c in run if unicodedata.category(c)[0] == "L"
    }
    return found - _EAST_ASIAN or {"CJK"}


def _mixed_scripts(run: str) -> bool:
    """Letters of several alphabets, even once look-alikes are read as Latin ("Жa☃ऄx")."""
    return len(_scripts(run)) > 1 and len(_scripts(run.translate(HOMOGLYPHS))) > 1


def _repeated(latin: list[str]) -> Assessment | None:
    """One letter ("aaaa", "k k k k") or one word ("bin bin bin") and nothing else."""
    letters = "".join(latin).lower()
    if len(letters) >= 3 and len(set(letters)) == 1:
        return Assessment("repeated", len(latin), len(latin))
    if len(latin) >= 3 and len({w.lower() for w in latin}) == 1:
        return Assessment("repeated", len(latin), len(latin))
    return None


def _known(word: str, vocabulary: WordSet) -> bool:
    if word in vocabulary:
        return True
    return any(word.endswith(suffix) and word[: -len(suffix)] in vocabulary for suffix in _SUFFIXES)


def _periodic(word: str) -> bool:
    """One piece over and over: a letter or two three times or more ("hahaha"), or a longer
    piece twice or more ("asdasd", "blahblahblah")."""
    for size in range(1, len(word) // 2 + 1):
        repeats, rest = divmod(len(word), size)
        if repeats < (3 if size <= 2 else 2) or len(word) < 4:
            continue
        piece = word[:size]
        if piece * repeats + piece[:rest] == word:
            return True
    return False


def _keyboard_share(word: str) -> float:
    """The share of neighbouring letters that are neighbouring keys on one row."""
    pairs = list(zip(word, word[1:], strict=False))
    if len(set(word)) < 3:
        return 0.0
    near = sum(
        1
        for a, b in pairs
        if a in _KEY and b in _KEY and _KEY[a][0] == _KEY[b][0]
        and abs(_KEY[a][1] - _KEY[b][1]) == 1
    )  # fmt: skip
    return near / len(pairs)


def _triples(word: str) -> NDArray[np.int64]:
    codes = [0, 0, *(ord(c) - 96 for c in word), 0]
    return np.array(
        [(codes[i] * _SIZE + codes[i + 1]) * _SIZE + codes[i + 2] for i in range(len(codes) - 2)],
        dtype=np.int64,
    )


def _counts(words: Iterable[str], batch: int = 20_000) -> NDArray[np.float64]:
    """Letter-triple counts over words of a-z, each padded with boundary marks (in batches,
    to keep the arrays small)."""
    counts = np.zeros(_SIZE**3, dtype=np.float64)
    listed = list(words)
    for start in range(0, len(listed), batch):
        joined = "\0\0" + "\0\0\0".join(listed[start : start + batch]) + "\0"
        codes = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).astype(np.int16)
        codes[codes > 0] -= 96
        triples = codes[:-2] * _SIZE  # at most 26 * 27 * 27 + 26: fits in 16 bits
        triples += codes[1:-1]
        triples *= _SIZE
        triples += codes[2:]
        counts += np.bincount(triples, minlength=_SIZE**3)
    counts[0] = 0.0  # "\0\0\0" only joins two words
    return counts


def _log_prob(counts: NDArray[np.float64], smoothing: float = 0.5) -> NDArray[np.float64]:
    table = counts.reshape(_SIZE * _SIZE, _SIZE)
    context = table.sum(axis=1, keepdims=True)
    ratios = (table + smoothing) / (context + _SIZE * smoothing)
    return np.asarray(np.log2(ratios), dtype=np.float64).reshape(-1)


def _plain_words(texts: Iterable[str]) -> set[str]:
    """Each run of letters in `texts`, folded, that is all a-z."""
    runs = (fold(run) for text in texts for run in _LETTERS.findall(text))
    return {word for word in runs if word.isascii() and word.isalpha()}


def _other_language_words() -> set[str]:
    """Words of other Latin-script languages: CLDR names, Faker's word lists, our own text."""
    texts: list[str] = []
    for code in OTHER_LANGUAGES:
        texts.extend(_cldr_names(code))
    loaded_before = set(sys.modules)
    import faker.providers.lorem as lorem

    for module in pkgutil.iter_modules(lorem.__path__):
        if module.name.split("_")[0] not in OTHER_LANGUAGES:
            continue
        provider = importlib.import_module(f"{lorem.__name__}.{module.name}").Provider
        texts.extend(str(word) for word in getattr(provider, "word_list", ()))
    _forget_modules(loaded_before, "faker.providers.lorem.")
    texts.extend(WELSH_STOP_WORDS)
    for path in sorted(BUILT_IN_CATALOGUES.glob("*.yaml")):  # our own sentences, translated
        texts.append(path.read_text(encoding="utf-8"))
    return _plain_words(texts)


def _cldr_names(code: str) -> list[str]:
    """A locale's own names of languages, countries, currencies, months and days.

    Read from babel's data file rather than `babel.localedata.load`, which would keep the
    whole locale in babel's cache, unmerged with the data it inherits.
    """
    from babel.localedata import resolve_locale_filename

    with open(resolve_locale_filename(code), "rb") as file:
        data = pickle.load(file)  # babel's own CLDR data, shipped with the package
    names: list[str] = []
    for key in ("languages", "territories", "currency_names"):
        names.extend(str(name) for name in data.get(key, {}).values())
    for key in ("months", "days"):
        for width in data.get(key, {}).get("format", {}).values():
            names.extend(str(name) for name in width.values())
    return names


def _forget_modules(loaded_before: set[str], prefix: str) -> None:
    """Drop modules imported only to read their word lists (as privacy's gazetteer does)."""
    for name in set(sys.modules) - loaded_before:
        if name.startswith(prefix):
            del sys.modules[name]
            parent, _, child = name.rpartition(".")
            if parent in sys.modules and hasattr(sys.modules[parent], child):
                delattr(sys.modules[parent], child)


@lru_cache(maxsize=1)
def letter_model() -> LetterModel:
    """The word lists and letter-triple tables, built once per process (about 0.5 s; 3 MB
    kept, the words as hashes)."""
    from english_words import get_english_words_set  # type: ignore[import-untyped]

    listed = get_english_words_set(["web2"], lower=True, alpha=True)
    english = [word for word in listed if word.isascii() and word.isalpha()]
    other = _other_language_words().difference(listed)
    english_counts, other_counts = _counts(english), _counts(other)
    log_prob = np.maximum(_log_prob(english_counts), _log_prob(other_counts))
    seen = (english_counts + other_counts) > 0
    vocabulary = WordSet(chain(english, other))
    del listed, english, other
    return LetterModel(vocabulary, log_prob, seen)
