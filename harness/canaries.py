"""Canary mining: find strings the reference says reliably and independent models rarely say.

A canary is only evidence if it is the reference's *habit*, not its accident, and not a phrase
everyone uses. So a candidate must appear in most of the reference's samples of a probe (its
deployment variants count as samples too: a habit that survives a persona prompt is the kind a
student inherits) and in few of the control models' answers to the same probe.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from harness.answers import Answers

_WORD = re.compile(r"\w+(?:[-']\w+)*", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Canary:
    probe_id: str  # the base probe (variants folded in)
    text: str
    reference_rate: float  # share of the reference's samples containing it
    control_rate: float  # share of control models with any sample containing it
    reference_samples: int


def base_id(prompt_id: str) -> str:
    return prompt_id.split("@", 1)[0]


def _tokens(text: str) -> list[str]:
    """Words, with each CJK character its own token (Chinese has no spaces)."""
    out: list[str] = []
    for w in _WORD.findall(text.lower()):
        out.extend(list(w) if _CJK.search(w) else [w])
    return out


def _grams(text: str, max_n: int) -> set[str]:
    toks = _tokens(text)
    grams = {
        " ".join(toks[i : i + n]) for n in range(1, max_n + 1) for i in range(len(toks) - n + 1)
    }
    whole = " ".join(toks)
    if 0 < len(toks) <= 8:
        grams.add(whole)  # short answers (a number, a name) are canaries as a whole
    return grams


def _group(answers: Answers, model: str) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for pid, samples in answers.texts.get(model, {}).items():
        grouped.setdefault(base_id(pid), []).extend(samples)
    return grouped


MIN_SAMPLES = 2
# The families mined by default: where prompts invite a rare, model-specific answer.
FAMILIES = ("canary", "random", "identity")


def mineable(
    answers: Answers, reference: str, families: Iterable[str], min_samples: int = MIN_SAMPLES
) -> tuple[int, int]:
    """(probes of `families` the reference answered, how many of them have enough samples):
    what a user needs to know when mining finds nothing."""
    wanted = set(families)
    ref = _group(answers, reference)
    probes = [p for p in ref if not wanted or answers.family(p) in wanted]
    enough = [p for p in probes if sum(1 for s in ref[p] if s.strip()) >= min_samples]
    return len(probes), len(enough)


def mine(
    answers: Answers,
    reference: str,
    controls: Iterable[str],
    *,
    families: Iterable[str] = FAMILIES,
    min_reference_rate: float = 0.8,
    max_control_rate: float = 0.2,
    max_n: int = 4,
    per_probe: int = 3,
    min_samples: int = MIN_SAMPLES,
) -> list[Canary]:
    """Candidates per probe, best first: consistent for the reference, rare among controls.

    A probe needs `min_samples` non-empty reference samples (variants pooled): from one
    sample every string has rate 1.0, which says nothing about how reliably it is said.
    """
    controls = [c for c in controls if c != reference]
    wanted = set(families)
    ref = _group(answers, reference)
    ctrl = {c: _group(answers, c) for c in controls}
    found: list[Canary] = []
    for pid, samples in sorted(ref.items()):
        if wanted and answers.family(pid) not in wanted:
            continue
        texts = [s for s in samples if s.strip()]
        panel = [ctrl[c][pid] for c in controls if ctrl[c].get(pid)]
        if len(texts) < max(min_samples, 1) or not panel:
            continue
        per_sample = [_grams(t, max_n) for t in texts]
        counts: dict[str, int] = {}
        for grams in per_sample:
            for g in grams:
                counts[g] = counts.get(g, 0) + 1
        prompt_grams = _grams(answers.prompts.get(pid, ""), max_n)
        panel_grams = [
            set().union(*(_grams(t, max_n) for t in model_samples)) for model_samples in panel
        ]
        scored = []
        for g, n in counts.items():
            rate = n / len(texts)
            if rate < min_reference_rate or g in prompt_grams or len(g) < 3:
                continue
            c_rate = sum(g in pg for pg in panel_grams) / len(panel_grams)
            if c_rate > max_control_rate:
                continue
            scored.append((rate - c_rate, len(g), g, rate, c_rate))
        kept: list[Canary] = []
        for _, _, g, rate, c_rate in sorted(scored, reverse=True):
            if any(g in k.text for k in kept):
                continue  # a longer kept canary already says this
            kept.append(Canary(pid, g, round(rate, 3), round(c_rate, 3), len(texts)))
            if len(kept) >= per_probe:
                break
        found.extend(kept)
    return found


def hits(answers: Answers, model: str, canaries: Iterable[Canary]) -> dict[str, float]:
    """Per probe, the share of `model`'s samples that contain at least one of its canaries."""
    by_probe: dict[str, list[str]] = {}
    for c in canaries:
        by_probe.setdefault(c.probe_id, []).append(c.text)
    mine_ = _group(answers, model)
    out = {}
    for pid, strings in by_probe.items():
        samples = mine_.get(pid, [])
        if samples:
            joined = [" ".join(_tokens(s)) for s in samples]
            out[pid] = sum(any(c in j for c in strings) for j in joined) / len(joined)
    return out
