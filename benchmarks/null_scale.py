"""Calibration and power of the null's scale, own spread vs plain pooling vs moderated.

A score-level simulation of the bench's setting: four references with panels of 8, 8, 8 and
23 independent controls; the tested reference's panel has `ratio` times the others' variance.
For each ratio, the share of independent suspects called at alpha 0.05 (calibration) and of
suspects 3 sds above the panel mean called at 0.01 (power), for the panel's own spread, a plain
pooled variance and the moderated scale (`harness.detector.pooling`, the code the bench runs).

    python benchmarks/null_scale.py [--draws 4000] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.detector import stats  # noqa: E402
from harness.detector.pooling import from_variances  # noqa: E402

PANELS = (8, 8, 8, 23)
RATIOS = (1.0, 1.5, 2.0, 3.0, 4.0)


def simulate(
    ratio: float, draws: int = 4000, shift: float = 0.0, alpha: float = 0.05, seed: int = 7
) -> dict[str, float]:
    """Share of suspects with p < alpha under each scale (`shift`: suspect's offset in sds)."""
    rng = np.random.default_rng(seed)
    names = [f"R{i}" for i in range(len(PANELS))]
    hits = {"own": 0, "pooled": 0, "moderated": 0}
    for _ in range(draws):
        sd = [math.sqrt(ratio)] + [1.0] * (len(PANELS) - 1)
        panels = [rng.normal(0, s, k) for s, k in zip(sd, PANELS, strict=True)]
        x = rng.normal(0, sd[0]) + shift * sd[0]
        own, k = panels[0], PANELS[0]
        hits["own"] += stats.prediction_pvalue(x, own)[1] < alpha
        pooled_sd, pooled_df = stats.pooled_sd(panels)
        t = (x - own.mean()) / (pooled_sd * math.sqrt(1 + 1 / k))
        hits["pooled"] += stats.t_sf(t, pooled_df) < alpha
        null = from_variances(
            {n: float(g.var(ddof=1)) for n, g in zip(names, panels, strict=True)},
            {n: len(g) - 1 for n, g in zip(names, panels, strict=True)},
        )
        m_sd, m_df = null.scale(names[0], float(own.var(ddof=1)), k - 1)
        t = (x - own.mean()) / (m_sd * math.sqrt(1 + 1 / k))
        hits["moderated"] += stats.t_sf(t, m_df) < alpha
    return {name: h / draws for name, h in hits.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=4000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out = {
        "false_alarms_at_0.05": {str(r): simulate(r, args.draws) for r in RATIOS},
        "power_at_0.01_3sd": {
            str(r): simulate(r, args.draws, shift=3.0, alpha=0.01) for r in (1.0, 1.5)
        },
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    for title, rows in out.items():
        print(title)
        print(f"  {'variance ratio':>15} {'own':>7} {'pooled':>7} {'moderated':>10}")
        for r, v in rows.items():
            print(f"  {r:>15} {v['own']:7.3f} {v['pooled']:7.3f} {v['moderated']:10.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
