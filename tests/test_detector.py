"""End-to-end detector on synthetic answers: power on a copying student, calibration on
exchangeable controls, honesty with tiny panels, attribution, sequential mode."""

import math

import numpy as np
import pytest

from harness.answers import Answers
from harness.detector import attribute, detect, similarity_matrix
from harness.errors import InputError

VOCAB = [f"w{i}" for i in range(300)]


def _world(n_controls=10, n_prompts=25, copy=0.6, seed=0, samples=1):
    """Reference R, student S copying `copy` of R's words, teacher-free controls C0..Cn."""
    rng = np.random.default_rng(seed)
    names = ["R", "S"] + [f"C{i}" for i in range(n_controls)]
    prefs = {m: rng.dirichlet(np.full(len(VOCAB), 0.3)) for m in names}
    texts = {m: {} for m in names}
    for p in range(n_prompts):
        topic = list(rng.choice(VOCAB, 8))
        pid = f"alpacaeval:{p:03d}"
        for _ in range(samples):
            ref = [
                w if rng.random() < 0.7 else topic[rng.integers(8)]
                for w in rng.choice(VOCAB, 50, p=prefs["R"])
            ]
            texts["R"].setdefault(pid, []).append(" ".join(ref))
        for m in names[1:]:
            own = rng.choice(VOCAB, 50, p=prefs[m])
            words = [topic[rng.integers(8)] if rng.random() < 0.3 else w for w in own]
            if m == "S":
                words = [r if rng.random() < copy else w for r, w in zip(ref, words, strict=True)]
            texts[m][pid] = [" ".join(words)]
    return Answers(texts=texts, families={p: "alpacaeval" for p in texts["R"]})


def test_copying_student_is_flagged_and_controls_are_not():
    ans = _world()
    controls = [m for m in ans.models if m.startswith("C")]
    v = detect(ans, "R", ["S", "C0"], controls[1:])
    assert v[0].outcome == "distilled" and v[0].p_value < 0.01
    assert v[0].effect > 0 and v[0].effect_ci[0] > 0
    assert v[0].top_probes and v[0].top_probes[0].z > 0
    assert v[1].outcome == "not distilled"
    d = v[0].to_dict()
    assert d["reference"] == "R" and "families" in d and "null" in d


def test_p_values_roughly_uniform_for_exchangeable_models():
    ps = []
    for seed in range(40):
        ans = _world(n_controls=9, n_prompts=12, copy=0.0, seed=seed)
        ps.append(detect(ans, "R", ["S"], [f"C{i}" for i in range(9)])[0].p_value)
    ps = np.array(ps)
    assert (ps < 0.05).mean() <= 0.15  # 40 draws: expected 2, allow sampling noise
    assert 0.3 < np.median(ps) < 0.7


def test_tiny_panel_is_inconclusive_with_named_assumption():
    ans = _world(n_controls=1)
    v = detect(ans, "R", ["S"], ["C0"])[0]
    assert v.outcome == "inconclusive" and math.isnan(v.p_value)
    assert any("independent replications" in n for n in v.notes)
    assert v.per_probe_p < 0.05


def test_related_when_as_close_as_reference_to_itself():
    ans = _world(samples=2, copy=0.95)
    # a "sibling": resample of R's own answers
    ans.texts["S"] = {p: [s[0]] for p, s in ans.texts["R"].items()}
    v = detect(ans, "R", ["S"], [f"C{i}" for i in range(10)])[0]
    assert v.outcome == "related"


def test_sensitive_family_is_not_teacher_evidence():
    ans = _world()
    for p in list(ans.families)[:5]:
        ans.families[p] = "sensitive"
    v = detect(ans, "R", ["S"], [f"C{i}" for i in range(10)])[0]
    fam = {f.family: f for f in v.families}
    assert fam["sensitive"].origin_control and math.isnan(fam["sensitive"].p_holm)
    assert v.n_probes == 20


def test_attribution_names_teacher_only_when_clear():
    ans = _world()
    controls = [f"C{i}" for i in range(1, 10)]
    a = attribute(ans, "S", ["R", "C0"], controls)
    assert a.teacher == "R"
    b = attribute(ans, "C0", ["R", "S"], controls)
    assert b.teacher is None
    # One candidate is no attribution (best-versus-rest would be vacuous and name it).
    c = attribute(ans, "S", ["R"], controls)
    assert c.teacher is None and c.best is None and c.notes == ["needs at least two candidates"]


def test_sequential_stops_early_on_strong_evidence():
    ans = _world(n_prompts=120, copy=0.8)
    v = detect(ans, "R", ["S"], [f"C{i}" for i in range(10)], sequential=True)[0]
    assert v.outcome == "distilled" and v.n_probes < 120
    assert any("Bonferroni" in n for n in v.notes)


def test_similarity_matrix_symmetric():
    ans = _world(n_controls=3)
    m = similarity_matrix(ans, ["R", "S", "C0"])
    assert m.shape == (3, 3) and np.allclose(m, m.T) and m[0, 1] > m[0, 2]


