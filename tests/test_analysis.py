"""From a run directory to verdicts: what one model's gaps or empty answers do to the others.

The run is a `fingerprint import` of a corpus written here (a teacher, its student, eight
independent controls, and suspects with gaps or empty answers), so the real pipeline, store
and detector are used.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from harness.analysis import analyse
from harness.answers import Answers
from harness.cli import main
from harness.detector import detect
from harness.manifest import RunDir

CONTROLS = [f"c{i}" for i in range(8)]
N_PROMPTS = 30


def _words(rng: random.Random, n: int = 40) -> list[str]:
    return [f"w{rng.randrange(400)}" for _ in range(n)]


def _write_corpus(path: Path) -> Path:
    rng = random.Random(0)
    with path.open("w", encoding="utf-8") as f:
        for i in range(N_PROMPTS):
            ref = _words(rng)
            texts = {
                "ref": ref,
                "pupil": [w if rng.random() < 0.7 else f"w{rng.randrange(400)}" for w in ref],
            }
            if i < 5:  # an independent model that answered only the first five prompts
                texts["gappy"] = _words(rng)
            texts |= {c: _words(rng) for c in CONTROLS}
            for model, words in texts.items():
                rec = {"model": model, "prompt_id": f"p{i:02d}", "prompt": f"Q{i}?"}
                f.write(json.dumps(rec | {"response": " ".join(words)}) + "\n")
    return path


@pytest.fixture(scope="module")
def analysis(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("analysis")
    corpus = _write_corpus(tmp / "gaps.jsonl")
    argv = ["import", str(corpus), "--reference", "ref", "--suspects", "pupil,gappy"]
    argv += ["--controls", ",".join(CONTROLS), "--results", str(tmp / "results")]
    assert main([*argv, "--run-id", "gaps", "--no-progress"]) == 0
    return analyse(RunDir(tmp / "results" / "gaps"))


def test_one_suspects_gaps_do_not_shrink_another_suspects_evidence(analysis) -> None:
    got = {v.suspect: v for v in analysis.verdicts}
    assert got["pupil"].n_probes == N_PROMPTS
    assert got["pupil"].outcome == "distilled"
    assert not any("judged on" in n for n in got["pupil"].notes)
    assert got["gappy"].n_probes == 5
    note = next(n for n in got["gappy"].notes if "judged on" in n)
    assert f"5 of the reference's {N_PROMPTS} probes" in note and "gappy (5)" in note


def _answers(empty: set[int]) -> Answers:
    """Ten models answering 30 prompts with random words; `mute` answers blank on `empty`."""
    rng = random.Random(1)
    texts: dict[str, dict[str, list[str]]] = {m: {} for m in ["ref", "mute", *CONTROLS]}
    for i in range(N_PROMPTS):
        for m in texts:
            texts[m][f"p{i}"] = [" ".join(_words(rng))]
        if i in empty:
            texts["mute"][f"p{i}"] = [" \n "]
    return Answers(texts=texts)


def test_a_suspect_that_only_returns_empty_answers_is_not_cleared() -> None:
    (v,) = detect(_answers(set(range(N_PROMPTS))), "ref", ["mute"], CONTROLS)
    assert v.outcome == "inconclusive"
    assert any("every answer of mute is empty" in n for n in v.notes)


def test_a_suspect_with_many_empty_answers_is_judged_with_a_note() -> None:
    (v,) = detect(_answers(set(range(0, N_PROMPTS, 2))), "ref", ["mute"], CONTROLS)
    assert v.outcome == "not distilled"
    assert any(f"15 of {N_PROMPTS} answers of mute are empty" in n for n in v.notes)
    (v,) = detect(_answers({0}), "ref", ["mute"], CONTROLS)
    assert not any("empty" in n for n in v.notes)


def test_a_run_without_controls_says_its_panel_is_the_other_suspects(tmp_path: Path) -> None:
    corpus = _write_corpus(tmp_path / "gaps.jsonl")
    argv = ["import", str(corpus), "--reference", "ref", "--suspects", ",".join(CONTROLS)]
    assert main([*argv, "--results", str(tmp_path), "--run-id", "nc", "--no-progress"]) == 0
    verdicts = analyse(RunDir(tmp_path / "nc")).verdicts
    assert len(verdicts) == len(CONTROLS)
    for v in verdicts:
        assert v.n_controls == len(CONTROLS) - 1
        assert any("the controls are the other suspects" in n for n in v.notes)


def test_a_probe_where_the_controls_agree_exactly_gets_a_readable_z() -> None:
    # On p0 every control gives the same answer (spread 0): z used to divide by 1e-3 and read
    # about +1000 in every report; it now divides by at least a fifth of the typical spread.
    ans = _answers(set())
    ans.texts["mute"]["p0"] = list(ans.texts["ref"]["p0"])  # the suspect copies the reference
    for c in CONTROLS:
        ans.texts[c]["p0"] = ["the same words from every control model"]
    (v,) = detect(ans, "ref", ["mute"], CONTROLS)
    top = v.top_probes[0]
    assert top.prompt_id == "p0" and 1 < top.z < 500  # was (1 - 0) / 1e-3 = 1000


def test_the_prompt_shown_is_the_chat_users_words_not_a_completions_transcript(tmp_path):
    from harness.store import AnswerRecord, Store, to_answers

    completions = '{"messages": [], "prompt": "User: Name a fruit.\\nAssistant:"}'
    chat = '{"messages": [{"role": "user", "content": "Name a fruit."}], "prompt": null}'
    with Store(tmp_path / "s.sqlite") as store:
        store.put_many(
            [
                AnswerRecord(
                    key=f"k{i}",
                    endpoint=e,
                    identity=e,
                    probe_id="p",
                    sample_index=0,
                    request=req,
                    text="apple",
                )
                for i, (e, req) in enumerate([("base", completions), ("chat", chat)])
            ]
        )
        assert to_answers(store).prompts == {"p": "Name a fruit."}
        assert to_answers(store, ["base"]).prompts == {"p": "User: Name a fruit.\nAssistant:"}
