"""Lexical similarity: TF-IDF cosine of hashed character 4-grams and word bigrams.

Why hashed n-grams with a per-prompt vocabulary: a student copies its teacher's phrasing, and
character n-grams catch that across tokenisation, inflection and scripts (Chinese included)
without a tokenizer. IDF is computed over the answers to the same prompt, so words every model
needs to answer that prompt weigh little and idiosyncratic phrasing weighs a lot.
Everything is vectorised: rolling polynomial hashes over a uint64 code-point array, one sort
per prompt, sparse dot products with `np.bincount`.

A document is one text, or a tuple of a model's samples: then its tf is the mean of its
samples' tf. Why: joined into one text, k samples add log k to every term's sublinear tf, so
a model with more samples (or a corpus's duplicated rows) looks different from one with fewer
although it answers alike. `similarity.compute` passes tuples only where the models' sample
counts differ; with equal counts the joined text is kept (exchangeable either way), so every
figure measured on such corpora stays as it was. There the reference's two halves of its
samples (for its self-similarity) are `Aside` documents, outside the IDF, so that a reference
with more samples does not change the other models' similarities either.
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


_LOW = np.uint64((1 << 16) - 1)


class Aside(tuple):
    """Samples compared like any document but left out of the IDF (a reference's halves)."""


def tfidf(docs: list[list[np.ndarray]], ns: tuple[int, ...], in_idf: np.ndarray | None = None):
    """Sparse L2-normalised TF-IDF rows: (doc index, term index, weight, n_terms).

    Each document is a list of samples (code arrays). tf is sublinear (1 + log count) per
    sample, averaged over the document's samples; idf = log((1 + D) / (1 + df)) + 1 over the D
    documents (those `in_idf` marks, default all). One sample per document is the plain
    TF-IDF of that text.
    """
    d_count = len(docs)
    sizes = np.fromiter((len(d) for d in docs), dtype=np.int64, count=d_count)
    flat = [a for d in docs for a in d]
    if len(flat) > 1 << int(_DOC_BITS):
        # The text index lives in the key's low bits; more would silently mix documents.
        raise InputError(
            f"{len(flat)} texts for one prompt (each model's samples, plus halves of each "
            f"reference's): lexical similarity compares at most {1 << int(_DOC_BITS)} at once"
        )
    key = _ngram_keys(flat, ns)
    if len(key) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), 0
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    tf = 1 + np.log(np.diff(np.r_[starts, len(key)]))
    k = key[starts]
    if len(flat) != d_count:  # some document has several samples: average their tf
        owner = np.repeat(np.arange(d_count, dtype=np.uint64), sizes)
        k = ((k >> _DOC_BITS) << _DOC_BITS) | owner[(k & _LOW).astype(np.int64)]
        order = np.argsort(k, kind="stable")
        k, tf = k[order], tf[order]
        first = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
        k = k[first]
        tf = np.add.reduceat(tf, first) / sizes[(k & _LOW).astype(np.int64)]
    dd = (k & _LOW).astype(np.int64)
    hh = k >> _DOC_BITS
    vv = np.cumsum(np.r_[True, hh[1:] != hh[:-1]]) - 1
    n_terms = int(vv[-1]) + 1
    if in_idf is None:
        df = np.bincount(vv, minlength=n_terms)
        idf = np.log((1 + d_count) / (1 + df)) + 1
    else:
        df = np.bincount(vv[in_idf[dd]], minlength=n_terms)
        idf = np.log((1 + int(in_idf.sum())) / (1 + df)) + 1
    w = tf * idf[vv]
    norm = np.sqrt(np.bincount(dd, weights=w * w, minlength=d_count))
    norm[norm == 0] = 1
    return dd, vv, w / norm[dd], n_terms


def _samples(doc: str | tuple[str, ...]) -> tuple[str, ...]:
    return (doc,) if isinstance(doc, str) else doc


def _in_idf(docs: list) -> np.ndarray | None:
    aside = np.fromiter((isinstance(d, Aside) for d in docs), dtype=bool, count=len(docs))
    return ~aside if aside.any() else None


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


def char_sims(
    docs: list[str | tuple[str, ...]], anchors: list[int] | None, prompt: str = ""
) -> np.ndarray:
    """Character 4-gram TF-IDF cosine to the anchors (all pairs when `anchors` is None)."""
    rows = tfidf([[_char_codes(t) for t in _samples(d)] for d in docs], (4,), _in_idf(docs))
    return gram(rows, len(docs)) if anchors is None else sims_to_anchors(rows, len(docs), anchors)


def word_sims(
    docs: list[str | tuple[str, ...]], anchors: list[int] | None, prompt: str = ""
) -> np.ndarray:
    """Word-bigram TF-IDF cosine to the anchors (all pairs when None).

    Bigrams rather than unigrams: single words mostly restate the prompt's topic, which every
    model shares; word pairs carry phrasing habits.
    """
    rows = tfidf([[_word_codes(t) for t in _samples(d)] for d in docs], (2,), _in_idf(docs))
    return gram(rows, len(docs)) if anchors is None else sims_to_anchors(rows, len(docs), anchors)
