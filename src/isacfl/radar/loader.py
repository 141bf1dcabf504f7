"""Reader for the DeepSense 6G Scenario 9 radar beam-prediction layout.

The development data set of DeepSense 6G Scenario 9 is a folder ``development_dataset`` holding
three CSV files, ``scenario9_dev_train.csv``, ``scenario9_dev_val.csv`` and
``scenario9_dev_test.csv`` (5,964 rows in all). Two columns are used: ``unit1_radar_1``, the path
of one radar frame relative to that folder (for example ``./unit1/radar_data/data_1.mat``), and
``beam_index_1``, the best of the base station's 64 beams, numbered 1 to 64. Each radar frame is a
MATLAB ``.mat`` file holding one complex array ``data`` of shape (4, 256, 128): receive antennas,
samples per chirp and chirps.

:func:`load_scenario9` reads this layout from a folder given as an argument or by the environment
variable ``ISACFL_DEEPSENSE_DIR``. The synthetic generator (:mod:`isacfl.radar.synthetic`) writes
the same layout, plus a marker file ``SYNTHETIC.json`` that the loader reports as the source, so a
synthetic set is labelled as such wherever it is used.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.io

__all__ = [
    "RadarSplit",
    "RadarDataset",
    "load_scenario9",
    "beam_labels_from_csv",
    "ENV_VAR",
    "SPLITS",
    "CSV_NAMES",
    "RADAR_COLUMN",
    "BEAM_COLUMN",
    "MAT_KEY",
    "NUM_BEAMS",
    "FRAME_SHAPE",
    "SYNTHETIC_MARKER",
]

logger = logging.getLogger(__name__)

#: Environment variable naming the Scenario 9 folder when no path is passed.
ENV_VAR = "ISACFL_DEEPSENSE_DIR"
#: The three splits of the development data set.
SPLITS = ("train", "val", "test")
#: CSV file of each split.
CSV_NAMES = {split: f"scenario9_dev_{split}.csv" for split in SPLITS}
#: CSV column holding the relative path of the radar frame.
RADAR_COLUMN = "unit1_radar_1"
#: CSV column holding the best beam, 1-based.
BEAM_COLUMN = "beam_index_1"
#: Name of the complex array inside every ``.mat`` radar file.
MAT_KEY = "data"
#: Beams of the base station's codebook.
NUM_BEAMS = 64
#: Shape of a real Scenario 9 frame: receive antennas, samples per chirp, chirps per frame.
FRAME_SHAPE = (4, 256, 128)
#: File that marks a folder as written by the synthetic generator and records its parameters.
SYNTHETIC_MARKER = "SYNTHETIC.json"


@dataclasses.dataclass(frozen=True, eq=False)
class RadarSplit:
    """One split of the radar data: raw frames and 0-based best-beam labels."""

    #: Raw frames, complex64, shape (n, n_antennas, n_samples, n_chirps).
    frames: np.ndarray
    #: Best beam of each frame, int64 in ``0 .. NUM_BEAMS - 1``.
    labels: np.ndarray
    #: Path of each frame's ``.mat`` file as written in the CSV.
    paths: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)


@dataclasses.dataclass(frozen=True, eq=False)
class RadarDataset:
    """The train, validation and test splits of a Scenario 9 development folder."""

    train: RadarSplit
    val: RadarSplit
    test: RadarSplit
    #: The ``development_dataset`` folder the data were read from.
    root: Path
    #: ``"DeepSense 6G Scenario 9"`` for the real data, ``"synthetic ..."`` for a generated set.
    source: str
    #: Generator parameters read from the synthetic marker file, None for the real data.
    synthetic_parameters: dict | None = None

    @property
    def is_synthetic(self) -> bool:
        """Whether the folder was written by the synthetic generator."""
        return self.synthetic_parameters is not None

    @property
    def frame_shape(self) -> tuple[int, int, int]:
        """Shape of one raw frame: (n_antennas, n_samples, n_chirps)."""
        return tuple(self.train.frames.shape[1:])


def _resolve_root(root: str | Path | None) -> Path:
    if root is None:
        root = os.environ.get(ENV_VAR)
        if not root:
            raise FileNotFoundError(
                f"no DeepSense 6G folder given: pass root or set {ENV_VAR} to the Scenario9 folder "
                f"(or its development_dataset subfolder)"
            )
    folder = Path(root).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(
            f"DeepSense 6G folder {folder} does not exist (set by root or {ENV_VAR})"
        )
    if not (folder / CSV_NAMES["train"]).is_file() and (folder / "development_dataset").is_dir():
        folder = folder / "development_dataset"
    return folder


def beam_labels_from_csv(values: Sequence[str], csv_path: Path | str = "<csv>") -> np.ndarray:
    """Convert the 1-based ``beam_index_1`` strings of a CSV to 0-based int64 labels.

    This is the only place where beam numbers change base.

    Raises
    ------
    ValueError
        If a value is not an integer from 1 to ``NUM_BEAMS``; the message names the row.

    Examples
    --------
    >>> beam_labels_from_csv(["1", "64", "17"]).tolist()
    [0, 63, 16]
    """
    labels = np.empty(len(values), dtype=np.int64)
    for row, value in enumerate(values):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if not (np.isfinite(number) and number.is_integer() and 1 <= number <= NUM_BEAMS):
            raise ValueError(
                f"{csv_path}: row {row + 1} has {BEAM_COLUMN}={value!r}; "
                f"beam indices must be integers from 1 to {NUM_BEAMS}"
            )
        labels[row] = int(number) - 1
    return labels


def _read_csv(path: Path) -> tuple[list[str], np.ndarray]:
    if not path.is_file():
        raise FileNotFoundError(f"CSV file {path.name} not found in {path.parent}")
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        missing = [name for name in (RADAR_COLUMN, BEAM_COLUMN) if name not in columns]
        if missing:
            raise ValueError(f"{path} lacks column(s) {missing}; its columns are {columns}")
        rows = list(reader)
    if not rows:
        raise ValueError(f"{path} has a header but no rows")
    paths = [row[RADAR_COLUMN] for row in rows]
    labels = beam_labels_from_csv([row[BEAM_COLUMN] for row in rows], path)
    return paths, labels


def _frame_path(folder: Path, relative: str) -> Path:
    # The CSV paths start with "./" and use forward slashes. A leading "/" is dropped too, so a
    # path written relative to the folder with a leading separator still resolves inside it.
    parts = [part for part in relative.replace("\\", "/").split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ValueError(f"radar file path {relative!r} in a CSV of {folder} leaves the data folder; "
                         "paths must stay inside it")
    return folder.joinpath(*parts)


def _read_frame(path: Path, expected_shape: tuple[int, ...] | None) -> np.ndarray:
    if not path.is_file():
        raise FileNotFoundError(f"radar file {path} listed in the CSV does not exist")
    # scipy raises MatReadError (a ValueError) for most damage, IndexError for a cut-off header.
    try:
        contents = scipy.io.loadmat(path)
    except (ValueError, TypeError, IndexError, EOFError, OSError) as error:
        raise ValueError(f"radar file {path} is not a readable MATLAB file: {error}") from None
    if MAT_KEY not in contents:
        keys = sorted(key for key in contents if not key.startswith("__"))
        raise ValueError(f"radar file {path} contains no array {MAT_KEY!r}; its arrays are {keys}")
    frame = np.asarray(contents[MAT_KEY])
    if frame.ndim != 3 or (expected_shape is not None and frame.shape != tuple(expected_shape)):
        expected = tuple(expected_shape) if expected_shape is not None else "(n_antennas, n_samples, n_chirps)"
        raise ValueError(f"radar file {path} contains an array of shape {frame.shape}; expected {expected}")
    return frame.astype(np.complex64)


def _read_split(folder: Path, split: str, expected_shape: tuple[int, ...] | None) -> RadarSplit:
    paths, labels = _read_csv(folder / CSV_NAMES[split])
    first = _read_frame(_frame_path(folder, paths[0]), expected_shape)
    frames = np.empty((len(paths),) + first.shape, dtype=np.complex64)
    frames[0] = first
    for i in range(1, len(paths)):
        frames[i] = _read_frame(_frame_path(folder, paths[i]), first.shape)
    return RadarSplit(frames=frames, labels=labels, paths=tuple(paths))


def _read_marker(path: Path) -> dict[str, Any]:
    """Read the synthetic set's marker file, or raise ValueError naming it."""
    try:
        marker = json.loads(path.read_text())
        shape = tuple(int(size) for size in marker["frame_shape"])
        marker["seed"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise ValueError(f"marker file {path} is not a valid synthetic-set description "
                         f"(a JSON object with frame_shape and seed): {error!r}; delete the folder "
                         "to have the synthetic set written again") from None
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"marker file {path} gives frame_shape {shape}; expected three positive sizes")
    return marker


