"""First-token agreement: how alike two models' distributions over their first answer token are.

Why: this is the one place where two models face exactly the same context (the prompt, nothing
generated yet), so their next-token distributions can be compared directly. A student trained
on a teacher's answers learns how the teacher starts ("Sure", "Certainly", "As an AI", "1."),
including the runner-up choices that sampled text alone never shows.

Input: `Answers.first_tokens` (model -> prompt -> one {token: probability} per sample), filled
by `harness.store.to_answers` from answers stored with `logprobs: N` (N top alternatives per
token). Corpora and stores without logprobs leave it empty and the feature is NaN (not
applicable) for those models.

- Token strings: tokenizers differ, so alternatives are compared as strings after stripping
  whitespace and case-folding ("▁Sure", " sure" and "Sure" are one string; the SentencePiece
  word marker "▁" and the byte-level "Ġ"/"Ċ" markers count as whitespace). Whitespace-only
  tokens all become "" (one "starts with whitespace" outcome). Alternatives that become the same
  string are summed. Tokens that split a word differently in two tokenizers ("Certainly" vs
  "Cert") never match: models sharing a tokenizer (a base family) get an edge, which the
  controls' scores carry too only if some controls share it.
- Distribution: the top-k probabilities of one sample, renormalised to sum to 1 over the
  strings seen (the mass outside the top k is unknown); several samples of one prompt are
  averaged (at T = 0 and with a fixed context they are the same distribution).
- Similarity: the overlap sum_s min(p_a(s), p_b(s)) = 1 - total variation distance, in [0, 1],
  1 for identical distributions (so a deterministic model is 1.0 to itself). Chosen over the
  Bhattacharyya coefficient sum_s sqrt(p_a p_b) because overlap is linear in the mass: a token
  that only one list shows because of top-k truncation has a small p and costs at most that p,
  whereas sqrt rewards or punishes those tail tokens disproportionately (sqrt(0.01) = 0.1).

How it is wired: its registry entry reads "first_tokens" (`features.Feature.reads`), so
`similarity.compute` and `similarity_matrix` hand it `model_dists(...)` instead of answer
texts. Called with texts by mistake, `prompt_sims` raises an `InputError` rather than returning
silent NaN.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from harness.answers import Answers
from harness.detector.features.pairs import anchor_table
from harness.errors import InputError

_MARKERS = str.maketrans({"▁": " ", "Ġ": " ", "Ċ": "\n", "ĉ": "\t"})

Dist = dict[str, float]


def normalise(top: dict[str, float]) -> Dist:
    """Merge alternatives by stripped, case-folded string and renormalise to sum 1 ({} if none)."""
    out: Dist = {}
    for tok, p in top.items():
        if not (isinstance(p, int | float) and math.isfinite(p) and p > 0):
            continue
        key = str(tok).translate(_MARKERS).strip().casefold()
        out[key] = out.get(key, 0.0) + float(p)
    total = sum(out.values())
    return {k: v / total for k, v in out.items()} if total > 0 else {}


def distribution(samples: Sequence[dict[str, float]]) -> Dist:
    """Mean of the samples' normalised distributions ({} when no sample has any)."""
    dists = [d for d in (normalise(s) for s in samples) if d]
    if not dists:
        return {}
    out: Dist = {}
    for d in dists:
        for k, v in d.items():
            out[k] = out.get(k, 0.0) + v / len(dists)
    return out


def overlap(a: Dist, b: Dist) -> float:
    """sum_s min(a[s], b[s]) (1 - total variation distance); NaN if either is empty."""
    if not a or not b:
        return math.nan
    return float(sum(min(p, b[s]) for s, p in a.items() if s in b))


def prompt_sims(
    docs: Sequence[Dist | None], anchors: list[int] | None, prompt: str = ""
) -> np.ndarray:
    """Overlap of each model's first-token distribution with the anchors' (all pairs when None).

    `docs` holds one distribution per model (see `distribution`); None or {} = no logprobs,
    which gives NaN. Answer texts are refused: they carry no token distributions.
    """
    if any(isinstance(d, str) for d in docs):
        raise InputError(
            "the 'first_token' feature needs token distributions, not answer texts: use "
            "similarity.compute(..., features=('first_token',)), which passes "
            "first_token.model_dists(...)"
        )
    return anchor_table(docs, anchors, lambda d, a: overlap(d, a) if d and a else math.nan)


def model_dists(answers: Answers, models: Sequence[str], prompt: str) -> list[Dist]:
    """Each model's first-token distribution for one prompt ({} where it has none)."""
    return [distribution(answers.first_tokens.get(m, {}).get(prompt, [])) for m in models]
