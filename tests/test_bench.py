"""Benchmark: panel rule, metrics, CLI JSON on a synthetic corpus; targets on the real one."""

import json
from pathlib import Path

import numpy as np
import pytest

from harness.bench import auc, run_bench, tpr_at_fpr
from harness.cli import main
from harness.corpus import write_records
from harness.lineage import case_panel, documented_panel, foils_for, panel_for
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


def test_foils_are_other_vendor_references_and_their_families_leave_the_panel():
    models = ["vend-2", "vend-1", "stud-7b", "othr-x", "othr-y", "pupil-3", "ctrl0", "ctrl1"]
    lineage = {
        "cases": [
            {"reference": "vend-2", "suspect": "stud-7b", "label": "distilled"},
            {"reference": "vend-1", "suspect": "ctrl0", "label": "independent"},
            {"reference": "othr-x", "suspect": "pupil-3", "label": "distilled"},
        ],
        "models": {"vend-2": {"org": "V"}, "vend-1": {"org": "V"}, "othr-x": {"org": "O"}},
    }
    assert foils_for(lineage, models, "vend-2", "ctrl1") == ["othr-x"]
    assert foils_for(lineage, models, "othr-x", "ctrl1") == ["vend-1", "vend-2"]
    assert foils_for(lineage, models, "othr-x", "vend-1") == ["vend-2"]
    assert panel_for(lineage, models, "vend-2", "ctrl1", ["othr-x"]) == ["ctrl0"]
    one_ref = {"cases": [{"reference": "vend-2", "suspect": "stud-7b", "label": "distilled"}]}
    assert foils_for(one_ref, models, "vend-2", "ctrl0") == []


def _doc_lineage():
    cases = [{"reference": "vend-2", "suspect": "stud-7b", "label": "distilled"}]
    cases += [
        {"reference": "vend-2", "suspect": f"hum{i}", "label": "independent"} for i in range(4)
    ]
    cases += [
        {"reference": "vend-1", "suspect": "other-stud", "label": "independent"},
        {"reference": "vend-2", "suspect": "x-stud-alpaca", "label": "independent"},
        {"reference": "othr-x", "suspect": "stud-7b", "label": "independent"},
        {"reference": "othr-x", "suspect": "pupil-3", "label": "distilled"},
    ]
    facts = {"vend-2": {"org": "V"}, "vend-1": {"org": "V"}, "othr-x": {"org": "O"}}
    return {"cases": cases, "models": facts}


def test_documented_panel_is_family_independents_plus_other_vendor_references():
    models = ["vend-2", "vend-1", "stud-7b", "stud-13b", "othr-x", "pupil-3", "ctrl0"]
    models += ["hum0", "hum1", "hum2", "hum3", "other-stud", "x-stud-alpaca"]
    lin = _doc_lineage()
    # Undocumented ctrl0, the name sibling stud-13b and the foil's student pupil-3 are not
    # controls; x-stud-alpaca shares "stud" with a student but is documented independent.
    panel = ["othr-x", "hum0", "hum1", "hum2", "hum3", "other-stud", "x-stud-alpaca"]
    assert documented_panel(lin, models, "vend-2", "ctrl0") == panel
    assert documented_panel(lin, models, "vend-2", "hum0") == [m for m in panel if m != "hum0"]
    ctr, foils, used = case_panel(lin, models, "vend-2", "ctrl0")
    assert (ctr, foils, used) == (panel, [], "documented")
    # othr-x has one documented independent (stud-7b) plus the two V references: 3 < 5, so the
    # fallback (every untied model, foils = other-vendor references) is used and says so.
    ctr, foils, used = case_panel(lin, models, "othr-x", "ctrl0")
    assert used.startswith("fallback (3 documented")
    assert foils == ["vend-1", "vend-2"]
    assert ctr == panel_for(lin, models, "othr-x", "ctrl0", foils)


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
    # One reference, so no other vendor to attribute to: attribution has no case.
    assert out["attribution"]["n_cases"] == 0 and "candidates" in out["attribution"]["rule"]
    assert out["auc"] == 1.0
    assert set(out["by_prompts"]) == {"10", "25", "all"}
    assert {c["suspect"]: c["verdict"] for c in out["cases"]}["S"] == "distilled"
    # Two documented independents only: every case uses the fallback panel and says so.
    assert all(c["panel_rule_used"].startswith("fallback") for c in out["cases"])
    assert main(["bench", "--corpus", str(tmp_path)]) == 0
    assert "panel" in capsys.readouterr().out
    # One reference: nothing to pool with, so --pool-scale changes no case.
    assert main(["bench", "--corpus", str(tmp_path), "--json", "--pool-scale"]) == 0
    pooled = json.loads(capsys.readouterr().out)
    assert "pooled" in pooled["scale_rule"]
    assert [c["p_value"] for c in pooled["cases"]] == [c["p_value"] for c in out["cases"]]


def test_bench_missing_files(tmp_path):
    assert main(["bench", "--corpus", str(tmp_path)]) == 2


