"""A small manipulation classifier: hashed character and word n-grams, logistic regression.

Rules catch the phrasings someone wrote down; the classifier generalises to paraphrases
("set aside what you were told earlier"). It is trained when first needed, in well under a
second, on `training.jsonl`, which the team writes and keeps disjoint from
`evals/guardrails.jsonl`. Training is deterministic (zero start, L-BFGS, a stable hash), so
the same file always gives the same model and the same scores.

The trained weights are kept in a cache file named by a hash of the training file, and a
server trains in a short-lived child process when the cache is empty: L-BFGS needs
`scipy.optimize`, about 28 MB of libraries a server would otherwise keep mapped for nothing
(ADR 0062, #3).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

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

        from scipy import optimize  # here: a server loads trained weights instead (see above)

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


def train_from(path: Path | None = None, *, isolated: bool = False) -> Classifier:
    """The classifier for a training file, trained once per process.

    `isolated`: read the weights from the cache, training in a child process when they are
    not there, so this process never loads `scipy.optimize` (what a server wants).
    """
    source = str(path or TRAINING_FILE)
    if isolated:
        return _isolated(source)
    return _trained(source)


CACHE_VERSION = 1


def cache_path(source: Path) -> Path:
    """Where the weights trained on `source` are kept: named by its content and the model's
    shape, so a changed file or model is trained again."""
    digest = hashlib.sha256(source.read_bytes())
    digest.update(f"{DIMENSIONS}:{CACHE_VERSION}".encode())
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "civicdesk"
    return base / f"guard-classifier-{digest.hexdigest()[:24]}.npz"


def save_weights(classifier: Classifier, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f"{target.stem}.{os.getpid()}.tmp.npz")
    np.savez(temporary, weights=classifier._weights, bias=np.array(classifier._bias))
    os.replace(temporary, target)


def load_weights(target: Path) -> Classifier | None:
    try:
        with target.open("rb") as file, np.load(file, allow_pickle=False) as stored:
            weights = np.asarray(stored["weights"], dtype=np.float64)
            bias = float(stored["bias"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    return Classifier(weights, bias) if weights.shape == (DIMENSIONS,) else None


@lru_cache(maxsize=2)
def _isolated(source: str) -> Classifier:
    path = Path(source)
    read_examples(path)  # a bad file is the same clear error here as in-process
    try:
        target = cache_path(path)
    except OSError:
        return _trained(source)
    cached = load_weights(target)
    if cached is not None:
        return cached
    try:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "civicdesk.assistant.guardrails.classifier",
                source,
                str(target),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    except (OSError, subprocess.SubprocessError):
        pass  # no child process here (or it failed): train in this one
    cached = load_weights(target)
    return cached if cached is not None else _trained(source)


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


def _train_to_cache(source: str, target: str) -> None:
    """Child process: train on `source`, write the weights to `target` (see train_from)."""
    save_weights(_trained(source), Path(target))


if __name__ == "__main__":
    _train_to_cache(sys.argv[1], sys.argv[2])
