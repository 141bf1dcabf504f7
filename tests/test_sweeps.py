"""Sweep runner (job order, local processes, input checks) and the interval statistics."""

from __future__ import annotations

import math
import re
import operator

import numpy as np
import pytest
from scipy import stats

from isacfl.sweeps import Job, difference_interval, mean_interval, run_jobs


def test_run_jobs_keeps_job_order():
    jobs = [Job(config, seed) for config, seed in [(3, 1), (1, 7), (2, 2)]]

    assert run_jobs(operator.mul, jobs, progress=False) == [3, 7, 4]


def test_run_jobs_two_processes_match_serial():
    jobs = [Job(config, seed) for config in range(4) for seed in range(3)]

    serial = run_jobs(operator.pow, jobs, progress=False)
    parallel = run_jobs(operator.pow, jobs, n_jobs=2, progress=False)

    assert parallel == serial
    assert serial == [config**seed for config in range(4) for seed in range(3)]


def test_run_jobs_rejects_zero_workers():
    with pytest.raises(ValueError, match=r"n_jobs must be an integer from 1 to 256, or from -\d+ to -1 .* got 0"):
        run_jobs(operator.mul, [Job(1, 1)], n_jobs=0, progress=False)


def test_jobs_setting_reads_environment(monkeypatch):
    from isacfl.sweeps import JOBS_ENV_VAR, default_jobs

    monkeypatch.delenv(JOBS_ENV_VAR, raising=False)
    assert default_jobs() == 1
    monkeypatch.setenv(JOBS_ENV_VAR, "2")
    assert default_jobs() == 2
    # An explicit argument wins over the environment.
    assert default_jobs(1) == 1


@pytest.mark.parametrize("text", ["0", "two", "1.5", "99999999999999999999", "-999"])
def test_jobs_setting_rejects_bad_environment(monkeypatch, text):
    from isacfl.sweeps import JOBS_ENV_VAR

    monkeypatch.setenv(JOBS_ENV_VAR, text)
    with pytest.raises(ValueError, match=rf"ISACFL_JOBS must be an integer from 1 to 256.* got '{re.escape(text)}'"):
        run_jobs(operator.mul, [Job(1, 1)], progress=False)


def test_run_jobs_uses_processes_from_environment(monkeypatch):
    import os

    from isacfl.sweeps import JOBS_ENV_VAR

    monkeypatch.setenv(JOBS_ENV_VAR, "2")
    pids = set(run_jobs(_worker_pid, [Job(i, 0) for i in range(6)], progress=False))
    monkeypatch.setenv(JOBS_ENV_VAR, "1")
    serial = set(run_jobs(_worker_pid, [Job(i, 0) for i in range(3)], progress=False))

    assert serial == {os.getpid()}
    assert os.getpid() not in pids


def _worker_pid(config, seed):
    import os

    return os.getpid()


@pytest.mark.parametrize("n_jobs", [257, -999, 2.0, True])
def test_run_jobs_rejects_out_of_range_workers(n_jobs):
    with pytest.raises(ValueError, match=rf"n_jobs must be an integer from 1 to 256.* got {re.escape(repr(n_jobs))}"):
        run_jobs(operator.mul, [Job(1, 1)], n_jobs=n_jobs, progress=False)


def test_run_jobs_rejects_non_job():
    with pytest.raises(ValueError, match=r"jobs\[1\] must be a Job\(config, seed\), got tuple"):
        run_jobs(operator.mul, [Job(1, 1), (2, 2)], progress=False)


def test_mean_interval_known_answer():
    # Values 1, 2, 3: sample sd 1, so the half width is t_{0.975, 2} / sqrt(3) = 4.302653 / 1.732051.
    interval = mean_interval([1.0, 2.0, 3.0])

    assert interval.mean == pytest.approx(2.0)
    assert interval.high - interval.mean == pytest.approx(4.302652729749464 / math.sqrt(3))
    assert interval.mean - interval.low == pytest.approx(4.302652729749464 / math.sqrt(3))
    assert interval.n == 3


def test_mean_interval_matches_scipy_ttest():
    values = np.random.default_rng(4).normal(0.8, 0.05, size=7)

    reference = stats.ttest_1samp(values, 0.0).confidence_interval(0.95)
    interval = mean_interval(values)

    assert interval.low == pytest.approx(reference.low)
    assert interval.high == pytest.approx(reference.high)


def test_mean_interval_along_axis():
    values = np.array([[1.0, 10.0], [2.0, 10.0], [3.0, 10.0]])

    interval = mean_interval(values, axis=0)

    np.testing.assert_allclose(interval.mean, [2.0, 10.0])
    np.testing.assert_allclose(interval.low, [2.0 - 4.302652729749464 / math.sqrt(3), 10.0])


def test_mean_interval_one_value_is_unbounded():
    interval = mean_interval([0.9])

    assert interval.mean == 0.9
    assert interval.low == -math.inf
    assert interval.high == math.inf