def test_unknown_model_is_input_error():
    from harness.errors import InputError

    with pytest.raises(InputError):
        detect(_world(n_controls=2), "R", ["nope"], ["C0", "C1"])


def _two_teacher_world(seed=0):
    """_world plus S2, a student of C0 (used as a foil teacher): copies 60 % of C0's words."""
    ans = _world(n_controls=12, n_prompts=30, seed=seed)
    rng = np.random.default_rng(seed + 100)
    ans.texts["S2"] = {}
    for p, (t,) in ans.texts["C0"].items():
        own = ans.texts["C5"][p][0].split()
        words = [c if rng.random() < 0.6 else w for c, w in zip(t.split(), own, strict=False)]
        ans.texts["S2"][p] = [" ".join(words)]
    return ans


def test_foil_contrast_flags_student_not_foil_student_and_reports_similarities():
    ans = _two_teacher_world()
    controls = [f"C{i}" for i in range(1, 12) if i != 5]
    v = detect(ans, "R", ["S", "S2"], controls, foils=["C0"])
    assert v[0].outcome == "distilled" and v[0].foils == ["C0"]
    assert v[1].outcome == "not distilled"
    assert v[0].sim_reference > v[0].controls_sim
    assert "foils (C0)" in v[0].null
    d = v[0].to_dict()
    assert {"sim_reference", "controls_sim", "foils"} <= set(d)
    # without foils: the plain similarity score (v1), same report fields
    w = detect(ans, "R", ["S"], controls)[0]
    assert w.foils == [] and w.outcome == "distilled" and w.sim_reference > w.controls_sim


def test_foil_must_not_be_a_control():
    from harness.errors import InputError

    ans = _two_teacher_world()
    with pytest.raises(InputError):
        detect(ans, "R", ["S"], ["C0", "C1", "C2", "C3", "C4"], foils=["C0"])


def test_foil_contrast_calibrated_on_exchangeable_models():
    ps = []
    for seed in range(30):
        ans = _world(n_controls=10, n_prompts=12, copy=0.0, seed=seed)
        ps.append(detect(ans, "R", ["S"], [f"C{i}" for i in range(1, 10)], foils=["C0"])[0].p_value)
    ps = np.array(ps)
    assert (ps < 0.05).mean() <= 0.15 and 0.25 < np.median(ps) < 0.75


def test_sequential_passes_foils():
    ans = _world(n_prompts=120, copy=0.8)
    v = detect(ans, "R", ["S"], [f"C{i}" for i in range(1, 10)], sequential=True, foils=["C0"])[0]
    assert v.outcome == "distilled" and v.foils == ["C0"] and v.n_probes < 120


def test_few_self_consistent_probes_never_make_a_student_a_sibling():
    # The reference was sampled twice on only 5 of 30 probes (like hot "random" probes in a
    # suite): too little to say the student is as close as the reference is to itself.
    ans = _world(n_prompts=30, copy=0.6, samples=2, seed=0)
    for i, p in enumerate(sorted(ans.texts["R"])):
        if i >= 5:
            ans.texts["R"][p] = ans.texts["R"][p][:1]
    v = detect(ans, "R", ["S"], [f"C{i}" for i in range(10)])[0]
    assert v.outcome == "distilled", (v.outcome, v.notes)
    assert any("too few to tell a sibling" in n for n in v.notes)


def test_a_student_further_than_the_reference_from_itself_stays_distilled():
    # The reference sampled twice on every probe: enough self-consistent probes to test the
    # sibling question. The student copied 40 % of a third, unseen sample of R, so it is
    # further from R than R's own samples are: a student, not a sibling, and no sibling
    # caveat is added. (Copying 50-60 % of it, it is `related` in 3 of 6 such worlds of 30
    # probes: that close a copy is what a sibling looks like.)
    ans = _world(n_prompts=60, copy=0.4, samples=3, seed=1)
    ans.texts["R"] = {p: s[:2] for p, s in ans.texts["R"].items()}  # S copied the third
    v = detect(ans, "R", ["S"], [f"C{i}" for i in range(10)])[0]
    assert v.outcome == "distilled", (v.outcome, v.notes)
    assert not any("sibling" in n for n in v.notes), v.notes


def _identity_world(silent_controls: int) -> Answers:
    """_world plus 6 identity probes: R says it is Qwen, S repeats it, controls name their own
    vendors except the first `silent_controls`, which never name anyone."""
    ans = _world()
    vendors = ["OpenAI", "Google", "Anthropic", "Mistral", "Meta"]
    for i in range(6):
        pid = f"identity:{i}"
        ans.families[pid] = "identity"
        for m in ans.models:
            if m in ("R", "S"):
                text = "I am Qwen, a model created by Alibaba Cloud."
            elif int(m[1:]) < silent_controls:
                text = "I'm a helpful assistant, happy to answer your questions."
            else:
                text = f"I am an assistant made by {vendors[int(m[1:]) % 5]}."
            ans.texts[m][pid] = [text]
    return ans


