"""Tests of isacfl.radar.loader against hand-written miniatures of the Scenario 9 layout."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from isacfl.radar import loader

SMALL_SHAPE = (4, 8, 6)


def write_split(folder: Path, split: str, beams: list[int], shape=SMALL_SHAPE, *, start: int = 0,
                columns=("index", "unit1_radar_1", "beam_index_1", "unit1_pwr_60ghz_1")) -> list[np.ndarray]:
    """Write one split's CSV and its .mat files; return the frames written.

    Frame ``i`` contains the value ``i + 1j * beam`` everywhere, so a test can tell frames apart.
    """
    radar = folder / "unit1" / "radar_data"
    radar.mkdir(parents=True, exist_ok=True)
    frames = []
    with open(folder / f"scenario9_dev_{split}.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for offset, beam in enumerate(beams):
            i = start + offset
            frame = np.full(shape, i + 1j * beam, dtype=np.complex64)
            scipy.io.savemat(radar / f"data_{i}.mat", {"data": frame})
            frames.append(frame)
            row = {"index": i, "unit1_radar_1": f"./unit1/radar_data/data_{i}.mat", "beam_index_1": beam,
                   "unit1_pwr_60ghz_1": "./unit1/pwr/x.txt"}
            writer.writerow([row[c] for c in columns])
    return frames


@pytest.fixture
def miniature(tmp_path: Path) -> Path:
    """A Scenario9 folder with 3 train, 2 val and 2 test frames of a small shape."""
    folder = tmp_path / "Scenario9" / "development_dataset"
    write_split(folder, "train", [1, 64, 17])
    write_split(folder, "val", [5, 6], start=3)
    write_split(folder, "test", [63, 2], start=5)
    return folder


def test_loader_reads_frames_and_zero_based_labels(miniature):
    data = loader.load_scenario9(miniature, frame_shape=SMALL_SHAPE)
    assert data.train.labels.tolist() == [0, 63, 16]
    assert data.val.labels.tolist() == [4, 5]
    assert data.test.labels.tolist() == [62, 1]
    assert data.train.frames.dtype == np.complex64
    assert data.train.frames.shape == (3, *SMALL_SHAPE)
    np.testing.assert_array_equal(data.test.frames[1], np.full(SMALL_SHAPE, 6 + 2j, dtype=np.complex64))
    assert data.train.paths[2] == "./unit1/radar_data/data_2.mat"
    assert data.frame_shape == SMALL_SHAPE
    assert not data.is_synthetic
    assert data.source == "DeepSense 6G Scenario 9"


def test_loader_accepts_parent_folder(miniature):
    data = loader.load_scenario9(miniature.parent, frame_shape=SMALL_SHAPE)
    assert data.root == miniature
    assert len(data.train) == 3


def test_loader_reads_environment_variable(miniature, monkeypatch):
    monkeypatch.setenv(loader.ENV_VAR, str(miniature.parent))
    assert loader.load_scenario9(frame_shape=SMALL_SHAPE).val.labels.tolist() == [4, 5]


def test_loader_real_frame_shape_by_default(tmp_path):
    folder = tmp_path / "development_dataset"
    write_split(folder, "train", [3], shape=loader.FRAME_SHAPE)
    write_split(folder, "val", [4], shape=loader.FRAME_SHAPE, start=1)
    write_split(folder, "test", [5], shape=loader.FRAME_SHAPE, start=2)
    data = loader.load_scenario9(folder)
    assert data.frame_shape == (4, 256, 128)
    assert data.test.labels.tolist() == [4]


def test_loader_rejects_wrong_shape(miniature):
    with pytest.raises(ValueError, match=r"data_0\.mat contains an array of shape \(4, 8, 6\); expected \(4, 256, 128\)"):
        loader.load_scenario9(miniature)


def test_loader_rejects_mixed_shapes(miniature):
    scipy.io.savemat(miniature / "unit1" / "radar_data" / "data_1.mat", {"data": np.ones((4, 8, 7), np.complex64)})
    with pytest.raises(ValueError, match=r"data_1\.mat contains an array of shape \(4, 8, 7\); expected \(4, 8, 6\)"):
        loader.load_scenario9(miniature, frame_shape=SMALL_SHAPE)


def test_loader_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"DeepSense 6G folder .*nowhere does not exist"):
        loader.load_scenario9(tmp_path / "nowhere")


def test_loader_no_folder_given(monkeypatch):
    monkeypatch.delenv(loader.ENV_VAR, raising=False)
    with pytest.raises(FileNotFoundError, match=r"no DeepSense 6G folder given: pass root or set ISACFL_DEEPSENSE_DIR"):
        loader.load_scenario9()


def test_loader_missing_csv(miniature):
    (miniature / "scenario9_dev_val.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"CSV file scenario9_dev_val\.csv not found in"):
        loader.load_scenario9(miniature, frame_shape=SMALL_SHAPE)


def test_loader_missing_column(miniature):
    write_split(miniature, "test", [1], columns=("index", "unit1_radar_1"))
    with pytest.raises(ValueError, match=r"scenario9_dev_test\.csv lacks column\(s\) \['beam_index_1'\]"):
        loader.load_scenario9(miniature, frame_shape=SMALL_SHAPE)


def test_loader_missing_radar_file(miniature):
    (miniature / "unit1" / "radar_data" / "data_4.mat").unlink()
    with pytest.raises(FileNotFoundError, match=r"radar file .*data_4\.mat listed in the CSV does not exist"):
        loader.load_scenario9(miniature, frame_shape=SMALL_SHAPE)


def test_loader_missing_data_array(miniature):
    scipy.io.savemat(miniature / "unit1" / "radar_data" / "data_0.mat", {"radar": np.ones(SMALL_SHAPE)})
    with pytest.raises(ValueError, match=r"contains no array 'data'; its arrays are \['radar'\]"):
        loader.load_scenario9(miniature, frame_shape=SMALL_SHAPE)


@pytest.mark.parametrize("beam", [0, 65, "x", "2.5"])
def test_loader_rejects_bad_beam_index(miniature, beam):
    with open(miniature / "scenario9_dev_val.csv", "w", newline="") as handle:
        handle.write("unit1_radar_1,beam_index_1\n./unit1/radar_data/data_3.mat,7\n")
        handle.write(f"./unit1/radar_data/data_4.mat,{beam}\n")
    with pytest.raises(ValueError, match=r"row 2 has beam_index_1=.*beam indices must be integers from 1 to 64"):
        loader.load_scenario9(miniature, frame_shape=SMALL_SHAPE)


def test_loader_rejects_empty_csv(miniature):
    (miniature / "scenario9_dev_train.csv").write_text("unit1_radar_1,beam_index_1\n")
    with pytest.raises(ValueError, match="has a header but no rows"):
        loader.load_scenario9(miniature, frame_shape=SMALL_SHAPE)


def test_loader_reports_synthetic_marker(miniature):
    marker = {"generator": "test", "seed": 7, "frame_shape": list(SMALL_SHAPE), "config": {}}
    (miniature / loader.SYNTHETIC_MARKER).write_text(json.dumps(marker))
    data = loader.load_scenario9(miniature)  # the marker's frame shape replaces the real one
    assert data.is_synthetic
    assert data.source.startswith("synthetic")
    assert "seed 7" in data.source
    assert data.synthetic_parameters["seed"] == 7


def test_beam_labels_from_csv_converts_float_strings():
    assert loader.beam_labels_from_csv(["1.0", "64"]).tolist() == [0, 63]


def test_loader_rejects_truncated_mat_file(miniature):
    path = miniature / "unit1" / "radar_data" / "data_1.mat"
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match=r"radar file .*data_1\.mat is not a readable MATLAB file"):
        loader.load_scenario9(miniature, frame_shape=SMALL_SHAPE)


@pytest.mark.parametrize("text", ["{not json", json.dumps({"seed": 1}), json.dumps({"seed": 1, "frame_shape": [4, 8]})])
def test_loader_rejects_broken_marker(miniature, text):
    (miniature / loader.SYNTHETIC_MARKER).write_text(text)
    with pytest.raises(ValueError, match=r"marker file .*SYNTHETIC\.json"):
        loader.load_scenario9(miniature)


def test_loader_rejects_path_outside_folder(miniature):
    with open(miniature / "scenario9_dev_test.csv", "w", newline="") as handle:
        handle.write("unit1_radar_1,beam_index_1\n../outside/data_5.mat,3\n")
    with pytest.raises(ValueError, match=r"'\.\./outside/data_5\.mat' in a CSV of .* leaves the data folder"):
        loader.load_scenario9(miniature, frame_shape=SMALL_SHAPE)
