"""FedAvg aggregation over the devices whose upload got through."""

import numpy as np
import pytest
import torch

from isacfl.fl import aggregate, aggregate_stacked, aggregation_weights


def _states(values):
    return [{"w": torch.full((2, 3), float(v)), "b": torch.full((3,), float(v))} for v in values]


def test_two_uploaders_of_ten_weigh_half_each():
    global_state = _states([0.0])[0]
    clients = _states(range(1, 11))
    uploaded = np.zeros(10, dtype=bool)
    uploaded[[2, 7]] = True

    new = aggregate(global_state, clients, np.full(10, 50), uploaded)

    weights = aggregation_weights(np.full(10, 50), uploaded)
    assert weights[2] == 0.5
    assert weights[7] == 0.5
    assert weights.sum() == 1.0
    torch.testing.assert_close(new["w"], torch.full((2, 3), (3.0 + 8.0) / 2))
    torch.testing.assert_close(new["b"], torch.full((3,), 5.5))


def test_weights_proportional_to_samples():
    new = aggregate(_states([0.0])[0], _states([1.0, 4.0]), [100, 300], [True, True])

    torch.testing.assert_close(new["w"], torch.full((2, 3), 0.25 * 1.0 + 0.75 * 4.0))


def test_no_upload_keeps_model_as_copy():
    global_state = _states([7.0])[0]

    new = aggregate(global_state, _states([1.0, 2.0, 3.0]), [10, 10, 10], [False, False, False])

    torch.testing.assert_close(new["w"], global_state["w"])
    assert new["w"] is not global_state["w"]


def test_zero_sample_uploader_has_no_weight():
    new = aggregate(_states([0.0])[0], _states([1.0, 100.0]), [20, 0], [True, True])

    torch.testing.assert_close(new["w"], torch.full((2, 3), 1.0))


def test_only_zero_sample_uploaders_keep_model():
    assert aggregation_weights([0, 0, 10], [True, True, False]) is None

    new = aggregate(_states([5.0])[0], _states([1.0, 2.0, 3.0]), [0, 0, 10], [True, True, False])

    torch.testing.assert_close(new["w"], torch.full((2, 3), 5.0))


def test_stacked_matches_list_form():
    rng = torch.Generator().manual_seed(0)
    global_state = {"w": torch.randn(4, 5, generator=rng)}
    stacked = {"w": torch.randn(6, 4, 5, generator=rng)}
    clients = [{"w": stacked["w"][n]} for n in range(6)]
    counts = [10, 0, 30, 5, 7, 100]
    uploaded = [True, True, False, True, True, False]

    expected = aggregate(global_state, clients, counts, uploaded)
    got = aggregate_stacked(global_state, stacked, counts, uploaded)

    torch.testing.assert_close(got["w"], expected["w"], rtol=1e-6, atol=1e-6)


def test_integer_buffers_copied_from_global():
    global_state = {"w": torch.zeros(2), "num_batches_tracked": torch.tensor(4)}
    clients = [{"w": torch.ones(2), "num_batches_tracked": torch.tensor(9)}]

    new = aggregate(global_state, clients, [10], [True])

    assert int(new["num_batches_tracked"]) == 4
    torch.testing.assert_close(new["w"], torch.ones(2))


def test_length_mismatch_raises():
    with pytest.raises(ValueError, match="2 client states but 3 sample counts"):
        aggregate(_states([0.0])[0], _states([1.0, 2.0]), [1, 2, 3], [True, True, True])


def test_negative_sample_count_raises():
    with pytest.raises(ValueError, match="num_examples must be finite and >= 0"):
        aggregation_weights([10, -1], [True, True])


def test_client_shape_mismatch_raises():
    # A (3,) client tensor would broadcast into the (2, 3) sum and corrupt the model silently.
    global_state = _states([0.0])[0]
    clients = _states([1.0, 2.0])
    clients[1]["w"] = torch.ones(3)
    with pytest.raises(ValueError, match=r"client state 1 has parameter 'w' of shape \(3,\)"):
        aggregate(global_state, clients, [10, 10], [True, True])


def test_stacked_missing_parameter_raises():
    global_state = _states([0.0])[0]
    stacked = {"w": torch.ones(2, 2, 3)}
    with pytest.raises(ValueError, match="lack the parameter 'b'"):
        aggregate_stacked(global_state, stacked, [10, 10], [True, True])
