"""The anchor table every pairwise feature fills: one value per (answer, anchor) pair.

Features that compare two answers' summaries (identity claims, refusal templates, first-token
distributions) differ only in the comparison; the loop over anchors, the "all pairs when
anchors is None" rule and NaN for "no evidence" live here once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")


def anchor_table(
    items: Sequence[T], anchors: Sequence[int] | None, compare: Callable[[T, T], float]
) -> np.ndarray:
    """(len(items), len(anchors)) of compare(item, anchor item); all pairs when anchors is None.

    `compare` returns NaN where the pair says nothing (e.g. neither answer claims an identity).
    """
    idx = range(len(items)) if anchors is None else anchors
    out = np.full((len(items), len(idx)), np.nan)
    for j, a in enumerate(idx):
        for i, item in enumerate(items):
            out[i, j] = compare(item, items[a])
    return out
