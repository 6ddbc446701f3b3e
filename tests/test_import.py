"""`fingerprint import CORPUS` end to end: corpus -> replay endpoints -> store -> analysis.

Small synthetic corpora written to tmp_path go through the real command, runner, store and
analysis; the assertions read the store and the console line the user sees.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from harness.cli import main
from harness.config import EndpointSpec
from harness.endpoints import EndpointError, GenerateRequest, Message, make_endpoint


def _write(path: Path, recs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    return path


def _recs(models: str = "ab", n: int = 3, **fields) -> list[dict]:
    return [
        {"model": m, "prompt_id": f"p{i}", "prompt": f"Q{i}?", "response": f"{m} says {i}"} | fields
        for m in models
        for i in range(n)
    ]


def _import(corpus: Path, tmp_path: Path, *extra: str) -> int:
    argv = ["import", str(corpus), "--results", str(tmp_path / "results"), "--no-progress"]
    return main([*argv, *extra])


def _stored(run: Path) -> dict[tuple[str, str], list[str]]:
    db = sqlite3.connect(run / "store.sqlite")
    rows = db.execute("SELECT endpoint, probe_id, text FROM answers ORDER BY key").fetchall()
    db.close()
    out: dict[tuple[str, str], list[str]] = {}
    for endpoint, pid, text in rows:
        out.setdefault((endpoint, pid), []).append(text)
    return out


# ------------------------------------------------------------- answers matched by prompt id


def _without_prompt() -> list[dict]:
    return [{k: v for k, v in r.items() if k != "prompt"} for r in _recs()]


def _same_text() -> list[dict]:
    return _recs(prompt="Tell me something.")


def _trailing_space() -> list[dict]:
    return [r | {"prompt": r["prompt"] + " "} if r["model"] == "b" else r for r in _recs()]


@pytest.mark.parametrize("corpus", [_without_prompt, _same_text, _trailing_space])
def test_every_prompt_id_gets_its_own_answer(tmp_path, corpus):
    """No prompt text, one text for every id, or a text that differs by a trailing space from
    the probe's: each model's answer to each prompt id is the one its record holds."""
    path = _write(tmp_path / "c.jsonl", corpus())
    assert _import(path, tmp_path, "--run-id", "r") == 0
    expected = {(r["model"], r["prompt_id"]): [r["response"]] for r in corpus()}
    assert _stored(tmp_path / "results" / "r") == expected


def _replay(corpus: Path, model: str = "a"):
    return make_endpoint(EndpointSpec(name=model, kind="replay", base_url=str(corpus), model=model))


def _ask(ep, request: GenerateRequest) -> str:
    return asyncio.run(ep.generate(request)).texts[0]


def test_a_probe_id_the_corpus_lacks_is_matched_by_prompt_text(tmp_path):
    """A published corpus asked one of the harness's own suites: ids differ, texts match."""
    ep = _replay(_write(tmp_path / "c.jsonl", _recs()))
    asked = (Message("user", "Q1?"),)
    assert _ask(ep, GenerateRequest(messages=asked, probe_id="p2")) == "a says 2"
    assert _ask(ep, GenerateRequest(messages=asked, probe_id="suite.q1")) == "a says 1"
    assert _ask(ep, GenerateRequest(messages=asked)) == "a says 1"
    with pytest.raises(EndpointError, match="no answer of 'a' to this prompt"):
        _ask(ep, GenerateRequest(messages=(Message("user", "Q9?"),), probe_id="suite.q9"))


def test_an_empty_prompt_text_never_matches_by_text(tmp_path):
    """Without prompt ids in common, a corpus without texts has nothing to match on."""
    ep = _replay(_write(tmp_path / "c.jsonl", _without_prompt()))
    with pytest.raises(EndpointError, match="no answer"):
        _ask(ep, GenerateRequest(messages=(Message("user", ""),), probe_id="other"))


# ------------------------------------------------------------- an updated corpus, re-imported


def _changed(recs: list[dict], model: str = "b") -> list[dict]:
    return [
        r | {"response": r["response"] + " (fixed)"} if r["model"] == model else r for r in recs
    ]


def _analysed(run: Path) -> dict[str, dict[str, list[str]]]:
    from harness.analysis import analyse
    from harness.manifest import RunDir

    return analyse(RunDir(run)).answers.texts


