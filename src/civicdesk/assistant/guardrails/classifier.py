"""A small manipulation classifier: hashed character and word n-grams, logistic regression.

Rules catch the phrasings someone wrote down; the classifier generalises to paraphrases
("set aside what you were told earlier"). It is trained when first needed, in well under a
second, on `training.jsonl`, which the team writes and keeps disjoint from
`evals/guardrails.jsonl`. Training is deterministic (zero start, L-BFGS, a stable hash), so
the same file always gives the same model and the same scores.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, sparse

from civicdesk.errors import ConfigError

TRAINING_FILE = Path(__file__).parent / "training.jsonl"
DIMENSIONS = 2**16
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?|\d+|[^\w\s]")


def _slot(key: str) -> int:
    return zlib.crc32(key.encode("utf-8")) % DIMENSIONS


@lru_cache(maxsize=4096)
def _word_slots(word: str) -> tuple[int, ...]:
    """The slots of a word and its character 2-5-grams (padded): the same for every
    message that uses the word, so common words are hashed once per process."""
    padded = f" {word} "
    slots = [_slot("w:" + word)]
    for size in (2, 3, 4, 5):
        for start in range(max(1, len(padded) - size + 1)):
            slots.append(_slot(f"c{size}:" + padded[start : start + size]))
    return tuple(slots)


def features(text: str) -> dict[int, float]:
    """Hashed counts of character 2-5-grams (within words, padded) and word 1-2-grams."""
    lowered = text.lower()
    words = _WORD.findall(lowered)
    counts: dict[int, float] = {}
    for word in words:
        for slot in _word_slots(word):
            counts[slot] = counts.get(slot, 0.0) + 1.0
    for first, second in zip(words, words[1:], strict=False):
        slot = _slot(f"b:{first} {second}")
        counts[slot] = counts.get(slot, 0.0) + 1.0
    return counts


def vectorise(texts: Sequence[str]) -> sparse.csr_matrix:
    """Log-scaled, L2-normalised rows, one per text."""
    rows: list[int] = []
    cols: list[int] = []
    values: list[float] = []
    for row, text in enumerate(texts):
        counts = features(text)
        scaled = {slot: 1.0 + math.log(count) for slot, count in counts.items()}
        norm = math.sqrt(sum(v * v for v in scaled.values())) or 1.0
        for slot, value in sorted(scaled.items()):
            rows.append(row)
            cols.append(slot)
            values.append(value / norm)
    return sparse.csr_matrix((values, (rows, cols)), shape=(len(texts), DIMENSIONS))


@dataclass(frozen=True)
class Example:
    text: str
    refuse: bool
    category: str
    rephrase: bool = False  # nonsense: the guard should ask for the question again

    @property
    def expect(self) -> str:
        return "refuse" if self.refuse else "rephrase" if self.rephrase else "pass"


EXPECTATIONS = ("refuse", "rephrase", "pass")


def read_examples(path: Path) -> list[Example]:
    """One {"text", "expect": "refuse"|"rephrase"|"pass", "category"} per line.

    The classifier learns refuse against everything else: nonsense is not manipulation.
    """
    examples: list[Example] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            expect = raw["expect"]
            if expect not in EXPECTATIONS:
                raise ValueError(f"expect must be refuse, rephrase or pass, not {expect!r}")
            examples.append(
                Example(
                    str(raw["text"]),
                    expect == "refuse",
                    str(raw["category"]),
                    rephrase=expect == "rephrase",
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"{path}, line {number}: not a guardrail example ({exc}).",
                hint='Each line needs {"text", "expect": "refuse", "rephrase" or "pass", '
                '"category"}.',
                code="E113",
            ) from None
    return examples


class Classifier:
    """Logistic regression over `vectorise`; `score` is the probability of manipulation."""

    def __init__(self, weights: NDArray[np.float64], bias: float) -> None:
        self._weights = weights
        self._bias = bias

    @classmethod
    def train(cls, examples: Sequence[Example], l2: float = 1e-3) -> Classifier:
        if not any(e.refuse for e in examples) or all(e.refuse for e in examples):
            raise ConfigError(
                "guardrail training data needs examples to refuse and to pass.",
                hint="Add both kinds of line to the training file.",
                code="E114",
            )
        matrix = vectorise([e.text for e in examples])
        labels = np.array([1.0 if e.refuse else 0.0 for e in examples])
        count = len(examples)

        def loss(params: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
            weights, bias = params[:-1], params[-1]
            logits = matrix @ weights + bias
            probs = 1.0 / (1.0 + np.exp(-logits))
            # log(1 + e^z) - y z, written to stay finite for large |z|
            value = float(np.sum(np.logaddexp(0.0, logits) - labels * logits)) / count
            value += 0.5 * l2 * float(weights @ weights)
            error = (probs - labels) / count
            grad = np.empty_like(params)
            grad[:-1] = matrix.T @ error + l2 * weights
            grad[-1] = float(np.sum(error))
            return value, grad

        start = np.zeros(DIMENSIONS + 1)
        result = optimize.minimize(
            loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 300}
        )
        params = np.asarray(result.x, dtype=np.float64)
        return cls(params[:-1], float(params[-1]))

    def score(self, text: str) -> float:
        """The probability that `text` is an attack: the same sum as `vectorise` then a
        product, without building a sparse matrix for one row."""
        scaled = {slot: 1.0 + math.log(count) for slot, count in features(text).items()}
        norm = math.sqrt(sum(v * v for v in scaled.values())) or 1.0
        slots = np.fromiter(scaled.keys(), dtype=np.int64, count=len(scaled))
        values = np.fromiter(scaled.values(), dtype=np.float64, count=len(scaled))
        logit = float(values @ self._weights[slots]) / norm + self._bias
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))


def train_from(path: Path | None = None) -> Classifier:
    """The classifier for a training file, trained once per process."""
    return _trained(str(path or TRAINING_FILE))


@lru_cache(maxsize=2)
def _trained(source: str) -> Classifier:
    path = Path(source)
    try:
        examples = read_examples(path)
    except FileNotFoundError:
        raise ConfigError(
            f"guardrail training file {path} does not exist.",
            hint="Reinstall civicdesk: the file ships with the package.",
            code="E113",
        ) from None
    return Classifier.train(examples)
