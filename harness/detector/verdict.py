"""`detect`: calibrated verdicts "was this suspect distilled from the reference?".

The unit of replication is the model, not the prompt. For each model m the score is its mean
similarity to the reference over the probes (per feature; features combined with weights fixed
by a symmetric rule, see `combine`), together with its layout-habit score: how far m's
departures from the rest of the panel's layout follow the reference's, prompt by prompt
(`features/layout.py`). With foils (other candidate teachers, e.g. other
vendors' models) the score is instead a contrast: per prompt, m's rank among all models in
similarity to the reference minus its mean rank in similarity to the foils. Why: what marks a
student of R is being closer to R *than to other teachers*; a model that is merely close to every
polished assistant (a student of another vendor, or of a same-style vendor) is not. Null
hypothesis: the suspect's score is exchangeable with the scores of the independent control
models. The p-value is the prediction-interval t-test of the suspect's score against the k
control scores (normality of control scores assumed, stated in every verdict). Why not
per-prompt tests: with hundreds of prompts any systematic difference between models (length,
base model, data recipe) becomes "significant"; the controls carry exactly those differences, so
comparing models with models absorbs them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from harness.answers import Answers
from harness.detector import similarity, stats
from harness.detector.features import FEATURES, PRIMARY
from harness.errors import InputError
from harness.jsonable import json_ready

if TYPE_CHECKING:
    from harness.detector.pooling import ModeratedNull

MIN_CONTROLS = 5  # below this a model-level p-value is not reported (verdict inconclusive)
OUTCOMES = ("distilled", "related", "not distilled", "inconclusive")
# "related" needs this many probes where the reference is self-consistent, and the suspect must
# close this share of the gap between the controls and the reference's self-agreement. Both are
# fixed a priori (not tuned on any labels): a student rarely gets most of the way to the teacher.
# Share of empty suspect answers from which a verdict says so (they score as no overlap).
EMPTY_SHARE_NOTED = 0.2
# A probe's z in the evidence tables divides by at least this share of the median probe sd.
Z_SD_FLOOR = 0.2
RELATED_MIN_PROBES = 10
RELATED_CLOSED_SHARE = 0.8


@dataclass
class FamilyEvidence:
    """The model-level test restricted to one probe family; p_holm is Holm-adjusted."""

    family: str
    n: int
    p: float
    p_holm: float
    effect: float
    ci: tuple[float, float]
    origin_control: bool = False


@dataclass
class ProbeEvidence:
    """One telling probe: suspect's similarity to the reference vs the controls' on it."""

    prompt_id: str
    family: str
    sim_reference: float
    controls_mean: float
    z: float


@dataclass
class Verdict:
    """Outcome of testing one suspect against one reference (see module docstring)."""

    reference: str
    suspect: str
    outcome: str
    p_value: float
    statistic: float
    effect: float
    effect_ci: tuple[float, float]
    n_probes: int
    n_controls: int
    null: str
    families: list[FamilyEvidence] = field(default_factory=list)
    top_probes: list[ProbeEvidence] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    per_probe_p: float = float("nan")
    # Suspect's mean char-4gram similarity to the reference over the evidence probes, and the
    # controls' mean of the same: the plain-language numbers a report shows next to p.
    sim_reference: float = float("nan")
    controls_sim: float = float("nan")
    # Foils the score was contrasted against (empty: plain similarity score, no contrast).
    foils: list[str] = field(default_factory=list)
    # Per scored feature, the suspect's standing among the controls in their sds (`standing`):
    # which features carry the verdict.
    features: dict[str, float] = field(default_factory=dict)
    # The significance level this verdict was decided at (a sequential look's own level).
    alpha: float = 0.05
    # Sequential mode only: {"probes", "p"} after each look taken, in order.
    looks: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain JSON-ready dict (NaN becomes None)."""
        return json_ready(asdict(self))


def _nanmean(a: np.ndarray, axis: int = 0) -> np.ndarray:
    ok = ~np.isnan(a)
    n = ok.sum(axis=axis)
    s = np.where(ok, a, 0.0).sum(axis=axis)
    return np.divide(s, n, out=np.full(s.shape, np.nan), where=n > 0)


