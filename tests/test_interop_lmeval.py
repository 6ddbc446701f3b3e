"""lm-eval interop against real local models: exported probe tasks and FingerprintLM.

Requests are counted at a proxy in front of the real llama.cpp server, so "the second run sends
nothing" and "each model got its own answers" are claims that can fail.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

pytest.importorskip(
    "lm_eval", reason="lm-eval extra not installed: pip install 'fingerprint[lmeval]'"
)

import lm_eval  # noqa: E402
from lm_eval.tasks import TaskManager  # noqa: E402

from harness.interop.lmeval import FingerprintLM  # noqa: E402
from harness.interop.lmeval_tasks import export_tasks  # noqa: E402
from harness.probes import load_suites, select  # noqa: E402
from harness.runner import plan  # noqa: E402
from harness.store import Store  # noqa: E402

try:
    from harness.testing.loopback import CountingProxy
except ImportError:  # older trees keep the proxy under tests/
    from .proxy import CountingProxy

TASKS = Path(__file__).parent / "data" / "lmeval_tasks"


def _yaml(path: Path) -> dict:
    """Task YAML with lm-eval's `!function` tags read as plain text."""
    loader = type("L", (yaml.SafeLoader,), {})
    loader.add_constructor("!function", lambda ld, node: f"!function {node.value}")
    return yaml.load(path.read_text(), Loader=loader)  # noqa: S506 - SafeLoader subclass


def test_core_export_holds_every_probe_and_keeps_every_repeat(tmp_path):
    result = export_tasks(["core"], tmp_path)
    core = select(load_suites(), "core", variants=False)
    assert sum(result.probes.values()) == len(core)
    for task, docs in result.probes.items():
        cfg = _yaml(tmp_path / f"{task}.yaml")
        rows = (tmp_path / cfg["dataset_kwargs"]["fp_data"]).read_text().splitlines()
        assert len(rows) == docs
        samples = {json.loads(json.loads(r)["fp_probe"])["sampling"]["samples"] for r in rows}
        assert samples == {cfg["repeats"]}
        assert cfg["filter_list"][0]["filter"] == [
            {"function": "take_first_k", "k": cfg["repeats"]}
        ]
    # lm-eval itself resolves every group and task in the folder.
    manager = TaskManager(include_path=str(tmp_path), include_defaults=False)
    assert {"fp_core", *result.groups, *result.probes} <= set(manager.all_tasks)


def test_exported_probes_run_in_lm_eval_with_all_repeats_stored(local_model, tmp_path):
    server = local_model("smollm2-135m")
    tasks = tmp_path / "tasks"
    export_tasks(["core"], tasks)
    with CountingProxy(server.base_url) as proxy:
        lm = FingerprintLM(
            base_url=proxy.url + "/v1",
            model=server.name,
            run_dir=str(tmp_path / "run"),
            concurrency=2,
        )
        manager = TaskManager(include_path=str(tasks), include_defaults=False)
        # random (5 repeats, 32 tokens) and identity (1 repeat): one probe each keeps it fast.
        kwargs = dict(tasks=["fp_random", "fp_identity"], task_manager=manager, limit=1)
        res = lm_eval.simple_evaluate(model=lm, log_samples=True, **kwargs)
        assert proxy.log.count == 6
        random_task = next(t for t in res["samples"] if t.startswith("fp_random"))
        (sample,) = res["samples"][random_task]
        (repeats,) = sample["resps"]  # one request, every repeat's answer
        assert len(repeats) == 5 and len(sample["filtered_resps"][0]) == 5
        assert res["results"]["fp_random"]["answers,all-repeats"] == 5.0
        manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
        assert manifest["status"] == "complete" and manifest["finished_at"]

        with Store(tmp_path / "run" / "store.sqlite") as store:
            records = list(store.records())
            assert len(records) == 6
            rand = [r for r in records if r.probe_id == sample["doc"]["probe_id"]]
            assert sorted(r.sample_index for r in rand) == [0, 1, 2, 3, 4]
            assert len({r.seed for r in rand}) == 5
            assert [r.text for r in sorted(rand, key=lambda r: r.sample_index)] == repeats
            # The same probes planned by `fingerprint run` hit exactly these keys: no re-asking.
            probes = [
                p for p in select(load_suites(), "core") if p.id in {r.probe_id for r in records}
            ]
            from harness.endpoints import make_endpoint

            native = plan(probes, {server.name: make_endpoint(lm.spec)}, 0)
            assert {i.key for i in native} == {r.key for r in records}

        again = lm_eval.simple_evaluate(model=lm, log_samples=True, **kwargs)
        assert proxy.log.count == 6  # everything came from the store
        assert lm.last_stats.requests == 0
        (sample2,) = again["samples"][random_task]
        assert sample2["resps"] == sample["resps"]


