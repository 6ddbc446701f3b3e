"""Benchmark: panel rule, metrics, CLI JSON on a synthetic corpus; targets on the real one."""

import gzip
import json
import warnings
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


def test_bench_table_keeps_whole_names_when_piped(tmp_path, capsys, monkeypatch):
    """Written to a file or a CI log, the cases table is not cut at rich's 80 columns (model
    names and panel rules shortened to "docume…"); COLUMNS still sets the width."""
    _corpus(tmp_path, _lineage(), _world(n_controls=10, n_prompts=12))
    monkeypatch.delenv("COLUMNS", raising=False)
    assert main(["bench", "--corpus", str(tmp_path), "--prompts", "10"]) == 0
    out = capsys.readouterr().out
    assert "fallback" in out and "…" not in out
    monkeypatch.setenv("COLUMNS", "60")
    assert main(["bench", "--corpus", str(tmp_path), "--prompts", "10"]) == 0
    assert "…" in capsys.readouterr().out
    # A COLUMNS that is no number is ignored by rich, so it must not undo the piped width.
    monkeypatch.setenv("COLUMNS", "wide")
    assert main(["bench", "--corpus", str(tmp_path), "--prompts", "10"]) == 0
    assert "…" not in capsys.readouterr().out


def test_bench_json_on_synthetic_corpus(tmp_path, capsys):
    _corpus(tmp_path, _lineage())
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
    # One reference: no other panels to moderate with, so --pool-scale changes no case.
    assert main(["bench", "--corpus", str(tmp_path), "--json", "--pool-scale"]) == 0
    pooled = json.loads(capsys.readouterr().out)
    assert "moderated" in pooled["scale_rule"]
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
    # Opt-in moderated scale (--pool-scale; empirical-Bayes prior of the four panels' spreads,
    # session 4): AUC 0.977, FPR 2/41 (OASST models against text_davinci_003), TPR at alpha
    # 12/15, davinci <- alpaca-7b p = 0.0073 (own spread 0.029). It meets every target at all
    # prompts, but is liberal when the tested panel alone is wider (docs/detector-experiments.md, Round 6),
    # which is what keeps it opt-in. The plain pooled variance it replaced had FPR 3/41.
    pooled = run_bench(REAL, prompt_counts=(), draws=1, pool=True)
    assert pooled["fpr_at_alpha_05"] <= 2 / 41
    assert pooled["auc"] >= 0.97
    assert pooled["tpr_at_alpha_05"] >= real_bench["tpr_at_alpha_05"]
    got = {(c["reference"], c["suspect"]): c for c in pooled["cases"]}
    assert got[("text_davinci_003", "alpaca-7b")]["p_value"] < 0.01
    assert got[("claude-2", "claude2-alpaca-13b")]["p_value"] < 0.01
    assert got[("claude-2", "alpaca-7b")]["p_value"] >= 0.05
    assert got[("text_davinci_003", "claude2-alpaca-13b")]["p_value"] >= 0.05
    assert all("scale moderated by 4 panels" in c["panel_rule_used"] for c in pooled["cases"])


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


# --- Any corpus in the format: a result or one clear line (exit 2), never a traceback. ---


def _corpus(tmp_path, lineage, ans=None, name="responses.jsonl.gz", rename=None):
    """Write `ans` (default: R, S copying R, C0..C9 over 30 prompts) and `lineage` as a corpus."""
    ans = _world(n_controls=10, n_prompts=30) if ans is None else ans
    rename = rename or {}
    recs = [
        {"model": rename.get(m, m), "prompt_id": p, "prompt": "", "response": t}
        for m, per in ans.texts.items()
        for p, ts in per.items()
        for t in ts
    ]
    write_records(tmp_path / name, recs)
    text = lineage if isinstance(lineage, str) else json.dumps(lineage)
    (tmp_path / "lineage.json").write_text(text, encoding="utf-8")
    return tmp_path


def _strict(text: str) -> dict:
    """json.loads that refuses NaN / Infinity (not JSON, though json.dumps writes them)."""

    def refuse(token):
        raise ValueError(f"{token} is not JSON")

    return json.loads(text, parse_constant=refuse)


def _bench(capsys, directory, *extra) -> dict:
    assert main(["bench", "--corpus", str(directory), "--json", "--prompts", "10", *extra]) == 0
    return _strict(capsys.readouterr().out)