def _pairwise_means(
    table: similarity.SimTable, f: str, a: int, fi: list[int], idx: list[int], rows: np.ndarray
) -> tuple[int, np.ndarray] | None:
    """(applicable rows, each model's mean over them; NaN for a model without a value) of one
    pairwise feature, or None when it applies to fewer than 3 of `rows`. With foils (`fi`) the
    value is the rank contrast (see `combine`)."""
    if fi:
        r = table.ranks(f)[rows][:, idx]
        s = r[:, :, a] - _nanmean(np.moveaxis(r[:, :, fi], 2, 0), axis=0)
    else:
        s = table.sims[f][rows][:, idx, a]
    applicable = ~np.isnan(s).all(axis=1)
    if applicable.sum() < 3:
        return None
    return int(applicable.sum()), _nanmean(s[applicable], axis=0)


def feature_means(
    table: similarity.SimTable,
    anchor: str,
    models: list[str],
    rows: np.ndarray,
    foils: tuple[str, ...] | list[str] = (),
) -> dict[str, np.ndarray]:
    """Per scored feature, each model's mean over `rows` (see `combine`).

    Features with fewer than 3 applicable rows, or a model without any, are left out
    (`unscored_features` lists the latter). Pattern features (layout) give each model's pattern
    score against the rest of `models` instead of a mean, the same with or without foils.
    """
    a = table.anchor(anchor)
    fi = [table.anchor(f) for f in foils]
    idx = table.model_index(models)
    out = {}
    for f in PRIMARY:
        if f in table.vectors:
            score = FEATURES[f].pattern(table.vectors[f][rows], table.model_index([anchor])[0], idx)
        elif f in table.sims and (got := _pairwise_means(table, f, a, fi, idx, rows)):
            score = got[1]
        else:
            continue
        if not np.isnan(score).any():
            out[f] = score
    return out


def unscored_features(
    table: similarity.SimTable,
    anchor: str,
    models: list[str],
    rows: np.ndarray,
    foils: tuple[str, ...] | list[str] = (),
) -> dict[str, tuple[int, list[str]]]:
    """Pairwise features that apply to >= 3 of `rows` but that `feature_means` leaves out
    because some of `models` has no value on any of them; each with its number of applicable
    rows and those models. Why a report needs this: one control that never names a vendor
    (human-written answers) silently removes the identity feature from the verdict, and a
    reader should not assume it was weighed."""
    a = table.anchor(anchor)
    fi = [table.anchor(f) for f in foils]
    idx = table.model_index(models)
    out = {}
    for f in PRIMARY:
        if f in table.vectors or f not in table.sims:
            continue
        got = _pairwise_means(table, f, a, fi, idx, rows)
        if got and np.isnan(got[1]).any():
            out[f] = (got[0], [m for m, x in zip(models, got[1], strict=True) if np.isnan(x)])
    return out


def _unscored_note(feature: str, models: list[str], n: int) -> str:
    names = ", ".join(models[:4]) + (f" and {len(models) - 4} more" if len(models) > 4 else "")
    return (
        f"feature '{feature}' applies to {n} probes but is not scored: {names} "
        f"{'has' if len(models) == 1 else 'have'} no value on any of them (a feature counts "
        "only when every panel model has one)"
    )


def combine(
    means: dict[str, np.ndarray], n_models: int, feature_sd: dict[str, float] | None = None
) -> np.ndarray:
    """Combined model-level score of each model from its `feature_means` (`n_models` of them).

    Without foils, per feature: mean similarity to the anchor over the rows where the feature
    applies. With foils, per feature and prompt: the model's percentile rank among all table
    models in similarity to the anchor minus its mean rank in similarity to the foils
    (`SimTable.ranks`), averaged over rows. Features are put on one scale by dividing by their
    standard deviation across the models (a symmetric function of the whole panel, so suspect
    and controls stay exchangeable) — or by `feature_sd` when a pooled scale is given
    (`pooling.ModeratedNull`) — and averaged with equal weights. Features with fewer than 3
    applicable rows are skipped (`feature_means`). Separate from `feature_means` so a verdict
    combines and reports (`standing`) the same means without computing them twice.
    """
    parts = []
    for f, score in means.items():
        if feature_sd is not None:
            sd = feature_sd.get(f, math.nan)
            if not sd > 0:
                continue
        else:
            sd = score.std(ddof=1) if len(score) > 1 else 0.0
        parts.append(score / sd if sd > 0 else score * 0.0)
    if not parts:
        return np.full(n_models, np.nan)
    return np.mean(parts, axis=0)


