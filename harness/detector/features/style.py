"""Style profile: length, list/heading/bold/code usage, sentence length, openers and closers.

Why: distillation transfers formatting habits (numbered lists, "Sure! Here's...", "I hope this
helps") even when wording differs. Each answer becomes a small vector of rates; similarity is
exp(-mean absolute difference) after scaling each coordinate by its spread across the answers
to the same prompt, so it lies in (0, 1].
"""

from __future__ import annotations

import re

import numpy as np

_PATTERNS = [
    re.compile(r"(?m)^\s*[-*•]\s"),  # bullet lines
    re.compile(r"(?m)^\s*\d+[.)]\s"),  # numbered lines
    re.compile(r"(?m)^\s*#{1,6}\s"),  # markdown headings
    re.compile(r"\*\*[^*]+\*\*"),  # bold
    re.compile(r"```"),  # code fences
    re.compile(r"!"),
    re.compile(r"\?"),
    re.compile(r"\n\n"),
]
_OPENER = re.compile(r"^\s*(sure|certainly|of course|absolutely|here|great|as an ai)\b", re.I)
_CLOSER = re.compile(r"(hope (this|that) helps|let me know|feel free|in conclusion|overall,)", re.I)


def profile(text: str) -> np.ndarray:
    """Style vector of one answer (rates per 1,000 characters, plus log length and flags)."""
    n = max(len(text), 1)
    rates = [len(p.findall(text)) * 1000.0 / n for p in _PATTERNS]
    sentences = [s for s in re.split(r"[.!?。！？]+\s*", text) if s.strip()]
    mean_sentence = np.log1p(n / max(len(sentences), 1))
    return np.array(
        [
            np.log1p(len(text)),
            mean_sentence,
            float(bool(_OPENER.search(text))),
            float(bool(_CLOSER.search(text[-300:]))),
            *rates,
        ]
    )


def prompt_sims(docs: list[str], anchors: list[int] | None, prompt: str = "") -> np.ndarray:
    """exp(-mean scaled |profile difference|) to the anchors (all pairs when None)."""
    f = np.stack([profile(d) for d in docs])
    scale = f.std(axis=0)
    scale[scale == 0] = 1.0
    f = f / scale
    a = f if anchors is None else f[anchors]
    return np.exp(-np.abs(f[:, None, :] - a[None, :, :]).mean(axis=2))
