"""Attribution: which of several candidate references is the most likely teacher, if any.

Best-versus-rest: the candidate with the highest standardised score is named only if (1) the
suspect is significantly closer to it than the controls are, and (2) for every other candidate
the suspect's score difference (best minus other) is significantly larger than the same
difference for the controls (prediction-interval t-test per pair, Holm-corrected). Otherwise
the answer is "no single teacher". Models, not prompts, are again the unit of replication.

Where the probes come in families, the same test is also run within each family, and all of
them (the pooled evidence and every family) are Holm-corrected together. Why: a student learns
its teacher unevenly, e.g. the teacher's refusal wording but not its identity, since no
distillation set asks about the teacher itself; pooled over every family, the families where
the student only looks like assistants in general can hide the one where it looks like its
teacher. A teacher is named when the significant tests all name it; when they name different
candidates, nobody is. Origin-control families (sensitive topics) are not teacher evidence
here either, as in `detect`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from harness.answers import Answers
from harness.detector import similarity, stats
from harness.detector.verdict import MIN_CONTROLS, model_scores

POOLED = "all"  # name of the test over every evidence probe in `Attribution.tests`


@dataclass
class CandidateTest:
    """Best-versus-rest on one set of probes; p is the test's own p (the largest of the
    best candidate's p and its Holm-adjusted p against every other), p_holm across tests."""

    rows: int
    best: str
    p: float
    p_holm: float
    p_values: dict[str, float]
    versus: dict[str, float]


@dataclass
class Attribution:
    """teacher is None when no candidate beats every other significantly.

    p_values and versus are the pooled test's (every evidence probe); tests holds the pooled
    test and each family's, keyed by family (POOLED for the pooled one)."""

    suspect: str
    teacher: str | None
    p_values: dict[str, float]  # per candidate: suspect closer to it than controls are
    versus: dict[str, float] = field(default_factory=dict)  # best vs other, Holm-adjusted
    notes: list[str] = field(default_factory=list)
    tests: dict[str, CandidateTest] = field(default_factory=dict)


def _best_versus_rest(table, suspect, candidates, controls, rows) -> CandidateTest | None:
    panel = [suspect, *controls]
    z = {}
    pvals = {}
    for c in candidates:
        sc = model_scores(table, c, panel, rows)
        if np.isnan(sc).any():
            return None
        mu, sd = sc[1:].mean(), sc[1:].std(ddof=1)
        z[c] = (sc - mu) / (sd if sd > 0 else 1.0)
        pvals[c] = stats.prediction_pvalue(sc[0], sc[1:])[1]
    best = max(candidates, key=lambda c: z[c][0])
    others = [c for c in candidates if c != best]
    raw = [stats.prediction_pvalue((z[best] - z[o])[0], (z[best] - z[o])[1:])[1] for o in others]
    versus = dict(zip(others, stats.holm(raw), strict=True))
    p = max([pvals[best], *versus.values()])
    return CandidateTest(len(rows), best, p, p, pvals, versus)


def attribute(
    answers: Answers,
    suspect: str,
    candidates: list[str],
    controls: list[str],
    *,
    alpha: float = 0.05,
    table: similarity.SimTable | None = None,
    origin_families: tuple[str, ...] = ("sensitive",),
) -> Attribution:
    """Name the teacher among `candidates` only when it beats every other one significantly."""
    panel = [suspect, *controls]
    if table is None:
        table = similarity.compute(answers, candidates, panel + candidates)
    if len(controls) < MIN_CONTROLS:
        return Attribution(suspect, None, {}, notes=[f"needs >= {MIN_CONTROLS} controls"])
    fams = np.array(table.families)
    rows = np.flatnonzero(~np.isin(fams, list(origin_families)))
    sets = {POOLED: rows}
    families = sorted(set(fams[rows]))
    if len(families) > 1:
        sets |= {str(f): rows[fams[rows] == f] for f in families}
    tests = {}
    for name, r in sets.items():
        t = _best_versus_rest(table, suspect, candidates, controls, r)
        if t is not None:
            tests[name] = t
    if POOLED not in tests:
        return Attribution(suspect, None, {}, notes=["no scored feature applies to the probes"])
    for t, ph in zip(tests.values(), stats.holm([t.p for t in tests.values()]), strict=True):
        t.p_holm = ph
    named = {t.best for t in tests.values() if t.p_holm < alpha}
    pooled = tests[POOLED]
    teacher = named.pop() if len(named) == 1 else None
    notes = []
    if teacher is None and named:
        notes.append("significant tests name different candidates: " + ", ".join(sorted(named)))
    elif teacher is None:
        notes.append(
            f"no candidate beats every other significantly (pooled: {pooled.best} ahead, "
            f"p = {pooled.p:.3g}; {len(tests)} tests, Holm-corrected)"
        )
    return Attribution(suspect, teacher, pooled.p_values, pooled.versus, notes, tests)