def standing(means: dict[str, np.ndarray]) -> dict[str, float]:
    """Per scored feature, how many of the controls' standard deviations the first model (the
    suspect) stands above the controls' mean; `means` as `feature_means` gives them for
    [suspect, *controls]. Descriptive, not a test: it shows which features carry a verdict
    (a student of R usually stands out on several), where the p-value only gives their sum.
    A feature on which the controls do not differ at all gets no number."""
    out = {}
    for f, score in means.items():
        c = score[1:]
        sd = c.std(ddof=1) if len(c) > 1 else 0.0
        if sd > 0:
            out[f] = float((score[0] - c.mean()) / sd)
    return out


def _test(
    table, reference, suspect, controls, rows, foils=(), pooled: ModeratedNull | None = None
) -> tuple[float, float, dict[str, np.ndarray]]:
    """(t, p, the feature means the score was combined from)."""
    panel = [suspect, *controls]
    if pooled is None:
        means = feature_means(table, reference, panel, rows, foils)
        scores = combine(means, len(panel))
        return (*stats.prediction_pvalue(scores[0], scores[1:]), means)
    means = feature_means(table, reference, panel, rows)
    scores = combine(means, len(panel), pooled.feature_sd)
    k = len(controls)
    sd, df = pooled.scale(reference, float(np.var(scores[1:], ddof=1)), k - 1)
    t = (scores[0] - float(np.mean(scores[1:]))) / (sd * math.sqrt(1 + 1 / k))
    return float(t), stats.t_sf(float(t), df), means


