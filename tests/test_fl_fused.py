"""Fused FedAvg engine: agreement with the reference engine and autograd, and rejected models."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from isacfl.fl import RunConfig, federated_averaging, run
from isacfl.fl.fused import FusedTrainer, dense_layers
from isacfl.models import MLP
from isacfl.radar.model import RadarLeNet
from model_factories import (forward_hook_mlp, forward_pre_hook_mlp, frozen_bias_mlp, shared_bias_mlp,
                            shared_layer_mlp, shared_weight_mlp)

SUCCESS_PROB = [1.0, 0.9, 0.6, 0.8, 1.0]


def _run(factory, devices, **kwargs):
    data, test = devices
    options = dict(num_rounds=6, local_steps=3, batch_size=8, learning_rate=0.1, seed=5, return_state=True,
                   success_prob=SUCCESS_PROB)
    options.update(kwargs)
    return federated_averaging(factory, data, options.pop("success_prob"), test, **options)


def _assert_same_run(fused, reference):
    history_f, state_f = fused
    history_r, state_r = reference

    assert state_f.keys() == state_r.keys()
    for name in state_r:
        torch.testing.assert_close(state_f[name], state_r[name], rtol=0, atol=1e-5)
    for metric in ("loss_train", "loss_test", "accuracy_test"):
        rounds_f, values_f = zip(*getattr(history_f, metric))
        rounds_r, values_r = zip(*getattr(history_r, metric))
        assert rounds_f == rounds_r, metric
        np.testing.assert_allclose(values_f, values_r, rtol=0, atol=1e-6, err_msg=metric)
    assert history_f.num_uploads == history_r.num_uploads
    assert history_f.skipped_rounds == history_r.skipped_rounds


@pytest.mark.parametrize(
    "factory",
    [
        lambda: MLP((784, 32, 10)),
        lambda: MLP((784, 24, 16, 10), negative_slope=0.2),
        lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.ReLU(), nn.Linear(16, 12, bias=False),
                              nn.Linear(12, 10)),
    ],
    ids=["mlp", "mlp-slope-0.2", "sequential-relu-no-bias"],
)
def test_fused_matches_reference(devices, factory):
    _assert_same_run(_run(factory, devices, engine="fused"), _run(factory, devices, engine="reference"))


def test_fused_matches_reference_full_mlp(devices):
    fused = _run(MLP, devices, engine="fused", num_rounds=3, local_steps=5, batch_size=32)
    reference = _run(MLP, devices, engine="reference", num_rounds=3, local_steps=5, batch_size=32)

    _assert_same_run(fused, reference)


def test_fused_matches_reference_linear_model():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 3)).astype(np.float32)
    y = (x[:, 0] - x[:, 2] > 0).astype(np.int64)
    data = [(x[i::3], y[i::3]) for i in range(3)]
    options = dict(num_rounds=8, learning_rate=0.5, seed=2, return_state=True)

    fused = federated_averaging(lambda: nn.Linear(3, 2), data, [1.0, 0.5, 0.7], (x, y), engine="fused", **options)
    reference = federated_averaging(lambda: nn.Linear(3, 2), data, [1.0, 0.5, 0.7], (x, y), engine="reference",
                                    **options)

    _assert_same_run(fused, reference)
    assert fused[0].final("accuracy_test") > 0.9


def test_one_step_equals_autograd_sgd():
    torch.manual_seed(0)
    model = MLP((6, 5, 4, 3), negative_slope=0.1)
    state = {name: t.detach().clone() for name, t in model.state_dict().items()}
    images = torch.randn(20, 6)
    labels = torch.randint(0, 3, (20,))
    batch_idx = np.array([[[0, 3, 3, 7, 19]]])  # one device, one step, a repeated row
    learning_rate = 0.3

    trainer = FusedTrainer(model, learning_rate, (6,))
    new_state = trainer.train_round(state, images, labels, np.array([20]), np.array([0]), batch_idx,
                                    np.array([True]))

    rows = torch.from_numpy(batch_idx[0, 0])
    loss = F.cross_entropy(model(images[rows]), labels[rows])
    grads = dict(zip(state, torch.autograd.grad(loss, list(model.parameters()))))
    for name in state:
        torch.testing.assert_close(new_state[name], state[name] - learning_rate * grads[name], rtol=0, atol=1e-6)


def test_fused_averages_by_sample_count():
    torch.manual_seed(0)
    model = MLP((4, 3, 2))
    state = {name: t.detach().clone() for name, t in model.state_dict().items()}
    images = torch.randn(30, 4)
    labels = torch.randint(0, 2, (30,))
    counts, offsets = np.array([10, 0, 20]), np.array([0, 10, 10])
    batch_idx = np.random.default_rng(0).integers(0, 10, (3, 2, 4))
    trainer = FusedTrainer(model, 0.1, (4,))

    both = trainer.train_round(state, images, labels, counts, offsets, batch_idx, np.array([True, True, True]))
    first = trainer.train_round(state, images, labels, counts, offsets, batch_idx, np.array([True, True, False]))
    third = trainer.train_round(state, images, labels, counts, offsets, batch_idx, np.array([False, False, True]))

    for name in state:
        torch.testing.assert_close(both[name], (10 * first[name] + 20 * third[name]) / 30, rtol=0, atol=1e-6)
        assert not torch.equal(first[name], state[name])


def test_fused_same_seed_same_numbers(devices):
    first, state_a = _run(MLP, devices, engine="fused", num_rounds=2)
    second, state_b = _run(MLP, devices, engine="fused", num_rounds=2)

    assert first.loss_train == second.loss_train
    assert first.accuracy_test == second.accuracy_test
    for name in state_a:
        assert torch.equal(state_a[name], state_b[name])


def test_fused_no_upload_keeps_model(devices):
    history, state = _run(MLP, devices, engine="fused", num_rounds=2, success_prob=[0.0] * 5)
    _, initial = _run(MLP, devices, engine="reference", num_rounds=1, success_prob=[0.0] * 5)

    assert history.skipped_rounds == [1, 2]
    for name in state:
        assert torch.equal(state[name], initial[name])


def test_dense_layers_reads_activations():
    layers = dense_layers(nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 4), nn.LeakyReLU(0.3),
                                        nn.Linear(4, 2)), (5,))

    assert [layer.weight for layer in layers] == ["0.weight", "2.weight", "4.weight"]
    assert [layer.bias for layer in layers] == ["0.bias", "2.bias", "4.bias"]
    assert [layer.negative_slope for layer in layers] == [0.0, 0.3, 1.0]


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (shared_weight_mlp, "model Sequential has Linear layers that share a weight or bias tensor"),
        (shared_bias_mlp, "model Sequential has Linear layers that share a weight or bias tensor"),
        (frozen_bias_mlp, r"model MLP has parameters with requires_grad=False.*\['layers.0.bias'\]"),
        (forward_hook_mlp, r"forward hooks or forward pre-hooks.* on modules \['2'\]"),
        (forward_pre_hook_mlp, r"forward hooks or forward pre-hooks.* on modules \['\(the model itself\)'\]"),
    ],
    ids=["shared-weight", "shared-bias", "frozen-parameter", "forward-hook", "forward-pre-hook"],
)
def test_model_the_fused_engine_would_train_wrongly_rejected(factory, message):
    with pytest.raises(ValueError, match=message):
        FusedTrainer(factory(), 0.1, (8,))


def test_reference_engine_still_acceptsshared_weight_mlp():
    rng = np.random.default_rng(1)
    data = [(rng.random((12, 8), dtype=np.float32), rng.integers(0, 3, 12)) for _ in range(2)]
    test = (rng.random((10, 8), dtype=np.float32), rng.integers(0, 3, 10))

    with pytest.raises(ValueError, match="share a weight or bias tensor"):
        federated_averaging(shared_weight_mlp, data, [1.0, 1.0], test, num_rounds=1, engine="fused")
    history = federated_averaging(shared_weight_mlp, data, [1.0, 1.0], test, num_rounds=1, engine="reference")
    assert history.num_uploads == [(1, 2)]


@pytest.mark.parametrize(
    ("factory", "sample_shape", "message"),
    [
        (lambda: RadarLeNet((1, 16, 16), num_beams=4), (1, 16, 16), "model RadarLeNet is neither"),
        (lambda: nn.Sequential(nn.Flatten(), nn.BatchNorm1d(784), nn.Linear(784, 10)), (28, 28),
         r"model Sequential has buffers \['1.running_mean'"),
        (lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 10), nn.Dropout(0.1), nn.Linear(10, 10)), (28, 28),
         "model Sequential contains Dropout"),
        (lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 10), nn.ReLU()), (28, 28),
         "ends with an activation"),
        (lambda: nn.Sequential(nn.Flatten(), nn.ReLU(), nn.Linear(784, 10)), (28, 28),
         "ReLU that does not follow a Linear layer"),
        (lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 10), nn.ReLU(), nn.LeakyReLU(), nn.Linear(10, 10)),
         (28, 28), "LeakyReLU that does not follow a Linear layer"),
        (lambda: nn.Sequential(nn.Flatten(start_dim=2), nn.Linear(28, 10)), (28, 28), "flattens only some"),
        (lambda: MLP((784, 10)).double(), (28, 28), "not float32"),
        (shared_layer_mlp, (8,), "uses one Linear layer at two places"),
        (lambda: nn.Linear(28, 10), (28, 28), r"samples of shape \(28, 28\) do not fit .* does not flatten"),
        (lambda: MLP((100, 10)), (28, 28), r"first Linear layer of model MLP, which has 100 inputs"),
    ],
    ids=["radar-cnn", "batchnorm", "dropout", "trailing-activation", "leading-activation", "two-activations",
         "partial-flatten", "float64", "shared-layer", "unflattened-samples", "wrong-width"],
)
def test_unsupported_model_rejected(factory, sample_shape, message):
    with pytest.raises(ValueError, match=message):
        FusedTrainer(factory(), 0.1, sample_shape)


def test_engine_rejects_cnn_naming_fallback(devices):
    with pytest.raises(ValueError, match=r"model RadarLeNet .* use engine='reference' or engine='vectorised'"):
        _run(lambda: RadarLeNet((1, 28, 28), num_beams=10), devices, engine="fused", num_rounds=1)


def test_fused_rejects_adam(devices):
    with pytest.raises(ValueError, match=r"local_optimizer='adam' needs engine='reference', got engine='fused'"):
        _run(MLP, devices, engine="fused", local_optimizer="adam")


def test_fused_rejects_label_out_of_range(devices):
    data, test = devices
    bad = [(x, np.where(y == 3, 12, y)) for x, y in data]

    with pytest.raises(ValueError, match=r"labels must lie in \[0, 9\] for a model with 10 outputs, got labels in \[0, 12\]"):
        federated_averaging(MLP, bad, [1.0] * 5, test, num_rounds=1, engine="fused")


def test_run_config_default_is_fused(tmp_path):
    config = RunConfig(n_devices=3, num_rounds=2, eval_every=1, train_images=200, test_images=100, local_steps=2,
                       train_loss_samples=150)

    fused = run(config, 0, results_dir=tmp_path, use_cache=False)
    reference = run(config.replace(engine="reference"), 0, results_dir=tmp_path, use_cache=False)

    assert config.engine == "fused"
    assert fused.info["engine"] == "fused"
    for metric in ("loss_train", "loss_test", "accuracy_test"):
        np.testing.assert_allclose([v for _, v in getattr(fused, metric)],
                                   [v for _, v in getattr(reference, metric)], rtol=0, atol=1e-6, err_msg=metric)
