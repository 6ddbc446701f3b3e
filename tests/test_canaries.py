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


def _imported(tmp_path, *roles: str):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("\n".join(json.dumps(r) for r in corpus_records()))
    argv = ["import", str(corpus), "--results", str(tmp_path / "results"), "--run-id", "r"]
    assert main([*argv, "--reference", "teacher", *roles, "--no-progress"]) == 0
    return str(tmp_path / "results" / "r")


def test_canaries_are_mined_against_the_runs_controls_not_its_suspects(tmp_path, capsys):
    run = _imported(tmp_path, "--suspects", "student", "--controls", "c1,c2,c3")
    out = tmp_path / "canaries.yaml"
    assert main(["canaries", "mine", run, "--out", str(out)]) == 0
    assert "against 3 controls (c1, c2, c3)" in " ".join(capsys.readouterr().out.split())
    # Had the student been a control, the teacher's own phrase would look common.
    assert any(
        "glittering fog" in s
        for s in yaml.safe_load(out.read_text())["canary:flembrostic"]["teacher"]
    )


def test_canaries_need_several_reference_samples_and_say_why_none_were_found(tmp_path, capsys):
    run = _imported(tmp_path, "--suspects", "student", "--controls", "c1,c2,c3")
    capsys.readouterr()
    assert main(["canaries", "mine", run, "--min-samples", "4"]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert "no canary found: teacher answered 1 probe(s) of canary, random, identity" in said
    assert "0 with >= 4 samples" in said


def test_canaries_refuse_families_the_run_does_not_hold(tmp_path, capsys):
    run = _imported(tmp_path, "--suspects", "student", "--controls", "c1,c2,c3")
    assert main(["canaries", "mine", run, "--families", "nosuch"]) == 2
    assert "no probe of nosuch in this run (its families: canary)" in capsys.readouterr().err


def test_canaries_refuse_any_named_family_the_run_does_not_hold(tmp_path, capsys):
    """A named family must be the run's (a typo used to mine the rest silently); the default
    (canary, random, identity) still mines a run that holds only some of them."""
    run = _imported(tmp_path, "--suspects", "student", "--controls", "c1,c2,c3")
    capsys.readouterr()
    assert main(["canaries", "mine", run, "--families", "canary,identiy"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: --families: no probe of identiy in this run (its families: canary)"
    assert main(["canaries", "mine", run, "--families", "canary"]) == 0
    assert main(["canaries", "mine", run]) == 0
    assert "glittering fog" in capsys.readouterr().out
