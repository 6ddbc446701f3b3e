"""Canary hits: rare tokens of the anchor's answer that reappear in another model's answer.

Why: canary probes ask for something a model can only answer from memorised training text
(an invented fact or string the teacher produced); a student that saw the teacher's answers
reproduces the teacher's rare tokens. Rare = a word of >= 5 characters not in the prompt and
used by at most a quarter of the answers to this prompt. Similarity = share of the anchor's rare
tokens present in the answer (NaN if the anchor has none).
"""

from __future__ import annotations

import re

import numpy as np

_TOKEN = re.compile(r"[\w-]{5,}")


def prompt_sims(docs: list[str], anchors: list[int] | None, prompt: str = "") -> np.ndarray:
    """Share of each anchor's rare tokens found in each answer (all pairs when None)."""
    toks = [set(_TOKEN.findall(d.lower())) for d in docs]
    in_prompt = set(_TOKEN.findall(prompt.lower()))
    counts: dict[str, int] = {}
    for s in toks:
        for t in s:
            counts[t] = counts.get(t, 0) + 1
    limit = max(1, len(docs) // 4)
    idx = range(len(docs)) if anchors is None else anchors
    out = np.full((len(docs), len(idx)), np.nan)
    for j, a in enumerate(idx):
        rare = {t for t in toks[a] if counts[t] <= limit and t not in in_prompt}
        if not rare:
            continue
        out[:, j] = [len(rare & s) / len(rare) for s in toks]
    return out
