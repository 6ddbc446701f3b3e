"""Identity claims: which vendor or model an answer says it is (English and Chinese).

Why: students trained on a teacher's chats often inherit its self-description ("I am ChatGPT,
a model trained by OpenAI"; "我是通义千问"). A claim is negated when "not"/"不是"/"并非" sits
just before it ("I am not ChatGPT"), and negated claims are dropped.
Similarity of two answers: 1 if they claim a common vendor, 0 if both claim and disagree,
NaN if either makes no claim (no evidence either way).
"""

from __future__ import annotations

import math
import re

import numpy as np

from harness.detector.features.pairs import anchor_table

VENDORS = {
    "openai": r"openai|chatgpt|gpt-?[345](?:\.5)?|davinci",
    "anthropic": r"anthropic|claude",
    "google": r"google|deepmind|gemini|bard|palm|gemma|谷歌",
    "meta": r"meta ai|\bmeta\b|llama|facebook",
    "mistral": r"mistral",
    "alibaba": r"alibaba|qwen|tongyi|通义千问|阿里巴巴|阿里云",
    "baidu": r"baidu|ernie|文心一言|百度",
    "deepseek": r"deepseek|深度求索",
    "zhipu": r"zhipu|chatglm|智谱",
    "moonshot": r"moonshot|kimi|月之暗面",
    "microsoft": r"microsoft|phi-\d|微软",
    "lmsys": r"vicuna|lmsys",
    "01ai": r"\byi\b|01\.ai|零一万物",
    "cohere": r"cohere|command-r",
}
_CLAIM_EN = re.compile(r"(?i)\b(i am|i'm|my name is|i was|i have been|this is)\b([^.\n]{0,80})")
_CLAIM_ZH = re.compile(r"(我是|我叫|我由|由)([^。\n]{0,40})")
_NEG = re.compile(r"(?i)(\bnot\b|n't\b|\bno\b|不是|并非|不)\s*\S{0,12}\s*$")
_VENDOR_RE = {v: re.compile(p, re.I) for v, p in VENDORS.items()}


def claims(text: str) -> frozenset[str]:
    """Vendors the answer claims to be or be made by, negated claims excluded."""
    found: set[str] = set()
    for m in list(_CLAIM_EN.finditer(text)) + list(_CLAIM_ZH.finditer(text)):
        span = m.group(2)
        for vendor, rx in _VENDOR_RE.items():
            hit = rx.search(span)
            if (
                hit
                and not _NEG.search(span[: hit.start()][-20:])
                and not _NEG.search(span[: hit.start()][:12])
            ):
                found.add(vendor)
    return frozenset(found)


def prompt_sims(docs: list[str], anchors: list[int] | None, prompt: str = "") -> np.ndarray:
    """1 / 0 / NaN agreement of identity claims with the anchors (all pairs when None)."""
    return anchor_table([claims(d) for d in docs], anchors, _agree)


def _agree(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return math.nan  # no claim on one side: no evidence either way
    return 1.0 if a & b else 0.0
