"""Large sets of words kept as sorted 64-bit hashes: a twelfth of a Python set's memory.

A set of 200,000 English words is about 20 MB of Python objects, copied into every forked
worker whose requests touch it (ADR 0043). A `WordSet` keeps one 8-byte hash per word in a
sorted NumPy array (1.6 MB) that no request writes to, and answers membership by binary
search. The hash is BLAKE2b, not Python's `hash`, so it does not depend on the process's
hash seed. Two different words share a hash with odds of about 1 in 10^14 for sets of this
size: for "is this an ordinary word", that is never.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt


def word_hash(word: str) -> int:
    digest = hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


class WordSet:
    """Membership of words, from sorted hashes; built once, never changed."""

    __slots__ = ("_hashes",)

    def __init__(self, words: Iterable[str]) -> None:
        hashes: npt.NDArray[np.uint64] = np.fromiter(
            (word_hash(word) for word in words), dtype=np.uint64
        )
        self._hashes = np.unique(hashes)  # sorted, without repeats

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        value = np.uint64(word_hash(word))
        index = int(np.searchsorted(self._hashes, value))
        return index < self._hashes.size and bool(self._hashes[index] == value)

    def __len__(self) -> int:
        return int(self._hashes.size)