def test_bench_json_is_strict_when_p_values_and_metrics_are_undefined(tmp_path, capsys):
    # Three controls only: every case is inconclusive (no p-value, no statistic), and one
    # label has no case: AUC, TPR@FPR and FPR are undefined. JSON null, text "n/a"; before,
    # json.dumps wrote NaN tokens and numpy warned "Mean of empty slice".
    ans = _world(n_controls=3, n_prompts=30)
    lin = {"cases": [{"reference": "R", "suspect": "S", "label": "distilled"}]}
    d = _corpus(tmp_path, lin, ans)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for extra in ((), ("--pool-scale",)):
            out = _bench(capsys, d, *extra)
            assert out["cases"][0]["verdict"] == "inconclusive"
            assert out["cases"][0]["p_value"] is None and out["cases"][0]["statistic"] is None
            for key in ("auc", "tpr_at_fpr_01", "tpr_at_fpr_05", "fpr_at_alpha_05"):
                assert out[key] is None and out["by_prompts"]["10"][key] is None
            assert out["tpr_at_alpha_05"] == 0.0
        assert main(["bench", "--corpus", str(d), "--prompts", "10"]) == 0
    text = capsys.readouterr().out
    assert "n/a" in text and "nan" not in text.lower()


@pytest.mark.parametrize("label", ["distilled", "independent"])
def test_bench_with_one_label_only_has_no_auc(tmp_path, capsys, label):
    lin = {"cases": [{"reference": "R", "suspect": m, "label": label} for m in ("S", "C0", "C1")]}
    out = _bench(capsys, _corpus(tmp_path, lin))
    assert out["auc"] is None and out["tpr_at_fpr_05"] is None
    assert (out["fpr_at_alpha_05"] is None) == (label == "distilled")
    assert (out["tpr_at_alpha_05"] is None) == (label == "independent")
    assert all(c["p_value"] is not None for c in out["cases"])


def test_auc_counts_two_cases_without_statistic_as_a_tie():
    # Inconclusive cases score -inf; -inf - -inf is NaN, which counted as neither win nor tie.
    assert auc(np.array([-np.inf]), np.array([-np.inf])) == 0.5
    assert auc(np.array([1.0, -np.inf]), np.array([-np.inf])) == 0.75


def test_bench_reads_plain_jsonl(tmp_path, capsys):
    out = _bench(capsys, _corpus(tmp_path, _lineage(), name="responses.jsonl"))
    assert len(out["cases"]) == 3 and out["auc"] == 1.0