def test_mean_interval_rejects_nan():
    with pytest.raises(ValueError, match="must not contain NaN"):
        mean_interval([0.5, float("nan")])


def test_mean_interval_rejects_empty():
    with pytest.raises(ValueError, match="at least one value"):
        mean_interval([])


def test_mean_interval_rejects_bad_confidence():
    with pytest.raises(ValueError, match=r"confidence must be in \(0, 1\), got 1.5"):
        mean_interval([1.0, 2.0], confidence=1.5)


def test_paired_difference_is_interval_of_differences():
    first, second = [0.90, 0.93, 0.91, 0.95], [0.85, 0.86, 0.88, 0.87]

    paired = difference_interval(first, second)
    direct = mean_interval(np.subtract(first, second))

    assert paired.low == pytest.approx(direct.low)
    assert paired.high == pytest.approx(direct.high)


def test_welch_difference_matches_scipy():
    rng = np.random.default_rng(11)
    first, second = rng.normal(0.9, 0.02, size=5), rng.normal(0.85, 0.05, size=8)

    reference = stats.ttest_ind(first, second, equal_var=False).confidence_interval(0.95)
    interval = difference_interval(first, second, paired=False)

    assert interval.low == pytest.approx(reference.low)
    assert interval.high == pytest.approx(reference.high)


def test_paired_difference_rejects_unequal_lengths():
    with pytest.raises(ValueError, match="same length, got 3 and 2"):
        difference_interval([1.0, 2.0, 3.0], [1.0, 2.0])


# -- figure sweeps -------------------------------------------------------------------------------

from isacfl.__main__ import main  # noqa: E402
from isacfl.fl.config import RunConfig  # noqa: E402
from isacfl.sweeps import figures, sweep_jobs, sweep_spec  # noqa: E402


def test_ratio_spec_pairs_rho_with_split():
    spec = sweep_spec("9", "quick")

    assert spec.variants == ("iid", "noniid")
    assert spec.points == (0.05, 0.5, 0.95)
    assert [c.partition for c in spec.configs[1]] == ["shards"] * 3
    assert [c.rho for c in spec.configs[0]] == [0.05, 0.5, 0.95]
    assert {c.strategy for row in spec.configs for c in row} == {"ratio"}


def test_straggler_spec_cuts_device_zero_budget():
    spec = sweep_spec("straggler", "book")
    fraction_index = spec.points.index(0.1)

    config = spec.configs[0][fraction_index]
    scenario = config.scenario(0)

    assert scenario.energy_budget_j[0] == pytest.approx(0.3)
    np.testing.assert_allclose(scenario.energy_budget_j[1:], 3.0)
    assert config.partition == "shards"


def test_straggler_spec_fraction_one_is_default_config():
    spec = sweep_spec("straggler", "book")

    # Same config as the Non-IID runs of the other learning chapters, so the cache is shared.
    assert spec.configs[2][0] == RunConfig.from_profile("book", strategy="maxcomm", partition="shards")


def test_sweep_jobs_count_and_order():
    spec = sweep_spec("devices", "quick")

    jobs = sweep_jobs(spec)

    assert len(jobs) == 4 * 2 * 2
    assert (jobs[0].config.strategy, jobs[0].config.n_devices, jobs[0].seed) == ("proposed", 5, 0)
    assert (jobs[3].config.strategy, jobs[3].config.n_devices, jobs[3].seed) == ("proposed", 10, 1)
    assert jobs[4].config.strategy == "maxsensing"


def test_sweep_spec_applies_config_changes():
    spec = sweep_spec("straggler", "quick", server_distance_range_m=(50.0, 120.0))

    configs = [config for row in spec.configs for config in row]
    assert {config.server_distance_range_m for config in configs} == {(50.0, 120.0)}
    # The straggler's budget cut is applied on top of the change.
    assert configs[1].scenario_overrides != ()


def test_sweep_spec_replaces_axis_points():
    spec = sweep_spec("straggler", "paper", points=(1.0, 0.05))

    assert spec.points == (1.0, 0.05)
    assert len(spec.configs[0]) == 2
    assert spec.configs[0][0] == sweep_spec("straggler", "paper").configs[0][0]
    with pytest.raises(ValueError, match="points must hold at least one value"):
        sweep_spec("ratio", "quick", points=())


def test_sweep_spec_rejects_unknown_name():
    with pytest.raises(ValueError, match=r"sweep must be one of .* got 'fig12'"):
        sweep_spec("fig12", "quick")


def _fake_metrics(config, seed):
    """Encode the job in the metrics, so that the test can check where each result lands."""
    return {"accuracy": config.n_devices / 100 + seed / 1000, "loss_train": 1.0,
            "success_prob_mean": 0.5, "sensing_snr_db_mean": -3.0, "samples_mean": 100.0,
            "accuracy_jitter": 0.0}


