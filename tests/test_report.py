"""Reports rebuilt from a run directory alone: formats, escaping, schema, agreement.

The run directory comes from `fingerprint import` of a small corpus written here, so the
reports are built by the real pipeline, store and detector, not from a hand-made Analysis.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from harness.cli import main

XSS = "<script>alert(1)</script>"
IMG = '<img src="http://127.0.0.1:9/x.png" onerror="alert(2)">'
ODD_CONTROL = "ctrl<i>6</i>|x"


def write_corpus(path: Path, n_prompts: int = 24, seed: int = 0) -> Path:
    """A reference, a student that copies it with noise, and six independent controls."""
    rng = random.Random(seed)
    words = ["the", "of", "model", "answer", "data", "train", "quick", "brown", "fox"]
    words += ["jumps", "lazy", "dog", "water", "fire", "earth", "air", "light", "dark", "river"]
    models = ["ref", "student", "c1", "c2", "c3", "c4", "c5", ODD_CONTROL]
    with path.open("w", encoding="utf-8") as f:
        for i in range(n_prompts):
            base = " ".join(rng.choice(words) for _ in range(40))
            for m in models:
                if m == "ref":
                    text = base
                elif m == "student":
                    text = " ".join(
                        w if rng.random() < 0.8 else rng.choice(words) for w in base.split()
                    )
                else:
                    text = " ".join(rng.choice(words) for _ in range(40))
                if i == 0 and m in ("ref", "student"):
                    # Copied markup: the most telling probe, so it is shown side by side.
                    text = f"{XSS} {IMG} a | pipe\nand a newline {base} " + "long " * 300
                rec = {
                    "model": m,
                    "prompt_id": f"p{i:02d}",
                    "prompt": f"Prompt <b>{i}</b> | what?",
                    "response": text,
                }
                f.write(json.dumps(rec) + "\n")
    return path


def make_run(tmp: Path) -> Path:
    """Import the corpus into tmp/results/tiny via the real CLI; returns the run directory."""
    corpus = write_corpus(tmp / "tiny.jsonl")
    code = main(
        [
            "import",
            str(corpus),
            "--reference",
            "ref",
            "--suspects",
            "student",
            "--controls",
            f"c1,c2,c3,c4,c5,{ODD_CONTROL}",
            "--results",
            str(tmp / "results"),
            "--run-id",
            "tiny",
            "--no-progress",
        ]
    )
    assert code == 0
    return tmp / "results" / "tiny"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = make_run(tmp_path_factory.mktemp("report"))
    assert main(["report", str(run), "--quiet"]) == 0
    return run


def test_report_writes_three_formats_and_plots(run_dir: Path) -> None:
    for name in ("report.html", "report.md", "report.json"):
        assert (run_dir / name).stat().st_size > 1000, name
    svgs = sorted(p.name for p in (run_dir / "plots").glob("*.svg"))
    assert {"similarity.svg", "effects.svg", "map.svg"} <= set(svgs)
    md = (run_dir / "report.md").read_text()
    for svg in svgs:
        assert f"](plots/{svg})" in md


def test_format_option_selects_and_rejects(tmp_path: Path, run_dir: Path) -> None:
    out = tmp_path / "only-md"
    assert main(["report", str(run_dir), "--format", "md", "--out", str(out), "--quiet"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["plots", "report.md"]
    assert main(["report", str(run_dir), "--format", "pdf", "--quiet"]) == 2
    assert main(["report", str(tmp_path / "nope"), "--quiet"]) == 2


def test_every_format_states_the_significance_level_it_decided_at(
    tmp_path: Path, run_dir: Path, capsys
) -> None:
    out = tmp_path / "strict"
    assert main(["report", str(run_dir), "--alpha", "0.001", "--out", str(out)]) == 0
    data = json.loads((out / "report.json").read_text())
    assert data["alpha"] == 0.001 and data["summary"][0]["alpha"] == 0.001
    rule = "distilled when p < α = 0.001"
    assert data["decision_rule"].startswith(rule)
    escaped = rule.replace("<", "&lt;")  # both renderers escape markup characters
    assert escaped in (out / "report.md").read_text()
    assert escaped in (out / "report.html").read_text()
    assert rule in " ".join(capsys.readouterr().out.split())


def test_sequential_reports_show_where_each_verdict_settled(tmp_path: Path, run_dir: Path) -> None:
    out = tmp_path / "seq"
    assert main(["report", str(run_dir), "--sequential", "--out", str(out), "--quiet"]) == 0
    data = json.loads((out / "report.json").read_text())
    looks = data["sequential"]["student"]
    assert looks and looks[0]["probes"] == 10 and looks == sorted(looks, key=lambda x: x["probes"])
    (row,) = data["summary"]
    assert row["n_probes"] == looks[-1]["probes"]
    assert any(n.startswith("sequential:") for n in row["notes"])
    assert (out / "plots" / "sequential-student.svg").exists()
    assert main(["report", str(run_dir), "--out", str(tmp_path / "plain"), "--quiet"]) == 0
    assert json.loads((tmp_path / "plain" / "report.json").read_text())["sequential"] == {}


def test_json_schema_holds_what_html_shows(run_dir: Path) -> None:
    data = json.loads((run_dir / "report.json").read_text())
    assert data["schema_version"] == "2.6"
    (row,) = data["summary"]
    assert row["suspect"] == "student" and row["outcome"] == "distilled"
    assert row["sim_reference"] > row["controls_sim"]
    assert len(data["similarity"]["matrix"]) == len(data["similarity"]["models"]) == 8
    assert {p["model"] for p in data["map"]["points"]} == set(data["similarity"]["models"])
    ev = data["evidence"][0]
    assert ev["control_shown"] in data["controls"]["student"]
    first = next(p for p in ev["probes"] if p["prompt_id"] == "p00")
    assert first["answers"]["suspect"].startswith(XSS)  # full text, unescaped, in JSON
    assert data["run"]["totals"]["requests"] == 8 * 24
    assert data["run"]["suites"][0]["hash"]
    assert data["run"]["live"] is False  # a finished run: no process runs it
    html = (run_dir / "report.html").read_text()
    for value in (row["suspect"], f"{row['sim_reference']:.3f}", ev["control_shown"][:4]):
        assert value in html


def test_html_escapes_every_data_string(run_dir: Path) -> None:
    html = (run_dir / "report.html").read_text()
    assert "<script" not in html.lower()
    assert "onerror=" not in html.replace("onerror=&quot;", "")  # only escaped forms
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "ctrl&lt;i&gt;6&lt;/i&gt;" in html and "ctrl<i>6" not in html
    assert "Prompt &lt;b&gt;0&lt;/b&gt;" in html
    assert re.search(r"\[truncated: first 700 of \d+ characters\]", html) and "<details>" in html
    urls = set(re.findall(r"https?://[^\s\x27\"<>&]+", html))
    assert urls <= {"http://www.w3.org/2000/svg", "http://127.0.0.1:9/x.png"}, urls


def test_markdown_cells_cannot_break_tables(run_dir: Path) -> None:
    md = (run_dir / "report.md").read_text()
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "ctrl&lt;i&gt;6&lt;/i&gt;\\|x" in md
    for line in md.splitlines():
        if line.startswith("| p00"):
            cells = re.split(r"(?<!\\)\|", line)[1:-1]
            assert len(cells) == 6, line
            assert "truncated:" in line
            break
    else:
        pytest.fail("no evidence row for p00 in report.md")


def test_report_needs_no_network_and_matches_run(run_dir: Path, tmp_path: Path) -> None:
    """Rebuilding twice gives the same verdict data (only the timestamp differs)."""
    out = tmp_path / "again"
    assert main(["report", str(run_dir), "--format", "json", "--out", str(out), "--quiet"]) == 0
    a = json.loads((run_dir / "report.json").read_text())
    b = json.loads((out / "report.json").read_text())
    for d in (a, b):
        d.pop("generated_at")
    assert a == b


def test_report_number_formatting_is_shared():
    from harness.report.fmt import fmt_p, summary_numbers

    assert fmt_p(None) == fmt_p(float("nan")) == "—"
    assert fmt_p(0.0364) == "0.036" and fmt_p(2.8e-9) == "2.8e-09"
    row = {
        "p_value": 0.012,
        "sim_reference": 0.1925,
        "controls_sim": 0.15,
        "margin": 0.0425,
        "effect": 0.04,
        "effect_ci": (0.03, None),
    }
    assert summary_numbers(row) == ["0.012", "0.193", "0.150", "+0.043", "+0.040 [+0.030, —]"]
