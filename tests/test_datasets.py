"""fastnn.datasets: the bundled digits split and the MNIST IDX reader."""
import gzip
import os
import struct

import numpy as np
import pytest

from fastnn.datasets import digits, mnist


# ---------------------------------------------------------------- digits
def test_digits_shapes_dtypes_and_ranges():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1442, 64) and x_test.shape == (355, 64)
    assert y_train.shape == (1442,) and y_test.shape == (355,)
    assert x_train.dtype == np.float32 and x_test.dtype == np.float32
    assert y_train.dtype == np.int64 and y_test.dtype == np.int64
    for x in (x_train, x_test):
        assert x.min() == 0.0 and x.max() == 16.0
        assert np.array_equal(x, np.round(x))  # raw integer intensities
    assert set(np.unique(y_train)) == set(range(10)) == set(np.unique(y_test))


def test_digits_split_is_stratified_disjoint_and_complete():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    pixels, labels = digits._read_table()
    # Every row lands in exactly one part, in file order.
    mask = digits._test_mask(labels)
    assert np.array_equal(x_test, pixels[mask].astype(np.float32))
    assert np.array_equal(y_train, labels[~mask])
    counts_all = np.bincount(labels, minlength=10)
    counts_test = np.bincount(y_test, minlength=10)
    assert np.array_equal(counts_test, counts_all // 5)  # 20% of each class
    assert np.array_equal(np.bincount(y_train, minlength=10) + counts_test, counts_all)


def test_digits_split_is_fixed_and_arrays_are_fresh():
    (a, b), (c, d) = digits.load_data()
    a[:] = -1
    (a2, b2), (c2, d2) = digits.load_data()
    assert a2.min() == 0.0  # modifying a returned array does not leak into the next call
    assert np.array_equal(b, b2) and np.array_equal(c, c2) and np.array_equal(d, d2)
    # Pin the split itself: first training/test labels and a checksum of the test pixels.
    assert b2[:10].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert d2[:12].tolist() == [5, 0, 9, 8, 7, 1, 2, 6, 3, 4, 0, 2]
    assert int(c2.sum()) == 111152 and int(a2.sum()) == 450566


# ---------------------------------------------------------------- mnist
def _idx_bytes(arr):
    arr = np.asarray(arr, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, arr.ndim) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    return header + arr.tobytes()


def _write(folder, name, payload, compress=True):
    path = os.path.join(folder, name if compress else name[:-3])
    if compress:
        with gzip.open(path, "wb") as f:
            f.write(payload)
    else:
        with open(path, "wb") as f:
            f.write(payload)
    return path


def _tiny_mnist(folder, n_train=5, n_test=3, compress=True):
    rng = np.random.default_rng(0)
    data = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for key, arr in data.items():
        _write(folder, mnist.FILES[key], _idx_bytes(arr), compress)
    return data


@pytest.mark.parametrize("compress", [True, False])
def test_mnist_reads_idx_files(tmp_path, compress):
    data = _tiny_mnist(str(tmp_path), compress=compress)
    (x_train, y_train), (x_test, y_test) = mnist.load_data(tmp_path)
    for key, got in zip(["x_train", "y_train", "x_test", "y_test"], [x_train, y_train, x_test, y_test]):
        assert got.dtype == np.uint8
        assert np.array_equal(got, data[key])
    assert x_train.shape == (5, 28, 28) and y_test.shape == (3,)


def test_mnist_default_path_follows_fastnn_data(tmp_path, monkeypatch):
    folder = tmp_path / "mnist"
    folder.mkdir()
    data = _tiny_mnist(str(folder))
    monkeypatch.setenv("FASTNN_DATA", str(tmp_path))
    assert mnist.default_path() == str(folder)
    (_, y_train), _ = mnist.load_data()
    assert np.array_equal(y_train, data["y_train"])
    monkeypatch.delenv("FASTNN_DATA")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert mnist.default_path() == os.path.join(str(tmp_path), ".fastnn", "datasets", "mnist")


def test_mnist_missing_files_say_what_to_put_where(tmp_path):
    _tiny_mnist(str(tmp_path))
    os.remove(tmp_path / "t10k-labels-idx1-ubyte.gz")
    with pytest.raises(FileNotFoundError) as e:
        mnist.load_data(tmp_path)
    msg = str(e.value)
    assert str(tmp_path) in msg and "Missing: t10k-labels-idx1-ubyte.gz" in msg
    assert "train-images-idx3-ubyte.gz" in msg and "does not download" in msg
    with pytest.raises(FileNotFoundError, match="Missing: train-images"):
        mnist.load_data(tmp_path / "nowhere")


def test_mnist_truncated_data_rejected(tmp_path):
    data = _tiny_mnist(str(tmp_path))
    payload = _idx_bytes(data["x_train"])[:-10]
    _write(str(tmp_path), mnist.FILES["x_train"], payload)
    with pytest.raises(ValueError, match="truncated IDX file"):
        mnist.load_data(tmp_path)


def test_mnist_truncated_gzip_stream_rejected(tmp_path):
    data = _tiny_mnist(str(tmp_path))
    path = tmp_path / mnist.FILES["y_test"]
    blob = gzip.compress(_idx_bytes(np.arange(3000) % 10))
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match="t10k-labels"):
        mnist.load_data(tmp_path)


