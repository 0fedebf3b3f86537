"""Sources the generator tests send, and the type of the generator-making fixture."""

from __future__ import annotations

from collections.abc import Callable

from civicdesk.llm.generator import Source
from civicdesk.llm.openai_provider import OpenAIGenerator

MakeGenerator = Callable[..., OpenAIGenerator]

SOURCES = [
    Source(
        1,
        "Resident and visitor parking permits",
        "Resident permits",
        "https://www.aberwen.gov.uk/parking/parking-permits#resident-permits",
        "| Permit | Price for 12 months |\n| --- | --- |\n| First vehicle | £45 |",
    ),
    Source(
        2,
        "Bin collection days",
        "",
        "https://www.aberwen.gov.uk/bins-and-recycling/bin-collections",
        "We collect your black bin every 2 weeks.",
    ),
]
