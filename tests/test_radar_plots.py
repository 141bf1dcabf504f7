"""Top-k bar plot of the radar chapter: bar heights in percent, legend clear of the bars."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from isacfl.radar_plots import plot_topk_bars

SUMMARY = {
    "proposed": {"topk_mean": {1: 0.12, 3: 0.25}, "topk_std": {1: 0.01, 3: 0.04}},
    "maxcomm": {"topk_mean": {1: 0.13, 3: 0.34}, "topk_std": {1: 0.02, 3: 0.07}},
    "centralised": {"topk_mean": {1: 0.44, 3: 0.99}, "topk_std": {1: 0.01, 3: 0.01}},
}


def test_topk_bars_heights_in_percent():
    fig, ax = plt.subplots()
    plot_topk_bars(ax, SUMMARY)

    heights = {container.get_label(): [bar.get_height() for bar in container] for container in ax.containers
               if hasattr(container, "patches")}
    np.testing.assert_allclose(heights["Proposed (certified optimum)"], [12.0, 25.0])
    np.testing.assert_allclose(heights["Centralised, noise-free"], [44.0, 99.0])
    plt.close(fig)


def test_topk_bars_legend_beside_axes():
    fig, ax = plt.subplots()
    plot_topk_bars(ax, SUMMARY)
    fig.canvas.draw()

    assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1
    plt.close(fig)


def test_topk_bars_room_for_error_caps():
    near_full = {**SUMMARY, "centralised": {"topk_mean": {1: 0.44, 3: 0.98}, "topk_std": {1: 0.01, 3: 0.03}}}
    fig, ax = plt.subplots()
    plot_topk_bars(ax, near_full)

    assert ax.get_ylim() == pytest.approx((0.0, 103.0))
    plt.close(fig)