def test_an_edited_corpus_reimports_the_changed_model_and_only_it(tmp_path, capsys):
    """Same file, same command after editing b's answers: b's new answers are asked and used,
    a's are reused, and the console line and manifest say which were new."""
    corpus = _write(tmp_path / "c.jsonl", _recs())
    assert _import(corpus, tmp_path) == 0
    (run,) = (tmp_path / "results").iterdir()
    _write(corpus, _changed(_recs()))
    capsys.readouterr()
    assert _import(corpus, tmp_path) == 0
    assert list((tmp_path / "results").iterdir()) == [run]  # the same run directory
    assert "imported 6 answers (3 new, 3 already stored)" in capsys.readouterr().err
    endpoints = json.loads((run / "manifest.json").read_text())["endpoints"]
    assert (endpoints["a"]["answers_new"], endpoints["a"]["answers_reused"]) == (0, 3)
    assert (endpoints["b"]["answers_new"], endpoints["b"]["answers_reused"]) == (3, 0)
    assert _analysed(run)["b"] == {f"p{i}": [f"b says {i} (fixed)"] for i in range(3)}
    assert len(_stored(run)[("b", "p0")]) == 2  # the old answers are still stored


def test_two_corpora_into_one_run_id_give_one_sample_each(tmp_path):
    """ok.jsonl then changed.jsonl with one --run-id: the analysis reads the answers of the
    endpoints the last import names, not old and new as two samples of one model."""
    ok = _write(tmp_path / "ok.jsonl", _recs())
    changed = _write(tmp_path / "changed.jsonl", _changed(_recs()))
    assert _import(ok, tmp_path, "--run-id", "r") == 0
    assert _import(changed, tmp_path, "--run-id", "r") == 0
    texts = _analysed(tmp_path / "results" / "r")
    assert texts["a"] == {f"p{i}": [f"a says {i}"] for i in range(3)}
    assert texts["b"] == {f"p{i}": [f"b says {i} (fixed)"] for i in range(3)}


def test_a_run_from_before_identities_were_recorded_reads_every_row(tmp_path):
    """Old manifests have no `identities`: their `endpoints` identities, then all rows."""
    assert _import(_write(tmp_path / "c.jsonl", _recs()), tmp_path, "--run-id", "r") == 0
    run = tmp_path / "results" / "r"
    manifest = json.loads((run / "manifest.json").read_text())
    del manifest["identities"]
    (run / "manifest.json").write_text(json.dumps(manifest))
    assert _analysed(run)["b"]["p1"] == ["b says 1"]
    del manifest["endpoints"]
    (run / "manifest.json").write_text(json.dumps(manifest))
    assert _analysed(run)["b"]["p1"] == ["b says 1"]


# ------------------------------------------------------------- bad input: one line, exit 2


def _one_error_line(capsys) -> str:
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("text", ["", "\n \n"])
def test_an_empty_corpus_is_one_error_line(tmp_path, capsys, text):
    empty = tmp_path / "empty.jsonl"
    empty.write_text(text)
    assert _import(empty, tmp_path) == 2
    assert "the corpus holds no records" in _one_error_line(capsys)
    assert not (tmp_path / "results").exists()


def test_help_names_every_kind_of_source_import_accepts(capsys):
    """Folders, Parquet / Arrow files and hub names are accepted (`prepare_import`)."""
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for kind in (".jsonl.gz", ".parquet", "folder", "export", "Hugging Face"):
        assert kind in text, kind


@pytest.mark.parametrize("limit", ["0", "-5"])
def test_a_limit_below_one_is_refused_as_such(tmp_path, capsys, limit):
    """It said 'the corpus holds no records' of a corpus that holds some."""
    assert _import(_write(tmp_path / "c.jsonl", _recs()), tmp_path, "--limit", limit) == 2
    line = _one_error_line(capsys)
    assert f"--limit: expected a number of prompts of at least 1, got {limit}" in line
    assert not (tmp_path / "results").exists()


def test_a_limit_keeps_the_first_prompts(tmp_path):
    assert (
        _import(_write(tmp_path / "c.jsonl", _recs()), tmp_path, "--limit", "2", "--run-id", "r")
        == 0
    )
    assert sorted(_stored(tmp_path / "results" / "r")) == [
        (m, f"p{i}") for m in "ab" for i in (0, 1)
    ]


# ------------------------------------------------------------- what the console line says


