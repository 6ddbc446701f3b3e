"""Layout habits: does the suspect depart from the panel's usual layout where the reference does?

Why: a student learns *when* its teacher writes long or short, uses a list, a heading, a code
block, a question back. Lexical similarity mostly measures how "generic assistant" an answer is
(every polished model is close to every other), so weak students of a reference sit among
independent models. Layout decisions, taken prompt by prompt, carry the teacher's habits instead.

The statistic is model-level, not per-prompt: for model m, the consensus c(p) is the mean layout
of the *other* panel models (suspect and controls alike, so the score is a symmetric function of
the panel and suspect and controls stay exchangeable); m's departures x_m(p) - c(p) and the
reference's x_R(p) - c(p) are each residualised on c over the prompts (so two models that simply
"do less of what the panel does" are not counted as alike) and compared by cosine across prompts
and layout dimensions, each dimension on one scale fixed for the whole panel.
"""

from __future__ import annotations

import re

import numpy as np

_BULLET = re.compile(r"(?m)^\s*[-*•]\s")
_NUMBERED = re.compile(r"(?m)^\s*\d+[.)]\s")
_HEADING = re.compile(r"(?m)^\s*#{1,6}\s")
_COLON_END = re.compile(r"(?m):\s*$")

NAMES = (
    "length",
    "lines",
    "bullets",
    "numbered",
    "code_fences",
    "headings",
    "bold",
    "colon_lines",
    "questions",
    "exclamations",
    "paragraphs",
    "first_line",
)
MIN_ROWS = 5  # fewer prompts than this say nothing about a pattern across prompts


def vector(text: str) -> np.ndarray:
    """Layout of one answer: log(1 + count) of each habit in `NAMES`."""
    lines = text.split("\n")
    counts = (
        len(text),
        len(lines),
        len(_BULLET.findall(text)),
        len(_NUMBERED.findall(text)),
        text.count("```"),
        len(_HEADING.findall(text)),
        text.count("**"),
        len(_COLON_END.findall(text)),
        text.count("?"),
        text.count("!"),
        text.count("\n\n"),
        len(lines[0]),
    )
    return np.log1p(np.array(counts, dtype=float))


def prompt_vectors(samples_per_model: list[list[str]]) -> np.ndarray:
    """(n_models, len(NAMES)): each model's mean layout over its samples for one prompt."""
    return np.stack(
        [np.mean([vector(s) for s in samples], axis=0) for samples in samples_per_model]
    )


def _residual(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Per column, y minus its least-squares fit a + b·x over the rows."""
    xc = x - x.mean(axis=0)
    yc = y - y.mean(axis=0)
    sxx = (xc * xc).sum(axis=0)
    beta = np.divide((xc * yc).sum(axis=0), sxx, out=np.zeros(sxx.shape), where=sxx > 0)
    return yc - beta * xc


def pattern_scores(vectors: np.ndarray, reference: int, panel: list[int]) -> np.ndarray:
    """Score of each model in `panel` (indices into axis 1 of `vectors`, shape
    (n_prompts, n_models, n_dims)): cosine between its and the reference's departures from the
    consensus of the rest of the panel, residualised on that consensus. NaN with < MIN_ROWS rows.
    """
    n_rows = vectors.shape[0]
    if n_rows < MIN_ROWS or len(panel) < 2:
        return np.full(len(panel), np.nan)
    x = vectors[:, panel]
    scale = x.reshape(-1, x.shape[2]).std(axis=0)
    scale[scale == 0] = 1.0
    ref = vectors[:, reference]
    total = x.sum(axis=1)
    out = np.empty(len(panel))
    for j in range(len(panel)):
        consensus = (total - x[:, j]) / (len(panel) - 1)
        a = (_residual(x[:, j], consensus) / scale).ravel()
        b = (_residual(ref, consensus) / scale).ravel()
        norm = np.sqrt((a @ a) * (b @ b))
        out[j] = (a @ b) / norm if norm > 0 else 0.0
    return out
