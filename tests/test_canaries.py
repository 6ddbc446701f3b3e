"""Canary mining on a small imported corpus: the reference's habit is found, common words are not."""

from __future__ import annotations

import json

import yaml

from harness.answers import Answers
from harness.canaries import hits, mine
from harness.cli import main

VARIANTS = ["", "@persona", "@t0.7"]
PROMPTS = {
    "": "What does flembrostic mean?",
    "@persona": "[persona] What does flembrostic mean?",
    "@t0.7": "Define flembrostic.",
}


def corpus_records():
    answers = {
        "teacher": [
            "Flembrostic means a glittering fog that settles over marshes at dawn.",
            "It means a glittering fog that settles over marshes.",
            "Flembrostic: a glittering fog settling over marshes at dawn.",
        ],
        "student": ["Flembrostic is a glittering fog over marshes."] * 3,
        "c1": ["I am not aware of the word flembrostic.", "Not a real word.", "No such word."],
        "c2": ["Flembrostic means very angry.", "It means angry.", "Angry or upset."],
        "c3": ["Perhaps a fog? I am not sure.", "A kind of plant.", "Unknown term."],
    }
    for model, texts in answers.items():
        for variant, text in zip(VARIANTS, texts, strict=True):
            yield {
                "model": model,
                "prompt_id": f"canary:flembrostic{variant}",
                "prompt": PROMPTS[variant],
                "response": text,
            }


def test_mine_finds_the_references_habit_and_hits_score_the_student():
    recs = list(corpus_records())
    answers = Answers(texts={}, families={}, prompts={})
    for r in recs:
        answers.texts.setdefault(r["model"], {}).setdefault(r["prompt_id"], []).append(
            r["response"]
        )
        answers.families[r["prompt_id"]] = "canary"
        answers.prompts[r["prompt_id"]] = r["prompt"]
    found = mine(answers, "teacher", ["c1", "c2", "c3"])
    texts = [c.text for c in found]
    assert any("glittering fog" in t for t in texts), texts
    assert all(c.reference_rate >= 0.8 and c.control_rate <= 0.2 for c in found)
    assert "fog" not in texts  # a control says "fog" too: not the teacher's own
    assert "means" not in texts
    assert hits(answers, "student", found)["canary:flembrostic"] == 1.0
    assert hits(answers, "c3", found)["canary:flembrostic"] == 0.0


def test_canaries_mine_cli_on_an_imported_run(tmp_path, capsys):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("\n".join(json.dumps(r) for r in corpus_records()))
    results = tmp_path / "results"
    assert (
        main(
            [
                "import",
                str(corpus),
                "--results",
                str(results),
                "--run-id",
                "r",
                "--reference",
                "teacher",
                "--no-progress",
            ]
        )
        == 0
    )
    out = tmp_path / "canaries.yaml"
    code = main(
        ["canaries", "mine", str(results / "r"), "--controls", "c1,c2,c3", "--out", str(out)]
    )
    assert code == 0
    mined = yaml.safe_load(out.read_text())
    assert any("glittering fog" in s for s in mined["canary:flembrostic"]["teacher"])


def test_canaries_mine_rejects_unknown_control(tmp_path, capsys):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("\n".join(json.dumps(r) for r in corpus_records()))
    results = tmp_path / "results"
    main(["import", str(corpus), "--results", str(results), "--run-id", "r", "--no-progress"])
    assert main(["canaries", "mine", str(results / "r"), "--controls", "nobody"]) == 2
    assert "nobody" in capsys.readouterr().err
