import numpy as np
import pytest

from autocoder.quantify import adjusted_proportions, estimate_proportions, misclassification_rates, proportions


def test_adjusted_count_undoes_a_known_bias():
    # The classifier calls 20% of true A units "B" and never errs on B.
    rates = misclassification_rates(["A"] * 10 + ["B"] * 10, ["A"] * 8 + ["B"] * 2 + ["B"] * 10, ["A", "B"])
    assert rates.tolist() == [[0.8, 0.2], [0.0, 1.0]]
    # A corpus that is truly 50% A: the classifier labels 40% A, 60% B.
    predicted = ["A"] * 40 + ["B"] * 60
    assert proportions(predicted, ["A", "B"]).tolist() == [0.4, 0.6]
    assert adjusted_proportions(predicted, rates, ["A", "B"]) == pytest.approx([0.5, 0.5])


def test_unseen_class_keeps_its_count():
    rates = misclassification_rates(["A", "A"], ["A", "A"], ["A", "B"])
    assert rates.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert np.allclose(adjusted_proportions(["A", "B", "B"], rates, ["A", "B"]), [1 / 3, 2 / 3])


def test_intervals_cover_the_proportions_of_the_population_they_are_drawn_from():
    # 200 "archives" of 30 reports drawn from one population: the 95% document bootstrap interval should hold
    # the population's proportions for about 95% of them (a bootstrap of this size runs a little narrow).
    rng = np.random.default_rng(1)
    labels = ["A", "B", "NONE"]
    truth = np.array([0.3, 0.5, 0.2])
    covered = []
    for trial in range(200):
        reports = [rng.choice(labels, size=rng.integers(10, 40), p=rng.dirichlet(truth * 30)) for _ in range(30)]
        codes = [c for r in reports for c in r]
        docs = [f"r{i}" for i, r in enumerate(reports) for _ in r]
        estimate = estimate_proportions(codes, docs, labels, resamples=300, seed=trial)
        covered.append(estimate.low[0] <= truth[0] / truth[:2].sum() <= estimate.high[0])
    assert 0.85 <= np.mean(covered) <= 1.0


def test_correction_undoes_a_known_bias_and_widens_the_interval():
    labels = ["A", "B", "NONE"]
    # Held-out confusion: the model calls a fifth of true A units "B".
    confusion = np.array([[80, 20, 0], [0, 100, 0], [0, 0, 100]], dtype=float)
    reports = [["A"] * 8 + ["B"] * 12 for _ in range(20)]  # a truly 50/50 archive as the model labels it
    codes = [c for r in reports for c in r]
    docs = [f"r{i}" for i, r in enumerate(reports) for _ in r]
    plain = estimate_proportions(codes, docs, labels, resamples=500)
    corrected = estimate_proportions(codes, docs, labels, confusion, resamples=500)
    assert plain.estimate == pytest.approx([0.4, 0.6])
    assert corrected.estimate == pytest.approx([0.5, 0.5], abs=0.01)
    assert corrected.low[0] <= 0.5 <= corrected.high[0]
    # Every report is alike, so the plain interval is a point; the model's uncertainty is what widens it.
    assert plain.high[0] - plain.low[0] < 1e-9 < corrected.high[0] - corrected.low[0]


def test_construct_interval_table_from_a_count_matrix_matches_the_unit_list(codebook):
    from autocoder.frequencies import construct_interval_table, construct_intervals

    codes = ["sendco_role", "quality_teaching", "NONE", "rights", "quality_teaching", "tracking_impact"]
    docs = ["a", "a", "a", "b", "b", "c"]
    from_units = construct_intervals(codes, docs, codebook, resamples=200)
    labels = [*codebook.construct_ids, "NONE"]
    matrix = np.zeros((3, len(labels)))
    for code, doc in zip(codes, docs):
        matrix["abc".index(doc), labels.index(codebook.construct_of(code) or "NONE")] += 1
    from_counts = construct_interval_table(matrix, codebook, resamples=200)
    assert from_units.equals(from_counts)
    assert from_units["all n"].sum() == 5 and from_units.attrs["method"].endswith("3 documents")
