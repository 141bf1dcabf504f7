"""Tests of the command line, ``python -m isacfl``."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from isacfl.__main__ import main
from isacfl.allocation import allocate
from isacfl.scenario import Scenario


@pytest.fixture
def scenario_file(tmp_path):
    scenario = Scenario.random(4, seed=5)
    path = tmp_path / "scenario.json"
    scenario.to_json(path)
    return scenario, path


def test_allocate_prints_json(scenario_file, capsys):
    scenario, path = scenario_file
    assert main(["allocate", str(path), "--strategy", "proposed"]) == 0
    data = json.loads(capsys.readouterr().out)
    expected = allocate(scenario, "proposed")
    assert data["strategy"] == "proposed"
    assert data["objective"] == pytest.approx(expected.objective)
    assert data["gamma_min"] == pytest.approx(expected.gamma_min)
    assert data["certificate"]["relative_gap"] <= 1e-6
    assert data["certificate"]["upper_bound"] >= data["objective"]
    assert len(data["devices"]) == 4
    assert [d["snapshots"] for d in data["devices"]] == expected.snapshots.tolist()
    np.testing.assert_allclose([d["success_prob"] for d in data["devices"]], expected.success_prob)


def test_allocate_ratio_has_null_certificate(scenario_file, capsys):
    _, path = scenario_file
    assert main(["allocate", str(path), "--strategy", "ratio", "--rho", "0.25"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["certificate"] is None
    assert data["strategy"] == "ratio"


@pytest.mark.parametrize(
    "content,message",
    [
        (None, "scenario file not found"),
        ("{not json", "invalid JSON"),
        ('{"n_devices": 0}', "invalid scenario .*n_devices must be an integer >= 1"),
        ('{"colour": 3}', "invalid scenario .*unknown scenario parameter"),
        ("[1, 2]", "invalid scenario .*expected a JSON object"),
        ('{"n_devices": 2, "energy_budget_j": [3.0, 0.01]}', "infeasible scenario .*device 1 .*falls short by 0.0556 J"),
    ],
)
def test_allocate_bad_input_exits_2(tmp_path, capsys, content, message):
    path = tmp_path / "scenario.json"
    if content is not None:
        path.write_text(content)
    assert main(["allocate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert re.search(message, err), err


def test_ratio_without_rho_exits_2(scenario_file, capsys):
    _, path = scenario_file
    assert main(["allocate", str(path), "--strategy", "ratio"]) == 2
    assert capsys.readouterr().err == ("isacfl allocate: error: --rho is required with --strategy ratio "
                                       "(the upload share of the energy, in [0, 1])\n")


def test_ratio_with_rho_out_of_range_exits_2(scenario_file, capsys):
    _, path = scenario_file
    assert main(["allocate", str(path), "--strategy", "ratio", "--rho", "1.5"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "rho must be in [0, 1] for the ratio rule, got 1.5" in err


def test_unknown_strategy_is_usage_error(scenario_file):
    _, path = scenario_file
    with pytest.raises(SystemExit) as info:
        main(["allocate", str(path), "--strategy", "best"])
    assert info.value.code == 2


def test_module_entry_point(scenario_file):
    _, path = scenario_file
    completed = subprocess.run([sys.executable, "-m", "isacfl", "allocate", str(path), "--strategy", "maxcomm"],
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["strategy"] == "maxcomm"


def _run_module(*arguments: str, env_profile: str | None = None) -> subprocess.CompletedProcess:
    import os

    env = dict(os.environ)
    if env_profile is not None:
        env["ISACFL_PROFILE"] = env_profile
    return subprocess.run([sys.executable, "-m", "isacfl", *arguments], capture_output=True, text=True,
                          env=env, timeout=120)


@pytest.mark.parametrize(
    "arguments, fragment",
    [
        (("sweep", "nope"), "sweep must be one of"),
        (("sweep", "9", "--jobs", "0"), "--jobs must be an integer"),
        (("allocate", "missing.json", "--strategy", "bogus"), "invalid choice: 'bogus'"),
        (("allocate", "missing.json", "--rho", "x"), "invalid float value"),
    ],
)
def test_module_errors_exit_two_one_line(arguments, fragment):
    result = _run_module(*arguments)
    assert result.returncode == 2
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_module_bad_profile_env_exits_two():
    result = _run_module("sweep", "9", env_profile="bogus")
    assert result.returncode == 2
    assert "profile must be one of" in result.stderr
    assert "Traceback" not in result.stderr


def test_allocate_zero_sensing_gain_exits_two(tmp_path):
    path = tmp_path / "underflow.json"
    path.write_text(json.dumps({"n_devices": 2, "sensing_fading_mean": 1e-300, "sensing_gain": 1e-30}))
    result = _run_module("allocate", str(path))
    assert result.returncode == 2
    assert "device 0 is infeasible" in result.stderr
    assert "sensing gain factor" in result.stderr
    assert result.stdout == ""
