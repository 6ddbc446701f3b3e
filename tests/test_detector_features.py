"""Feature families on hand-made answers."""

import os
import subprocess
import sys

import numpy as np
import pytest

from harness.detector.features import canary, identity, lexical, refusal, style
from harness.errors import InputError


def test_lexical_identical_and_disjoint():
    docs = ["the cat sat on the mat", "the cat sat on the mat", "zzz qqq xxx yyy", ""]
    for fn in (lexical.char_sims, lexical.word_sims):
        s = fn(docs, [0])
        assert s[1, 0] == np.float64(s[1, 0]) and abs(s[1, 0] - 1) < 1e-9
        assert s[2, 0] < 0.05 and s[3, 0] == 0
        g = fn(docs, None)
        assert np.allclose(g, g.T) and np.allclose(g[:, 0], s[:, 0])


def test_lexical_refuses_more_documents_than_its_keys_can_tell_apart():
    # 65,536 documents fit the key's document bits; one more would mix two documents' n-grams.
    assert lexical.char_sims(["ab cd"] * (1 << 16), [0]).shape == (1 << 16, 1)
    with pytest.raises(InputError, match="compares at most 65536 at once"):
        lexical.char_sims(["ab cd"] * ((1 << 16) + 1), [0])


def test_word_similarities_are_the_same_bits_in_every_process():
    # Reports and check.json must not change between identical runs: word codes may not depend
    # on Python's per-process string-hash salt (it reorders keys and moves float sums).
    code = (
        "import random; from harness.detector.features import lexical\n"
        "r = random.Random(0); v = [f'w{i}' for i in range(3000)]\n"
        "w = lambda: v[min(int(r.paretovariate(1.0)) - 1, 2999)]  # repeated words: tf varies\n"
        "docs = [' '.join(w() for _ in range(400)) for _ in range(12)]\n"
        "print(lexical.word_sims(docs, [0, 1]).tobytes().hex())"
    )
    out = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(out) == 1


def test_lexical_reads_a_tuple_as_samples_whose_tf_is_averaged():
    ref = "sure here are five tips to improve your sleep tonight and every night"
    near = "sure here are five tips to improve your health tonight and every day"
    far = "sleep better by keeping a regular schedule and avoiding screens"
    for fn in (lexical.char_sims, lexical.word_sims):
        one = fn([ref, near, far], [0])
        # A text twice is the text once (joined, its tf would grow by log 2 and move every
        # similarity); one sample in a tuple is the plain text, bit for bit.
        assert np.array_equal(fn([ref, (near, near), (far,)], [0]), one)
        assert not np.allclose(fn([ref, near + "\n\n" + near, far], [0]), one)
        # Two different samples: in between the two texts' own similarities.
        mixed = fn([ref, (near, far)], [0])[1, 0]
        assert one[2, 0] < mixed < one[1, 0]


def test_lexical_orders_by_overlap():
    ref = "sure here are five tips to improve your sleep tonight and every night"
    near = "sure here are five tips to improve your health tonight and every day"
    far = "sleep better by keeping a regular schedule and avoiding screens"
    s = lexical.char_sims([ref, near, far], [0])[:, 0]
    assert s[1] > s[2]


def test_identity_claims_and_negation():
    assert identity.claims("I am ChatGPT, a model trained by OpenAI.") == {"openai"}
    assert identity.claims("I'm Claude, made by Anthropic.") == {"anthropic"}
    assert identity.claims("I am not ChatGPT. I am Vicuna, by LMSYS.") == {"lmsys"}
    assert identity.claims("我是通义千问，由阿里云开发。") == {"alibaba"}
    assert identity.claims("我不是ChatGPT") == frozenset()
    assert identity.claims("The weather is nice.") == frozenset()
    s = identity.prompt_sims(["I am ChatGPT", "I'm ChatGPT by OpenAI", "I am Claude", "hi"], [0])
    assert s[1, 0] == 1 and s[2, 0] == 0 and np.isnan(s[3, 0])


def test_refusal_templates():
    assert refusal.template("As an AI language model, I cannot do that.") == "as_an_ai"
    assert refusal.template("I'm sorry, but I can't help with that.") == "sorry_cant"
    assert refusal.template("Here is the recipe.") is None
    s = refusal.prompt_sims(["As an AI, no.", "As an AI language model, no.", "Sure!", "ok"], [0])
    assert s[1, 0] == 1 and s[2, 0] == 0


def test_canary_rare_tokens():
    docs = ["the secret is zorblax-771 quixotic", "zorblax-771 quixotic indeed", "nothing here"]
    s = canary.prompt_sims(docs + ["filler words"] * 5, [0], prompt="what is the secret")
    assert s[1, 0] == 1 and s[2, 0] == 0


def test_style_similarity_bounds():
    docs = ["1. a\n2. b\n3. c", "1. x\n2. y\n3. z", "A single long paragraph. " * 20]
    s = style.prompt_sims(docs, [0])
    assert s[1, 0] > s[2, 0] and np.all((s > 0) & (s <= 1))