def test_a_feature_dropped_for_a_silent_control_is_named_in_the_notes():
    """A control that never makes an identity claim leaves the identity feature out of the
    score (feature_means' rule); the verdict must say so and name that control, and say
    nothing when every control makes a claim."""
    controls = [f"C{i}" for i in range(10)]
    silent = detect(_identity_world(silent_controls=2), "R", ["S"], controls)[0]
    notes = [n for n in silent.notes if "'identity'" in n]
    assert len(notes) == 1, silent.notes
    assert "C0, C1 have no value" in notes[0] and "applies to 6 probes" in notes[0]
    assert "C2" not in notes[0]
    spoken = detect(_identity_world(silent_controls=0), "R", ["S"], controls)[0]
    assert not [n for n in spoken.notes if "not scored" in n], spoken.notes
    # Scored, the copied claim adds evidence: the suspect stands further out.
    assert spoken.statistic > silent.statistic


def test_feature_standing_is_the_suspects_distance_from_the_controls_in_their_sds():
    from harness.detector import similarity
    from harness.detector.verdict import feature_means

    ans = _world()
    controls = [f"C{i}" for i in range(10)]
    v = detect(ans, "R", ["S"], controls)[0]
    table = similarity.compute(ans, ["R"], ["S", *controls])
    means = feature_means(table, "R", ["S", *controls], np.arange(len(table.prompts)))
    assert set(v.features) == set(means) and {"char4", "word2"} <= set(v.features)
    for f, x in means.items():
        assert v.features[f] == pytest.approx((x[0] - x[1:].mean()) / x[1:].std(ddof=1))
    assert v.features["char4"] > 2  # the copying student stands out where it copies
    c = detect(ans, "R", ["C0"], controls[1:])[0]
    assert c.features["char4"] < v.features["char4"]


def test_attribution_shows_each_candidates_feature_standing():
    ans = _world()
    a = attribute(ans, "S", ["R", "C0"], [f"C{i}" for i in range(1, 10)])
    assert set(a.features) == {"R", "C0"}
    assert a.features["R"]["char4"] > 2
    assert a.features["R"]["char4"] > a.features["C0"]["char4"] + 1


def test_attribution_on_chosen_features_scores_only_those():
    """Attribution scores the lexical features by default (v7); `features=` picks others and
    'all' is every scored feature, the pre-v7 rule. The standing per candidate always covers
    every scored feature, so a reader sees what the score left out. Unknown names, or none
    left to score, are a clear refusal, never a silent "no single teacher"."""
    from harness.commands import attribution_features as parse_features
    from harness.detector.attribution import LEXICAL

    ans = _world()
    controls = [f"C{i}" for i in range(1, 10)]
    default = attribute(ans, "S", ["R", "C0"], controls)
    lex = attribute(ans, "S", ["R", "C0"], controls, features=parse_features(None))
    assert parse_features(None) == LEXICAL and default.scored_on == list(LEXICAL)
    assert (lex.teacher, lex.p_values, lex.versus) == (
        default.teacher,
        default.p_values,
        default.versus,
    )
    every = attribute(ans, "S", ["R", "C0"], controls, features=parse_features("all"))
    assert every.p_values != default.p_values and len(every.scored_on) > len(LEXICAL)
    assert set(every.scored_on) <= set(parse_features("all"))
    # The standing is the same whatever the score weighed, and reaches past the lexical pair.
    assert every.features == default.features
    assert {f for per in default.features.values() for f in per} == set(every.scored_on)
    none = attribute(ans, "S", ["R", "C0"], controls, features=("identity",))
    assert none.teacher is None and not none.p_values
    assert "none of the features identity is scored against" in none.notes[0]
    assert parse_features(" word2, char4 ,word2") == ("word2", "char4")
    with pytest.raises(InputError, match=r"wrd; scored features \(or 'all'\): char4, word2"):
        parse_features("char4,wrd")


def test_duplicated_records_leave_every_verdict_as_it_was():
    """A corpus that repeats some models' rows (two files concatenated, a retried export) gives
    them two identical samples per prompt. Joined into one text, their lexical tf grew by log 2
    and every p-value moved (measured on the development corpus: a control's duplicated rows
    took detections from 12/15 to 9/15). Averaged per sample, the copies change nothing."""
    ans = _world(n_controls=9, n_prompts=30)
    controls = [f"C{i}" for i in range(1, 9)]
    before = [v.p_value for v in detect(ans, "R", ["S", "C0"], controls)]
    for m in ("S", "C3", "C5"):
        ans.texts[m] = {p: t * 2 for p, t in ans.texts[m].items()}
    assert [v.p_value for v in detect(ans, "R", ["S", "C0"], controls)] == before
    # The reference's copies too: its two halves (for its self-similarity) stay outside the IDF.
    ans.texts["R"] = {p: t * 2 for p, t in ans.texts["R"].items()}
    assert [v.p_value for v in detect(ans, "R", ["S", "C0"], controls)] == before
