"""Attribution: which of several candidate references is the most likely teacher, if any.

Best-versus-rest: the candidate with the highest standardised score is named only if (1) the
suspect is significantly closer to it than the controls are, and (2) for every other candidate
the suspect's score difference (best minus other) is significantly larger than the same
difference for the controls (prediction-interval t-test per pair, Holm-corrected). Otherwise the
answer is "no single teacher". Models, not prompts, are again the unit of replication.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from harness.answers import Answers
from harness.detector import similarity, stats
from harness.detector.features import PRIMARY
from harness.detector.verdict import MIN_CONTROLS, _nanmean, model_scores

# Below this 1 - r² two candidates answered a probe alike on a feature: the probe cannot tell
# them apart there, so it is left out of their contrast (no division by ~0).
_MIN_DISTINCT = 1e-6


@dataclass
class Attribution:
    """teacher is None when no candidate beats every other significantly."""

    suspect: str
    teacher: str | None
    p_values: dict[str, float]  # per candidate: suspect closer to it than controls are
    versus: dict[str, float] = field(default_factory=dict)  # best vs other, Holm-adjusted
    notes: list[str] = field(default_factory=list)
    best: str | None = None  # the leading candidate, named or not (None: not tested)


def attribute(
    answers: Answers,
    suspect: str,
    candidates: list[str],
    controls: list[str],
    *,
    alpha: float = 0.05,
    table: similarity.SimTable | None = None,
    contrast: str = "z",
) -> Attribution:
    """Name the teacher among `candidates` only when it beats every other one significantly."""
    panel = [suspect, *controls]
    if len(candidates) < 2:
        return Attribution(suspect, None, {}, notes=["needs at least two candidates"])
    if len(controls) < MIN_CONTROLS:
        return Attribution(suspect, None, {}, notes=[f"needs >= {MIN_CONTROLS} controls"])
    if table is None:
        table = similarity.compute(answers, candidates, panel + candidates)
    rows = np.arange(len(table.prompts))
    z = {}
    pvals = {}
    for c in candidates:
        sc = model_scores(table, c, panel, rows)
        mu, sd = sc[1:].mean(), sc[1:].std(ddof=1)
        z[c] = (sc - mu) / (sd if sd > 0 else 1.0)
        pvals[c] = stats.prediction_pvalue(sc[0], sc[1:])[1]
    if contrast == "partial":
        lead = {
            (c, o): partial_scores(table, c, o, panel, rows)
            for c in candidates
            for o in candidates
            if o != c
        }
        # The leader is the candidate whose weakest contrast against any other is strongest.
        best = max(candidates, key=lambda c: min(_z0(lead[c, o]) for o in candidates if o != c))
        diff = {o: lead[best, o] for o in candidates if o != best}
    else:
        best = max(candidates, key=lambda c: z[c][0])
        diff = {o: z[best] - z[o] for o in candidates if o != best}
    others = list(diff)
    raw = [stats.prediction_pvalue(diff[o][0], diff[o][1:])[1] for o in others]
    versus = dict(zip(others, stats.holm(raw), strict=True))
    ok = pvals[best] < alpha and all(p < alpha for p in versus.values())
    notes = [] if ok else [f"best candidate {best} does not beat every other significantly"]
    return Attribution(suspect, best if ok else None, pvals, versus, notes, best)


def _z0(score: np.ndarray) -> float:
    """The first model's (the suspect's) standing among the rest, in their standard deviations."""
    sd = score[1:].std(ddof=1)
    return float((score[0] - score[1:].mean()) / sd) if sd > 0 else 0.0


def partial_scores(
    table: similarity.SimTable, lead: str, other: str, models: list[str], rows: np.ndarray
) -> np.ndarray:
    """Each model's closeness to what `lead` says and `other` does not (partial similarity).

    Per probe and feature, with r = sim(lead, other): (sim(m, lead) - r·sim(m, other)) /
    sqrt(1 - r²), the cosine with the part of lead's answer orthogonal to other's (exact for
    the cosine features). Why: two candidates of one register (two small assistants) share
    most of what a student copies; the shared part makes a student of either look close to
    both, and only the unshared part says which one taught it. Probes where the two answered
    alike (1 - r² ≈ 0) carry no contrast and are left out. Features combine as in
    `model_scores` (mean over applicable probes, scaled by the sd across `models`).
    """
    li, oi = table.anchor(lead), table.anchor(other)
    idx = table.model_index(models)
    o_row = table.model_index([other])[0]
    parts = []
    for f in PRIMARY:
        if f not in table.sims:
            continue  # pattern features (layout) have no pairwise similarity to contrast
        sims = table.sims[f][rows]
        r = sims[:, o_row, li]
        gap = 1.0 - r**2
        ok = ~np.isnan(r) & (gap > _MIN_DISTINCT)
        if ok.sum() < 3:
            continue
        s = sims[ok][:, idx]
        ps = (s[:, :, li] - r[ok, None] * s[:, :, oi]) / np.sqrt(gap[ok, None])
        applicable = ~np.isnan(ps).all(axis=1)
        if applicable.sum() < 3:
            continue
        score = _nanmean(ps[applicable], axis=0)
        if np.isnan(score).any():
            continue
        sd = score.std(ddof=1)
        parts.append(score / sd if sd > 0 else score * 0.0)
    if not parts:
        return np.full(len(models), np.nan)
    return np.mean(parts, axis=0)
