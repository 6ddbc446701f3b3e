"""Attribution: which of several candidate references is the most likely teacher, if any.

Best-versus-rest: the candidate with the highest standardised score is named only if (1) the
suspect is significantly closer to it than the controls are, and (2) for every other candidate
the suspect's score difference (best minus other) is significantly larger than the same
difference for the controls (prediction-interval t-test per pair, Holm-corrected). Otherwise the
answer is "no single teacher". Models, not prompts, are again the unit of replication.

Candidates are scored on the lexical features only (attribution v7, pre-registered and
shipped after run L, docs/lab.md): what a student copies from *its* teacher is its words;
layout habits are shared by any assistant-style model and pointed the lab's distilled student
at the wrong candidate as often as at the right one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from harness.answers import Answers
from harness.detector import similarity, stats
from harness.detector.verdict import MIN_CONTROLS, combine, feature_means, standing

# The rule in one sentence, as reports print it next to the attribution table.
RULE = (
    "The leading candidate is named only when the suspect is significantly closer to it than the "
    "controls are and beats every other candidate significantly (best versus rest, "
    "Holm-corrected); otherwise no single teacher. Candidates are scored on their wording "
    "(character 4-grams and word bigrams)"
)


# The word-level features every candidate has, which carry its content: what attribution scores
# by default (docs/lab.md, "attribution v7"); `features=PRIMARY` is the pre-v7 rule.
LEXICAL = ("char4", "word2")


@dataclass
class Attribution:
    """teacher is None when no candidate beats every other significantly."""

    suspect: str
    teacher: str | None
    p_values: dict[str, float]  # per candidate: suspect closer to it than controls are
    versus: dict[str, float] = field(default_factory=dict)  # best vs other, Holm-adjusted
    notes: list[str] = field(default_factory=list)
    best: str | None = None  # the leading candidate, named or not (None: not tested)
    # Per candidate, the suspect's standing among the controls on each scored feature, in
    # the controls' sds (`verdict.standing`): which features point to which candidate.
    features: dict[str, dict[str, float]] = field(default_factory=dict)
    # The features the candidates' scores were built from (those asked for that are scored).
    scored_on: list[str] = field(default_factory=list)


def attribute(
    answers: Answers,
    suspect: str,
    candidates: list[str],
    controls: list[str],
    *,
    alpha: float = 0.05,
    table: similarity.SimTable | None = None,
    features: tuple[str, ...] = LEXICAL,
) -> Attribution:
    """Name the teacher among `candidates` only when it beats every other one significantly.

    `features`: score every candidate on these scored features only (`PRIMARY`: all of them,
    as the verdict does). The standing reported per candidate covers every scored feature, so
    a reader sees what the score left out."""
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
    standings: dict[str, dict[str, float]] = {}
    used: set[str] = set()
    for c in candidates:
        every = feature_means(table, c, panel, rows)
        standings[c] = standing(every)
        means = {f: v for f, v in every.items() if f in features}
        if not means:
            note = f"none of the features {', '.join(features)} is scored against {c}"
            return Attribution(suspect, None, {}, notes=[note])
        used |= set(means)
        sc = combine(means, len(panel))
        mu, sd = sc[1:].mean(), sc[1:].std(ddof=1)
        z[c] = (sc - mu) / (sd if sd > 0 else 1.0)
        pvals[c] = stats.prediction_pvalue(sc[0], sc[1:])[1]
    best = max(candidates, key=lambda c: z[c][0])
    others = [c for c in candidates if c != best]
    raw = [stats.prediction_pvalue((z[best] - z[o])[0], (z[best] - z[o])[1:])[1] for o in others]
    versus = dict(zip(others, stats.holm(raw), strict=True))
    ok = pvals[best] < alpha and all(p < alpha for p in versus.values())
    notes = [] if ok else [f"best candidate {best} does not beat every other significantly"]
    scored_on = [f for f in features if f in used]
    return Attribution(
        suspect, best if ok else None, pvals, versus, notes, best, standings, scored_on
    )
