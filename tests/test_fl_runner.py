"""Cached runs: config hash, result files, corrupt files, threads and early errors."""

import json
import logging
import types

import numpy as np
import pytest
import torch

from isacfl.fl import RunConfig, load_result, result_path, run
from isacfl.fl import runner as runner_module

SMALL = dict(n_devices=4, num_rounds=2, eval_every=1, train_images=200, test_images=100, local_steps=2,
             train_loss_samples=300)


@pytest.fixture
def fake_allocation(monkeypatch):
    """Replace the allocator by a fixed allocation, so the runner is tested on its own."""

    def allocate(scenario, strategy, rho):
        n = scenario.n_devices
        return types.SimpleNamespace(samples=np.full(n, 60), sensing_snr=np.full(n, 10.0),
                                     success_prob=np.linspace(0.5, 1.0, n), gamma_min=10.0, objective=1.0)

    monkeypatch.setattr(runner_module, "_allocate", allocate)


def test_hash_stable_and_order_free():
    a = RunConfig(scenario_overrides={"energy_budget_j": 2.0, "comm_gain": 5.0})
    b = RunConfig(scenario_overrides=[("comm_gain", 5), ("energy_budget_j", 2)])

    assert a.hash == b.hash
    assert a.hash != a.replace(partition="shards").hash
    assert RunConfig.from_dict(json.loads(json.dumps(a.to_dict()))).hash == a.hash


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"strategy": "greedy"}, "strategy must be one of"),
        ({"strategy": "ratio"}, "rho must be given exactly when strategy='ratio'"),
        ({"strategy": "ratio", "rho": 1.5}, r"rho must be in \[0, 1\], got 1.5"),
        ({"partition": "random"}, "partition must be one of"),
        ({"num_rounds": 0}, "num_rounds must be an integer >= 1, got 0"),
        ({"learning_rate": 0.0}, "learning_rate must be > 0"),
        ({"scenario_overrides": {"energy": 1.0}}, r"unknown scenario parameter\(s\) \['energy'\]"),
    ],
)
def test_config_invalid_raises(changes, message):
    with pytest.raises(ValueError, match=message):
        RunConfig(**changes)


def test_run_writes_then_reads_cache(tmp_path, fake_allocation, monkeypatch):
    config = RunConfig(**SMALL)
    first = run(config, 3, results_dir=tmp_path)
    assert result_path(config, 3, tmp_path).is_file()

    def fail(*args, **kwargs):
        raise AssertionError("a cached run must not train again")

    monkeypatch.setattr(runner_module, "federated_averaging", fail)
    second = run(config, 3, results_dir=tmp_path)

    assert second.loss_train == first.loss_train
    assert second.accuracy_test == first.accuracy_test
    assert second.info["samples"] == [60, 60, 60, 60]


def test_same_seed_same_numbers_uncached(tmp_path, fake_allocation):
    config = RunConfig(**SMALL)

    first = run(config, 1, results_dir=tmp_path, use_cache=False)
    second = run(config, 1, results_dir=tmp_path, use_cache=False)
    other = run(config, 2, results_dir=tmp_path, use_cache=False)

    assert first.loss_train == second.loss_train
    assert first.loss_train[-1] != other.loss_train[-1]


def test_numbers_independent_of_thread_count(tmp_path, fake_allocation):
    config = RunConfig(**SMALL)
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        two = run(config, 0, results_dir=tmp_path, use_cache=False)
        assert torch.get_num_threads() == 2
        torch.set_num_threads(1)
        one = run(config, 0, results_dir=tmp_path, use_cache=False)
    finally:
        torch.set_num_threads(previous)

    assert one.loss_train == two.loss_train
    assert one.accuracy_test == two.accuracy_test


