"""FedAvg engines: vectorised against reference, determinism, uploads and skipped rounds."""

import logging

import numpy as np
import pytest
import torch
from torch import nn

from isacfl.fl import draw_batch_indices, draw_uploads, federated_averaging, seed_streams
from isacfl.models import MLP
from model_factories import (forward_hook_mlp, frozen_bias_mlp, frozen_shared_layer_mlp, shared_layer_mlp,
                            shared_weight_mlp)


def _small_mlp():
    return MLP((784, 32, 10))


def _run(devices, **kwargs):
    data, test = devices
    options = dict(num_rounds=6, local_steps=3, batch_size=8, learning_rate=0.1, seed=5, return_state=True)
    options.update(kwargs)
    success_prob = options.pop("success_prob", [1.0, 0.9, 0.6, 0.8, 1.0])
    return federated_averaging(_small_mlp, data, success_prob, test, **options)


def test_vectorised_matches_reference(devices):
    history_v, state_v = _run(devices, engine="vectorised")
    history_r, state_r = _run(devices, engine="reference")

    for name in state_r:
        torch.testing.assert_close(state_v[name], state_r[name], rtol=0, atol=1e-5)
    assert history_v.num_uploads == history_r.num_uploads
    np.testing.assert_allclose([v for _, v in history_v.loss_train], [v for _, v in history_r.loss_train], atol=1e-5)


def _small_devices():
    rng = np.random.default_rng(3)
    data = [(rng.normal(size=(d, 8)).astype(np.float32), rng.integers(0, 3, d)) for d in (20, 0, 35, 12)]
    test = (rng.normal(size=(30, 8)).astype(np.float32), rng.integers(0, 3, 30))
    return data, test


@pytest.mark.parametrize(
    "factory",
    [frozen_bias_mlp, shared_weight_mlp, frozen_shared_layer_mlp, forward_hook_mlp],
    ids=["frozen-bias", "shared-weight", "frozen-shared-layer", "forward-hook"],
)
def test_vectorised_matches_reference_unusual_model(factory):
    data, test = _small_devices()
    options = dict(num_rounds=4, local_steps=3, batch_size=5, learning_rate=0.2, seed=2, return_state=True)

    history_v, state_v = federated_averaging(factory, data, [1.0, 1.0, 0.7, 0.9], test, engine="vectorised", **options)
    history_r, state_r = federated_averaging(factory, data, [1.0, 1.0, 0.7, 0.9], test, engine="reference", **options)

    assert state_v.keys() == state_r.keys()
    for name in state_r:
        torch.testing.assert_close(state_v[name], state_r[name], rtol=0, atol=1e-5, msg=name)
    assert history_v.num_uploads == history_r.num_uploads


def test_vectorised_rejects_shared_layer():
    data, test = _small_devices()

    with pytest.raises(ValueError, match=r"module used at two places \('2' and '4'\).*use engine='reference'"):
        federated_averaging(shared_layer_mlp, data, [1.0] * 4, test, num_rounds=1, engine="vectorised")
    history = federated_averaging(shared_layer_mlp, data, [1.0] * 4, test, num_rounds=1, engine="reference")
    assert history.num_uploads == [(1, 4)]


def _gradient_hook_mlp():
    model = nn.Sequential(nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 3))
    model[0].weight.register_hook(lambda gradient: gradient * 0)
    return model


def _backward_hook_mlp():
    model = nn.Sequential(nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 3))
    model[2].register_full_backward_hook(lambda module, grad_input, grad_output: None)
    return model


def _dropout_mlp():
    return nn.Sequential(nn.Linear(8, 6), nn.ReLU(), nn.Dropout(0.2), nn.Linear(6, 3))


def _randomforward_hook_mlp():
    model = nn.Sequential(nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 3))
    model[0].register_forward_hook(lambda module, inputs, output: output + 0.01 * torch.randn_like(output))
    return model


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (_gradient_hook_mlp, r"skip the gradient hooks on parameters \['0.weight'\]"),
        (_backward_hook_mlp, r"cannot run module backward hooks .* on modules \['2'\]"),
        (_dropout_mlp, r"cannot draw dropout masks .* dropout modules \['2'\]"),
        (_randomforward_hook_mlp, "draws random numbers in its forward pass"),
    ],
    ids=["gradient-hook", "backward-hook", "dropout", "random-forward-hook"],
)
def test_vectorised_rejects_unsupported_model(factory, message):
    data, test = _small_devices()

    with pytest.raises(ValueError, match=message + ".*use engine='reference'"):
        federated_averaging(factory, data, [1.0] * 4, test, num_rounds=1, engine="vectorised")
    history = federated_averaging(factory, data, [1.0] * 4, test, num_rounds=1, engine="reference")
    assert history.num_uploads == [(1, 4)]


