"""Welsh initial consonant mutations, folded so that "bin", "min" and "fin" match.

Welsh changes the first consonant of a word after certain words ("fy min", "ei fin"): soft,
nasal and aspirate mutations. Search that compares words as written misses those forms. This
folds each word's first consonant to the class it belongs to (velar c/g, labial p/b/m/f,
dental t/d/n, l/ll, r/rh), which is coarse but cheap, and errs on the side of matching.
"""

from __future__ import annotations

_CLASSES = (
    ("ngh", "K"),
    ("mh", "P"),
    ("nh", "T"),
    ("ng", "K"),
    ("ch", "K"),
    ("ph", "P"),
    ("th", "T"),
    ("dd", "T"),
    ("ll", "L"),
    ("rh", "R"),
    ("c", "K"),
    ("g", "K"),
    ("p", "P"),
    ("b", "P"),
    ("m", "P"),
    ("f", "P"),
    ("t", "T"),
    ("d", "T"),
    ("n", "T"),
    ("l", "L"),
    ("r", "R"),
)


def fold_mutation(word: str) -> str:
    """The word with its first consonant replaced by its class letter (lower-case input)."""
    if len(word) < 3:
        return word
    for prefix, key in _CLASSES:
        if word.startswith(prefix) and len(word) > len(prefix):
            return key + word[len(prefix) :]
    return word