def _tiny_qa(lm: FingerprintLM) -> list[str]:
    res = lm_eval.simple_evaluate(
        model=lm,
        tasks=["tiny_qa"],
        task_manager=TaskManager(include_path=str(TASKS), include_defaults=False),
        log_samples=True,
    )
    return [s["resps"][0][0] for s in sorted(res["samples"]["tiny_qa"], key=lambda s: s["doc_id"])]


def test_generation_task_two_models_each_get_their_own_answers(local_model, tmp_path):
    small, other = local_model("smollm2-135m"), local_model("qwen2.5-coder-0.5b")
    run_dir = str(tmp_path / "run")  # one store for both models, as lm-eval's cache would be
    with CountingProxy(small.base_url) as p_small, CountingProxy(other.base_url) as p_other:
        lm_small = FingerprintLM(base_url=p_small.url + "/v1", model=small.name, run_dir=run_dir)
        lm_other = FingerprintLM(base_url=p_other.url + "/v1", model=other.name, run_dir=run_dir)
        first = _tiny_qa(lm_small)
        assert p_small.log.count == 4
        second = _tiny_qa(lm_other)
        assert p_other.log.count == 4  # the other model was asked, not served small's answers
        assert first != second
        again = _tiny_qa(lm_small)
        assert p_small.log.count == 4 and again == first
    with Store(tmp_path / "run" / "store.sqlite") as store:
        by_model: dict[str, list[str]] = {}
        for r in store.records():
            by_model.setdefault(r.endpoint, []).append(r.text)
    assert set(by_model) == {small.name, other.name}
    assert all(len(texts) == 4 for texts in by_model.values())
    bodies = [json.loads(b) for b in p_small.log.requests]
    assert {b["model"] for b in bodies} == {small.name}
    # The task's prompt template reached the server (requests go out concurrently: any order).
    firsts = sorted(b["messages"][0]["content"] for b in bodies)
    assert all(f.startswith("Question: ") for f in firsts), firsts
    assert any(f.startswith("Question: What is the capital") for f in firsts), firsts


def test_loglikelihood_is_refused_clearly(tmp_path):
    lm = FingerprintLM(base_url="http://127.0.0.1:9/v1", model="m", run_dir=str(tmp_path))
    with pytest.raises(NotImplementedError, match="generate_until"):
        lm.loglikelihood([object()])


def test_keys_are_refused_in_model_args_and_never_written(tmp_path, monkeypatch):
    from harness.errors import InputError

    with pytest.raises(InputError, match="api_key_env"):
        FingerprintLM(base_url="http://127.0.0.1:9/v1", model="m", api_key="sk-secret-123456")
    monkeypatch.setenv("FP_TEST_KEY", "sk-very-secret-value-42")
    FingerprintLM(
        base_url="http://127.0.0.1:9/v1",
        model="m",
        api_key_env="FP_TEST_KEY",
        run_dir=str(tmp_path / "r"),
    )
    written = (tmp_path / "r" / "manifest.json").read_text()
    assert "FP_TEST_KEY" in written and "sk-very-secret-value-42" not in written
