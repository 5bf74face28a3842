"""Closed forms of the production block."""

import numpy as np
import pytest

from simulator.model import production


@pytest.mark.parametrize("s, g_a, g_l, alpha, delta", [(0.3, 0.02, 0.01, 0.4, 0.05), (0.4, 0.035, -0.002, 0.33, 0.07)])
def test_capital_output_ratio_converges_to_s_over_delta_plus_g(s, g_a, g_l, alpha, delta):
    """LTGM steady state: K/Y → s / (δ + g_Y), g_Y the balanced growth rate of output.

    With A growing at g_A and labour at g_L (log points), balanced growth has
    1 + g_Y = exp((g_A + (1 − α)·g_L) / (1 − α)).
    """
    capital, tfp, labour = 1.0, 1.0, 1.0
    y = production.output(tfp, capital, 1.0, labour, capital_share=alpha)
    for _ in range(2000):
        capital = production.capital_next(capital, s * y, depreciation_rate=delta)
        tfp *= np.exp(g_a)
        labour *= np.exp(g_l)
        y = production.output(tfp, capital, 1.0, labour, capital_share=alpha)
    g_y = np.exp((g_a + (1 - alpha) * g_l) / (1 - alpha)) - 1
    assert capital / y == pytest.approx(s / (delta + g_y), rel=1e-9)


def test_tfp_contribution_by_hand():
    # Y +10 %, K +8 %, E +1 % in logs, b_K = 0.4: (0.10 − 0.032 − 0.006) / 0.10 = 0.62
    assert production.tfp_contribution(0.10, 0.08, 0.01, capital_weight=0.4) == pytest.approx(0.62)
    assert production.tfp_residual(0.10, 0.08, 0.01, capital_weight=0.4) == pytest.approx(0.062)
    # undefined when growth is near zero: below half a point a year on average
    assert np.isnan(production.tfp_contribution(np.array(0.0), 0.01, 0.0, capital_weight=0.4))
    assert np.isnan(production.tfp_contribution(np.array(0.02), 0.01, 0.0, capital_weight=0.4, years=5))
    assert np.isfinite(production.tfp_contribution(np.array(0.03), 0.01, 0.0, capital_weight=0.4, years=5))


def test_realised_investment_share_has_mean_of_the_lever():
    z = np.random.default_rng(3).standard_normal(400_000)
    share = production.realised_investment_share(0.4, realisation=1.0, history_ratio=1.0, realisation_sd=0.1, shock=z)
    assert share.mean() == pytest.approx(0.4, rel=2e-3)
    # the realisation lever and the path's history ratio scale the planned share
    scaled = production.realised_investment_share(0.4, realisation=0.9, history_ratio=1.1, realisation_sd=0.1, shock=z)
    np.testing.assert_allclose(scaled, np.minimum(share * 0.99, 1.0))
