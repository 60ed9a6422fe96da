import numpy as np
import pytest

from autocoder.quantify import adjusted_proportions, misclassification_rates, proportions


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
