"""Tests of isacfl.radar.experiment: acquisition, preprocessing, runs and the claim verdict."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from isacfl.allocation import allocate
from isacfl.fl import federated_averaging
from isacfl.radar import experiment, synthetic
from isacfl.radar.model import RadarLeNet, count_parameters


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory):
    config = synthetic.SyntheticConfig(n_frames=30, radar=synthetic.FmcwRadar(n_samples=32, n_chirps=8))
    return synthetic.load_synthetic_scenario9(config, seed=0, cache_dir=tmp_path_factory.mktemp("cache"))


TINY_CONFIG = experiment.RadarExperimentConfig(n_devices=3, num_rounds=2, local_steps=2, batch_size=4,
                                               eval_every=1, centralised_epochs=2)


def test_radar_scenario_snapshot_and_model_size():
    scenario = experiment.radar_scenario(4, seed=1, n_parameters=1234)
    assert scenario.model_bits == 32 * 1234
    np.testing.assert_allclose(scenario.snapshot_s, 128 * 65e-6)
    assert scenario.n_devices == 4


@pytest.mark.parametrize(("transform", "shape"), [
    ("range_angle", (1, 32, 16)),
    ("range_velocity", (1, 32, 8)),
    ("radar_cube", (4, 32, 8)),
])
def test_preprocess_shapes_match_network(tiny_dataset, transform, shape):
    maps = experiment.preprocess(tiny_dataset.train.frames[:2], transform, angle_fft_size=16)
    assert maps.shape == (2, *shape)
    assert maps.dtype == np.float32
    net = RadarLeNet.for_transform(transform, tiny_dataset.frame_shape, angle_fft_size=16)
    assert net.input_shape == shape


def test_preprocess_rejects_unknown_transform(tiny_dataset):
    with pytest.raises(ValueError, match=r"transform must be one of \['radar_cube', 'range_angle', 'range_velocity'\]"):
        experiment.preprocess(tiny_dataset.train.frames[:1], "doppler")


def test_acquire_radar_repeats_pool_with_fresh_noise(tiny_dataset):
    _, first_of_label = np.unique(tiny_dataset.train.labels, return_index=True)
    pool = first_of_label[:3]  # three frames with distinct labels
    frames, labels = tiny_dataset.train.frames[pool], tiny_dataset.train.labels[pool]
    maps, got = experiment.acquire_radar(frames, labels, 7, 1.0, "range_angle", np.random.default_rng(0), 16)
    assert maps.shape == (7, 1, 32, 16)
    # Seven observations of three frames: each frame is observed twice or three times.
    assert sorted(int(np.sum(got == label)) for label in labels) == [2, 2, 3]
    # Two observations of the same pool frame differ, because each draws its own noise.
    repeated = np.flatnonzero(got == got[0])
    assert not np.allclose(maps[repeated[0]], maps[repeated[1]])


def test_acquire_radar_zero_frames(tiny_dataset):
    maps, labels = experiment.acquire_radar(tiny_dataset.train.frames[:2], tiny_dataset.train.labels[:2], 0, 1.0,
                                            "radar_cube", np.random.default_rng(0))
    assert maps.shape == (0, 4, 32, 8)
    assert labels.shape == (0,)


def test_fl_run_reproducible_and_consistent(tiny_dataset):
    a = experiment.run_radar_fl(tiny_dataset, "uniform", TINY_CONFIG, seed=4)
    b = experiment.run_radar_fl(tiny_dataset, "uniform", TINY_CONFIG, seed=4)
    assert a.topk == b.topk
    assert a.strategy == "uniform"
    assert a.seed == 4
    assert a.data_source.startswith("synthetic")
    values = [a.topk[k] for k in experiment.TOPK]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert values == sorted(values)
    assert [r for r, _ in a.accuracy_curve] == [0, 1, 2]
    # The frame counts are those of the allocation of the run's scenario.
    net = RadarLeNet.for_transform("range_angle", tiny_dataset.frame_shape, angle_fft_size=16)
    from isacfl.fl import seed_streams
    scenario = experiment.radar_scenario(3, seed_streams(4)["positions"], count_parameters(net))
    assert a.samples == tuple(int(d) for d in allocate(scenario, "uniform").samples)


def test_centralised_run_reproducible(tiny_dataset):
    a = experiment.run_centralised(tiny_dataset, TINY_CONFIG, seed=1)
    b = experiment.run_centralised(tiny_dataset, TINY_CONFIG, seed=1)
    assert a.topk == b.topk
    assert a.strategy == "centralised"
    assert a.samples == (len(tiny_dataset.train),)
    assert [epoch for epoch, _ in a.accuracy_curve] == [1, 2]


def test_experiment_orders_runs(tiny_dataset):
    runs = experiment.run_radar_experiment(tiny_dataset, TINY_CONFIG.replace(num_rounds=1), seeds=[0, 1],
                                           strategies=["maxcomm"], progress=False)
    assert [(r.seed, r.strategy) for r in runs] == [(0, "maxcomm"), (0, "centralised"),
                                                    (1, "maxcomm"), (1, "centralised")]
    summary = experiment.summarise_runs(runs)
    assert list(summary) == ["maxcomm", "centralised"]
    assert summary["maxcomm"]["seeds"] == [0, 1]
    expected = np.mean([r.topk[5] for r in runs if r.strategy == "maxcomm"])
    assert summary["maxcomm"]["topk_mean"][5] == pytest.approx(expected)


def _summary(means: dict[str, float], std: float, seeds: int = 3) -> dict:
    return {name: {"topk_mean": {1: m, 5: m + 0.2}, "topk_std": {1: std, 5: std}, "seeds": list(range(seeds))}
            for name, m in means.items()}


def test_claim_verdict_cases():
    baselines = ("maxsensing", "uniform")
    clear = _summary({"proposed": 0.5, "maxsensing": 0.3, "uniform": 0.4}, std=0.02)
    assert experiment.claim_verdict(clear, baselines=baselines)["verdict"] == "holds"
    per_k = experiment.claim_verdict(clear, baselines=baselines)["per_k"]
    assert per_k[1]["best_baseline"] == "uniform"
    assert per_k[1]["margin"] == pytest.approx(0.1)
    # Welch half-width by hand: se = 0.02 / sqrt(3) per arm, df = 4, t_0.975(4) = 2.776445.
    assert per_k[1]["noise"] == pytest.approx(2.776445 * np.hypot(0.02, 0.02) / np.sqrt(3), rel=1e-5)
    beaten = _summary({"proposed": 0.3, "maxsensing": 0.2, "uniform": 0.4}, std=0.02)
    assert experiment.claim_verdict(beaten, baselines=baselines)["verdict"] == "does not hold"
    close = _summary({"proposed": 0.41, "maxsensing": 0.2, "uniform": 0.4}, std=0.05)
    assert experiment.claim_verdict(close, baselines=baselines)["verdict"] == "inconclusive"
    one_seed = _summary({"proposed": 0.9, "maxsensing": 0.2, "uniform": 0.4}, std=0.0, seeds=1)
    assert experiment.claim_verdict(one_seed, baselines=baselines)["verdict"] == "inconclusive"


def test_claim_verdict_missing_strategy():
    with pytest.raises(ValueError, match=r"summary lacks the strategies \['maxcomm'\]"):
        experiment.claim_verdict(_summary({"proposed": 0.5}, std=0.0), baselines=("maxcomm",))


@pytest.mark.parametrize(("changes", "message"), [
    ({"transform": "cube"}, r"transform must be one of"),
    ({"num_rounds": 0}, r"num_rounds must be an integer >= 1, got 0"),
    ({"learning_rate": -1.0}, r"learning_rate must be > 0, got -1\.0"),
    ({"local_optimizer": "rmsprop"}, r"local_optimizer must be 'sgd' or 'adam', got 'rmsprop'"),
])
def test_config_rejects_invalid(changes, message):
    with pytest.raises(ValueError, match=message):
        experiment.RadarExperimentConfig(**changes)


def _constant_linear() -> torch.nn.Module:
    layer = torch.nn.Linear(3, 2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]))
        layer.bias.copy_(torch.tensor([0.1, -0.2]))
    return layer


def test_local_adam_matches_torch_adam():
    # Every sample of the device is the same, so each mini-batch gives the same loss as the
    # whole set, and one round of K local Adam steps must equal K plain torch Adam steps.
    x = np.tile(np.array([[1.0, 2.0, -1.0]], np.float32), (6, 1))
    y = np.zeros(6, np.int64)
    _, state = federated_averaging(_constant_linear, [(x, y)], [1.0], (x, y), num_rounds=1, local_steps=4,
                                   batch_size=3, learning_rate=0.01, engine="reference",
                                   local_optimizer="adam", return_state=True)
    manual = _constant_linear()
    optimizer = torch.optim.Adam(manual.parameters(), lr=0.01)
    for _ in range(4):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(manual(torch.from_numpy(x[:3])), torch.from_numpy(y[:3])).backward()
        optimizer.step()
    torch.testing.assert_close(state["weight"], manual.weight.detach())
    torch.testing.assert_close(state["bias"], manual.bias.detach())
    # With a gradient of steady sign, each Adam step moves every weight by about the learning rate.
    moved = (state["weight"] - _constant_linear().weight.detach()).abs()
    torch.testing.assert_close(moved, torch.full_like(moved, 0.04), atol=0.005, rtol=0.0)


@pytest.mark.parametrize(("options", "message"), [
    ({"local_optimizer": "adam", "engine": "vectorised"}, r"local_optimizer='adam' needs engine='reference'"),
    ({"local_optimizer": "momentum"}, r"local_optimizer must be 'sgd' or 'adam', got 'momentum'"),
])
def test_local_optimizer_rejects_invalid(options, message):
    x, y = np.zeros((2, 3), np.float32), np.zeros(2, np.int64)
    with pytest.raises(ValueError, match=message):
        federated_averaging(_constant_linear, [(x, y)], [1.0], (x, y), num_rounds=1, **options)
