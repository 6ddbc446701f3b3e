"""Layout habits: the per-answer vector and the panel-relative pattern score."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.answers import Answers
from harness.detector import similarity
from harness.detector.features import FEATURES, PRIMARY, layout
from harness.errors import InputError


def test_vector_counts_layout_habits():
    text = "Title:\n\n- one\n- two\n1. three\n## Head\n**bold** ```x``` Why? Yes!"
    v = dict(zip(layout.NAMES, np.expm1(layout.vector(text)).round(6), strict=True))
    assert v["length"] == len(text)
    assert v["lines"] == 7  # split on "\n", the empty line included
    assert v["bullets"] == 2 and v["numbered"] == 1 and v["headings"] == 1
    assert v["code_fences"] == 2 and v["bold"] == 2 and v["colon_lines"] == 1
    assert v["questions"] == 1 and v["exclamations"] == 1 and v["paragraphs"] == 1
    assert v["first_line"] == len("Title:")
    assert layout.vector("").shape == (len(layout.NAMES),)


def test_prompt_vectors_average_samples():
    out = layout.prompt_vectors([["a", "abc"], ["ab"]])
    assert out.shape == (2, len(layout.NAMES))
    assert out[0, 0] == np.mean([math.log1p(1), math.log1p(3)])


def _panel(rng, n_prompts=200, n_controls=8):
    """Reference, a student copying its prompt-by-prompt habits, and independent controls."""
    dims = len(layout.NAMES)
    prompt_effect = rng.normal(0, 1, (n_prompts, 1, dims))  # what every model does on a prompt
    habit = rng.normal(0, 1, (n_prompts, dims))  # the reference's own departures
    ref = prompt_effect[:, 0] + habit
    student = prompt_effect[:, 0] + 0.7 * habit + rng.normal(0, 1, (n_prompts, dims))
    controls = prompt_effect + rng.normal(0, 1, (n_prompts, n_controls, dims))
    return np.concatenate([ref[:, None], student[:, None], controls], axis=1)


def test_student_of_the_reference_scores_above_independents():
    v = _panel(np.random.default_rng(0))
    scores = layout.pattern_scores(v, 0, list(range(1, v.shape[1])))
    assert scores[0] > 0.3
    assert np.abs(scores[1:]).max() < 0.15


def test_doing_less_of_what_the_panel_does_is_not_a_shared_habit():
    """Two models that both shrink the panel's prompt effect (e.g. both write short answers
    where the panel writes long ones) depart from the consensus alike; residualising on the
    consensus removes that, so neither looks like the other's student."""
    rng = np.random.default_rng(1)
    n, dims, k = 300, len(layout.NAMES), 8
    prompt_effect = rng.normal(0, 1, (n, 1, dims))
    controls = prompt_effect + rng.normal(0, 0.5, (n, k, dims))
    ref = 0.2 * prompt_effect[:, 0] + rng.normal(0, 0.5, (n, dims))
    lookalike = 0.2 * prompt_effect[:, 0] + rng.normal(0, 0.5, (n, dims))
    v = np.concatenate([ref[:, None], lookalike[:, None], controls], axis=1)
    scores = layout.pattern_scores(v, 0, list(range(1, k + 2)))
    assert abs(scores[0]) < 0.15
    # Without the residualisation the same lookalike would correlate strongly.
    consensus = controls.mean(axis=1)
    raw = np.corrcoef((lookalike - consensus).ravel(), (ref - consensus).ravel())[0, 1]
    assert raw > 0.5


def test_scores_are_symmetric_in_the_panel_and_need_enough_prompts():
    v = _panel(np.random.default_rng(2))
    panel = list(range(1, v.shape[1]))
    scores = layout.pattern_scores(v, 0, panel)
    rev = layout.pattern_scores(v, 0, panel[::-1])
    assert np.allclose(scores, rev[::-1])
    short = layout.pattern_scores(v[: layout.MIN_ROWS - 1], 0, panel)
    assert np.isnan(short).all()


def test_layout_is_scored_as_a_pattern_feature():
    assert "layout" in PRIMARY
    assert FEATURES["layout"].pattern is layout.pattern_scores
    assert FEATURES["layout"].fn is layout.prompt_vectors


def test_similarity_table_holds_layout_vectors_and_heatmaps_refuse_them():
    answers = Answers(
        texts={m: {f"p{i}": [f"{m} answer {i}\n- item"] for i in range(6)} for m in "abc"}
    )
    table = similarity.compute(answers, ["a"])
    assert table.vectors["layout"].shape == (6, 3, len(layout.NAMES))
    assert "layout" not in table.sims
    with pytest.raises(InputError, match="pattern across prompts"):
        similarity.similarity_matrix(answers, ["a", "b"], feature="layout")
