"""Benchmark: panel rule, metrics, CLI JSON on a synthetic corpus; targets on the real one."""

import json
from pathlib import Path

import numpy as np
import pytest

from harness.bench import auc, panel_for, run_bench, tpr_at_fpr
from harness.cli import main
from harness.corpus import write_records
from tests.test_detector import _world

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real-responses"


def _lineage():
    return {
        "cases": [
            {"reference": "R", "suspect": "S", "label": "distilled"},
            {"reference": "R", "suspect": "C0", "label": "independent"},
            {"reference": "R", "suspect": "C1", "label": "independent"},
        ],
        "models": {"R": {"org": "Vendor"}, "S": {"org": "Lab"}},
    }


def test_panel_excludes_vendor_family_students_and_name_siblings():
    models = ["vend-2", "vend-1", "stud-7b", "stud-13b", "ctrl0", "other1", "agent_vend-3"]
    lineage = {
        "cases": [{"reference": "vend-2", "suspect": "stud-7b", "label": "distilled"}],
        "models": {"vend-2": {"org": "V"}},
    }
    assert panel_for(lineage, models, "vend-2", "ctrl0") == ["other1"]


def test_auc_and_tpr():
    pos, neg = np.array([3.0, 2.0]), np.array([1.0, 2.0, 0.0])
    assert auc(pos, neg) == pytest.approx((3 + 2.5) / 6)
    assert tpr_at_fpr(pos, neg, 0.0) == pytest.approx(0.5)


def test_bench_json_on_synthetic_corpus(tmp_path, capsys):
    ans = _world(n_controls=10, n_prompts=30)
    recs = [
        {"model": m, "prompt_id": p, "prompt": "", "response": t}
        for m, per in ans.texts.items()
        for p, ts in per.items()
        for t in ts
    ]
    write_records(tmp_path / "responses.jsonl.gz", recs)
    (tmp_path / "lineage.json").write_text(json.dumps(_lineage()))
    assert main(["bench", "--corpus", str(tmp_path), "--json", "--prompts", "10,25"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("auc", "tpr_at_fpr_01", "tpr_at_fpr_05", "fpr_at_alpha_05", "cases", "by_prompts"):
        assert key in out
    assert out["auc"] == 1.0
    assert set(out["by_prompts"]) == {"10", "25", "all"}
    assert {c["suspect"]: c["verdict"] for c in out["cases"]}["S"] == "distilled"
    assert main(["bench", "--corpus", str(tmp_path)]) == 0
    assert "panel" in capsys.readouterr().out


def test_bench_missing_files(tmp_path):
    assert main(["bench", "--corpus", str(tmp_path)]) == 2


@pytest.fixture(scope="module")
def real_bench():
    if not (REAL / "responses.jsonl.gz").exists():
        pytest.skip(f"real corpus not found at {REAL} (see docs/detector.md)")
    return run_bench(REAL, prompt_counts=(), draws=1)


@pytest.mark.corpus
@pytest.mark.slow
def test_real_corpus_calibration(real_bench):
    assert real_bench["fpr_at_alpha_05"] <= 0.05


@pytest.mark.corpus
@pytest.mark.slow
def test_real_corpus_alpaca_pair(real_bench):
    got = {(c["reference"], c["suspect"]): c for c in real_bench["cases"]}
    assert got[("text_davinci_003", "alpaca-7b")]["p_value"] < 0.01
    assert got[("claude-2", "claude2-alpaca-13b")]["p_value"] < 0.01
    assert got[("claude-2", "alpaca-7b")]["p_value"] >= 0.05
    assert got[("text_davinci_003", "claude2-alpaca-13b")]["p_value"] >= 0.05


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="measured AUC 0.85 < 0.97 target; see docs/detector.md")
def test_real_corpus_auc_target(real_bench):
    assert real_bench["auc"] >= 0.97
