"""Refusal templates: whether an answer refuses, and with which stock phrasing.

Why: refusal wording ("As an AI language model, I cannot...", "I'm sorry, but I can't assist")
is drilled in by the vendor's safety tuning and is copied verbatim by students. Similarity:
1 if both refuse with the same template, 0.5 if both refuse differently, 0 if exactly one
refuses, NaN if neither refuses (no evidence either way).
"""

from __future__ import annotations

import math
import re

import numpy as np

from harness.detector.features.pairs import anchor_table

TEMPLATES = {
    "as_an_ai": r"as an ai(?: language model)?",
    "sorry_cant": r"i'?m sorry,? but i (?:can(?:no|')t|am (?:not able|unable))",
    "apologize": r"i apologi[sz]e,? but",
    "cannot_fulfill": r"i can(?:no|')t (?:fulfill|comply with|help with|assist with|provide)",
    "not_appropriate": r"(?:not|isn't) appropriate",
    "zh_sorry": r"抱歉|对不起|我不能|无法(?:提供|回答|协助)",
}
_RX = {k: re.compile(v, re.I) for k, v in TEMPLATES.items()}


def template(text: str) -> str | None:
    """Name of the first refusal template found in the answer's opening, or None."""
    head = text[:400]
    for name, rx in _RX.items():
        if rx.search(head):
            return name
    return None


def prompt_sims(docs: list[str], anchors: list[int] | None, prompt: str = "") -> np.ndarray:
    """Refusal-template agreement with the anchors (all pairs when None)."""
    return anchor_table([template(d) for d in docs], anchors, _agree)


def _agree(a: str | None, b: str | None) -> float:
    if a is None and b is None:
        return math.nan  # neither refuses: no evidence either way
    if a is None or b is None:
        return 0.0
    return 1.0 if a == b else 0.5
