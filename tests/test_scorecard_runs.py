"""Scorecard rows of Figs. 3, 4 and 12 on hand-made runs whose verdicts follow from the interval rule."""

from __future__ import annotations

import numpy as np
import pytest

from isacfl.radar.experiment import RadarRun
from isacfl.scorecard import Verdict, loss_claim, radar_claim, snr_accuracy_claim

SNRS = [-20.0, 0.0, 20.0]
SIZES = [250, 1000]


def test_accuracy_claim_holds():
    row = snr_accuracy_claim(SNRS, [[0.70, 0.85, 0.88], [0.69, 0.86, 0.89], [0.71, 0.84, 0.88]])

    assert row.verdict is Verdict.HOLDS
    assert row.comparisons[0].description == "accuracy(20 dB) - accuracy(-20 dB)"
    # Differences 0.18, 0.20, 0.17: the mean is their average.
    assert row.comparisons[0].interval.mean == pytest.approx(0.55 / 3)


def test_accuracy_claim_does_not_hold():
    row = snr_accuracy_claim(SNRS, [[0.88, 0.85, 0.70], [0.89, 0.86, 0.69], [0.88, 0.84, 0.71]])

    assert row.verdict is Verdict.DOES_NOT_HOLD
    assert row.means_agree is False


def test_accuracy_claim_inconclusive():
    # Differences 0.1, -0.05, 0.05 straddle zero.
    row = snr_accuracy_claim(SNRS, [[0.7, 0.8, 0.8], [0.8, 0.8, 0.75], [0.7, 0.8, 0.75]])

    assert row.verdict is Verdict.INCONCLUSIVE
    assert row.means_agree is True


def test_accuracy_claim_one_seed_inconclusive():
    assert snr_accuracy_claim(SNRS, [[0.7, 0.8, 0.9]]).verdict is Verdict.INCONCLUSIVE


def test_accuracy_claim_rejects_shape():
    with pytest.raises(ValueError, match=r"accuracies must have shape \(n_seeds, 3\)"):
        snr_accuracy_claim(SNRS, [[0.7, 0.8]])


@pytest.mark.parametrize(("snrs", "message"), [
    ([10.0, 10.0], r"snr_db must be finite, distinct and strictly increasing, got \[10.0, 10.0\]"),
    ([20.0, -20.0], r"snr_db must be .* strictly increasing, got \[20.0, -20.0\]"),
    ([float("nan"), 20.0], r"snr_db must be finite.*got \[nan, 20.0\]"),
], ids=["equal", "decreasing", "nan"])
def test_accuracy_claim_rejects_bad_snrs(snrs, message):
    with pytest.raises(ValueError, match=message):
        snr_accuracy_claim(snrs, [[0.7, 0.8], [0.71, 0.82]])


def test_loss_claim_labels_sizes_as_integers():
    row = loss_claim(SNRS, [250.0, 1000.0], _losses(0.3, 0.2), "training loss")

    assert row.comparisons[0].description == "D = 250: loss(-20 dB) - loss(0 dB)"
    assert row.comparisons[-1].description == "20 dB: loss(D = 250) - loss(D = 1000)"


def _losses(snr_step: float, size_step: float, noise: float = 0.0) -> np.ndarray:
    """Loss 2 - snr_step * (SNR index) - size_step * (size index), plus seed-dependent noise."""
    seeds = np.arange(3)[:, None, None]
    j = np.arange(len(SNRS))[None, :, None]
    k = np.arange(len(SIZES))[None, None, :]
    wobble = noise * np.array([-1.0, 0.2, 0.8])[:, None, None] * (1 + j + k)
    return 2.0 - snr_step * j - size_step * k + 0.01 * seeds + wobble


def test_loss_claim_holds():
    row = loss_claim(SNRS, SIZES, _losses(0.3, 0.2, noise=0.01), "clean test loss")

    assert row.verdict is Verdict.HOLDS
    # Two SNR steps at each of two sizes, and one size step at each of three SNRs.
    assert len(row.comparisons) == 7
    assert row.comparisons[0].description == "D = 250: loss(-20 dB) - loss(0 dB)"
    assert row.comparisons[-1].description == "20 dB: loss(D = 250) - loss(D = 1000)"
    assert row.claim == "Higher SNR and larger D give a lower clean test loss at the end of training"


def test_loss_claim_fails_when_size_raises_loss():
    row = loss_claim(SNRS, SIZES, _losses(0.3, -0.2), "training loss")

    assert row.verdict is Verdict.DOES_NOT_HOLD
    size_parts = [c for c in row.comparisons if "loss(D = 250)" in c.description]
    snr_parts = [c for c in row.comparisons if c.description.startswith("D = ")]
    assert all(c.verdict is Verdict.DOES_NOT_HOLD for c in size_parts)
    assert all(c.verdict is Verdict.HOLDS for c in snr_parts)


def test_loss_claim_inconclusive_when_noise_dominates():
    row = loss_claim(SNRS, SIZES, _losses(0.01, 0.01, noise=0.2), "training loss")

    assert row.verdict is Verdict.INCONCLUSIVE