@pytest.fixture(scope="module")
def real_bench():
    if not (REAL / "responses.jsonl.gz").exists():
        pytest.skip(f"real corpus not found at {REAL} (see docs/detector.md)")
    return run_bench(REAL, prompt_counts=(), draws=1)


SPLIT_A = ("claude-2", "gpt4_0314")  # pre-registered selection split (docs/detector.md)


@pytest.mark.corpus
def test_real_corpus_calibration(real_bench):
    # Measured: 0/41 false alarms at alpha 0.05 (0/27 on A, 0/14 on held-out B).
    assert real_bench["fpr_at_alpha_05"] <= 0.05
    b = [c for c in real_bench["cases"] if c["reference"] not in SPLIT_A]
    b_indep = [c for c in b if c["label"] == "independent"]
    assert np.mean([c["p_value"] < 0.05 for c in b_indep]) <= 0.05


@pytest.mark.corpus
def test_real_corpus_documented_panel(real_bench):
    # Every case has >= 5 documented controls here (7-8 for OpenAI references, 22-23 for
    # claude-2), so no case falls back; the score is the plain similarity (no foils).
    assert all(c["panel_rule_used"] == "documented" for c in real_bench["cases"])
    assert all(c["n_controls"] >= 7 and not c["foils"] for c in real_bench["cases"])


@pytest.mark.corpus
def test_real_corpus_auc_target(real_bench):
    # Measured AUC 0.972 with layout habits scored (held-out B 0.929); without them 0.938
    # (B 0.843); the all-untied panel with foils measured 0.891.
    assert real_bench["auc"] >= 0.97
    b = [c for c in real_bench["cases"] if c["reference"] not in SPLIT_A]
    pos = np.array([c["statistic"] for c in b if c["label"] == "distilled"])
    neg = np.array([c["statistic"] for c in b if c["label"] != "distilled"])
    assert auc(pos, neg) >= 0.92
    # TPR at alpha 12/15 (without layout 6/15).
    assert real_bench["tpr_at_alpha_05"] >= 0.8


@pytest.mark.corpus
def test_real_corpus_alpaca_pair(real_bench):
    got = {(c["reference"], c["suspect"]): c for c in real_bench["cases"]}
    # Measured p = 0.029 (panel of 8) and 2.6e-6; independent directions 0.93 and 0.46.
    assert got[("text_davinci_003", "alpaca-7b")]["p_value"] < 0.05
    assert got[("claude-2", "claude2-alpaca-13b")]["p_value"] < 0.01
    assert got[("claude-2", "alpaca-7b")]["p_value"] >= 0.05
    assert got[("text_davinci_003", "claude2-alpaca-13b")]["p_value"] >= 0.05


@pytest.mark.corpus
@pytest.mark.xfail(strict=True, reason="measured p = 0.029 with 8 documented controls (t, 7 df)")
def test_real_corpus_alpaca_davinci_target(real_bench):
    got = {(c["reference"], c["suspect"]): c for c in real_bench["cases"]}
    assert got[("text_davinci_003", "alpaca-7b")]["p_value"] < 0.01


@pytest.mark.corpus
def test_real_corpus_pooled_scale(real_bench):
    # Opt-in pooled scale (--pool-scale), measured with layout scored: davinci <- alpaca-7b
    # p = 0.0029 (own spread 0.029), TPR at alpha 12/15 as the default, but FPR 3/41 = 0.073
    # (OASST models against text_davinci_003): the trade-off that keeps it opt-in.
    pooled = run_bench(REAL, prompt_counts=(), draws=1, pool=True)
    assert pooled["fpr_at_alpha_05"] <= 3 / 41
    assert pooled["tpr_at_alpha_05"] >= real_bench["tpr_at_alpha_05"]
    got = {(c["reference"], c["suspect"]): c for c in pooled["cases"]}
    assert got[("text_davinci_003", "alpaca-7b")]["p_value"] < 0.01
    assert got[("claude-2", "alpaca-7b")]["p_value"] >= 0.05
    assert got[("text_davinci_003", "claude2-alpaca-13b")]["p_value"] >= 0.05
    assert all("scale pooled over 4 panels" in c["panel_rule_used"] for c in pooled["cases"])


@pytest.mark.corpus
def test_real_corpus_attribution_never_names_a_wrong_vendor(real_bench):
    """Measured: 56 cases, 7 named right, 0 wrong, 49 "no single teacher" (5-6 controls
    documented independent of both vendors: the guanaco and OASST models)."""
    att = real_bench["attribution"]
    assert att["n_cases"] == 56
    assert att["named_wrong"] == 0
    assert att["named_right"] >= 7
    named = {(c["reference"], c["suspect"]): c["teacher"] for c in att["cases"]}
    assert named[("claude-2", "claude2-alpaca-13b")] == "claude-2"
    assert named[("text_davinci_003", "claude2-alpaca-13b")] == "claude-2"
