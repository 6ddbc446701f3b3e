"""Null scale pooled across references: calibration under the null, power with small panels,
and the equal-spread check that refuses to pool."""

import numpy as np

from harness.answers import Answers
from harness.detector import similarity
from harness.detector.pooling import pooled_null
from harness.detector.verdict import verdict_from_table

VOCAB = [f"w{i}" for i in range(300)]


def _corpus(n_refs=4, n_controls=7, n_prompts=20, copy=0.0, seed=0, spread=None):
    """References R0..Rn; every control C* is independent of all of them; S copies R0.

    `spread` (list per reference) scales how strongly controls are pulled towards that
    reference's words, i.e. how widely the controls scatter around it.
    """
    rng = np.random.default_rng(seed)
    refs = [f"R{i}" for i in range(n_refs)]
    names = refs + ["S"] + [f"C{i}" for i in range(n_controls)]
    prefs = {m: rng.dirichlet(np.full(len(VOCAB), 0.3)) for m in names}
    pull = {c: rng.random() for c in names}  # per-model habit: how "reference-like" it is
    texts = {m: {} for m in names}
    for p in range(n_prompts):
        pid = f"q{p:03d}"
        ref_words = {r: rng.choice(VOCAB, 40, p=prefs[r]) for r in refs}
        for r in refs:
            texts[r][pid] = [" ".join(ref_words[r])]
        for m in names[n_refs:]:
            words = list(rng.choice(VOCAB, 40, p=prefs[m]))
            for j, r in enumerate(refs):
                share = 0.15 * pull[m] * ((spread or [1.0] * n_refs)[j])
                pairs = zip(words, ref_words[r], strict=True)
                words = [w if rng.random() > share else rw for w, rw in pairs]
            if m == "S":
                pairs = zip(words, ref_words["R0"], strict=True)
                words = [rw if rng.random() < copy else w for w, rw in pairs]
            texts[m][pid] = [" ".join(words)]
    return Answers(texts=texts), refs


def _pooled_p(ans, refs, suspect="S"):
    table = similarity.compute(ans, refs, ans.models)
    rows = np.arange(len(table.prompts))
    controls = [m for m in ans.models if m.startswith("C")]
    pooled = pooled_null(table, {r: controls for r in refs}, rows)
    own = verdict_from_table(table, "R0", suspect, controls)
    both = verdict_from_table(table, "R0", suspect, controls, pooled=pooled)
    return own, both, pooled


def test_pooled_scale_has_more_df_and_says_so():
    ans, refs = _corpus(copy=0.3)
    own, both, pooled = _pooled_p(ans, refs)
    assert pooled is not None and pooled.df == 4 * 6 and pooled.usable
    assert set(pooled.feature_sd) == {"char4", "word2", "layout"}
    assert "pooled over the panels of 4 references" in both.null
    assert both.outcome == "distilled" and own.outcome == "distilled"


def test_pooled_p_values_calibrated_for_an_independent_suspect():
    ps = []
    for seed in range(30):
        ans, refs = _corpus(copy=0.0, seed=seed, n_prompts=12)
        ps.append(_pooled_p(ans, refs)[1].p_value)
    ps = np.array(ps)
    assert (ps < 0.05).mean() <= 0.17  # 30 draws: expected 1.5, allow sampling noise
    assert 0.25 < np.median(ps) < 0.75


def test_unequal_spread_is_refused():
    ans, refs = _corpus(n_controls=12, spread=[0.0, 0.0, 6.0, 6.0], seed=1)
    table = similarity.compute(ans, refs, ans.models)
    controls = [m for m in ans.models if m.startswith("C")]
    pooled = pooled_null(table, {r: controls for r in refs}, np.arange(len(table.prompts)))
    assert pooled is not None and pooled.equal_spread_p < 0.05 and not pooled.usable


def test_one_panel_cannot_be_pooled():
    ans, refs = _corpus(n_refs=1)
    table = similarity.compute(ans, refs, ans.models)
    controls = [m for m in ans.models if m.startswith("C")]
    assert pooled_null(table, {"R0": controls}, np.arange(len(table.prompts))) is None
