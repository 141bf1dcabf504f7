"""Result cache of the centralised MNIST runs and the radar runs: round trip, misses, damaged files."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from isacfl.data import MnistData, add_sensing_noise
from isacfl.fl import results
from isacfl.fl.results import code_fingerprint, code_version, load_record, record_path
from isacfl.profiles import Profile, get_profile
from isacfl.radar import experiment, synthetic
from isacfl.theory import mlp


@pytest.fixture(scope="module")
def tiny_mnist():
    rng = np.random.default_rng(7)
    return MnistData(train_images=rng.random((60, 28, 28), dtype=np.float32), train_labels=rng.integers(0, 10, 60),
                     test_images=rng.random((20, 28, 28), dtype=np.float32), test_labels=rng.integers(0, 10, 20),
                     source="test-random")


TINY_TRAINING = mlp.CentralisedConfig(pool_size=40, num_samples=24, snr_db=0.0, noise_key=(5, 1), steps=6,
                                      record_every=3, test_images=12, record_test_loss=True)


def _forbid(monkeypatch, module, name):
    def fail(*args, **kwargs):
        raise AssertionError(f"{name} ran although the result should come from the cache")

    monkeypatch.setattr(module, name, fail)


def _same_centralised(a: mlp.CentralisedRun, b: mlp.CentralisedRun) -> None:
    np.testing.assert_array_equal(a.steps, b.steps)
    np.testing.assert_array_equal(a.losses, b.losses)
    np.testing.assert_array_equal(a.test_losses, b.test_losses)
    assert a.test_accuracy == b.test_accuracy


def test_centralised_run_matches_direct_training(tiny_mnist, tmp_path):
    run = mlp.centralised_run(TINY_TRAINING, 2, data=tiny_mnist, results_dir=tmp_path)

    pool = np.random.default_rng(mlp.POOL_SEED).permutation(60)[:40][:24]
    noisy = add_sensing_noise(tiny_mnist.train_images[pool], 1.0, np.random.default_rng([5, 1]))
    direct = mlp.train_centralised(noisy, tiny_mnist.train_labels[pool], steps=6, seed=2, record_every=3,
                                   test_images=tiny_mnist.test_images[:12], test_labels=tiny_mnist.test_labels[:12])
    np.testing.assert_array_equal(run.losses, direct.losses)
    np.testing.assert_array_equal(run.test_losses, direct.test_losses)
    assert run.steps.tolist() == [0, 3, 6]
    assert run.test_accuracy == mlp.accuracy(direct.model, tiny_mnist.test_images[:12], tiny_mnist.test_labels[:12])


def test_centralised_cache_round_trip(tiny_mnist, tmp_path, monkeypatch):
    first = mlp.centralised_run(TINY_TRAINING, 0, data=tiny_mnist, results_dir=tmp_path)
    path = record_path("centralised", TINY_TRAINING, 0, tmp_path)
    document = json.loads(path.read_text())
    assert path.name == f"centralised-{TINY_TRAINING.hash}-seed0.json"
    assert document["config"] == TINY_TRAINING.to_dict()
    assert document["seed"] == 0
    assert document["code_version"] == code_version()

    _forbid(monkeypatch, mlp, "train_centralised")
    second = mlp.centralised_run(TINY_TRAINING, 0, data=tiny_mnist, results_dir=tmp_path)
    _same_centralised(first, second)


def test_stale_code_fingerprint_recomputes(tiny_mnist, tmp_path, monkeypatch):
    mlp.centralised_run(TINY_TRAINING, 0, data=tiny_mnist, results_dir=tmp_path)
    path = record_path("centralised", TINY_TRAINING, 0, tmp_path)
    assert json.loads(path.read_text())["code_fingerprint"] == code_fingerprint()

    # The same file, read by a package whose source differs, is stale.
    monkeypatch.setattr(results, "code_fingerprint", lambda: "0" * 16)
    _forbid(monkeypatch, mlp, "train_centralised")
    with pytest.raises(AssertionError, match="should come from the cache"):
        mlp.centralised_run(TINY_TRAINING, 0, data=tiny_mnist, results_dir=tmp_path)
    stale = load_record("centralised", TINY_TRAINING, 0, "run", mlp.CentralisedRun.from_dict,
                        cache_format=mlp.CENTRALISED_CACHE_FORMAT, root=tmp_path,
                        data_identity=tiny_mnist.fingerprint())
    assert stale is None


def test_other_data_recomputes(tiny_mnist, tmp_path, monkeypatch):
    import dataclasses

    mlp.centralised_run(TINY_TRAINING, 0, data=tiny_mnist, results_dir=tmp_path)
    path = record_path("centralised", TINY_TRAINING, 0, tmp_path)
    assert json.loads(path.read_text())["data_identity"] == tiny_mnist.fingerprint()

    # The same images in another order are other data, so the cached run must not be used.
    reordered = dataclasses.replace(tiny_mnist, train_images=tiny_mnist.train_images[::-1].copy(),
                                    train_labels=tiny_mnist.train_labels[::-1].copy())
    _forbid(monkeypatch, mlp, "train_centralised")
    with pytest.raises(AssertionError, match="should come from the cache"):
        mlp.centralised_run(TINY_TRAINING, 0, data=reordered, results_dir=tmp_path)


def test_fl_result_records_mnist_identity(tmp_path, monkeypatch):
    from isacfl.data import mnist_identity
    from isacfl.fl import History, RunConfig, load_result, save_result

    history = History(info={"note": "hand-made"})
    config = RunConfig(num_rounds=1)
    monkeypatch.setattr("isacfl.data.mnist_identity", lambda: "idx:/elsewhere:0123456789abcdef")
    save_result(config, 0, history, tmp_path)
    monkeypatch.undo()

    assert json.loads(result_file(config, tmp_path).read_text())["data_identity"] == "idx:/elsewhere:0123456789abcdef"
    assert mnist_identity() != "idx:/elsewhere:0123456789abcdef"
    assert load_result(config, 0, tmp_path) is None


def result_file(config, root):
    return record_path("fl", config, 0, root)


def test_unwritable_results_folder_fails_before_run(tiny_mnist, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    # Training would raise AssertionError; the folder check must stop the run before it.
    _forbid(monkeypatch, mlp, "train_centralised")
    with pytest.raises(OSError, match=r"cannot write results to .*a-file.*ISACFL_RESULTS_DIR"):
        mlp.centralised_run(TINY_TRAINING, 0, data=tiny_mnist, results_dir=blocker, use_cache=False)


def test_results_folder_that_is_a_file_names_setting(tmp_path):
    from isacfl.fl import RunConfig, load_result

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError, match=r"cannot read the result file .*ISACFL_RESULTS_DIR"):
        load_result(RunConfig(num_rounds=1), 0, blocker)


def test_code_fingerprint_follows_source(tmp_path, monkeypatch):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(results, "_PACKAGE_ROOT", package)
    results.code_fingerprint.cache_clear()
    try:
        before = results.code_fingerprint()
        (package / "a.py").write_text("x = 2\n")
        results.code_fingerprint.cache_clear()
        after = results.code_fingerprint()
    finally:
        results.code_fingerprint.cache_clear()
    assert before != after


def test_centralised_changed_config_misses(tiny_mnist, tmp_path, monkeypatch):
    mlp.centralised_run(TINY_TRAINING, 0, data=tiny_mnist, results_dir=tmp_path)
    _forbid(monkeypatch, mlp, "train_centralised")

    for changed, seed in ((TINY_TRAINING.replace(snr_db=10.0), 0), (TINY_TRAINING.replace(noise_key=(5, 2)), 0),
                          (TINY_TRAINING, 1)):
        with pytest.raises(AssertionError, match="should come from the cache"):
            mlp.centralised_run(changed, seed, data=tiny_mnist, results_dir=tmp_path)


@pytest.mark.parametrize("damage", ["truncate", "edit", "garbage"])
def test_centralised_damaged_file_recomputed(tiny_mnist, tmp_path, caplog, damage):
    first = mlp.centralised_run(TINY_TRAINING, 0, data=tiny_mnist, results_dir=tmp_path)
    path = record_path("centralised", TINY_TRAINING, 0, tmp_path)
    text = path.read_text()
    if damage == "truncate":
        path.write_text(text[: len(text) // 2])
    elif damage == "edit":
        document = json.loads(text)
        document["run"]["test_accuracy"] = 0.123
        path.write_text(json.dumps(document))
    else:
        path.write_bytes(b"\xff\x00 not json")

    with caplog.at_level(logging.WARNING, logger="isacfl.fl.results"):
        again = mlp.centralised_run(TINY_TRAINING, 0, data=tiny_mnist, results_dir=tmp_path)
    assert "ignoring invalid result file" in caplog.text
    _same_centralised(first, again)
    restored = load_record("centralised", TINY_TRAINING, 0, "run", mlp.CentralisedRun.from_dict,
                           cache_format=mlp.CENTRALISED_CACHE_FORMAT, root=tmp_path,
                           data_identity=tiny_mnist.fingerprint())
    _same_centralised(first, restored)


@pytest.mark.parametrize(("changes", "message"), [
    ({"num_samples": 50}, r"num_samples must lie in \[1, pool_size=40\], got 50"),
    ({"steps": 0}, "steps must be an integer >= 1, got 0"),
    ({"snr_db": float("inf")}, "snr_db must be a finite number of dB, got inf"),
])
def test_centralised_config_rejects_bad_values(changes, message):
    with pytest.raises(ValueError, match=message):
        TINY_TRAINING.replace(**changes)


def test_centralised_run_rejects_large_test_set(tiny_mnist, tmp_path):
    with pytest.raises(ValueError, match="test_images must be at most the 20 MNIST test images, got 30"):
        mlp.centralised_run(TINY_TRAINING.replace(test_images=30), 0, data=tiny_mnist, results_dir=tmp_path)


def test_snr_plan_shares_full_pool_runs():
    plan = mlp.snr_training_plan(get_profile("quick"), 4000, 1000)

    # The whole-pool loss curve at 0 dB is the accuracy run at grid index 2 (0 dB) of the same seed.
    assert plan["curve_jobs"][(1, 0.0, 2000)] is plan["grid_jobs"][(1, 2)]
    assert plan["grid_jobs"][(1, 2)].noise_key == (1, 2)
    assert plan["grid_jobs"][(1, 2)].record_test_loss
    assert not plan["grid_jobs"][(1, 0)].record_test_loss
    assert plan["curve_jobs"][(0, -10.0, 250)].noise_key == (100, 0, 250)
    assert plan["curve_jobs"][(1, 10.0, 1000)].noise_key == (101, 2, 1000)


def test_snr_training_runs_read_back(tiny_mnist, tmp_path, monkeypatch):
    tiny = Profile("tiny", num_rounds=1, num_seeds=2, eval_every=1, train_images=40, test_images=12, sweep_points=2,
                   allocator_scenarios=1, centralised_steps=4)
    first = mlp.snr_training_runs(tiny, data=tiny_mnist, results_dir=tmp_path, progress=False)

    # Grid -20, 0, 20 dB for 2 seeds, plus the -10 and 10 dB curves that the grid lacks; all sizes cap at 40.
    assert first.snr_grid_db.tolist() == [-20.0, 0.0, 20.0]
    assert first.curve_sizes == (40,)
    assert first.computed_runs == 2 * (3 + 2)
    assert first.accuracies.shape == (2, 3)
    assert first.final_losses("test").shape == (2, 3, 1)
    assert first.curves[(1, 0.0, 40)].test_accuracy == first.accuracies[1, 1]

    _forbid(monkeypatch, mlp, "train_centralised")
    second = mlp.snr_training_runs(tiny, data=tiny_mnist, results_dir=tmp_path, progress=False)
    assert second.computed_runs == 0
    np.testing.assert_array_equal(second.accuracies, first.accuracies)
    np.testing.assert_array_equal(second.final_losses("train"), first.final_losses("train"))
    with pytest.raises(ValueError, match="kind must be 'train' or 'test', got 'val'"):
        second.final_losses("val")


# -- radar runs ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_radar(tmp_path_factory):
    config = synthetic.SyntheticConfig(n_frames=30, radar=synthetic.FmcwRadar(n_samples=32, n_chirps=8))
    return synthetic.load_synthetic_scenario9(config, seed=0, cache_dir=tmp_path_factory.mktemp("radar"))


TINY_RADAR = experiment.RadarExperimentConfig(n_devices=3, num_rounds=1, local_steps=2, batch_size=4, eval_every=1,
                                              centralised_epochs=1)


def _radar(dataset, results_dir, config=TINY_RADAR, seeds=(0,)):
    return experiment.run_radar_experiment(dataset, config, seeds=seeds, strategies=["maxcomm"], progress=False,
                                           use_cache=True, results_dir=results_dir)


def test_radar_run_dict_round_trip():
    run = experiment.RadarRun("centralised", 4, {1: 0.25, 5: 0.75}, 2.5, (30,), (float("inf"),), (1.0,),
                              "synthetic stand-in", ((1, 0.1), (2, 0.3)))

    again = experiment.RadarRun.from_dict(json.loads(json.dumps(run.to_dict())))
    assert again.topk == {1: 0.25, 5: 0.75}
    assert again.sensing_snr_db == (float("inf"),)
    assert again.accuracy_curve == ((1, 0.1), (2, 0.3))
    assert again.to_dict() == run.to_dict()


def test_radar_cache_round_trip(tiny_radar, tmp_path, monkeypatch):
    first = _radar(tiny_radar, tmp_path)
    spec = experiment.RadarRunSpec(TINY_RADAR, "maxcomm",
                                   json.dumps(experiment.dataset_identity(tiny_radar), sort_keys=True))
    document = json.loads(record_path("radar", spec, 0, tmp_path).read_text())
    assert document["config"]["strategy"] == "maxcomm"
    assert document["config"]["config"]["num_rounds"] == 1
    assert document["config"]["data"]["source"].startswith("synthetic")
    assert document["seed"] == 0
    assert document["code_version"] == code_version()
    assert len(list(tmp_path.glob("radar-*-seed0.json"))) == 2

    _forbid(monkeypatch, experiment, "run_radar_fl")
    _forbid(monkeypatch, experiment, "run_centralised")
    second = _radar(tiny_radar, tmp_path)
    assert [run.to_dict() for run in second] == [run.to_dict() for run in first]


def test_radar_changed_config_misses(tiny_radar, tmp_path, monkeypatch):
    _radar(tiny_radar, tmp_path)
    _forbid(monkeypatch, experiment, "run_radar_fl")
    _forbid(monkeypatch, experiment, "run_centralised")

    with pytest.raises(AssertionError, match="should come from the cache"):
        _radar(tiny_radar, tmp_path, config=TINY_RADAR.replace(local_steps=3))
    with pytest.raises(AssertionError, match="should come from the cache"):
        _radar(tiny_radar, tmp_path, seeds=(1,))


def test_radar_damaged_file_recomputed(tiny_radar, tmp_path, caplog):
    first = _radar(tiny_radar, tmp_path)
    for path in tmp_path.glob("radar-*.json"):
        document = json.loads(path.read_text())
        document["run"]["topk"]["1"] = 0.99
        path.write_text(json.dumps(document))

    with caplog.at_level(logging.WARNING, logger="isacfl.fl.results"):
        again = _radar(tiny_radar, tmp_path)
    assert caplog.text.count("checksum mismatch") == 2
    assert [run.to_dict() for run in again] == [run.to_dict() for run in first]


def test_radar_runs_uncached_by_default(tiny_radar, tmp_path, monkeypatch):
    monkeypatch.setenv("ISACFL_RESULTS_DIR", str(tmp_path))
    experiment.run_radar_experiment(tiny_radar, TINY_RADAR, seeds=[0], strategies=["maxcomm"], centralised=False,
                                    progress=False)
    assert list(tmp_path.iterdir()) == []


def test_radar_config_from_profile():
    config = experiment.RadarExperimentConfig.from_profile("quick")

    assert config.num_rounds == get_profile("quick").radar_rounds
    assert config.eval_every == 1
    assert config.to_dict()["scenario_overrides"] == []


# -- runs on worker processes ------------------------------------------------------------------------


def test_snr_training_runs_two_processes_match_one(tiny_mnist, tmp_path, monkeypatch):
    tiny = Profile("tiny", num_rounds=1, num_seeds=1, eval_every=1, train_images=40, test_images=12, sweep_points=2,
                   allocator_scenarios=1, centralised_steps=4)
    monkeypatch.setenv("ISACFL_JOBS", "1")
    serial = mlp.snr_training_runs(tiny, data=tiny_mnist, results_dir=tmp_path / "one", progress=False)
    monkeypatch.setenv("ISACFL_JOBS", "2")
    parallel = mlp.snr_training_runs(tiny, data=tiny_mnist, results_dir=tmp_path / "two", progress=False)

    assert parallel.computed_runs == serial.computed_runs == 5
    np.testing.assert_allclose(parallel.accuracies, serial.accuracies, rtol=0, atol=1e-12)
    np.testing.assert_allclose(parallel.final_losses("train"), serial.final_losses("train"), rtol=1e-6)
    # The workers wrote every run's file, as the serial run did.
    assert len(list((tmp_path / "two").glob("centralised-*.json"))) == 5


def test_radar_runs_two_processes_match_one(tiny_radar, tmp_path, monkeypatch):
    monkeypatch.setenv("ISACFL_JOBS", "1")
    serial = _radar(tiny_radar, tmp_path / "one", seeds=(0, 1))
    monkeypatch.setenv("ISACFL_JOBS", "2")
    parallel = _radar(tiny_radar, tmp_path / "two", seeds=(0, 1))

    assert [run.to_dict() for run in parallel] == [run.to_dict() for run in serial]
    assert len(list((tmp_path / "two").glob("radar-*.json"))) == 4


def test_radar_runs_saved_as_they_finish(tiny_radar, tmp_path, monkeypatch):
    monkeypatch.setenv("ISACFL_JOBS", "1")

    def interrupted(*args, **kwargs):
        raise RuntimeError("interrupted")

    # Seed 0 runs maxcomm first, then the centralised reference, which fails here.
    monkeypatch.setattr(experiment, "run_centralised", interrupted)
    with pytest.raises(RuntimeError, match="interrupted"):
        _radar(tiny_radar, tmp_path)

    saved = [json.loads(path.read_text())["config"]["strategy"] for path in tmp_path.glob("radar-*.json")]
    assert saved == ["maxcomm"]
