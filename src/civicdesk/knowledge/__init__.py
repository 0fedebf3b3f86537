"""Knowledge: guidance sources -> pages -> chunks -> index -> retriever.

The assistant needs three calls: :func:`ingest_paths` to load guidance, :func:`load_retriever`
to get a :class:`Retriever` over it, and ``Retriever.search(query, k=..., locale=...)``.
"""

from civicdesk.knowledge.ingest import IngestReport, ingest_paths, sample_council_path
from civicdesk.knowledge.retriever import Retriever, load_retriever, rebuild_index_files

__all__ = [
    "IngestReport",
    "Retriever",
    "ingest_paths",
    "load_retriever",
    "rebuild_index_files",
    "sample_council_path",
]