def test_run_sweep_places_results(monkeypatch, tmp_path):
    monkeypatch.setenv("ISACFL_RESULTS_DIR", str(tmp_path))
    monkeypatch.setattr(figures, "run_metrics", _fake_metrics)

    result = figures.run_sweep("devices", "quick", progress=False)

    assert result.metrics["accuracy"].shape == (4, 2, 2)
    np.testing.assert_allclose(result.values("accuracy", "maxcomm"), [[0.05, 0.10], [0.051, 0.101]])
    assert result.info["computed_runs"] == 16


def test_cli_sweep_prints_summary(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("ISACFL_RESULTS_DIR", str(tmp_path))
    monkeypatch.setattr(figures, "run_metrics", _fake_metrics)

    # N = 10: accuracies 0.100 and 0.101, so 10.05 % +/- t_{0.975, 1} * 0.05 % = 12.706 * 0.05 %.
    code = main(["sweep", "10", "--profile", "quick", "--no-progress"])

    output = capsys.readouterr().out
    assert code == 0
    assert "Fig. 10 sweep at profile quick" in output
    assert re.search(r"^maxcomm +10 +10\.05 \[9\.41, 10\.69\]", output, flags=re.MULTILINE)


def test_cli_sweep_rejects_unknown_figure(capsys):
    code = main(["sweep", "12", "--profile", "quick"])

    assert code == 2
    assert "sweep must be one of" in capsys.readouterr().err


def test_cli_sweep_names_jobs_option(capsys):
    code = main(["sweep", "ratio", "--profile", "quick", "--jobs", "0"])

    assert code == 2
    assert "--jobs must be an integer from 1 to 256" in capsys.readouterr().err


def test_cli_sweep_bad_results_folder(monkeypatch, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ISACFL_RESULTS_DIR", str(blocker))
    monkeypatch.delenv("ISACFL_DASK_SCHEDULER", raising=False)
    code = main(["sweep", "ratio", "--profile", "quick", "--no-progress"])

    err = capsys.readouterr().err
    assert code == 2
    assert "ISACFL_RESULTS_DIR" in err
    assert "could not reach its workers" not in err


def _fail_if_called(config, seed):
    raise AssertionError(f"run_metrics was called for cached seed {seed}")


def test_collect_metrics_reads_cache(monkeypatch, tmp_path):
    from isacfl.fl.history import History
    from isacfl.fl.results import save_result
    from isacfl.sweeps import Job, collect_metrics

    monkeypatch.setenv("ISACFL_RESULTS_DIR", str(tmp_path))
    monkeypatch.setattr(figures, "run_metrics", _fail_if_called)
    config = RunConfig.from_profile("quick", n_devices=2)
    history = History(loss_train=[(0, 2.3), (5, 1.0)], loss_test=[(0, 2.3), (5, 1.1)],
                      accuracy_test=[(0, 0.1), (4, 0.5), (5, 0.6)], num_uploads=[(1, 2)],
                      info={"success_prob": [0.5, 1.0], "sensing_snr_db": [0.0, 10.0], "samples": [100, 300]})
    save_result(config, 0, history)

    metrics, computed = collect_metrics([Job(config, 0)], progress=False)

    assert computed == 0
    assert metrics[0]["accuracy"] == 0.6
    assert metrics[0]["loss_train"] == 1.0
    # Second half of 5 rounds: the evaluations at rounds 4 and 5, so the jitter is |0.6 - 0.5|.
    assert metrics[0]["accuracy_jitter"] == pytest.approx(0.1)
    assert metrics[0]["success_prob_mean"] == pytest.approx(0.75)
    assert metrics[0]["sensing_snr_db_mean"] == pytest.approx(5.0)
    assert metrics[0]["samples_mean"] == pytest.approx(200.0)


def test_summary_interval_matches_raw_welch():
    from isacfl.sweeps import summary_difference_interval

    rng = np.random.default_rng(5)
    first, second = rng.normal(2.0, 0.3, size=6), rng.normal(1.5, 0.1, size=9)
    summary = [(values.mean(), values.std(ddof=1) / math.sqrt(values.size), values.size) for values in (first, second)]

    from_summary = summary_difference_interval(*summary)
    from_values = difference_interval(first, second, paired=False)

    assert from_summary.low == pytest.approx(from_values.low)
    assert from_summary.high == pytest.approx(from_values.high)


def test_summary_interval_rejects_one_value():
    from isacfl.sweeps import summary_difference_interval

    with pytest.raises(ValueError, match="n >= 2"):
        summary_difference_interval((1.0, 0.1, 1), (0.5, 0.1, 5))


def test_quiet_worker_restarts_hides_only_loky_restart():
    import warnings

    from isacfl.sweeps.runner import quiet_worker_restarts

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with quiet_worker_restarts():
            warnings.warn("A worker stopped while some jobs were given to the executor. This can be caused by "
                          "a too short worker timeout or by a memory leak.", UserWarning)
            warnings.warn("some other problem", UserWarning)
    assert [str(w.message) for w in caught] == ["some other problem"]