@pytest.mark.parametrize("damage", ["truncate", "edit", "other_seed", "binary", "deeply_nested"])
def test_damaged_file_recomputed(tmp_path, fake_allocation, caplog, damage):
    config = RunConfig(**SMALL)
    original = run(config, 0, results_dir=tmp_path)
    path = result_path(config, 0, tmp_path)
    text = path.read_text()
    if damage == "truncate":
        path.write_text(text[: len(text) // 2])
    elif damage == "edit":
        document = json.loads(text)
        document["history"]["accuracy_test"][-1][1] = 1.0
        path.write_text(json.dumps(document))
    elif damage == "binary":
        path.write_bytes(b"\xff\xfe\x00" + text.encode()[:100])
    elif damage == "deeply_nested":
        path.write_text("[" * 100_000)
    else:
        run(config, 5, results_dir=tmp_path)
        path.write_text(result_path(config, 5, tmp_path).read_text())

    with caplog.at_level(logging.WARNING, logger="isacfl.fl.results"):
        assert load_result(config, 0, tmp_path) is None
    assert "ignoring invalid result file" in caplog.text

    recomputed = run(config, 0, results_dir=tmp_path)
    assert recomputed.accuracy_test == original.accuracy_test
    assert load_result(config, 0, tmp_path) is not None


def test_impossible_split_fails_before_training(tmp_path, fake_allocation, monkeypatch):
    config = RunConfig(**{**SMALL, "train_images": 5, "partition": "shards"})
    monkeypatch.setattr(runner_module, "federated_averaging", lambda *a, **k: pytest.fail("trained"))

    with pytest.raises(ValueError, match="shard split needs at least 8 samples"):
        run(config, 0, results_dir=tmp_path)


def test_negative_seed_raises(tmp_path):
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got -1"):
        run(RunConfig(**SMALL), -1, results_dir=tmp_path)


def test_run_logs_source_and_strategy(tmp_path, fake_allocation, caplog):
    with caplog.at_level(logging.INFO, logger="isacfl.fl.runner"):
        run(RunConfig(**SMALL, strategy="maxcomm"), 0, results_dir=tmp_path)

    assert "strategy maxcomm, 4 devices, iid split, seed 0, profile custom, data " in caplog.text


def test_real_allocation_end_to_end(tmp_path):
    history = run(RunConfig(**SMALL, strategy="proposed"), 0, results_dir=tmp_path)

    assert min(history.info["sensing_snr_db"]) == pytest.approx(10 * np.log10(history.info["gamma_min"]))
    assert len(history.info["samples"]) == 4
    assert [r for r, _ in history.accuracy_test] == [0, 1, 2]
    assert 0.0 <= history.final("accuracy_test") <= 1.0


def test_run_many_keeps_job_order(tmp_path, fake_allocation):
    from isacfl.fl import run_many

    config = RunConfig(**SMALL)
    cached = run(config, 1, results_dir=tmp_path)

    histories = run_many([(config, 0), (config, 1), (config, 2)], results_dir=tmp_path, progress=False)

    assert histories[1].loss_train == cached.loss_train
    assert histories[0].loss_train == run(config, 0, results_dir=tmp_path).loss_train
    assert histories[2].loss_train != histories[0].loss_train


def _history_dict(**changes):
    data = {"loss_train": [[0, 2.3], [2, 1.1]], "loss_test": [[0, 2.4], [2, 1.2]],
            "accuracy_test": [[0, 0.1], [2, 0.8]], "num_uploads": [[1, 3], [2, 4]], "skipped_rounds": [],
            "info": {}}
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"accuracy_test": [[0, "x"], [2, 0.8]]}, r"invalid value 'x' in history series 'accuracy_test' at round 0: expected a number in \[0, 1\]"),
        ({"accuracy_test": [[0, 0.1], [2, float("nan")]]}, r"invalid value nan .* at round 2: .*NaN only where the test loss is NaN"),
        ({"accuracy_test": [[0, 0.1], [2, 1.5]]}, r"invalid value 1.5 .* at round 2: expected a number in \[0, 1\]"),
        ({"accuracy_test": [[0, True], [2, 0.8]]}, "invalid value True in history series 'accuracy_test' at round 0"),
        ({"loss_train": [[0, -0.5], [2, 1.1]]}, r"invalid value -0.5 in history series 'loss_train' at round 0: expected a number >= 0"),
        ({"loss_test": [[0, None], [2, 1.2]]}, r"invalid value None in history series 'loss_test'"),
        ({"num_uploads": [[1, 2.5], [2, 4]]}, r"invalid value 2.5 in history series 'num_uploads' at round 1: expected an integer >= 0"),
        ({"num_uploads": [[1, 3], [1, 4]]}, r"rounds \[1, 1\]; they must increase strictly"),
        ({"loss_train": [["0", 2.3]]}, r"has round '0'; rounds must be integers >= 0"),
        ({"skipped_rounds": [-1]}, r"'skipped_rounds' has round -1"),
        ({"loss_test": [[0, 2.4, 7]]}, r"must be a list of \[round, value\] pairs"),
        ({"info": "none"}, "'info' must be a mapping"),
    ],
    ids=["text-accuracy", "nan-accuracy", "accuracy-above-one", "bool-accuracy", "negative-loss", "null-loss",
         "fractional-uploads", "repeated-round", "text-round", "negative-skipped-round", "triple", "info-text"],
)
def test_history_from_dict_rejects_hand_edits(changes, message):
    from isacfl.fl import History

    with pytest.raises(ValueError, match=message):
        History.from_dict(_history_dict(**changes))


def test_history_from_dict_keeps_legitimate_nan_and_infinity():
    from isacfl.fl import History

    nan, inf = float("nan"), float("inf")
    data = _history_dict(loss_train=[[0, 2.3], [2, inf]], loss_test=[[0, 2.4], [2, nan]],
                         accuracy_test=[[0, 0.1], [2, nan]], skipped_rounds=[2])
    history = History.from_dict(data)

    assert history.loss_train == [(0, 2.3), (2, inf)]
    assert history.accuracy_test[0] == (0, 0.1)
    assert np.isnan(history.accuracy_test[1][1])
    assert history.skipped_rounds == [2]


def test_hand_edited_accuracy_makes_result_file_recompute(tmp_path, caplog):
    from isacfl.fl import History, save_result

    config = RunConfig(num_rounds=1)
    save_result(config, 0, History(loss_train=[(0, 2.0)], loss_test=[(0, 2.1)], accuracy_test=[(0, "x")]), tmp_path)

    with caplog.at_level(logging.WARNING, logger="isacfl.fl.results"):
        assert load_result(config, 0, tmp_path) is None
    assert "invalid value 'x' in history series 'accuracy_test' at round 0" in caplog.text
