"""Sequential mode: look at the evidence after 10, 25, 50, 100, 200, ... probes and stop early.

Scheme (group-sequential with Bonferroni alpha spending): with L planned looks each look is
tested at alpha / L, so the chance of ever wrongly calling "distilled" is at most alpha whatever
the stopping rule (union bound). Conservative but valid without any further assumption. Only
efficacy stopping: a "not distilled" answer needs all probes (no futility bound, because the
miss rate depends on an unknown effect size).
"""

from __future__ import annotations

import numpy as np

from harness.detector.similarity import SimTable
from harness.detector.verdict import Verdict, verdict_from_table

LOOKS = (10, 25, 50, 100, 200, 400, 800)


def schedule(n: int) -> list[int]:
    """Look sizes for n probes: the fixed LOOKS below n, then n itself."""
    return [x for x in LOOKS if x < n] + [n]


def sequential_verdict(
    table: SimTable,
    reference: str,
    suspect: str,
    controls: list[str],
    *,
    alpha: float = 0.05,
    origin_families: tuple[str, ...] = ("sensitive",),
    seed: int = 0,
    foils: tuple[str, ...] | list[str] = (),
) -> Verdict:
    """Verdict that stops at the first look where p < alpha / L; notes the scheme used."""
    order = np.random.default_rng(seed).permutation(len(table.prompts))
    looks = schedule(len(order))
    level = alpha / len(looks)
    v = None
    taken: list[dict] = []
    for n in looks:
        v = verdict_from_table(
            table,
            reference,
            suspect,
            controls,
            alpha=level,
            origin_families=origin_families,
            rows=np.sort(order[:n]),
            foils=foils,
        )
        taken.append({"probes": int(n), "p": v.p_value})
        if v.outcome in ("distilled", "related"):
            break
    assert v is not None
    v.looks = taken
    v.notes.append(
        f"sequential: {len(looks)} looks at {looks} probes, each at alpha/{len(looks)} = "
        f"{level:.3g} (Bonferroni spending); stopped after {v.n_probes} probes"
    )
    return v