def load_scenario9(root: str | Path | None = None, *, frame_shape: tuple[int, int, int] | None = None) -> RadarDataset:
    """Read the train, validation and test splits of a Scenario 9 development folder.

    Parameters
    ----------
    root : str or Path, optional
        The ``Scenario9`` folder or its ``development_dataset`` subfolder. Defaults to the
        environment variable ``ISACFL_DEEPSENSE_DIR``.
    frame_shape : (int, int, int), optional
        Shape every frame must have. Default: the real data's (4, 256, 128) unless the folder
        carries the synthetic marker, whose recorded frame shape is used instead. Within a
        folder all frames must have one shape.

    Returns
    -------
    RadarDataset
        Frames as complex64, labels 0-based, and the source (real or synthetic).

    Raises
    ------
    FileNotFoundError
        If no folder is given, or the folder, a CSV file or a listed radar file is missing.
    ValueError
        If a CSV lacks a used column or a row has a beam index outside 1..64, or a radar file
        lacks the array ``data`` or contains an array of another shape.

    Notes
    -----
    The whole real development set takes about 6 GB of memory as complex64 (5,964 frames of
    1 MiB), because the sensing noise of the FL experiment is added to raw frames.

    Examples
    --------
    >>> import tempfile
    >>> from isacfl.radar.synthetic import write_synthetic_dataset, SyntheticConfig
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     folder = write_synthetic_dataset(tmp, SyntheticConfig(n_frames=10), seed=0)
    ...     data = load_scenario9(folder)
    >>> data.is_synthetic, data.frame_shape, len(data.train) + len(data.val) + len(data.test)
    (True, (4, 16, 16), 10)
    """
    folder = _resolve_root(root)
    marker = folder / SYNTHETIC_MARKER
    synthetic = _read_marker(marker) if marker.is_file() else None
    if frame_shape is None:
        frame_shape = tuple(synthetic["frame_shape"]) if synthetic is not None else FRAME_SHAPE
    splits = {split: _read_split(folder, split, tuple(frame_shape)) for split in SPLITS}
    if synthetic is not None:
        source = f"synthetic stand-in for DeepSense 6G Scenario 9 (seed {synthetic['seed']})"
    else:
        source = "DeepSense 6G Scenario 9"
    logger.info(
        "radar data source: %s in %s (%d train, %d val, %d test frames of shape %s)",
        source, folder, len(splits["train"]), len(splits["val"]), len(splits["test"]), tuple(frame_shape),
    )
    return RadarDataset(root=folder, source=source, synthetic_parameters=synthetic, **splits)
