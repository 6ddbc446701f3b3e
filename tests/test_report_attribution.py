"""Attribution in a run: `candidates` names other possible teachers, every report says which.

The run comes from `fingerprint import` of a corpus written here (two teachers, a student of
each, eight independent controls), so the real pipeline, store, detector and renderers are used.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import asdict
from html import escape
from pathlib import Path

import pytest

from harness.cli import main
from harness.config import config_from_dict
from harness.errors import InputError

CONTROLS = [f"c{i}" for i in range(8)]


def _write_corpus(path: Path, n_prompts: int = 30, seed: int = 0) -> Path:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(400)]
    with path.open("w", encoding="utf-8") as f:
        for i in range(n_prompts):
            own = {t: [rng.choice(vocab) for _ in range(40)] for t in ("alpha", "beta")}
            texts = {"alpha": own["alpha"], "beta": own["beta"]}
            for teacher, pupil in (("alpha", "alpha-pupil"), ("beta", "beta-pupil")):
                texts[pupil] = [
                    w if rng.random() < 0.7 else rng.choice(vocab) for w in own[teacher]
                ]
            texts |= {c: [rng.choice(vocab) for _ in range(40)] for c in CONTROLS}
            for model, words in texts.items():
                rec = {"model": model, "prompt_id": f"p{i:02d}", "prompt": f"Q{i}?"}
                f.write(json.dumps(rec | {"response": " ".join(words)}) + "\n")
    return path


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("attr")
    corpus = _write_corpus(tmp / "two-teachers.jsonl")
    argv = ["import", str(corpus), "--reference", "alpha", "--candidates", "beta"]
    argv += ["--suspects", "alpha-pupil,beta-pupil", "--controls", ",".join(CONTROLS)]
    argv += ["--results", str(tmp / "results"), "--run-id", "attr", "--no-progress"]
    assert main(argv) == 0
    run = tmp / "results" / "attr"
    assert main(["report", str(run), "--quiet"]) == 0
    return run


def test_each_suspect_is_attributed_to_its_own_teacher(run_dir: Path) -> None:
    data = json.loads((run_dir / "report.json").read_text())
    att = data["attribution"]
    assert att["candidates"] == ["alpha", "beta"]
    got = {a["suspect"]: a for a in att["suspects"]}
    assert got["alpha-pupil"]["teacher"] == "alpha"
    assert got["beta-pupil"]["teacher"] == "beta"  # the reference's verdict alone cannot say this
    assert got["beta-pupil"]["p_values"]["beta"] < 0.05 < got["beta-pupil"]["p_values"]["alpha"]
    assert data["similarity"]["roles"]["beta"] == "candidate"
    # Attribution v7: scored on the wording; the standing still shows every scored feature.
    assert got["alpha-pupil"]["scored_on"] == ["char4", "word2"]
    assert "layout" in got["alpha-pupil"]["features"]["alpha"]
    outcomes = {r["suspect"]: r["outcome"] for r in data["summary"]}
    assert outcomes == {"alpha-pupil": "distilled", "beta-pupil": "not distilled"}


def test_markdown_html_and_console_show_the_attribution(run_dir: Path, capsys) -> None:
    md = (run_dir / "report.md").read_text()
    html = (run_dir / "report.html").read_text()
    assert "## Which candidate taught it?" in md and "| beta-pupil | beta | beta |" in md
    assert "<h2 id='attribution'>" in html and "<td>beta-pupil</td><td>beta</td>" in html
    assert main(["report", str(run_dir), "--format", "json", "--out", str(run_dir / "x")]) == 0
    out = capsys.readouterr().out
    assert "Which candidate taught it?" in out and "beta-pupil" in out


def test_a_run_without_candidates_has_no_attribution(tmp_path: Path) -> None:
    corpus = _write_corpus(tmp_path / "c.jsonl", n_prompts=8)
    argv = ["import", str(corpus), "--reference", "alpha", "--controls", ",".join(CONTROLS)]
    argv += ["--results", str(tmp_path / "r"), "--run-id", "plain", "--no-progress"]
    assert main(argv) == 0
    assert main(["report", str(tmp_path / "r" / "plain"), "--format", "json", "--quiet"]) == 0
    data = json.loads((tmp_path / "r" / "plain" / "report.json").read_text())
    assert data["attribution"] is None
    assert "beta" in data["suspects"]  # without --candidates every other model is a suspect


def _config(**roles) -> dict:
    names = ["r", "s", "c", "t"]
    url = "http://127.0.0.1:9/v1"  # never called: only the config is parsed
    eps = {n: {"kind": "openai-chat", "base_url": url, "model": n} for n in names}
    return {"reference": "r", "endpoints": eps, **roles}


@pytest.mark.parametrize(
    "roles, expect",
    [
        ({"candidates": ["nobody"]}, "candidates: 'nobody' is not an endpoint"),
        ({"controls": ["c", "t"], "candidates": ["t"]}, "'t' is already the reference, a suspect"),
        ({"suspects": ["s", "t"], "candidates": ["t"]}, "'t' is already the reference, a suspect"),
        ({"candidates": ["r"]}, "'r' is already the reference"),
    ],
)
def test_candidates_must_be_other_models(roles: dict, expect: str) -> None:
    with pytest.raises(InputError, match=expect):
        config_from_dict(_config(**roles), "run.yaml")


def test_candidates_are_not_default_suspects_and_keep_old_fingerprints() -> None:
    cfg = config_from_dict(_config(controls=["c"], candidates=["t"]), "run.yaml")
    assert cfg.suspects == ("s",) and cfg.candidates == ("t",)
    plain = config_from_dict(_config(controls=["c"]), "run.yaml")
    assert plain.candidates == () and plain.suspects == ("s", "t")
    # Runs without candidates keep the fingerprint they had before candidates existed (the
    # formula of 0a614aa), so their stored answers and run directories stay theirs.
    before = {
        "endpoints": {n: e.identity for n, e in sorted(plain.endpoints.items())},
        "roles": [plain.reference, list(plain.suspects), list(plain.controls)],
        "probes": asdict(plain.probes),
        "suites": {},
        "seed": plain.seed,
        "logprobs": plain.logprobs,
    }
    digest = hashlib.sha256(json.dumps(before, sort_keys=True).encode()).hexdigest()
    assert plain.fingerprint({}) == digest != cfg.fingerprint({})


def test_import_refuses_a_candidate_that_is_a_control(tmp_path: Path, capsys) -> None:
    corpus = _write_corpus(tmp_path / "c.jsonl", n_prompts=4)
    argv = ["import", str(corpus), "--reference", "alpha", "--controls", "c0,c1,beta"]
    argv += ["--candidates", "beta", "--results", str(tmp_path / "r"), "--no-progress"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "'beta' is already the reference, a suspect or a control" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "r").exists()
    argv = ["import", str(corpus), "--candidates", "gamma", "--results", str(tmp_path / "r")]
    assert main([*argv, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "no model 'gamma' in this corpus" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_check_json_carries_the_attribution_without_changing_the_exit(tmp_path: Path) -> None:
    """A scheduled check with candidates: the exit code still says only "flagged against the
    reference" (100: alpha-pupil), and check.json says who taught each watched model."""
    import yaml

    corpus = str(_write_corpus(tmp_path / "c.jsonl"))
    models = ["alpha", "beta", "alpha-pupil", "beta-pupil", *CONTROLS]
    raw = {
        "reference": "alpha",
        "candidates": ["beta"],
        "watchlist": ["alpha-pupil", "beta-pupil"],
        "controls": CONTROLS,
        "endpoints": {m: {"kind": "replay", "base_url": corpus, "model": m} for m in models},
        "probes": {"corpus": corpus},
        "output": "out",
        "reports": ["json"],
    }
    cfg = tmp_path / "check.yaml"
    cfg.write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert main(["check", str(cfg)]) == 100
    data = json.loads((tmp_path / "out" / "check.json").read_text())
    assert data["flagged"] == ["alpha-pupil"]
    taught = {a["suspect"]: a["teacher"] for a in data["attribution"]["suspects"]}
    assert taught == {"alpha-pupil": "alpha", "beta-pupil": "beta"}


