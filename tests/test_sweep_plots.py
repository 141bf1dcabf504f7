"""Strategy sweep plot: one curve per strategy in percent, legend outside the data."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from isacfl.sweep_plots import plot_strategies
from isacfl.sweeps.stats import SweepResult

STRATEGIES = ("proposed", "maxsensing", "maxcomm", "uniform")


@pytest.fixture
def sweep():
    rng = np.random.default_rng(0)
    accuracy = rng.uniform(0.55, 0.9, size=(len(STRATEGIES), 3, 4))
    return SweepResult(figure="test", axis_label="number of devices $N$ (1)", points=(5.0, 10.0, 20.0),
                       variants=STRATEGIES, seeds=(0, 1, 2, 3), metrics={"accuracy": accuracy})


def test_plot_strategies_draws_means_in_percent(sweep):
    fig, ax = plt.subplots()
    plot_strategies(ax, sweep, dodge=0.0)

    means = [container.lines[0].get_ydata() for container in ax.containers]
    assert len(means) == len(STRATEGIES)
    for curve, strategy in zip(means, STRATEGIES):
        np.testing.assert_allclose(curve, 100 * sweep.interval("accuracy", strategy).mean)
    plt.close(fig)


def test_plot_strategies_legend_above_axes(sweep):
    fig, ax = plt.subplots()
    plot_strategies(ax, sweep)
    fig.canvas.draw()

    legend_box = ax.get_legend().get_window_extent()
    axes_box = ax.get_window_extent()
    assert [text.get_text() for text in ax.get_legend().get_texts()][0] == "Proposed (certified optimum)"
    assert legend_box.y0 >= axes_box.y1
    plt.close(fig)