def _excess(table, reference, suspect, controls, rows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-prompt char-4gram similarity of the suspect, controls' mean, and z."""
    a = table.anchor(reference)
    s = table.sims["char4"][rows][:, table.model_index([suspect])[0], a]
    c = table.sims["char4"][rows][:, table.model_index(controls), a]
    mu = c.mean(axis=1) if c.shape[1] else np.full(len(s), np.nan)  # no controls: no baseline
    sd = c.std(axis=1, ddof=1) if c.shape[1] > 1 else np.full(len(mu), np.nan)
    # Floor a probe's spread at a fifth of the typical one: where the controls happen to agree
    # exactly (identical or empty answers) z would otherwise read +1000 in every report.
    typical = np.nanmedian(sd) if np.isfinite(sd).any() else np.nan
    floor = max(Z_SD_FLOOR * typical, 1e-3) if np.isfinite(typical) else 1e-3
    z = (s - mu) / np.maximum(sd, floor)
    return s, mu, z


NULL_TEXT = (
    "H0: {s}'s score (mean similarity to {r}, and how its layout departures from the panel "
    "follow {r}'s) is drawn from the same distribution as that of the {k} "
    "control models (assumed independent of {r}); p is the one-sided prediction-interval t-test "
    "of {s}'s score against the controls' scores, assuming those scores are roughly normal. "
    "Probes are not the unit of replication; models are."
)
FOIL_TEXT = (
    " Score: per probe, the model's rank in similarity to {r} minus its mean rank in similarity "
    "to the foils ({f}), i.e. closer to {r} than to the other candidate teachers."
)


def verdict_from_table(
    table: similarity.SimTable,
    reference: str,
    suspect: str,
    controls: list[str],
    *,
    alpha: float = 0.05,
    origin_families: tuple[str, ...] = ("sensitive",),
    rows: np.ndarray | None = None,
    foils: tuple[str, ...] | list[str] = (),
    pooled: ModeratedNull | None = None,
) -> Verdict:
    """Verdict for one suspect from precomputed similarities (used by `detect` and the bench).

    `foils` must be anchors of `table`; see `combine` for how they enter the score.
    `pooled`: the variance prior of several references' panels (`pooling.moderated_null`,
    computed on the same rows), which moderates this panel's spread; only used without foils.
    Per-family tests keep the panel's own scale (the prior is estimated on all rows, not a
    family's).
    """
    if foils:
        pooled = None
    foils = [f for f in foils if f not in (reference, suspect)]
    fams = np.array(table.families)
    all_rows = np.arange(len(table.prompts)) if rows is None else rows
    origin = np.isin(fams[all_rows], list(origin_families))
    ev_rows = all_rows[~origin]
    k = len(controls)
    notes: list[str] = []
    s, mu, z = _excess(table, reference, suspect, controls, ev_rows)
    diffs = s - mu
    effect = float(_nanmean(diffs)) if len(diffs) else float("nan")
    ci = stats.bootstrap_mean_ci(diffs)
    per_probe_p = stats.sign_flip_pvalue(diffs)

    if k >= MIN_CONTROLS and len(ev_rows) >= 3:
        t, p, means = _test(table, reference, suspect, controls, ev_rows, foils, pooled)
        features = standing(means)
        panel = [suspect, *controls]
        for f, (n, empty) in unscored_features(table, reference, panel, ev_rows, foils).items():
            notes.append(_unscored_note(f, empty, n))
    else:
        t, p = float("nan"), float("nan")
        features = {}
        notes.append(
            f"only {k} control model(s) and {len(ev_rows)} probe(s): a model-level p-value needs "
            f">= {MIN_CONTROLS} controls, so no calibrated verdict is possible. Per-probe "
            f"sign-flip test of {suspect} vs the controls' mean similarity to {reference}: "
            f"p = {per_probe_p:.3g}. It assumes probes are independent replications and that the "
            "controls stand for every independent model — a much stronger assumption that "
            "mistakes any systematic difference between models for distillation."
        )

    families = _family_evidence(
        table, reference, suspect, controls, all_rows, foils, origin_families
    )
    if any(f.origin_control for f in families):
        notes.append(
            "origin-control families (" + ", ".join(origin_families) + ") are reported "
            "separately and not counted as teacher evidence"
        )
    top = _top_probes(table, ev_rows, s, mu, z)

    if math.isnan(p):
        outcome = "inconclusive"
    elif p < alpha:
        outcome, note = _distilled_or_related(table, reference, suspect, ev_rows, s, mu, alpha)
        if note:
            notes.append(note)
    else:
        outcome = "not distilled"
    return Verdict(
        reference=reference,
        suspect=suspect,
        outcome=outcome,
        p_value=p,
        statistic=t,
        effect=effect,
        effect_ci=ci,
        n_probes=len(ev_rows),
        n_controls=k,
        null=NULL_TEXT.format(s=suspect, r=reference, k=k)
        + (FOIL_TEXT.format(r=reference, f=", ".join(foils)) if foils else "")
        + (pooled.describe(reference, k - 1) if pooled is not None else ""),
        families=families,
        top_probes=top,
        notes=notes,
        per_probe_p=per_probe_p,
        sim_reference=float(_nanmean(s)) if len(s) else math.nan,
        controls_sim=float(_nanmean(mu)) if len(mu) else math.nan,
        foils=list(foils),
        alpha=alpha,
        features=features,
    )


def _family_evidence(
    table, reference, suspect, controls, rows, foils, origin_families
) -> list[FamilyEvidence]:
    """The model-level test on each probe family's rows, Holm-adjusted over the teacher
    families (origin-control families are shown, never counted)."""
    fams = np.array(table.families)
    k = len(controls)
    families = []
    for fam in sorted(set(fams[rows])):
        fr = rows[fams[rows] == fam]
        fs, fmu, _ = _excess(table, reference, suspect, controls, fr)
        fp = (
            _test(table, reference, suspect, controls, fr, foils)[1]
            if k >= MIN_CONTROLS
            else math.nan
        )
        families.append(
            FamilyEvidence(
                family=str(fam),
                n=len(fr),
                p=fp,
                p_holm=math.nan,
                effect=float(_nanmean(fs - fmu)) if len(fr) else math.nan,
                ci=stats.bootstrap_mean_ci(fs - fmu),
                origin_control=fam in origin_families,
            )
        )
    teacher = [f for f in families if not f.origin_control]
    for f, ph in zip(teacher, stats.holm([f.p for f in teacher]), strict=True):
        f.p_holm = ph
    return families


def _top_probes(table, rows, s, mu, z, n: int = 5) -> list[ProbeEvidence]:
    """The n probes on which the suspect stands furthest above the controls (per-probe z)."""
    order = np.argsort(-np.nan_to_num(z, nan=-np.inf))[:n]
    return [
        ProbeEvidence(
            prompt_id=table.prompts[rows[i]],
            family=table.families[rows[i]],
            sim_reference=float(s[i]),
            controls_mean=float(mu[i]),
            z=float(z[i]),
        )
        for i in order
        if not math.isnan(z[i])
    ]


def _distilled_or_related(table, reference, suspect, rows, s, mu, alpha) -> tuple[str, str | None]:
    """For a significant suspect: `related` when it is as close to the reference as the
    reference's own samples are (the RELATED_* constants), else `distilled`; with the note
    that says why, or why it cannot be told (None: plainly distilled)."""
    selfs = table.self_sim.get(reference)
    sel = selfs[rows] if selfs is not None else np.array([])
    # Only probes where the reference agrees with itself more than the controls agree with
    # it can show "as close as the reference to itself"; elsewhere (hot random picks) any
    # weak student would pass for a sibling.
    informative = ~np.isnan(sel) & (sel > mu) if len(sel) else np.array([], bool)
    n_inf = int(informative.sum())
    if n_inf >= RELATED_MIN_PROBES:
        si, mi, se = s[informative], mu[informative], sel[informative]
        p_gap = stats.sign_flip_pvalue(se - si)
        closed = float(np.mean(si - mi) / max(np.mean(se - mi), 1e-9))
        if p_gap >= alpha and closed >= RELATED_CLOSED_SHARE:
            return "related", (
                f"{suspect} closes {closed:.0%} of the gap between the controls and "
                f"{reference}'s agreement with itself, and is not significantly further from "
                f"{reference} than {reference}'s own samples are (p = {p_gap:.3g}, "
                f"{n_inf} self-consistent probes): same model or a "
                "same-family sibling, which answers alone cannot tell from a perfect student"
            )
        return "distilled", None
    if len(sel) and not np.isnan(sel).all():
        return "distilled", (
            f"only {n_inf} probe(s) where {reference} agrees with itself more "
            "than the controls agree with it: too few to tell a sibling from a student"
        )
    return "distilled", (
        "a same-vendor sibling would also be flagged: with one sample per probe the "
        "reference's self-similarity is unknown, so 'related' cannot be told apart"
    )


def detect(
    answers: Answers,
    reference: str,
    suspects: list[str],
    controls: list[str],
    *,
    alpha: float = 0.05,
    origin_families: tuple[str, ...] = ("sensitive",),
    sequential: bool = False,
    table: similarity.SimTable | None = None,
    foils: list[str] | None = None,
) -> list[Verdict]:
    """Test each suspect against `reference` with `controls` as the independent panel.

    Returns one `Verdict` per suspect, in order. `table` (from `similarity.compute`) may be
    passed to reuse similarities across calls (it must have the reference and the foils as
    anchors). With `sequential=True` probes are consumed in looks (see `sequential.py`) and
    `n_probes` says how many were needed. `foils`: other candidate teachers (best: other
    vendors' models); the score then asks "closer to the reference than to the foils, more
    than the controls are" (see `combine`). Controls should not be students or siblings of
    a foil either: they would sit far below the rest and widen the null (costing power).
    """
    foils = list(foils or [])
    names = set(answers.models)
    for m in [reference, *suspects, *controls, *foils]:
        if m not in names:
            raise InputError(f"model '{m}' has no answers")
    if reference in controls or any(s in controls for s in suspects):
        raise InputError("the reference and the suspects must not be among the controls")
    if reference in foils or any(f in controls for f in foils):
        raise InputError("a foil must not be the reference or one of the controls")
    if table is None:
        table = similarity.compute(
            answers, [reference, *foils], [reference, *suspects, *controls, *foils]
        )
    judge = verdict_from_table
    if sequential:
        from harness.detector.sequential import sequential_verdict as judge
    return [
        _mind_empty_answers(
            judge(
                table,
                reference,
                s,
                controls,
                alpha=alpha,
                origin_families=origin_families,
                foils=foils,
            ),
            answers,
            table.prompts,
        )
        for s in suspects
    ]


def _mind_empty_answers(v: Verdict, answers: Answers, prompts: list[str]) -> Verdict:
    """An empty answer shares nothing with anyone, so a suspect that only returns empty text
    would be "cleared" at p = 1; that is no evidence either way, hence `inconclusive`."""
    texts = answers.texts[v.suspect]
    empty = sum(1 for p in prompts if not any(t.strip() for t in texts.get(p, [])))
    if prompts and empty == len(prompts):
        v.outcome, v.p_value, v.statistic = "inconclusive", math.nan, math.nan
        v.notes.append(
            f"every answer of {v.suspect} is empty ({empty} probes): there is nothing to "
            "compare, so it can be neither flagged nor cleared"
        )
    elif empty >= EMPTY_SHARE_NOTED * len(prompts) and empty:
        v.notes.append(
            f"{empty} of {len(prompts)} answers of {v.suspect} are empty; they count as "
            "sharing nothing with the reference"
        )
    return v