def test_bench_directory_errors_are_one_line(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "empty").mkdir()
    cases = {
        tmp_path / "nope": "no such directory",
        tmp_path / "afile": "not a directory",
        tmp_path / "empty": "no such file",
    }
    for path, message in cases.items():
        assert main(["bench", "--corpus", str(path)]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err


def test_bench_empty_responses_file_is_input_error(tmp_path, capsys):
    d = _corpus(tmp_path, _lineage())
    (d / "responses.jsonl.gz").write_bytes(gzip.compress(b""))
    assert main(["bench", "--corpus", str(d)]) == 2
    assert "no answers" in capsys.readouterr().err


@pytest.mark.parametrize(
    "lineage, message",
    [
        ("[1, 2]", "expected a JSON object"),
        ('{"models": {}}', "'cases' must be a list"),
        ('{"cases": {"a": 1}}', "'cases' must be a list"),
        ('{"cases": []}', "'cases' is empty"),
        ('{"cases": ["R"]}', "case 0 must be an object"),
        ('{"cases": [{"reference": 7, "suspect": "S", "label": "distilled"}]}', "'reference'"),
        ('{"cases": [{"reference": null, "suspect": "S", "label": "distilled"}]}', "'reference'"),
        ('{"cases": [{"reference": ["R"], "suspect": "S", "label": "distilled"}]}', "'reference'"),
        ('{"cases": [{"reference": "R", "suspect": "S", "label": 1}]}', "'label'"),
        (
            '{"cases": [{"reference": "R", "suspect": "S", "label": "distilled"}], "models": "x"}',
            "'models' must be an object",
        ),
        (
            '{"cases": [{"reference": "R", "suspect": "S", "label": "distilled"}], '
            '"models": {"R": "Vendor"}}',
            "models['R'] must be an object",
        ),
        (
            '{"cases": [{"reference": "R", "suspect": "S", "label": "distilled"}, '
            '{"reference": "R", "suspect": "S", "label": "independent"}]}',
            "but case 0 labels it",
        ),
    ],
)
def test_malformed_lineage_is_one_line(tmp_path, capsys, lineage, message):
    d = _corpus(tmp_path, lineage, _world(n_controls=2, n_prompts=5))
    assert main(["bench", "--corpus", str(d)]) == 2
    err = capsys.readouterr().err
    assert message in err and "lineage.json" in err and "Traceback" not in err


def test_lineage_with_byte_order_mark_and_without_models_is_read(tmp_path, capsys):
    lin = {"cases": _lineage()["cases"]}  # no `models`: no org facts, each model its own vendor
    d = _corpus(tmp_path, lin)
    (d / "lineage.json").write_text(json.dumps(lin), encoding="utf-8-sig")
    out = _bench(capsys, d)
    assert len(out["cases"]) == 3


def test_unrunnable_cases_are_skipped_and_reported(tmp_path, capsys):
    lin = _lineage()
    lin["cases"] += [
        {"reference": "R", "suspect": "ghost", "label": "distilled"},
        {"reference": "R", "suspect": "R", "label": "independent"},
        dict(lin["cases"][1]),
    ]
    out = _bench(capsys, _corpus(tmp_path, lin))
    assert [(c["suspect"], c["label"]) for c in out["cases"]] == [
        (c["suspect"], c["label"]) for c in _lineage()["cases"]
    ]
    assert [(s["case"], s["reason"]) for s in out["skipped_cases"]] == [
        (3, "no answers for 'ghost'"),
        (4, "suspect is the reference"),
        (5, "repeats an earlier case"),
    ]
    assert main(["bench", "--corpus", str(tmp_path)]) == 0
    assert "skipped case 4" in capsys.readouterr().out


def test_bench_without_any_runnable_case_is_input_error(tmp_path, capsys):
    # Before: an IndexError from indexing an empty float array with an empty float mask.
    lin = {"cases": [{"reference": "R", "suspect": "ghost", "label": "distilled"}]}
    assert main(["bench", "--corpus", str(_corpus(tmp_path, lin))]) == 2
    assert "no answers for 'ghost'" in capsys.readouterr().err


def test_labels_other_than_distilled_and_independent_are_shown_not_scored(tmp_path, capsys):
    # Before, anything but "distilled" counted as an independent case: a "related" student
    # flagged by the detector became a false alarm in the empirical FPR.
    lin = _lineage()
    lin["cases"].append({"reference": "R", "suspect": "C2", "label": "related"})
    lin["cases"][0]["label"] = "distiled"
    out = _bench(capsys, _corpus(tmp_path, lin))
    assert out["unscored_labels"] == {"distiled": 1, "related": 1}
    assert len(out["cases"]) == 4
    assert out["tpr_at_alpha_05"] is None and out["auc"] is None  # S's case is unscored
    assert out["fpr_at_alpha_05"] == 0.0
    assert main(["bench", "--corpus", str(tmp_path), "--prompts", "10"]) == 0
    assert "not scored" in capsys.readouterr().out


def test_no_common_prompt_is_input_error(tmp_path, capsys):
    # Prompt ids that differ per model leave no prompt every model answered; before, every
    # case ran on zero prompts and printed NaN. (A control so keyed only leaves the panels:
    # test_a_control_with_few_answers_leaves_the_panel_not_the_prompts.)
    ans = _world(n_controls=10, n_prompts=30)
    ans.texts["R"] = {f"other:{p}": t for p, t in ans.texts["R"].items()}
    assert main(["bench", "--corpus", str(_corpus(tmp_path, _lineage(), ans))]) == 2
    err = capsys.readouterr().err
    assert "no prompt id is answered by all 12 models" in err and "by R (0)" in err
    # Ids that differ for every model: said as such.
    for m in ans.texts:
        ans.texts[m] = {f"{m}:{p}": t for p, t in ans.texts[m].items()}
    assert main(["bench", "--corpus", str(_corpus(tmp_path, _lineage(), ans))]) == 2
    assert "nor by any two of them" in capsys.readouterr().err


def test_a_sparse_model_outside_every_case_does_not_shrink_the_cases(tmp_path, capsys):
    # X is in no case and in no documented panel; it answered 12 of 30 prompts. Kept, it would
    # cut every case to those 12; it is left out instead, and the output says so.
    ans = _world(n_controls=10, n_prompts=30)
    ans.texts["X"] = dict(list(ans.texts["C9"].items())[:12])
    lin = {
        "cases": [{"reference": "R", "suspect": "S", "label": "distilled"}]
        + [{"reference": "R", "suspect": f"C{i}", "label": "independent"} for i in range(9)],
        "models": {"R": {"org": "Vendor"}, "S": {"org": "Lab"}},
    }
    d = _corpus(tmp_path, lin, ans)
    out = _bench(capsys, d)
    assert (out["n_prompts"], out["left_out_models"]) == (30, {"X": 12})
    assert main(["bench", "--corpus", str(d), "--prompts", "10"]) == 0
    assert "left out (in no case or panel" in " ".join(capsys.readouterr().out.split())
    # A model the cases read is never left out of the corpus: C5 in the panel still shrinks
    # the shared table to 12; the cases leave C5 out of their panels instead.
    ans.texts.pop("X")
    ans.texts["C5"] = dict(list(ans.texts["C5"].items())[:12])
    out = _bench(capsys, _corpus(tmp_path, lin, ans))
    assert (out["n_prompts"], out["left_out_models"]) == (12, {})
    assert {c["n_prompts"] for c in out["cases"] if c["suspect"] != "C5"} == {30}


def test_text_output_does_not_read_model_names_as_markup(tmp_path, capsys):
    # Before: rich.errors.MarkupError (a traceback) for a model named like a closing tag.
    lin = {"cases": [{"reference": "R", "suspect": "S[/x]", "label": "distilled"}]}
    d = _corpus(tmp_path, lin, rename={"S": "S[/x]"})
    assert main(["bench", "--corpus", str(d), "--prompts", "10"]) == 0
    assert "S[/x]" in capsys.readouterr().out


def test_ragged_corpus_says_which_models_shrink_the_common_prompts(tmp_path, capsys):
    # Every model is scored on the prompts all of them answered: one control that answered 12
    # of 30 prompts shrinks every case to 12, which the output must say (before it did not).
    ans = _world(n_controls=10, n_prompts=30)
    ans.texts["C5"] = dict(list(ans.texts["C5"].items())[:12])
    d = _corpus(tmp_path, _lineage(), ans)
    out = _bench(capsys, d)
    assert (out["n_prompts"], out["n_prompts_in_corpus"]) == (12, 30)
    assert list(out["fewest_answered"].items())[0] == ("C5", 12)
    assert main(["bench", "--corpus", str(d), "--prompts", "10"]) == 0
    assert "fewest prompts answered: C5 (12)" in capsys.readouterr().out


def _with_sparse_student(ids=None):
    """The default world plus T, a second student of R that answered the first 12 prompts
    (under `ids`' renaming, if given); T is in no panel, so only its own case reads it."""
    ans = _world(n_controls=10, n_prompts=30)
    ans.texts["T"] = {(ids(p) if ids else p): t for p, t in list(ans.texts["S"].items())[:12]}
    lin = _lineage()
    lin["cases"].append({"reference": "R", "suspect": "T", "label": "distilled"})
    return ans, lin


def test_a_sparse_model_shrinks_only_the_cases_that_read_it(tmp_path, capsys):
    # Before, every case was scored on the prompts *every* model answered: T's 12 cut the
    # other three cases from 30 prompts to 12 as well.
    ans, lin = _with_sparse_student()
    d = _corpus(tmp_path, lin, ans)
    out = _bench(capsys, d)
    got = {c["suspect"]: c["n_prompts"] for c in out["cases"]}
    assert got == {"S": 30, "C0": 30, "C1": 30, "T": 12}
    assert (out["n_prompts"], out["cases_on_own_prompts"]) == (12, 3)
    assert out["by_prompts"]["10"]["n_cases"] == 4 and out["by_prompts"]["all"]["n_cases"] == 4
    assert {c["suspect"]: c["verdict"] for c in out["cases"]}["T"] == "distilled"
    # 25 prompts: T's case has no such draw and is left out of that row only. 30: no case has
    # a draw; the row is there, empty (it used to vanish without a word).
    assert main(["bench", "--corpus", str(d), "--json", "--prompts", "25,30"]) == 0
    rows = _strict(capsys.readouterr().out)["by_prompts"]
    assert rows["25"]["n_cases"] == 3
    assert (rows["30"]["n_cases"], rows["30"]["draws"], rows["30"]["auc"]) == (0, 0, None)
    assert main(["bench", "--corpus", str(d), "--prompts", "10"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "3 case(s) are scored on the more prompts their own models answered" in text


def test_a_case_whose_models_share_no_prompt_is_skipped_not_fatal(tmp_path, capsys):
    # T's prompt ids match nobody's: before, no prompt was common to all models and the whole
    # bench stopped with an error; now only T's case is skipped, and says why.
    ans, lin = _with_sparse_student(ids=lambda p: f"other:{p}")
    out = _bench(capsys, _corpus(tmp_path, lin, ans))
    assert [c["suspect"] for c in out["cases"]] == ["S", "C0", "C1"]
    assert all(c["n_prompts"] == 30 for c in out["cases"])
    assert [(s["case"], s["reason"]) for s in out["skipped_cases"]] == [
        (
            3,
            "its reference, suspect and panel share no answered prompt ('T' shares no prompt "
            "id with any other model: are its ids written differently?)",
        )
    ]


def test_null_responses_are_unanswered_not_fatal(tmp_path, capsys):
    # Some corpora save a failed generation as "response": null. Before, the first one stopped
    # the bench (exit 2); now it is no answer, counted per model, and the coverage rule applies.
    d = _corpus(tmp_path, _lineage())
    with gzip.open(d / "responses.jsonl.gz", "rt") as fh:
        recs = [json.loads(line) for line in fh]
    for r in recs:
        if r["model"] == "C4" and r["prompt_id"] < "alpacaeval:010" or r["model"] == "C1":
            r["response"] = None
    write_records(d / "responses.jsonl.gz", recs)
    out = _bench(capsys, d)
    assert out["null_responses"] == {"C1": 30, "C4": 10}
    assert [s["reason"] for s in out["skipped_cases"]] == ["no answers for 'C1'"]
    # C4, in both panels, answered 20 of the 30 prompts: it leaves them (before: both cases
    # were scored on its 20 prompts).
    assert [c["n_prompts"] for c in out["cases"]] == [30, 30]
    assert [c["controls_left_out"] for c in out["cases"]] == [["C4"], ["C4"]]
    assert main(["bench", "--corpus", str(d), "--prompts", "10"]) == 0
    assert "null response, read as unanswered: C1 (30), C4 (10)" in capsys.readouterr().out
    assert out["empty_answers"] == {}
    for r in recs:
        r["response"] = None
    write_records(d / "responses.jsonl.gz", recs)
    assert main(["bench", "--corpus", str(d)]) == 2
    assert "no answers (every response is null)" in capsys.readouterr().err


def test_a_name_token_every_model_carries_ties_no_one(tmp_path, capsys):
    # Names such as "model-r", "model-c0": the leading token "model" of the reference tied
    # every model to its family, so no control was left and every case was inconclusive.
    (tmp_path / "plain").mkdir()
    (tmp_path / "renamed").mkdir()
    plain = _bench(capsys, _corpus(tmp_path / "plain", _lineage()))
    rename = {m: f"model-{m.lower()}" for m in _world(n_controls=10, n_prompts=30).texts}
    lin = json.loads(json.dumps(_lineage()))
    for c in lin["cases"]:
        c["reference"], c["suspect"] = rename[c["reference"]], rename[c["suspect"]]
    lin["models"] = {rename[m]: v for m, v in lin["models"].items()}
    out = _bench(capsys, _corpus(tmp_path / "renamed", lin, rename=rename))
    assert out["name_tokens_ignored"] == ["model"] and plain["name_tokens_ignored"] == []
    assert [c["p_value"] for c in out["cases"]] == [c["p_value"] for c in plain["cases"]]
    assert [c["n_controls"] for c in out["cases"]] == [c["n_controls"] for c in plain["cases"]]


def test_every_suspect_of_a_reference_is_tested_by_one_panel_rule():
    # R's documented panel is exactly five models. Before, its distilled suspect S was tested
    # against those five and each independent suspect (one of the five, so left out: four)
    # against the fallback with foils: two different scores in one ROC.
    models = ["R", "S", "h0", "h1", "h2", "h3", "h4", "x0", "x1"]
    lin = {
        "cases": [{"reference": "R", "suspect": "S", "label": "distilled"}]
        + [{"reference": "R", "suspect": f"h{i}", "label": "independent"} for i in range(5)],
        "models": {"R": {"org": "V"}},
    }
    rules = {s: case_panel(lin, models, "R", s)[2] for s in ["S"] + [f"h{i}" for i in range(5)]}
    assert len({r.split(" ")[0] for r in rules.values()}) == 1, rules
    assert rules["S"].startswith("fallback (5 documented controls")
    lin["cases"].append({"reference": "R", "suspect": "x0", "label": "independent"})
    assert {case_panel(lin, models, "R", s)[2] for s in ("S", "h0", "x0")} == {"documented"}
    assert len(case_panel(lin, models, "R", "h0")[0]) == 5


def test_models_with_many_empty_answers_are_named(tmp_path, capsys):
    # Empty answers score as no overlap; a control with many widens its panel and costs every
    # case power (measured: 30 % empty in one control took detections from 12/15 to 9/15), and
    # the bench said nothing of it.
    ans = _world(n_controls=10, n_prompts=30)
    for p in list(ans.texts["C6"])[:9]:
        ans.texts["C6"][p] = [" "]
    for p in list(ans.texts["C7"])[:5]:
        ans.texts["C7"][p] = [""]
    d = _corpus(tmp_path, _lineage(), ans)
    assert _bench(capsys, d)["empty_answers"] == {"C6": 9}  # C7: 5 of 30, under a fifth
    assert main(["bench", "--corpus", str(d), "--prompts", "10"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "empty on at least 20% of their prompts" in text and "C6 (9)" in text


def test_fewest_answered_breaks_ties_by_name_and_counts_every_short_model(tmp_path, capsys):
    # Four controls tie at 25 of 30: the three named used to be whichever came first in the
    # corpus file, and nothing said a fourth was short too.
    ans = _world(n_controls=10, n_prompts=30)
    for m in ("C9", "C4", "C7", "C2"):
        ans.texts[m] = dict(list(ans.texts.pop(m).items())[:25])  # C2 now last in file order
    d = _corpus(tmp_path, _lineage(), ans)
    out = _bench(capsys, d)
    assert (out["fewest_answered"], out["n_models_short"]) == ({"C2": 25, "C4": 25, "C7": 25}, 4)
    assert main(["bench", "--corpus", str(d), "--prompts", "10"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "fewest prompts answered: C2 (25), C4 (25), C7 (25) (4 models answered fewer" in text


def test_labels_in_other_case_or_with_spaces_are_read_as_the_label(tmp_path, capsys):
    # Before, "Distilled" / "independent " were unscored labels: no AUC, and without an
    # `independent` case the reference lost its documented panel (every case fell back).
    (tmp_path / "plain").mkdir()
    (tmp_path / "spelt").mkdir()
    plain = _bench(capsys, _corpus(tmp_path / "plain", _lineage()))
    lin = _lineage()
    for c, spelt in zip(lin["cases"], ("Distilled", " INDEPENDENT", "independent  "), strict=True):
        c["label"] = spelt
    lin["cases"].append({"reference": "R", "suspect": "S", "label": "distilled"})  # a repeat
    out = _bench(capsys, _corpus(tmp_path / "spelt", lin))
    assert out["unscored_labels"] == {}
    assert out["labels_normalised"] == {"Distilled": 1, " INDEPENDENT": 1, "independent  ": 1}
    assert [s["reason"] for s in out["skipped_cases"]] == ["repeats an earlier case"]
    for key in ("auc", "fpr_at_alpha_05", "tpr_at_alpha_05"):
        assert out[key] == plain[key]
    assert [c["p_value"] for c in out["cases"]] == [c["p_value"] for c in plain["cases"]]
    assert [c["label"] for c in out["cases"]] == ["distilled", "independent", "independent"]
    assert main(["bench", "--corpus", str(tmp_path / "spelt"), "--prompts", "10"]) == 0
    assert "labels read as 'distilled' / 'independent'" in capsys.readouterr().out


def test_a_case_naming_a_model_in_another_spelling_says_which(tmp_path, capsys):
    # Before: "no answers for 'r'", with R's answers in the file; names still match exactly
    # (two models may differ only in case), the skip reason names the spelling found.
    lin = _lineage()
    lin["cases"] += [
        {"reference": "r", "suspect": "C2", "label": "independent"},
        {"reference": "R", "suspect": "C3 ", "label": "independent"},
        {"reference": "R", "suspect": "Ce\u0301", "label": "independent"},
    ]
    ans = _world(n_controls=10, n_prompts=30)
    out = _bench(capsys, _corpus(tmp_path, lin, ans, rename={"C4": "C\u00e9"}))
    assert [s["reason"] for s in out["skipped_cases"]] == [
        "no answers for 'r' (the responses have 'R': names must match exactly; these differ "
        "in case)",
        "no answers for 'C3 ' (the responses have 'C3': names must match exactly; these differ "
        "in spaces)",
        "no answers for 'Ce\u0301' (the responses have 'C\u00e9': names must match exactly; "
        "these differ in Unicode form)",
    ]
    assert len(out["cases"]) == 3


def test_org_is_compared_without_case_or_spaces_and_empty_is_none():
    # Before: "OpenAI" and "openai " were two vendors (each reference the other's foil and a
    # control of its panel), and an empty org tied every reference with one into one vendor
    # for foils while family_of read it as none.
    from harness.lineage import family_of, tied_models

    lin = {
        "cases": [
            {"reference": "R1", "suspect": "S", "label": "distilled"},
            {"reference": "R2", "suspect": "C0", "label": "independent"},
            {"reference": "Q", "suspect": "C1", "label": "independent"},
            {"reference": "E1", "suspect": "C2", "label": "independent"},
            {"reference": "E2", "suspect": "C3", "label": "independent"},
        ],
        "models": {
            "R1": {"org": "OpenAI"},
            "R2": {"org": " openai  "},
            "Q": {"org": "Other"},
            "E1": {"org": ""},
            "E2": {"org": ""},
        },
    }
    models = ["R1", "R2", "Q", "E1", "E2", "S", "C0", "C1", "C2", "C3"]
    assert family_of(lin, "R1") == {"R1", "R2"}
    assert foils_for(lin, models, "R1", "S") == ["E1", "E2", "Q"]
    assert "R2" in tied_models(lin, models, "R1")
    assert family_of(lin, "E1") == {"E1"}
    assert foils_for(lin, models, "E1", "C2") == ["E2", "Q", "R1", "R2"]


def test_facts_for_a_model_named_nowhere_are_reported(tmp_path, capsys):
    # Before: facts under "r" (the responses and cases say "R") were silently not read, so R
    # had no org and every rule treated it as a vendor of its own.
    lin = _lineage()
    lin["models"] = {"r": {"org": "Vendor"}, "S": {"org": "Lab"}, "ghost": {"org": "X"}}
    out = _bench(capsys, _corpus(tmp_path, lin))
    assert out["facts_for_unknown_models"] == ["r", "ghost"]
    assert (
        out["facts_hint"]
        == "the responses have 'R': names must match exactly; these differ in case"
    )
    assert main(["bench", "--corpus", str(tmp_path), "--prompts", "10"]) == 0
    assert "facts not read" in capsys.readouterr().out
    lin["cases"].append({"reference": "R", "suspect": "ghost", "label": "independent"})
    assert _bench(capsys, _corpus(tmp_path, lin))["facts_for_unknown_models"] == ["r"]


def test_panel_rules_tokenise_each_model_name_once(monkeypatch):
    # Every panel asked every model's name tokens afresh: on 240 models and 224 cases that was
    # 3 million regex splits, most of the bench's 39 s (11 s with each name split once).
    import harness.lineage as lineage_mod

    getattr(lineage_mod.name_tokens, "cache_clear", lambda: None)()
    calls = []
    split = lineage_mod.re.split
    monkeypatch.setattr(lineage_mod.re, "split", lambda *a: calls.append(a) or split(*a))
    models = [f"{k}-model-{i}" for k in ("alpha", "beta", "gamma") for i in range(20)]
    lin = {
        "cases": [
            {"reference": r, "suspect": s, "label": "independent"}
            for r in models[:3]
            for s in models[3:]
        ],
        "models": {},
    }
    for ref in models[:3]:
        for sus in models[3:]:
            case_panel(lin, models, ref, sus)
    assert len(calls) <= len(models)


def test_a_control_with_few_answers_leaves_the_panel_not_the_prompts(tmp_path, capsys):
    # Before: C9, in every panel, answered one prompt, so every case was scored on that one
    # prompt: all inconclusive, AUC null. Now C9 leaves the panels, and the cases read what
    # they would read without C9 in the corpus.
    ans = _world(n_controls=10, n_prompts=30)
    without = ans.restrict([m for m in ans.models if m != "C9"])
    ans.texts["C9"] = dict(list(ans.texts["C9"].items())[:1])
    (tmp_path / "sparse").mkdir()
    (tmp_path / "without").mkdir()
    out = _bench(capsys, _corpus(tmp_path / "sparse", _lineage(), ans))
    ref = _bench(capsys, _corpus(tmp_path / "without", _lineage(), without))
    assert [c["n_prompts"] for c in out["cases"]] == [30] * 3
    assert [c["controls_left_out"] for c in out["cases"]] == [["C9"]] * 3
    assert [c["p_value"] for c in out["cases"]] == [c["p_value"] for c in ref["cases"]]
    assert out["auc"] == ref["auc"] == 1.0
    assert "too few answers left out" in out["cases"][0]["panel_rule_used"]
    assert out["controls_left_out"] == {"C9": 3}
    assert main(["bench", "--corpus", str(tmp_path / "sparse"), "--prompts", "10"]) == 0
    assert "controls left out of a case's panel" in capsys.readouterr().out


def test_a_model_whose_prompt_ids_no_other_model_has_is_named(tmp_path, capsys):
    # C1's ids carry a suffix: its case cannot run. Before, the reason only said that its
    # models "share no answered prompt", and the console named three arbitrary models as
    # answering fewest (every model answered half of the corpus's ids).
    ans = _world(n_controls=10, n_prompts=30)
    ans.texts["C1"] = {f"{p} ": t for p, t in ans.texts["C1"].items()}
    out = _bench(capsys, _corpus(tmp_path, _lineage(), ans))
    assert [s["reason"] for s in out["skipped_cases"]] == [
        "its reference, suspect and panel share no answered prompt ('C1' shares no prompt id "
        "with any other model: are its ids written differently?)"
    ]
    assert out["models_sharing_no_prompt"] == ["C1"]
    assert len(out["cases"]) == 2
    assert main(["bench", "--corpus", str(tmp_path), "--prompts", "10"]) == 0
    assert "no other model answered any prompt id of: C1" in capsys.readouterr().out


def test_a_plain_responses_file_beside_the_compressed_one_is_said_not_read(tmp_path, capsys):
    # Before: responses.jsonl.gz was read and a responses.jsonl beside it silently ignored.
    d = _corpus(tmp_path, _lineage())
    assert _bench(capsys, d)["responses_not_read"] is None
    (d / "responses.jsonl").write_text("")
    out = _bench(capsys, d)
    assert (out["responses_read"], out["responses_not_read"]) == (
        "responses.jsonl.gz",
        "responses.jsonl",
    )
    assert main(["bench", "--corpus", str(d), "--prompts", "10"]) == 0
    assert "responses.jsonl beside it is not read" in capsys.readouterr().out


def test_lineage_saved_as_utf16_with_its_byte_order_mark_is_read(tmp_path, capsys):
    # What Windows PowerShell's `>` writes; before: "lineage.json: not UTF-8 text", exit 2.
    d = _corpus(tmp_path, _lineage())
    (d / "lineage.json").write_text(json.dumps(_lineage()), encoding="utf-16")
    assert len(_bench(capsys, d)["cases"]) == 3
    (d / "lineage.json").write_bytes(b"\xff\xfe{\x00\xff")  # damaged: one line, no traceback
    assert main(["bench", "--corpus", str(d)]) == 2
    assert "lineage.json: not UTF-8 (or UTF-16) text" in capsys.readouterr().err
