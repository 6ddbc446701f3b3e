"""Hugging Face datasets interop: a real run exported and imported back, byte for byte."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import pytest
import yaml

pytest.importorskip(
    "datasets", reason="datasets extra not installed: pip install 'fingerprint[datasets]'"
)

import datasets  # noqa: E402

from harness.cli import main  # noqa: E402
from harness.config import load_config  # noqa: E402
from harness.pipeline import run  # noqa: E402
from harness.store import AnswerRecord, Store  # noqa: E402
from harness.testing.suites import mini_suite, write_suite  # noqa: E402

SUITE = mini_suite(
    [
        ("style.en.d1", "Say hello.", {"max_tokens": 8}),
        ("style.en.d2", "Name an animal.", {"temperature": 1.0, "samples": 3, "max_tokens": 8}),
    ],
    "tiny suite for interop tests",
)
# Text a careless export mangles: CRLF, trailing blanks, BOM, line separator, quotes, non-BMP.
TRICKY = 'line one\r\nline two  \t\n\ufeff\u2028"quoted" \\ {{x}} 🧪 — é\u0301 '


@pytest.fixture(scope="module")
def real_run(local_servers, tmp_path_factory) -> Path:
    """One small real run on smollm2 (3 answers), plus one stored answer with tricky text."""
    if "smollm2-135m" not in local_servers:
        pytest.skip("local model smollm2-135m is not available")
    server = local_servers["smollm2-135m"]
    tmp = tmp_path_factory.mktemp("dsrun")
    write_suite(tmp / "probes", SUITE)
    cfg = {
        "name": "ds",
        "reference": "a",
        "endpoints": {
            "a": {"kind": "openai-chat", "base_url": server.base_url + "/v1", "model": "smollm2"},
            "b": {"kind": "openai-chat", "base_url": server.base_url + "/v1", "model": "other"},
        },
        "probes": {"selection": "full", "dir": str(tmp / "probes")},
    }
    (tmp / "run.yaml").write_text(yaml.safe_dump(cfg))
    result = run(load_config(tmp / "run.yaml"), results=tmp / "results", show_progress=False)
    assert result.stats.failed == 0
    with Store(result.run_dir.store_path) as store:
        store.put(
            AnswerRecord(
                key="tricky",
                endpoint="a",
                identity="openai-chat|x|smollm2",
                probe_id="style.en.tricky",
                sample_index=0,
                request='{"messages": [{"role": "user", "content": "ü"}]}',
                text=TRICKY,
                logprobs=[{"token": "a", "logprob": -0.5, "top": {"a": -0.5}}],
                usage={"prompt_tokens": 3},
                raw={"x": [1, "ü"]},
                created_at=1.5,
            )
        )
    return result.run_dir.path


def _all(path: Path) -> list[dict]:
    with Store(path / "store.sqlite") as store:
        return sorted((asdict(r) for r in store.records()), key=lambda r: r["key"])


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "arrow"])
def test_export_import_round_trip_keeps_every_answer_byte_for_byte(real_run, tmp_path, fmt):
    out = tmp_path / "ds"
    assert main(["export", "dataset", str(real_run), "--out", str(out), "--format", fmt]) == 0
    card = (out / "README.md").read_text()
    assert card.startswith("---\nconfigs:") and '"run_id"' in card
    results = tmp_path / "results"
    assert main(["import", str(out), "--results", str(results), "--run-id", "back"]) == 0
    before, after = _all(real_run), _all(results / "back")
    assert len(before) == 9  # 2 endpoints x (1 + 3 samples) + the tricky one
    assert after == before
    texts = {r["key"]: r["text"].encode() for r in after}
    assert texts["tricky"] == TRICKY.encode()
    # The published data loads with plain `datasets`, one row per sample.
    loaded = datasets.load_dataset(str(out), split="train")
    assert sorted(loaded["response"]) == sorted(r["text"] for r in before)


def test_foreign_saved_dataset_imports_through_the_corpus_path(tmp_path):
    rows = {
        "model": ["m1", "m2", "m1", "m2"],
        "prompt_id": ["p:1", "p:1", "p:2", "p:2"],
        "prompt": ["Hi?", "Hi?", "Why?", "Why?"],
        "response": ["hello", "hey", TRICKY, "because"],
    }
    datasets.Dataset.from_dict(rows).save_to_disk(str(tmp_path / "foreign"))
    results = tmp_path / "results"
    code = main(["import", str(tmp_path / "foreign"), "--results", str(results), "--run-id", "f"])
    assert code == 0
    got = {(r["endpoint"], r["probe_id"]): r["text"] for r in _all(results / "f")}
    expected = zip(rows["model"], rows["prompt_id"], rows["response"], strict=True)
    assert got == {(m, p): t for m, p, t in expected}


def test_a_foreign_dataset_with_integer_prompt_ids_imports(tmp_path):
    """Integer ids (a common dataset layout) are read as their decimal strings, as in JSONL."""
    rows = {
        "model": ["m1", "m2"],
        "prompt_id": [7, 7],
        "prompt": ["Hi?"] * 2,
        "response": ["a", "b"],
    }
    datasets.Dataset.from_dict(rows).to_parquet(str(tmp_path / "ids.parquet"))
    results = tmp_path / "results"
    code = main(
        ["import", str(tmp_path / "ids.parquet"), "--results", str(results), "--run-id", "i"]
    )
    assert code == 0
    got = {(r["endpoint"], r["probe_id"]): r["text"] for r in _all(results / "i")}
    assert got == {("m1", "7"): "a", ("m2", "7"): "b"}


def test_a_null_response_in_a_dataset_is_no_answer_and_a_missing_column_an_error(tmp_path, capsys):
    """As in a JSONL corpus, a null response (a failed generation) leaves that prompt unanswered;
    it used to stop the import (exit 2). A dataset without a response column still does."""
    rows = {"model": ["m1", "m2"], "prompt_id": ["a", "a"], "prompt": ["Hi?"] * 2}
    datasets.Dataset.from_dict(rows | {"response": ["hello", None]}).to_parquet(
        str(tmp_path / "n.parquet")
    )
    results = tmp_path / "results"
    argv = ["import", str(tmp_path / "n.parquet"), "--results", str(results), "--run-id", "n"]
    assert main(argv) == 0
    assert "1 record has a null response (m2 1)" in capsys.readouterr().err
    assert {(r["endpoint"], r["probe_id"]): r["text"] for r in _all(results / "n")} == {
        ("m1", "a"): "hello"
    }
    datasets.Dataset.from_dict(rows).to_parquet(str(tmp_path / "none.parquet"))
    assert main(["import", str(tmp_path / "none.parquet"), "--results", str(results)]) == 2
    assert "column 'response' is missing or not text" in capsys.readouterr().err


def test_hub_name_without_network_fails_with_one_clear_line(tmp_path):
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "import", "someorg/some-answers"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "HOME": str(tmp_path)},
    )
    assert proc.returncode == 2
    assert "Hugging Face hub cannot be reached" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert time.perf_counter() - started < 30


def test_missing_extra_says_how_to_install_and_exits_2(real_run, tmp_path):
    code = (
        "import sys; sys.modules['datasets'] = None\n"
        "from harness.cli import main\n"
        f"sys.exit(main(['export', 'dataset', {str(real_run)!r}, '--out', {str(tmp_path)!r}]))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "pip install 'fingerprint[datasets]'" in proc.stderr
