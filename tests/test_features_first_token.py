"""First-token agreement ("first_token"): unit checks, `Answers` plumbing, and a real run.

The real run sends a handful of 4-token probes with `logprobs: 5` through the normal runner to
the local llama.cpp servers (skipped, saying why, when they cannot be had).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from harness.answers import Answers
from harness.config import load_config
from harness.detector import similarity
from harness.detector.features import FEATURES, PRIMARY, first_token
from harness.errors import InputError
from harness.pipeline import run
from harness.store import AnswerRecord, Store, first_token_top, to_answers
from harness.testing.suites import mini_suite, write_run_config


def test_registered_but_not_scored():
    assert FEATURES["first_token"] == (first_token.prompt_sims, None, "first_tokens", None)
    assert "first_token" not in PRIMARY


def test_normalise_merges_strings_across_tokenizers_and_renormalises():
    d = first_token.normalise({"▁Sure": 0.3, " sure": 0.1, "Ġsure": 0.1, "\n": 0.2, " ": 0.1})
    assert d == pytest.approx({"sure": 0.5 / 0.8, "": 0.3 / 0.8})
    assert first_token.normalise({"x": 0.0, "y": float("nan")}) == {}


def test_overlap_is_one_minus_total_variation():
    a = {"sure": 0.6, "yes": 0.4}
    assert first_token.overlap(a, a) == pytest.approx(1.0)
    assert first_token.overlap(a, {"sure": 0.2, "no": 0.8}) == pytest.approx(0.2)
    assert first_token.overlap(a, {"no": 1.0}) == 0.0
    assert math.isnan(first_token.overlap(a, {}))


def test_samples_are_averaged():
    d = first_token.distribution([{"A": 1.0}, {"b": 0.5, "a": 0.5}, {}])
    assert d == pytest.approx({"a": 0.75, "b": 0.25})


def test_prompt_sims_nan_without_logprobs_and_refuses_texts():
    s = first_token.prompt_sims([{"a": 1.0}, {"a": 0.5, "b": 0.5}, {}], [0])
    assert s[0, 0] == 1.0 and s[1, 0] == 0.5 and math.isnan(s[2, 0])
    assert np.isnan(first_token.prompt_sims([{}, {"a": 1.0}], [0])).all()
    with pytest.raises(InputError, match="model_dists"):
        first_token.prompt_sims(["answer text", "another"], [0])


def test_compute_fills_first_token_from_answers():
    ans = Answers(
        texts={"R": {"p": ["x"]}, "S": {"p": ["y"]}, "T": {"p": ["z"]}},
        first_tokens={"R": {"p": [{"Sure": 0.8, "Yes": 0.2}]}, "S": {"p": [{" sure": 1.0}]}},
    )
    t = similarity.compute(ans, ["R"], features=("char4", "first_token"))
    got = t.sims["first_token"][0, :, 0]
    assert got[0] == pytest.approx(1.0) and got[1] == pytest.approx(0.8) and math.isnan(got[2])


def test_answers_stay_backwards_compatible_and_helpers_carry_first_tokens():
    plain = Answers({"R": {"p1": ["a"]}}, {"p1": "style"}, {"p1": "Say a."})
    assert plain.first_tokens == {}
    assert plain.restrict().first_tokens == {}
    ft = {"R": {"p1": [{"A": 0.9}], "p2": [{"B": 1.0}]}, "S": {"p1": [{"A": 0.5}]}}
    ans = Answers(
        texts={"R": {"p1": ["a"], "p2": ["b"]}, "S": {"p1": ["a"], "p2": ["c"]}},
        first_tokens=ft,
    )
    r = ans.restrict(["R"], ["p1"])
    assert r.first_tokens == {"R": {"p1": [{"A": 0.9}]}}
    assert ans.on_common_prompts(["R", "S"]).first_tokens == ft
    sub = ans.subsample_prompts(1, seed=3)
    kept = sub.common_prompts()
    assert all(set(per) <= set(kept) for per in sub.first_tokens.values())
    r.first_tokens["R"]["p1"][0]["A"] = 0.0  # a copy: the original is untouched
    assert ans.first_tokens["R"]["p1"][0]["A"] == 0.9


def _record(endpoint: str, probe: str, sample: int, logprobs) -> AnswerRecord:
    return AnswerRecord(
        key=f"{endpoint}/{probe}/{sample}",
        endpoint=endpoint,
        identity=endpoint,
        probe_id=probe,
        sample_index=sample,
        request='{"messages": [{"role": "user", "content": "Hi"}]}',
        text="Hello there",
        logprobs=logprobs,
    )


def test_to_answers_fills_first_tokens_only_where_logprobs_exist(tmp_path):
    lp = [
        {"token": "Hello", "logprob": math.log(0.7), "top": {"Hello": math.log(0.7), "Hi": -2.0}},
        {"token": " there", "logprob": -0.1, "top": {}},
    ]
    with Store(tmp_path / "s.sqlite") as store:
        store.put_many(
            [
                _record("a", "p", 0, lp),
                _record("a", "p", 1, [{"token": "Hi", "logprob": -0.5, "top": {}}]),
                _record("b", "p", 0, None),
            ]
        )
        ans = to_answers(store)
    assert set(ans.first_tokens) == {"a"}
    first, second = ans.first_tokens["a"]["p"]
    assert first == pytest.approx({"Hello": 0.7, "Hi": math.exp(-2.0)})
    assert second == pytest.approx({"Hi": math.exp(-0.5)})  # logprobs: 0 -> the chosen token
    assert first_token_top([]) is None and first_token_top(None) is None

    table = similarity.compute(ans, ["a"], features=("char4", "first_token"))
    sims = table.sims["first_token"][:, :, 0]
    a, b = table.model_index(["a", "b"])
    assert sims[0, a] == pytest.approx(1.0) and math.isnan(sims[0, b])


# --- real llama.cpp servers through the normal runner -------------------------------------

PROBES = [
    ("style.en.ft1", "Say hello.", {"max_tokens": 4}),
    ("style.en.ft2", "Name a fruit.", {"max_tokens": 4}),
    ("style.en.ft3", "What is 2 + 2?", {"max_tokens": 4}),
    ("style.en.ft4", "Write a haiku about rain.", {"max_tokens": 4}),
    ("style.en.ft5", "Who are you?", {"max_tokens": 4}),
]


def _config(tmp_path: Path, endpoints: dict[str, dict]) -> Path:
    return write_run_config(
        tmp_path,
        mini_suite(PROBES, "first-token test"),
        {n: {"concurrency": 1, "max_retries": 2, **spec} for n, spec in endpoints.items()},
        name="first-token",
        seed=3,
        logprobs=5,
    )


def test_real_run_model_agrees_with_itself_more_than_with_another(local_model, tmp_path):
    smol, qwen = local_model("smollm2-135m"), local_model("qwen2.5-coder-0.5b")
    gemma = local_model("gemma3-270m")
    chat = {"kind": "openai-chat"}
    endpoints = {
        # Two endpoints on one server (different `model` names keep their cache keys apart).
        "smol": {**chat, "base_url": smol.base_url + "/v1", "model": "smol-a"},
        "smol-again": {**chat, "base_url": smol.base_url + "/v1", "model": "smol-b"},
        "qwen": {**chat, "base_url": qwen.base_url + "/v1", "model": "qwen"},
        "gemma": {
            "kind": "openai-completions",
            "base_url": gemma.base_url + "/v1",
            "model": "gemma",
        },
    }
    cfg = load_config(_config(tmp_path, endpoints))
    result = run(cfg, results=tmp_path / "results", show_progress=False)
    with Store(result.run_dir.store_path) as store:
        answers = to_answers(store)

    # Both endpoint kinds return top alternatives for the first token.
    for name in endpoints:
        per = answers.first_tokens[name]
        assert set(per) == {p for p, _, _ in PROBES}
        assert all(1 <= len(s[0]) <= 5 for s in per.values())

    table = similarity.compute(answers, ["smol"], features=("char4", "first_token"))
    sims = table.sims["first_token"][:, :, 0]
    mean = dict(zip(table.models, np.nanmean(sims, axis=0), strict=True))
    assert mean["smol-again"] == pytest.approx(1.0, abs=0.02)  # T = 0, same context
    assert mean["qwen"] < mean["smol-again"] - 0.1
    assert mean["gemma"] < mean["smol-again"] - 0.1
    assert not np.isnan(sims).any()