@pytest.mark.parametrize(("snrs", "sizes", "shape", "message"), [
    (SNRS, SIZES, (3, 2, 2), r"losses must have shape \(n_seeds, 3, 2\), got \(3, 2, 2\)"),
    ([0.0, -10.0, 10.0], SIZES, (3, 3, 2), r"snr_db must be finite, distinct and strictly increasing, got \[0.0, -10.0"),
    (SNRS, [1000, 250], (3, 3, 2), r"sizes must be finite, distinct and strictly increasing, got \[1000.0, 250.0\]"),
    ([-20.0, float("nan"), 20.0], SIZES, (3, 3, 2), r"snr_db must be finite.*got \[-20.0, nan, 20.0\]"),
    ([0.0, 0.0, 20.0], SIZES, (3, 3, 2), r"snr_db must be finite, distinct"),
    (SNRS, [250, float("inf")], (3, 3, 2), r"sizes must be finite.*got \[250.0, inf\]"),
    (SNRS, [250, 1000.5], (3, 3, 2), r"sizes must be whole numbers of samples >= 1, got \[250.0, 1000.5\]"),
    (SNRS, ["a", "b"], (3, 3, 2), r"sizes must be finite, distinct and strictly increasing numbers, got \['a', 'b'\]"),
], ids=["shape", "snr-order", "size-order", "nan-snr", "equal-snr", "infinite-size", "fractional-size", "text-size"])
def test_loss_claim_rejects_bad_input(snrs, sizes, shape, message):
    with pytest.raises(ValueError, match=message):
        loss_claim(snrs, sizes, np.ones(shape), "training loss")


def _radar_runs(top1: dict[str, list[float]], source: str = "synthetic stand-in for DeepSense 6G Scenario 9") -> list:
    runs = []
    for name, values in top1.items():
        for seed, value in enumerate(values):
            runs.append(RadarRun(name, seed, {1: value, 5: min(1.0, value + 0.3)}, 1.0, (10,), (0.0,), (0.9,), source))
    return runs


BASELINES = ("maxsensing", "maxcomm", "uniform")


def test_radar_claim_holds_on_synthetic():
    runs = _radar_runs({"proposed": [0.50, 0.52, 0.55], "maxsensing": [0.30, 0.33, 0.34],
                        "maxcomm": [0.20, 0.21, 0.26], "uniform": [0.40, 0.41, 0.46], "centralised": [0.9, 0.9, 0.9]})

    row = radar_claim(runs)
    assert row.verdict is Verdict.HOLDS
    # Two values of k times three baselines.
    assert [c.description for c in row.comparisons][:3] == ["top-1 Proposed - MaxSensing", "top-1 Proposed - MaxComm",
                                                            "top-1 Proposed - Uniform"]
    assert len(row.comparisons) == 6
    assert "synthetic stand-in data" in row.claim
    assert row.note.startswith("data: synthetic stand-in")


def test_radar_claim_does_not_hold_when_baseline_better():
    runs = _radar_runs({"proposed": [0.30, 0.31, 0.35], "maxsensing": [0.50, 0.52, 0.55],
                        "maxcomm": [0.10, 0.11, 0.12], "uniform": [0.10, 0.12, 0.13]})

    row = radar_claim(runs)
    assert row.verdict is Verdict.DOES_NOT_HOLD
    assert row.means_agree is False


def test_radar_claim_one_seed_inconclusive():
    runs = _radar_runs({name: [value] for name, value in zip(("proposed",) + BASELINES, (0.5, 0.3, 0.2, 0.1))},
                       source="DeepSense 6G Scenario 9")

    row = radar_claim(runs)
    assert row.verdict is Verdict.INCONCLUSIVE
    assert row.means_agree is True
    assert row.claim.endswith("(DeepSense 6G Scenario 9)")


def test_radar_claim_rejects_unpaired_seeds():
    runs = _radar_runs({"proposed": [0.5, 0.5], "maxsensing": [0.3, 0.3, 0.3], "maxcomm": [0.1, 0.1],
                        "uniform": [0.1, 0.1]})

    with pytest.raises(ValueError, match=r"maxsensing ran on seeds \[0, 1, 2\], proposed on \[0, 1\]"):
        radar_claim(runs)


def test_radar_claim_rejects_missing_strategy():
    with pytest.raises(ValueError, match=r"runs lack the strategies \['uniform'\]"):
        radar_claim(_radar_runs({"proposed": [0.5], "maxsensing": [0.3], "maxcomm": [0.1]}))


def test_radar_claim_rejects_mismatched_top_k():
    runs = _radar_runs({"proposed": [0.5, 0.5], "maxsensing": [0.3, 0.3], "maxcomm": [0.1, 0.1],
                        "uniform": [0.1, 0.1]})
    runs[3] = RadarRun("maxsensing", 1, {1: 0.3}, 1.0, (10,), (0.0,), (0.9,), runs[3].data_source)

    with pytest.raises(ValueError, match=r"run of maxsensing for seed 1 has top-k accuracies for k = \[1\], "
                                         r"but proposed for seed 0 has k = \[1, 5\]"):
        radar_claim(runs)


@pytest.mark.parametrize(("options", "message"), [
    ({"claimed": "best"}, r"unknown strategy names \['best'\]; the known strategies are \["),
    ({"baselines": ("uniform", "random")}, r"unknown strategy names \['random'\]"),
], ids=["claimed", "baseline"])
def test_radar_claim_rejects_unknown_strategy(options, message):
    runs = _radar_runs({"proposed": [0.5], "maxsensing": [0.3], "maxcomm": [0.1], "uniform": [0.1]})

    with pytest.raises(ValueError, match=message):
        radar_claim(runs, **options)
