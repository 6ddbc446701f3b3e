"""Attribution benchmark: candidates, panels and scoring derived from lineage.json only."""

from __future__ import annotations

import json

import numpy as np

from harness.answers import Answers
from harness.bench_attribution import (
    attribution_panel,
    outcome,
    run_attribution,
    teacher_families,
)
from harness.bench_tables import CaseTables
from harness.detector import similarity
from tests.test_bench import _doc_lineage

HUMANS = [f"human{i}" for i in range(6)]


def _world(seed: int = 0, n_prompts: int = 40) -> Answers:
    """Two vendors' teachers, one student each (copies most of its teacher's words), and six
    human-data models; every answer is a bag of words from the prompt's vocabulary."""
    rng = np.random.default_rng(seed)
    texts: dict[str, dict[str, list[str]]] = {}

    def say(model: str, p: str, words) -> None:
        texts.setdefault(model, {})[p] = [" ".join(words)]

    for i in range(n_prompts):
        p = f"p{i}"
        vocab = [f"w{i}_{j}" for j in range(300)]
        own = {t: list(rng.choice(vocab, 40, replace=False)) for t in ("alpha", "beta")}
        say("alpha-tutor", p, own["alpha"])
        say("beta-guide", p, own["beta"])
        for t, student in (("alpha", "alpha-pupil"), ("beta", "beta-pupil")):
            copied = list(rng.choice(own[t], 28, replace=False))
            say(student, p, copied + list(rng.choice(vocab, 12, replace=False)))
        for h in HUMANS:
            say(h, p, rng.choice(vocab, 40, replace=False))
    return Answers(texts=texts)


def _lineage() -> dict:
    cases = [
        {"reference": "alpha-tutor", "suspect": "alpha-pupil", "label": "distilled"},
        {"reference": "beta-guide", "suspect": "beta-pupil", "label": "distilled"},
        {"reference": "alpha-tutor", "suspect": "beta-pupil", "label": "independent"},
        {"reference": "beta-guide", "suspect": "alpha-pupil", "label": "independent"},
    ]
    for h in HUMANS:
        cases += [
            {"reference": "alpha-tutor", "suspect": h, "label": "independent"},
            {"reference": "beta-guide", "suspect": h, "label": "independent"},
        ]
    facts = {"alpha-tutor": {"org": "A"}, "beta-guide": {"org": "B"}}
    return {"cases": cases, "models": facts}


def test_teacher_families_and_panel_come_from_the_lineage():
    lin = _doc_lineage()
    assert teacher_families(lin, "stud-7b") == {"vend-1", "vend-2"}  # the whole V family
    assert teacher_families(lin, "pupil-3") == {"othr-x"}
    assert teacher_families(lin, "hum0") == set()
    models = list(_world().texts)
    lin = _lineage()
    # Independent of both vendors: the human-data models only (each pupil is one vendor's).
    assert attribution_panel(lin, models, ["alpha-tutor", "beta-guide"], "alpha-pupil") == HUMANS
    assert attribution_panel(lin, models, ["alpha-tutor", "beta-guide"], "human0") == HUMANS[1:]


def test_students_are_named_after_their_own_teacher_and_humans_rarely_after_anyone():
    """Over 20 independent worlds: every student is named after its own teacher (also in the
    case that lists it as independent of the other vendor); a human-data model is named after
    someone only by chance, at about the test's alpha (measured 8 of 120 with attribution
    v7's lexical features, 4 of 120 with every feature)."""
    lin = _lineage()
    wrong = right = humans = 0
    for seed in range(20):
        answers = _world(seed, n_prompts=20)
        table = similarity.compute(answers, ["alpha-tutor", "beta-guide"], answers.models)
        out = run_attribution(answers, lin, CaseTables(answers, table.anchors, table))
        assert out["n_cases"] == len(lin["cases"])
        by_case = {(c["reference"], c["suspect"]): c for c in out["cases"]}
        for ref, sus, teacher in (
            ("alpha-tutor", "alpha-pupil", "alpha-tutor"),
            ("beta-guide", "beta-pupil", "beta-guide"),
            ("alpha-tutor", "beta-pupil", "beta-guide"),
        ):
            assert by_case[(ref, sus)]["teacher"] == teacher, (seed, by_case[(ref, sus)])
            right += by_case[(ref, sus)]["outcome"] == "right"
        for h in HUMANS:  # one case per human: both cases have the same candidates
            humans += 1
            wrong += by_case[("alpha-tutor", h)]["outcome"] == "wrong"
    assert right == 60
    assert wrong <= 0.1 * humans, (wrong, humans)


def test_attribution_skips_the_cases_the_bench_skips():
    """A case whose suspect is its reference, or that repeats another, was attributed (and a
    reference "named" after itself); now the same cases as the bench's detection are run."""
    lin = _lineage()
    n = len(lin["cases"])
    lin["cases"] += [
        {"reference": "alpha-tutor", "suspect": "alpha-tutor", "label": "independent"},
        dict(lin["cases"][0]),
        {"reference": "alpha-tutor", "suspect": "ghost", "label": "distilled"},
    ]
    answers = _world(n_prompts=10)
    table = similarity.compute(answers, ["alpha-tutor", "beta-guide"], answers.models)
    out = run_attribution(answers, lin, CaseTables(answers, table.anchors, table))
    assert out["n_cases"] == n
    assert all(c["suspect"] != c["reference"] for c in out["cases"])


def test_a_name_the_lineage_says_nothing_about_is_undocumented_not_wrong():
    # Before, any teacher outside the documented ones was "wrong": a student of A named after
    # C, of which the lineage says nothing (no org facts: another OpenAI model, say), counted
    # against the detector as if it had named a vendor the student was documented free of.
    lin = {
        "cases": [
            {"reference": "A", "suspect": "S", "label": "distilled"},
            {"reference": "B", "suspect": "S", "label": "independent"},
            {"reference": "C", "suspect": "H", "label": "independent"},
        ]
    }
    assert [outcome(lin, "S", t) for t in ("A", "B", "C", None)] == [
        "right",
        "wrong",
        "undocumented",
        "none",
    ]
    assert outcome(lin, "H", "A") == "wrong"  # no documented teacher at all: teacher-free


def test_attribution_says_why_it_skipped_cases(tmp_path, capsys):
    from harness.cli import main
    from tests.test_bench import _corpus, _lineage

    d = _corpus(tmp_path, _lineage())  # one reference: nobody to attribute against
    assert main(["bench", "--corpus", str(d), "--json", "--prompts", "10"]) == 0
    att = json.loads(capsys.readouterr().out)["attribution"]
    assert att["n_cases"] == 0
    assert att["skipped"] == {"one candidate only (no case reference of another org)": 3}
