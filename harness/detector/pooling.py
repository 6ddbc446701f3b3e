"""A null scale shared across references: more degrees of freedom for small control panels.

Why: the model-level test estimates how widely independent models scatter around the panel
mean from the k controls alone, so with 8 documented controls the t has 7 degrees of freedom
and a real student needs t > 3.0 for p < 0.01. When one analysis holds several references (the
bench, a multi-candidate study), each with its own panel of independents, their spreads say
something about each other. How much is itself estimated: empirical-Bayes moderation
(Smyth 2004, the `limma` moderated t) treats each panel's variance as a draw around a common
prior and shrinks it towards that prior by as much as the panels' variances agree. Panels
that differ more than sampling noise explains get a weak prior (little borrowing); panels that
agree get a strong one. The location stays per reference (each panel's own mean).

A plain pooled variance (every panel assumed to share one spread) was the first version of
this; on the development corpus it was too liberal (3/41 false alarms, docs/detector-experiments.md, Round 6).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from harness.detector import similarity, stats
from harness.detector.verdict import MIN_CONTROLS, feature_means

MIN_PANELS = 3  # the spread of fewer panel variances says nothing about a prior


@dataclass(frozen=True)
class ModeratedNull:
    """What several references' control panels say about the null's spread."""

    feature_sd: dict[str, float]  # pooled sd of each feature's control means (the common scale)
    panel_var: dict[str, float]  # each panel's variance of the combined score on that scale
    panel_df: dict[str, int]  # k_i - 1
    prior_df: float  # d0 of the variance prior; inf = the panels agree up to sampling noise
    prior_var: float  # s0², the prior's scale
    equal_spread_p: float  # Brown–Forsythe test across the panels (reported, not a gate)

    @property
    def references(self) -> tuple[str, ...]:
        return tuple(self.panel_var)

    @property
    def usable(self) -> bool:
        return (
            len(self.panel_var) >= MIN_PANELS
            and self.prior_var > 0
            and not math.isnan(self.prior_df)
        )

    def prior_weight(self, reference: str) -> float:
        """d0, capped at the df the other panels hold: a prior cannot carry more information
        than the data it was estimated from (uncapped, d0 = inf would treat it as known)."""
        others = sum(d for r, d in self.panel_df.items() if r != reference)
        return min(self.prior_df, float(others))

    def scale(self, reference: str, own_var: float, own_df: int) -> tuple[float, float]:
        """(sd, df) of the moderated null for `reference`'s panel with variance `own_var`."""
        d0 = self.prior_weight(reference)
        var = (d0 * self.prior_var + own_df * own_var) / (d0 + own_df)
        return math.sqrt(var), d0 + own_df

    def describe(self, reference: str, own_df: int) -> str:
        d0 = self.prior_weight(reference)
        return (
            f" Scale: the controls' spread moderated by the panels of {len(self.references)} "
            f"references ({', '.join(self.references)}): empirical-Bayes prior worth {d0:.0f} df "
            f"plus this panel's {own_df} (t with {d0 + own_df:.0f} df), assuming the panels' "
            "spreads are draws around a common one (Brown–Forsythe check of equal spread "
            f"p = {self.equal_spread_p:.2g})."
        )


def moderated_null(
    table: similarity.SimTable, panels: dict[str, list[str]], rows: np.ndarray
) -> ModeratedNull | None:
    """The variance prior of the control panels in `panels` (reference -> controls) on `rows`.

    Panels with fewer than MIN_CONTROLS controls are left out; None when fewer than two
    panels remain or they share no scored feature. Every reference must be a table anchor.
    """
    means = {
        r: feature_means(table, r, list(c), rows)
        for r, c in panels.items()
        if len(c) >= MIN_CONTROLS
    }
    if len(means) < 2:
        return None
    shared = set.intersection(*(set(m) for m in means.values()))
    feature_sd = {}
    for f in sorted(shared):
        sd, _ = stats.pooled_sd([m[f] for m in means.values()])
        if sd > 0:
            feature_sd[f] = sd
    if not feature_sd:
        return None
    groups = {
        r: np.mean([m[f] / sd for f, sd in feature_sd.items()], axis=0) for r, m in means.items()
    }
    var = {r: float(g.var(ddof=1)) for r, g in groups.items()}
    dfs = {r: len(g) - 1 for r, g in groups.items()}
    return from_variances(var, dfs, feature_sd, stats.levene_pvalue(list(groups.values())))


def from_variances(
    panel_var: dict[str, float],
    panel_df: dict[str, int],
    feature_sd: dict[str, float] | None = None,
    equal_spread_p: float = float("nan"),
) -> ModeratedNull:
    """The moderated null of panels with these variances and df (the empirical-Bayes prior
    fitted to them); also what `benchmarks/null_scale.py` simulates with."""
    d0, s0 = stats.variance_prior(list(panel_var.values()), list(panel_df.values()))
    return ModeratedNull(feature_sd or {}, panel_var, panel_df, d0, s0, equal_spread_p)