def test_reports_say_why_a_suspect_was_not_attributed(tmp_path: Path, capsys) -> None:
    """Three controls are too few for a model-level test: every report says "not tested" and
    why, instead of an empty or silent row."""
    corpus = _write_corpus(tmp_path / "c.jsonl", n_prompts=8)
    argv = ["import", str(corpus), "--reference", "alpha", "--candidates", "beta"]
    argv += ["--suspects", "beta-pupil", "--controls", "c0,c1,c2"]
    argv += ["--results", str(tmp_path / "r"), "--run-id", "few", "--no-progress"]
    assert main(argv) == 0
    run = tmp_path / "r" / "few"
    capsys.readouterr()
    assert main(["report", str(run), "--format", "md,html,json"]) == 0
    out = capsys.readouterr().out
    (a,) = json.loads((run / "report.json").read_text())["attribution"]["suspects"]
    assert a["teacher"] is None and a["leading"] is None and a["notes"] == ["needs >= 5 controls"]
    assert "| beta-pupil | not tested |" in (run / "report.md").read_text()
    assert "- beta-pupil: needs &gt;= 5 controls" in (run / "report.md").read_text()
    assert "beta-pupil: needs &gt;= 5 controls" in (run / "report.html").read_text()
    assert "beta-pupil: needs >= 5 controls" in out


def test_reports_show_which_features_carry_the_verdict_and_point_to_a_candidate(
    run_dir: Path, capsys
) -> None:
    data = json.loads((run_dir / "report.json").read_text())
    rows = {r["suspect"]: r for r in data["summary"]}
    # alpha-pupil copies the reference's words: it stands far out on both lexical features;
    # beta-pupil copies another teacher and stands among the controls.
    copier, other = rows["alpha-pupil"]["features"], rows["beta-pupil"]["features"]
    assert copier["char4"] > 3 and copier["word2"] > 3
    assert abs(other["char4"]) < 2 and other["char4"] < copier["char4"]
    att = {a["suspect"]: a["features"] for a in data["attribution"]["suspects"]}
    assert set(att["beta-pupil"]) == {"alpha", "beta"}
    assert att["beta-pupil"]["beta"]["char4"] > 3 > att["beta-pupil"]["alpha"]["char4"]
    md = (run_dir / "report.md").read_text()
    html = (run_dir / "report.html").read_text()
    line = f"feature standing (suspect vs controls, in the controls' sds): char4 {copier['char4']:+.1f}"
    assert line in md and escape(line, quote=True) in html
    assert "- beta-pupil: alpha: char4" in md
    assert main(["report", str(run_dir), "--format", "json", "--out", str(run_dir / "y")]) == 0
    assert "feature standing" in capsys.readouterr().out
