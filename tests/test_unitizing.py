"""Agreement between unitizations: matched-unit share at IoU >= 0.8 and Krippendorff's alpha_u."""

import pytest

from autocoder.unitizing import Span, alpha_u, compare_unitizations, iou, matched_share


def test_iou_of_spans():
    assert iou(Span("d", 0, 10), Span("d", 0, 10)) == 1.0
    assert iou(Span("d", 0, 10), Span("d", 2, 10)) == 0.8
    assert iou(Span("d", 0, 10), Span("d", 10, 20)) == 0.0
    assert iou(Span("d", 0, 10), Span("e", 0, 10)) == 0.0


def test_matched_share_is_counted_both_ways():
    a = [Span("d", 0, 10), Span("d", 10, 20)]  # two units where b has one
    b = [Span("d", 0, 20), Span("e", 0, 5)]
    assert matched_share(a, b) == 0.0
    assert matched_share([Span("d", 0, 10), Span("d", 12, 20)], [Span("d", 1, 10), Span("d", 30, 40)]) == 0.5
    assert matched_share([], b) is None


def test_alpha_u_on_a_hand_computed_case():
    # Continuum of 10 characters. Coder A: one unit [0, 4); coder B: the same unit and another, [6, 8).
    # Sections: A = unit 0-4, gap 4-10 (length 6); B = unit 0-4, gap 4-6, unit 6-8, gap 8-10.
    # Observed: only A's gap holding B's unit 6-8 differs: 2^2 = 4, once for each order of the two coders:
    #   D_o = 8 / (m (m - 1) L^2) = 8 / (2 * 1 * 100) = 0.04.
    # Expected: units of length 4, 4, 2 (N = 3); gaps 6, 2, 2.
    #   a unit of 4: (N - 1)(2*64 - 3*16 + 4)/3 = 56, plus 4^2 * (6 - 4 + 1) = 48  -> 104, twice = 208
    #   the unit of 2: (N - 1)(2*8 - 3*4 + 2)/3 = 4, plus 2^2 * ((6-2+1) + (2-2+1) + (2-2+1)) = 28 -> 32
    #   D_e = (2 / L) * 240 / (m L (m L - 1) - sum l (l - 1)) = 48 / (380 - 26) = 48 / 354
    # alpha_u = 1 - 0.04 * 354 / 48 = 0.705
    a, b = [Span("d", 0, 4)], [Span("d", 0, 4), Span("d", 6, 8)]
    assert alpha_u([a, b], {"d": 10}) == pytest.approx(0.705)
    assert alpha_u([b, a], {"d": 10}) == pytest.approx(0.705)


def test_alpha_u_reproduces_krippendorffs_worked_example():
    # Content Analysis (2004), the worked example of alpha_u: category c on a continuum 150-450, two observers.
    def unit(begin, length):
        return Span("d", begin - 150, begin - 150 + length)

    first, second = [unit(225, 70), unit(370, 30)], [unit(220, 80), unit(355, 20), unit(400, 20)]
    assert alpha_u([first, second], {"d": 300}) == pytest.approx(0.7286, abs=1e-4)


def test_alpha_u_is_one_for_identical_unitizations_and_reads_documents_as_one_continuum():
    units = [Span("d", 2, 9), Span("d", 12, 20), Span("e", 0, 5)]
    assert alpha_u([units, list(units)], {"d": 25, "e": 8}) == pytest.approx(1.0)
    shifted = [Span("d", 2, 9), Span("d", 12, 20), Span("e", 1, 5)]
    assert 0 < alpha_u([units, shifted], {"d": 25, "e": 8}) < 1


def test_alpha_u_refuses_overlapping_units_of_one_coder():
    with pytest.raises(ValueError, match="overlap"):
        alpha_u([[Span("d", 0, 5), Span("d", 3, 8)], [Span("d", 0, 5)]], {"d": 10})


def test_compare_unitizations_reports_both_directions():
    pair = compare_unitizations("machine", [Span("d", 0, 4)], "coder", [Span("d", 0, 4), Span("d", 6, 8)], {"d": 10})
    assert (pair.first_units, pair.second_units, pair.first_matched, pair.second_matched) == (1, 2, 1.0, 0.5)
    assert pair.alpha_u == pytest.approx(0.705)
