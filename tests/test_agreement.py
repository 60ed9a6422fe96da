import pytest

from autocoder.agreement import agreement, compare
from autocoder.types import NONE_CODE


def test_kappa_alpha_and_agreement_against_hand_computed_values():
    # po = 3/4; pe = (2/4)(1/4) + (2/4)(3/4) = 1/2; kappa = (3/4 - 1/2) / (1/2) = 0.5.
    # Krippendorff's alpha (nominal): coincidences n_A = 3, n_B = 5, n = 8, two disagreeing pairs:
    # alpha = 1 - (n - 1) * 2 / (2 * n_A * n_B) = 1 - 7 * 2 / 30 = 0.5333.
    report = compare(["A", "A", "B", "B"], ["A", "B", "B", "B"])
    assert report.kappa == pytest.approx(0.5)
    assert report.alpha == pytest.approx(1 - 14 / 30)
    assert report.percent_agreement == pytest.approx(0.75)
    assert report.labels == ["A", "B"]
    assert report.confusion == [[1, 1], [0, 2]]


def test_per_label_kappa_is_one_vs_rest():
    # Label C: coder a uses it on units 1 and 3, coder b on unit 1 only.
    # 2x2: both 1, a-only 1, neither 2: po = 3/4, pe = (2/4)(1/4) + (2/4)(3/4) = 1/2, kappa = 0.5.
    report = compare(["C", "D", "C", "D"], ["C", "D", "D", "D"])
    per = {row.label: row for row in report.per_label}
    assert per["C"].kappa == pytest.approx(0.5)
    assert (per["C"].support_a, per["C"].support_b, per["C"].agree) == (2, 1, 1)


def test_perfect_and_chance_agreement():
    assert compare(list("ABAB"), list("ABAB")).kappa == pytest.approx(1.0)
    # Independent marginals: po = pe = 1/2.
    assert compare(list("AABB"), list("ABAB")).kappa == pytest.approx(0.0)


def test_label_neither_coder_used_has_no_kappa():
    report = compare(["A", "B"], ["A", "B"], labels=["A", "B", "Z"])
    assert [row.label for row in report.per_label] == ["A", "B"]


def test_construct_level_rolls_categories_up(codebook):
    a = ["quality_teaching", "curriculum_breadth", "tracking_impact", None]
    b = ["send_information", "quality_teaching", "academic_outcomes", NONE_CODE]
    reports = agreement(a, b, codebook, n_resamples=50)
    assert reports["category"].kappa < 0.5
    assert reports["construct"].kappa == pytest.approx(1.0)
    assert reports["construct"].labels == ["learner_centredness", "reciprocal_vigilance", NONE_CODE]


def test_bootstrap_interval_brackets_kappa(codebook):
    a = ["quality_teaching"] * 20 + ["tracking_impact"] * 20 + [NONE_CODE] * 20
    b = ["quality_teaching"] * 17 + ["tracking_impact"] * 3 + ["tracking_impact"] * 18 + [NONE_CODE] * 2 + [NONE_CODE] * 20
    report = agreement(a, b, codebook, n_resamples=300)["category"]
    low, high = report.kappa_ci
    assert low < report.kappa < high
    assert 0.0 < low and high <= 1.0


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="different numbers of units"):
        compare(["A"], ["A", "B"])
