"""Plain JSON values from results: NaN and infinities as None, numpy scalars as Python ones.

Why one place: verdicts and the bench both carry NaN for "undefined" (no p-value, no case of a
label), which Python's json writes as the invalid token NaN; every writer of JSON output goes
through `json_ready` so what it prints is strict JSON.
"""

from __future__ import annotations

import math

import numpy as np


def json_ready(x):
    """`x` with dicts, lists and tuples converted recursively (tuples become lists)."""
    if isinstance(x, dict):
        return {k: json_ready(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [json_ready(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x
