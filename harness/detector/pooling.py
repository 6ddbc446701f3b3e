"""A null scale pooled across references: more degrees of freedom for small control panels.

Why: the model-level test estimates how widely independent models scatter around the panel
mean from the k controls alone, so with 7 documented controls the t has 6 degrees of freedom
and a real student needs t > 3.1 for p < 0.01. When one corpus holds several references (the
bench, a multi-candidate study), each with its own panel of independents, the scatter can be
estimated from all panels at once, as one-way ANOVA pools its within-group variance. The
location stays per reference (each panel's own mean); only the spread is shared.

The assumption is explicit and checked: independent models scatter equally around every
reference (on the per-feature scale, which is also pooled). A Brown–Forsythe test of equal
spread across the panels is run; when it rejects at `CHECK_ALPHA`, callers must not pool.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from harness.detector import similarity, stats
from harness.detector.verdict import MIN_CONTROLS, feature_means

CHECK_ALPHA = 0.05


@dataclass(frozen=True)
class PooledNull:
    """Scale of the null shared by several references' control panels."""

    feature_sd: dict[str, float]  # pooled sd of each feature's control means
    sd: float  # pooled sd of the combined score (features divided by feature_sd, averaged)
    df: int  # sum over panels of (k_i - 1)
    references: tuple[str, ...]
    equal_spread_p: float  # Brown–Forsythe test across the panels

    @property
    def usable(self) -> bool:
        """False when the equal-spread check rejects (or could not run): do not pool then."""
        return self.sd > 0 and not (self.equal_spread_p < CHECK_ALPHA) and self.df > 0

    def describe(self) -> str:
        return (
            f" Scale: the controls' spread pooled over the panels of {len(self.references)} "
            f"references ({', '.join(self.references)}; t with {self.df} df), assuming "
            "independent models scatter equally around each of them (Brown–Forsythe check "
            f"p = {self.equal_spread_p:.2g})."
        )


def pooled_null(
    table: similarity.SimTable, panels: dict[str, list[str]], rows: np.ndarray
) -> PooledNull | None:
    """Pool the spread of the control panels in `panels` (reference -> controls) on `rows`.

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
    groups = [np.mean([m[f] / sd for f, sd in feature_sd.items()], axis=0) for m in means.values()]
    sd, df = stats.pooled_sd(groups)
    p = stats.levene_pvalue(groups)
    return PooledNull(feature_sd, sd if not math.isnan(sd) else 0.0, df, tuple(means), p)
