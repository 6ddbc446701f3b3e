"""Lexical similarity: TF-IDF cosine of hashed character 4-grams and word bigrams.

Why hashed n-grams with a per-prompt vocabulary: a student copies its teacher's phrasing, and
character n-grams catch that across tokenisation, inflection and scripts (Chinese included)
without a tokenizer. IDF is computed over the answers to the same prompt, so words every model
needs to answer that prompt weigh little and idiosyncratic phrasing weighs a lot.
Everything is vectorised: rolling polynomial hashes over a uint64 code-point array, one sort
per prompt, sparse dot products with `np.bincount`.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

from harness.errors import InputError

_P = np.uint64(1000003)
_DOC_BITS = np.uint64(16)  # up to 65,536 documents per prompt
# Text without spaces (Chinese) makes whole clauses single words, so its word bigrams catch
# exact clause copies; one word per character was measured and not kept (docs/detector-experiments.md,
# Round 7). Character 4-grams need no word boundaries.
_WORD = re.compile(r"\w+|[^\w\s]")


def _char_codes(text: str) -> np.ndarray:
    text = " ".join(text.lower().split())
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)


class _WordCodes(dict):
    """Word -> 48-bit code, memoised. Not Python's hash(): it is salted per process, and a
    different sort order of the n-gram keys changes float sums in the last digits, so reports
    would differ run to run."""

    MAX = 1 << 20  # entries before the memo starts over (bounded memory in long processes)

    def __missing__(self, token: str) -> int:
        if len(self) >= self.MAX:
            self.clear()
        digest = hashlib.blake2b(token.encode("utf-8", "surrogatepass"), digest_size=6).digest()
        code = self[token] = int.from_bytes(digest)
        return code


_CODES = _WordCodes()


def _word_codes(text: str) -> np.ndarray:
    toks = _WORD.findall(text.lower())
    return np.fromiter(map(_CODES.__getitem__, toks), dtype=np.uint64, count=len(toks))


def _ngram_keys(arrs: list[np.ndarray], ns: tuple[int, ...]) -> np.ndarray:
    """Sorted keys (hash << 16 | doc) of every n-gram (n in `ns`) of every document."""
    lens = np.fromiter((len(a) for a in arrs), dtype=np.int64, count=len(arrs))
    c = np.concatenate(arrs) if arrs else np.zeros(0, np.uint64)
    doc = np.repeat(np.arange(len(arrs), dtype=np.uint64), lens)
    keys = []
    for n in ns:
        m = len(c) - n + 1
        if m <= 0:
            continue
        h = c[:m].copy()
        for j in range(1, n):
            h = h * _P + c[j : m + j]
        h = h * np.uint64(n + 7)  # different n never share a hash by construction of the mix
        ok = doc[:m] == doc[n - 1 :]
        keys.append((h[ok] << _DOC_BITS) | doc[:m][ok])
    out = np.concatenate(keys) if keys else np.zeros(0, np.uint64)
    out.sort()
    return out


def tfidf(arrs: list[np.ndarray], ns: tuple[int, ...]):
    """Sparse L2-normalised TF-IDF rows: (doc index, term index, weight, n_terms).

    tf is sublinear (1 + log count); idf = log((1 + D) / (1 + df)) + 1 over these documents.
    """
    d_count = len(arrs)
    if d_count > 1 << int(_DOC_BITS):
        # The document index lives in the key's low bits; more would silently mix documents.
        raise InputError(
            f"{d_count} texts for one prompt (one per model, plus halves of each reference's "
            f"samples): lexical similarity compares at most {1 << int(_DOC_BITS)} at once"
        )
    key = _ngram_keys(arrs, ns)
    if len(key) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), 0
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    cnt = np.diff(np.r_[starts, len(key)])
    k = key[starts]
    dd = (k & np.uint64((1 << 16) - 1)).astype(np.int64)
    hh = k >> _DOC_BITS
    vv = np.cumsum(np.r_[True, hh[1:] != hh[:-1]]) - 1
    n_terms = int(vv[-1]) + 1
    df = np.bincount(vv, minlength=n_terms)
    idf = np.log((1 + d_count) / (1 + df)) + 1
    w = (1 + np.log(cnt)) * idf[vv]
    norm = np.sqrt(np.bincount(dd, weights=w * w, minlength=d_count))
    norm[norm == 0] = 1
    return dd, vv, w / norm[dd], n_terms


def sims_to_anchors(rows, n_docs: int, anchors: list[int]) -> np.ndarray:
    """Cosine of every document with each anchor document, (n_docs, len(anchors))."""
    dd, vv, w, n_terms = rows
    out = np.zeros((n_docs, len(anchors)))
    for j, a in enumerate(anchors):
        wa = np.zeros(n_terms)
        sel = dd == a
        wa[vv[sel]] = w[sel]
        out[:, j] = np.bincount(dd, weights=w * wa[vv], minlength=n_docs)
    return out


def gram(rows, n_docs: int) -> np.ndarray:
    """All-pairs cosine matrix (dense product over terms shared by >= 2 documents)."""
    dd, vv, w, n_terms = rows
    out = np.zeros((n_docs, n_docs))
    if n_terms == 0:
        return out
    df = np.bincount(vv, minlength=n_terms)
    keep = df[vv] >= 2
    _, col = np.unique(vv[keep], return_inverse=True)
    x = np.zeros((n_docs, int(col.max()) + 1 if len(col) else 0), np.float32)
    x[dd[keep], col] = w[keep]
    out = (x @ x.T).astype(np.float64)
    sq = np.bincount(dd, weights=w * w, minlength=n_docs)
    np.fill_diagonal(out, np.where(sq > 0, 1.0, 0.0))
    return out


def char_sims(docs: list[str], anchors: list[int] | None, prompt: str = "") -> np.ndarray:
    """Character 4-gram TF-IDF cosine to the anchors (all pairs when `anchors` is None)."""
    rows = tfidf([_char_codes(d) for d in docs], (4,))
    return gram(rows, len(docs)) if anchors is None else sims_to_anchors(rows, len(docs), anchors)


def word_sims(docs: list[str], anchors: list[int] | None, prompt: str = "") -> np.ndarray:
    """Word-bigram TF-IDF cosine to the anchors (all pairs when None).

    Bigrams rather than unigrams: single words mostly restate the prompt's topic, which every
    model shares; word pairs carry phrasing habits.
    """
    rows = tfidf([_word_codes(d) for d in docs], (2,))
    return gram(rows, len(docs)) if anchors is None else sims_to_anchors(rows, len(docs), anchors)
