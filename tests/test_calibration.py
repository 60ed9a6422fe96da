"""Temperature scaling: it keeps the ranking, and the fitted temperature undoes a known over-confidence."""

from __future__ import annotations

import numpy as np

from autocoder.classify import apply_temperature
from autocoder.train import expected_calibration_error, fit_temperature, top_code_calibration


def _calibrated_sample(n: int = 4000, classes: int = 5, seed: int = 0):
    """Probabilities that are calibrated by construction (each code is drawn from its row), and the codes drawn."""
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet(np.full(classes, 0.6), size=n)
    codes = [f"c{rng.choice(classes, p=row)}" for row in proba]
    return proba, np.array([f"c{i}" for i in range(classes)], dtype=object), codes


def test_temperature_keeps_the_ranking_and_sums_to_one():
    proba = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3]])
    for temperature in (0.3, 1.0, 4.0):
        scaled = apply_temperature(proba, temperature)
        assert np.allclose(scaled.sum(axis=1), 1.0)
        assert (scaled.argmax(axis=1) == proba.argmax(axis=1)).all()
    assert apply_temperature(proba, 2.0)[0, 0] < 0.6 < apply_temperature(proba, 0.5)[0, 0]


def test_fitted_temperature_undoes_overconfidence_and_lowers_the_calibration_error():
    proba, classes, codes = _calibrated_sample()
    overconfident = apply_temperature(proba, 1 / 3)  # p ** 3: what an over-fitted head gives
    temperature = fit_temperature(overconfident, classes, codes)
    assert 2.5 < temperature < 3.5
    before = top_code_calibration(overconfident, classes, codes)[0]
    after = top_code_calibration(apply_temperature(overconfident, temperature), classes, codes)[0]
    assert after < before / 3 and after < 0.03
    assert abs(fit_temperature(proba, classes, codes) - 1.0) < 0.15


def test_calibration_error_by_hand():
    # Two bins: (0.9 confident, 1 of 2 right) and (0.3 confident, 1 of 2 right).
    ece, table = expected_calibration_error(np.array([0.9, 0.9, 0.3, 0.3]), np.array([True, False, True, False]))
    assert np.isclose(ece, 0.5 * 0.4 + 0.5 * 0.2)
    assert [row["n"] for row in table] == [2, 2]


def test_units_without_a_category_code_are_left_out_of_the_calibration():
    proba = np.array([[0.9, 0.1], [0.8, 0.2]])
    classes = np.array(["a", "b"], dtype=object)
    ece, table = top_code_calibration(proba, classes, ["a", None])
    assert np.isclose(ece, 0.1) and table[0]["n"] == 1