@pytest.mark.parametrize("engine", ["vectorised", "reference", "fused"])
def test_model_without_trainable_parameters_rejected(engine):
    data, test = _small_devices()

    def frozen_factory():
        model = MLP((8, 6, 3))
        model.requires_grad_(False)
        return model

    with pytest.raises(ValueError, match="model MLP has no parameter with requires_grad=True"):
        federated_averaging(frozen_factory, data, [1.0] * 4, test, num_rounds=1, engine=engine)


@pytest.mark.parametrize("engine", ["vectorised", "reference"])
def test_frozen_parameter_stays_initial(engine):
    data, test = _small_devices()
    options = dict(local_steps=3, batch_size=5, learning_rate=0.2, seed=2, return_state=True, engine=engine)

    _, initial = federated_averaging(frozen_bias_mlp, data, [0.0] * 4, test, num_rounds=1, **options)
    _, trained = federated_averaging(frozen_bias_mlp, data, [1.0] * 4, test, num_rounds=3, **options)

    torch.testing.assert_close(trained["layers.0.bias"], initial["layers.0.bias"], rtol=0, atol=1e-6)
    assert not torch.allclose(trained["layers.0.weight"], initial["layers.0.weight"])


def test_model_moves_from_initial(devices):
    _, initial = _run(devices, num_rounds=1, success_prob=[0.0] * 5)
    _, trained = _run(devices)

    assert not torch.allclose(initial["layers.0.weight"], trained["layers.0.weight"])


def test_same_seed_same_numbers(devices):
    first, state_a = _run(devices)
    second, state_b = _run(devices)
    other, _ = _run(devices, seed=6)

    assert first.loss_train == second.loss_train
    assert first.accuracy_test == second.accuracy_test
    for name in state_a:
        assert torch.equal(state_a[name], state_b[name])
    assert first.loss_train[-1] != other.loss_train[-1]


def test_initialisation_leaves_global_rng_alone(devices):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)

    _run(devices, num_rounds=1)

    torch.testing.assert_close(torch.rand(3), expected)


def test_no_upload_keeps_model_and_logs(devices, caplog):
    with caplog.at_level(logging.INFO, logger="isacfl.fl.engine"):
        history, state = _run(devices, success_prob=[0.0] * 5, num_rounds=3)
    _, initial = _run(devices, success_prob=[0.0] * 5, num_rounds=1)

    assert history.skipped_rounds == [1, 2, 3]
    assert len({v for _, v in history.loss_train}) == 1
    for name in state:
        assert torch.equal(state[name], initial[name])
    assert "round 2: no upload with data got through" in caplog.text


def test_zero_sample_device_never_contributes(devices):
    _, with_upload = _run(devices, success_prob=[1.0, 0.9, 0.6, 0.8, 1.0])
    _, without = _run(devices, success_prob=[0.0, 0.9, 0.6, 0.8, 1.0])

    for name in with_upload:
        assert torch.equal(with_upload[name], without[name])


def test_eval_rounds_follow_eval_every(devices):
    history, _ = _run(devices, num_rounds=7, eval_every=3)

    assert [r for r, _ in history.accuracy_test] == [0, 3, 6, 7]
    assert [r for r, _ in history.num_uploads] == list(range(1, 8))


def test_uploads_shared_where_probabilities_equal():
    streams_a, streams_b = seed_streams(3), seed_streams(3)

    a = draw_uploads([0.3, 0.7, 0.5], 200, np.random.default_rng(streams_a["uploads"]))
    b = draw_uploads([0.9, 0.7, 0.5], 200, np.random.default_rng(streams_b["uploads"]))

    np.testing.assert_array_equal(a[:, 1:], b[:, 1:])
    assert np.all(b[:, 0] >= a[:, 0])  # a higher probability only adds successes
    assert abs(a[:, 1].mean() - 0.7) < 0.1


def test_batch_indices_stay_in_range():
    idx = draw_batch_indices([1, 5, 0, 1000], 4, 64, np.random.default_rng(0))

    assert idx.shape == (4, 4, 64)
    assert np.all(idx[0] == 0)
    assert idx[1].max() == 4
    assert np.all(idx[2] == 0)
    assert idx[3].max() < 1000


def test_streams_independent():
    streams = seed_streams(0)
    draws = [np.random.default_rng(s).random() for s in streams.values()]

    assert len(set(draws)) == len(streams)