def test_the_summary_counts_unanswered_prompts_per_model(tmp_path, capsys):
    """c answered one of three prompts: 2 of c's prompts lack an answer, not '2 prompts'."""
    recs = [r for r in _recs("abc") if r["model"] != "c" or r["prompt_id"] == "p0"]
    assert _import(_write(tmp_path / "c.jsonl", recs), tmp_path) == 0
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("imported 7 answers (7 new, 0 already stored) of 3 models to 3 prompts")
    assert line.endswith("; prompts without an answer, by model: c 2")


def test_conflicting_duplicates_keep_the_first_and_warn_once(tmp_path, capsys):
    dups = [
        _recs()[0] | {"response": "a's second answer"},
        _recs()[1],  # identical: silent
        _recs()[3] | {"response": "b's second answer"},
        _recs()[3] | {"response": "b's third answer"},
    ]
    assert _import(_write(tmp_path / "c.jsonl", _recs() + dups), tmp_path, "--run-id", "r") == 0
    warnings = [w for w in capsys.readouterr().err.splitlines() if w.startswith("warning")]
    assert warnings == [
        "warning: 3 records repeat a model's prompt_id with another response (b 2, a 1); "
        "the first of each is imported"
    ]
    expected = {(r["model"], r["prompt_id"]): [r["response"]] for r in _recs()}
    assert _stored(tmp_path / "results" / "r") == expected


def test_identical_duplicates_are_silent(tmp_path, capsys):
    assert _import(_write(tmp_path / "c.jsonl", _recs() + _recs()), tmp_path) == 0
    assert "warning" not in capsys.readouterr().err


def test_a_null_response_is_an_unanswered_prompt_not_an_error(tmp_path, capsys):
    # Some corpora save a failed generation as "response": null. The import stopped at that
    # line (exit 2); now that prompt is unanswered for that model, and a warning counts them.
    recs = _recs("abc")
    recs[4]["response"] = None  # b's p1
    for r in recs:
        if r["model"] == "c":
            r["response"] = None  # c failed everywhere: still a model of the corpus
    assert _import(_write(tmp_path / "c.jsonl", recs), tmp_path, "--run-id", "r") == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert "warning: 4 records have a null response (c 3, b 1), read as no answer" in err
    assert err[-2].endswith("; prompts without an answer, by model: c 3, b 1")
    assert (
        err[-1] == "warning: c (suspect) has no answer in the corpus, so the report cannot use it"
    )
    stored = _stored(tmp_path / "results" / "r")
    assert ("b", "p1") not in stored and stored[("b", "p0")] == ["b says 0"]


def test_a_named_model_without_any_answer_is_warned_of_by_role(tmp_path, capsys):
    # The per-model unanswered counts did not say that a named control had nothing at all, so
    # the panel was silently one smaller; each role model without answers is named.
    recs = _recs("abc")
    for r in recs:
        if r["model"] in "bc":
            r["response"] = None
    args = ("--reference", "a", "--suspects", "b", "--controls", "c", "--run-id", "r")
    assert _import(_write(tmp_path / "c.jsonl", recs), tmp_path, *args) == 0
    tail = capsys.readouterr().err.strip().splitlines()[-2:]
    assert tail == [
        f"warning: {m} ({role}) has no answer in the corpus, so the report cannot use it"
        for m, role in (("c", "control"), ("b", "suspect"))
    ]


def test_a_corpus_with_gaps_imports_as_a_complete_run(tmp_path, capsys):
    # Before: status "incomplete", and every report said "unfinished run ... run the same
    # command again to resume" and "N sample(s) failed ... run again to retry them", though
    # asking a corpus again can never add an answer it lacks.
    recs = _recs("abc")
    recs[4]["response"] = None  # b's p1: null
    del recs[6]  # c's p0: missing
    assert _import(_write(tmp_path / "c.jsonl", recs), tmp_path, "--run-id", "r") == 0
    run_dir = tmp_path / "results" / "r"
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["not_in_corpus"] == {"b": 1, "c": 1}
    capsys.readouterr()
    assert main(["report", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "unfinished" not in out and "run again to retry" not in out
    assert "2 prompt(s) have no answer in the replay corpus" in " ".join(out.split())
    data = json.loads((run_dir / "report.json").read_text())
    assert (data["retryable_failures"], len(data["failures"])) == (0, 2)
    assert "sample(s) failed" not in (run_dir / "report.md").read_text()
