"""Tests of isacfl.system_plots: the energy-split numbers, the tables and the figure contents."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from isacfl import Scenario, system_plots  # noqa: E402
from isacfl.scenario import FIELD_UNITS  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_energy_split_hand_values():
    # L = 1: D = 5000, T_up = 1 - 2e-5 * 5000 = 0.9 s, left = 3 - 1 - 0.5 = 1.5 J, p_c = 1.5 / 0.9 W.
    table = system_plots.energy_split_table(Scenario(n_devices=1), 1.0, [1])
    assert table["samples"].tolist() == [5000]
    assert table["computing_j"][0] == pytest.approx(0.5)
    assert table["comm_power_w"][0] == pytest.approx(1.5 / 0.9)
    assert table["upload_j"][0] == pytest.approx(1.5)
    assert table["total_j"][0] == pytest.approx(3.0)


def test_energy_split_caps_comm_power():
    # A 10 J budget leaves more than P_c^max T_up for the upload, so p_c stops at 2 W.
    table = system_plots.energy_split_table(Scenario(n_devices=1, energy_budget_j=10.0), 1.0, [32])
    assert table["comm_power_w"][0] == 2.0
    assert table["total_j"][0] < 10.0


def test_energy_split_zero_power_when_budget_spent():
    table = system_plots.energy_split_table(Scenario(n_devices=1, energy_budget_j=1.2), 1.0, [1])
    assert table["comm_power_w"][0] == 0.0
    assert table["success_prob"][0] == 0.0


def test_energy_split_rejects_power_out_of_range():
    with pytest.raises(ValueError, match=r"sensing_power_w must be in \[0.05, 2.0\] W for device 0, got 3.0"):
        system_plots.energy_split_table(Scenario(n_devices=1), 3.0, [1])


def test_markdown_table_covers_every_field():
    lines = system_plots.scenario_markdown_table(Scenario(n_devices=2)).splitlines()
    assert len(lines) == 2 + len(FIELD_UNITS)
    assert "| `energy_budget_j` | $E_n$ | energy budget per round (per device) | 3 | J |" in lines
    assert set(system_plots.FIELD_SYMBOLS_LATEX) == set(FIELD_UNITS)


def test_sensing_snr_plot_lines():
    fig, ax = plt.subplots()
    system_plots.plot_sensing_snr_vs_power(ax, Scenario(n_devices=1), [50.0, 100.0], snapshots=(1, 4))
    lines = ax.get_lines()
    assert len(lines) == 4
    # At 50 m versus 100 m with alpha_s = 4 the SNR is 16 times, 12.04 dB, higher at every power.
    assert np.allclose(lines[0].get_ydata() - lines[2].get_ydata(), 40 * np.log10(2))
    # Four snapshots instead of one add 10 log10 4 = 6.02 dB.
    assert np.allclose(lines[1].get_ydata() - lines[0].get_ydata(), 10 * np.log10(4))


def test_success_plot_reaches_closed_form():
    fig, ax = plt.subplots()
    system_plots.plot_success_probability(ax, Scenario(n_devices=1), [175.0], snapshots=(1,))
    line = ax.get_lines()[0]
    assert line.get_ydata()[0] == 0.0
    assert line.get_ydata()[-1] == pytest.approx(np.exp(-0.3102 / 2.0), abs=1e-3)


def test_noisy_digits_rejects_wrong_grid():
    fig, axes = plt.subplots(2, 3, squeeze=False)
    with pytest.raises(ValueError, match=r"axes must have shape \(2, 4\)"):
        system_plots.plot_noisy_digits(axes, np.zeros((2, 28, 28)), [0.0, -5.0, -10.0], np.random.default_rng(0))