@pytest.mark.parametrize("header", [
    struct.pack(">HBB", 0, 0x08, 1),        # labels magic on an image file
    struct.pack(">HBB", 0, 0x0D, 3),        # float data, not unsigned bytes
    b"PK\x03\x04",                          # a zip file
])
def test_mnist_bad_magic_rejected(tmp_path, header):
    _tiny_mnist(str(tmp_path))
    _write(str(tmp_path), mnist.FILES["x_train"], header + b"\x00" * 64)
    with pytest.raises(ValueError, match="not an IDX file"):
        mnist.load_data(tmp_path)


def test_mnist_not_gzip_rejected(tmp_path):
    _tiny_mnist(str(tmp_path))
    (tmp_path / mnist.FILES["x_test"]).write_bytes(b"this is not gzip at all")
    with pytest.raises(ValueError, match="t10k-images"):
        mnist.load_data(tmp_path)


def test_mnist_trailing_data_and_count_mismatch_rejected(tmp_path):
    data = _tiny_mnist(str(tmp_path))
    _write(str(tmp_path), mnist.FILES["y_train"], _idx_bytes(data["y_train"]) + b"\x01")
    with pytest.raises(ValueError, match="beyond"):
        mnist.load_data(tmp_path)
    _write(str(tmp_path), mnist.FILES["y_train"], _idx_bytes(data["y_train"][:4]))
    with pytest.raises(ValueError, match="5 images but .* 4 labels"):
        mnist.load_data(tmp_path)


def test_mnist_labels_out_of_range_rejected(tmp_path):
    _tiny_mnist(str(tmp_path))
    _write(str(tmp_path), mnist.FILES["y_test"], _idx_bytes([1, 2, 200]))
    with pytest.raises(ValueError, match="outside 0-9"):
        mnist.load_data(tmp_path)


def test_mnist_every_byte_flip_and_truncation_is_caught_or_harmless(tmp_path):
    arr = np.arange(2 * 5 * 5, dtype=np.uint8).reshape(2, 5, 5)
    data = gzip.compress(_idx_bytes(arr))
    path = tmp_path / "x.gz"
    for pos in range(len(data)):
        for flip in (0xFF, 0x01):
            corrupted = bytearray(data)
            corrupted[pos] ^= flip
            path.write_bytes(bytes(corrupted))
            try:
                got = mnist.read_idx(str(path), 3)
            except ValueError:
                continue
            assert np.array_equal(got, arr)  # only a harmless gzip header field changed
    for cut in range(len(data)):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError):
            mnist.read_idx(str(path), 3)
