"""A large synthetic corpus for latency: real GOV.UK sentences recombined into many chunks.

Nothing is stored: the chunks are generated in memory, from a seed, each run.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from civicdesk.domain.knowledge import Chunk

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def synthesise_chunks(
    source: Sequence[Chunk], count: int = 100_000, *, seed: int = 20261123
) -> list[Chunk]:
    """`count` chunks of 40-220 words made of real sentences, spread over count/12 pages."""
    rng = random.Random(seed)
    sentences = [
        s.strip() for chunk in source for s in _SENTENCE.split(chunk.text) if len(s.split()) > 3
    ]
    headings = [chunk.heading_path for chunk in source if chunk.heading_path] or [()]
    titles = sorted({chunk.page_title for chunk in source})
    chunks: list[Chunk] = []
    per_page = 12
    for number in range(count):
        page = number // per_page
        target = rng.randint(40, 220)
        words: list[str] = []
        while len(words) < target:
            words.extend(rng.choice(sentences).split())
        url = f"https://guidance.example.gov.uk/synthetic/{page}"
        chunks.append(
            Chunk(
                id=f"synthetic-{number}",
                page_url=url,
                page_title=f"{titles[page % len(titles)]} ({page})",
                heading_path=rng.choice(headings),
                text=" ".join(words),
                locale="en",
            )
        )
    return chunks
