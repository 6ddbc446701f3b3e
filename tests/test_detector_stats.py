"""Statistics helpers: Student-t tail, prediction p-value calibration, Holm, bootstrap."""

import math

import numpy as np
import pytest

from harness.detector import stats


@pytest.mark.parametrize(
    "t, df, tail",
    [(2.228138852, 10, 0.025), (1.812461123, 10, 0.05), (2.946712883, 15, 0.005), (0.0, 7, 0.5)],
)
def test_t_sf_matches_tables(t, df, tail):
    assert stats.t_sf(t, df) == pytest.approx(tail, abs=1e-7)
    assert stats.t_sf(-t, df) == pytest.approx(1 - tail, abs=1e-7)


def test_prediction_pvalue_is_uniform_under_exchangeable_normal_scores():
    rng = np.random.default_rng(7)
    ps = np.array([stats.prediction_pvalue(x[0], x[1:])[1] for x in rng.normal(size=(4000, 21))])
    for level in (0.01, 0.05, 0.2, 0.5):
        assert abs((ps < level).mean() - level) < 3 * np.sqrt(level * (1 - level) / 4000) + 0.003


def test_prediction_pvalue_goes_below_rank_floor():
    null = np.linspace(-1, 1, 9)
    assert stats.rank_pvalue(10.0, null) == pytest.approx(0.1)
    assert stats.prediction_pvalue(10.0, null)[1] < 1e-4


def test_holm():
    assert stats.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    out = stats.holm([float("nan"), 0.02])
    assert np.isnan(out[0]) and out[1] == pytest.approx(0.02)


def test_bootstrap_ci_covers_mean():
    x = np.random.default_rng(0).normal(1.0, 1.0, 200)
    lo, hi = stats.bootstrap_mean_ci(x)
    assert lo < x.mean() < hi and hi - lo < 0.5


def test_sign_flip():
    assert stats.sign_flip_pvalue(np.full(30, 0.5)) < 0.001
    assert stats.sign_flip_pvalue(np.full(30, -0.5)) > 0.99


def test_column_ranks_midranks_and_anchor_excluded():
    from harness.detector.similarity import column_ranks

    sims = np.array([[[1.0], [0.2], [0.2], [0.9], [np.nan]]])  # one prompt, anchor "a" first
    r = column_ranks(sims, ["a", "m1", "m2", "m3", "m4"], ["a"])
    assert np.isnan(r[0, 0, 0]) and np.isnan(r[0, 4, 0])
    assert r[0, 1, 0] == pytest.approx(0.25) and r[0, 2, 0] == pytest.approx(0.25)
    assert r[0, 3, 0] == pytest.approx(1.0)


@pytest.mark.parametrize("t, df", [(2.0, 5), (1.3, 43), (3.5, 12)])
def test_f_sf_is_the_two_sided_t_tail_for_one_numerator_df(t, df):
    # F(1, d) = T_d^2, so P(F > t^2) = 2 P(T > t): ties f_sf to the table-checked t tail.
    assert stats.f_sf(t * t, 1, df) == pytest.approx(2 * stats.t_sf(t, df), abs=1e-9)


def test_f_sf_matches_table():
    assert stats.f_sf(2.8165, 3, 43) == pytest.approx(0.05, abs=5e-4)  # F(3, 43) 95 % point


def test_levene_calibrated_under_equal_spread_and_detects_unequal():
    rng = np.random.default_rng(3)
    ps = np.array(
        [stats.levene_pvalue([rng.normal(m, 1.0, 8) for m in (0, 5, 9, 2)]) for _ in range(1000)]
    )
    assert (ps < 0.05).mean() < 0.08  # Brown-Forsythe is slightly conservative at n = 8
    wide = [stats.levene_pvalue([rng.normal(0, 1, 20), rng.normal(0, 4, 20)]) for _ in range(50)]
    assert np.mean(np.array(wide) < 0.05) > 0.8
    assert np.isnan(stats.levene_pvalue([np.array([1.0, 2.0])]))


def test_pooled_sd_is_the_within_group_sd():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([10.0, 14.0])
    sd, df = stats.pooled_sd([a, b])
    assert df == 3
    assert sd == pytest.approx(np.sqrt((2.0 + 8.0) / 3))


def test_digamma_and_trigamma_match_known_values():
    euler = 0.5772156649015329
    assert abs(stats.digamma(1.0) + euler) < 1e-10
    assert abs(stats.digamma(0.5) + euler + 2 * math.log(2)) < 1e-10
    assert abs(stats.trigamma(1.0) - math.pi**2 / 6) < 1e-10
    assert abs(stats.trigamma(0.5) - math.pi**2 / 2) < 1e-10
    for x in (0.3, 2.0, 17.5, 400.0):
        assert abs(stats.inverse_trigamma(stats.trigamma(x)) / x - 1) < 1e-6


def test_variance_prior_recovers_a_known_prior_and_sees_unequal_spreads():
    rng = np.random.default_rng(0)
    # 400 panels of 8 drawn around the same variance 2.0: d0 large (no real spread), s0² ≈ 2.
    same = [float(np.var(rng.normal(0, math.sqrt(2.0), 8), ddof=1)) for _ in range(400)]
    d0, s0 = stats.variance_prior(same, [7] * 400)
    assert d0 > 50 and abs(s0 - 2.0) < 0.15
    # True variances from a scaled inverse chi-square with 6 df: d0 comes back near 6.
    true = 2.0 * 6 / rng.chisquare(6, 2000)
    drawn = [float(np.var(rng.normal(0, math.sqrt(v), 8), ddof=1)) for v in true]
    d0, s0 = stats.variance_prior(drawn, [7] * 2000)
    assert 4 < d0 < 9 and abs(s0 - 2.0) < 0.3
    assert all(math.isnan(x) for x in stats.variance_prior([1.0, 2.0], [7, 7]))