def test_learns_separable_problem():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 2)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    data = [(x[i::4], y[i::4]) for i in range(4)]

    history = federated_averaging(lambda: nn.Linear(2, 2), data, [1.0, 1.0, 0.5, 0.5], (x, y),
                                  num_rounds=30, learning_rate=0.5, seed=0)

    assert history.final("accuracy_test") > 0.95
    assert history.final("loss_train") < history.loss_train[0][1]


def test_model_with_buffers_rejected_by_vectorised(devices):
    data, test = devices
    factory = lambda: nn.Sequential(nn.Flatten(), nn.BatchNorm1d(784), nn.Linear(784, 10))  # noqa: E731

    with pytest.raises(ValueError, match="use engine='reference'"):
        federated_averaging(factory, data, [1.0] * 5, test, num_rounds=1)

    history = federated_averaging(factory, data, [1.0] * 5, test, num_rounds=1, engine="reference")
    assert len(history.loss_train) == 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"num_rounds": 0}, "num_rounds must be an integer >= 1, got 0"),
        ({"learning_rate": -0.1}, r"learning_rate must be > 0, got -0.1"),
        ({"engine": "flower"}, "engine must be one of"),
        ({"success_prob": [1.0, 1.0]}, r"success_prob must have one entry per device \(5\)"),
        ({"success_prob": [1.0, 1.0, 1.0, 1.0, 1.5]}, "probabilities in \\[0, 1\\]"),
    ],
)
def test_invalid_arguments_raise(devices, options, message):
    with pytest.raises(ValueError, match=message):
        _run(devices, **options)


def test_all_devices_empty_raises():
    empty = [(np.zeros((0, 4), np.float32), np.zeros(0, np.int64))] * 2
    with pytest.raises(ValueError, match="every device has 0 training samples"):
        federated_averaging(lambda: nn.Linear(4, 2), empty, [1.0, 1.0], (np.zeros((1, 4)), [0]), num_rounds=1)


@pytest.mark.parametrize("engine", ["fused", "reference"])
def test_fractional_training_label_rejected(devices, engine):
    data, test = devices
    bad = list(data)
    bad[2] = (data[2][0], np.where(np.arange(40) == 5, 1.7, data[2][1]))

    with pytest.raises(ValueError, match=r"labels of device 2 must be integer class indices, got 1.7 at index 5"):
        federated_averaging(_small_mlp, bad, [1.0] * 5, test, num_rounds=1, engine=engine)


def test_fractional_or_text_test_label_rejected(devices):
    data, test = devices
    with pytest.raises(ValueError, match=r"test_data labels must be integer class indices, got nan at index 0"):
        federated_averaging(_small_mlp, data, [1.0] * 5, (test[0], np.r_[np.nan, test[1][1:]]), num_rounds=1)
    with pytest.raises(ValueError, match=r"test_data labels must be integer class indices, got an array of dtype <U"):
        federated_averaging(_small_mlp, data, [1.0] * 5, (test[0], test[1].astype(str)), num_rounds=1)


def test_whole_float_labels_train_as_integers(devices):
    data, test = devices
    as_float = [(x, y.astype(np.float64)) for x, y in data]

    history_float, state_float = federated_averaging(_small_mlp, as_float, [1.0] * 5, test, num_rounds=2, seed=3,
                                                     return_state=True)
    history_int, state_int = federated_averaging(_small_mlp, data, [1.0] * 5, test, num_rounds=2, seed=3,
                                                 return_state=True)
    assert history_float.loss_test == history_int.loss_test
    for name in state_int:
        torch.testing.assert_close(state_float[name], state_int[name], rtol=0, atol=0)


def test_label_error_says_one_output():
    data = [(np.zeros((3, 4), np.float32), np.array([0, 0, 2]))]
    with pytest.raises(ValueError, match=r"for a model with 1 output, got labels in \[0, 2\]"):
        federated_averaging(lambda: nn.Linear(4, 1), data, [1.0], (np.zeros((1, 4)), [0]), num_rounds=1,
                            engine="fused")


def test_train_loss_subset_estimates_full_loss(devices):
    full, _ = _run(devices, num_rounds=2)
    everything, _ = _run(devices, num_rounds=2, train_loss_samples=10_000)
    subset, _ = _run(devices, num_rounds=2, train_loss_samples=150)

    assert everything.loss_train == full.loss_train
    assert subset.accuracy_test == full.accuracy_test
    for (_, estimate), (_, exact) in zip(subset.loss_train, full.loss_train):
        assert estimate != exact
        assert abs(estimate - exact) < 0.05 * exact
