"""MNIST from the standard IDX files (fastnn never downloads: put the files in place).

``load_data(path=None)`` reads the four files of Yann LeCun's distribution::

    train-images-idx3-ubyte.gz   train-labels-idx1-ubyte.gz
    t10k-images-idx3-ubyte.gz    t10k-labels-idx1-ubyte.gz

(each may also be present uncompressed, without ``.gz``) from the folder ``path``, or where
``path`` is None from ``$FASTNN_DATA/mnist`` when the ``FASTNN_DATA`` environment variable
is set, else from ``~/.fastnn/datasets/mnist``. It returns, as ``keras.datasets.mnist``
does, ``(x_train, y_train), (x_test, y_test)`` with ``x`` uint8 ``(n, 28, 28)`` (0-255)
and ``y`` uint8 ``(n,)`` (0-9).

IDX format (big-endian): two zero bytes, a type byte (0x08 = unsigned byte), a byte with
the number of dimensions, one uint32 per dimension, then the data in C order. Every file is
checked (magic, dimensions, exact data length, image/label counts, labels 0-9) and any
mismatch raises ``ValueError`` naming the file, so a truncated or foreign file never turns
into a silently wrong array.
"""
import gzip
import os
import struct
import zlib

import numpy as np

__all__ = ["load_data", "default_path", "FILES"]

FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
_UBYTE = 0x08
_MAX_BYTES = 1 << 31  # no IDX file here is near 2 GiB: refuse headers that claim more


def default_path():
    """The folder load_data() reads when no path is given."""
    root = os.environ.get("FASTNN_DATA")
    if root:
        return os.path.join(os.path.expanduser(root), "mnist")
    return os.path.join(os.path.expanduser("~"), ".fastnn", "datasets", "mnist")


def _open(filename):
    return gzip.open(filename, "rb") if filename.endswith(".gz") else open(filename, "rb")


def read_idx(filename, ndim):
    """Read one IDX file of unsigned bytes with ``ndim`` dimensions into a uint8 array."""
    try:
        with _open(filename) as f:
            header = f.read(4)
            if len(header) < 4:
                raise ValueError(f"{filename}: truncated IDX file (no 4-byte magic number)")
            zero, dtype_code, nd = struct.unpack(">HBB", header)
            if zero != 0 or dtype_code != _UBYTE or nd != ndim:
                raise ValueError(
                    f"{filename}: not an IDX file of unsigned bytes with {ndim} dimension(s): "
                    f"expected magic 0x{0x0800 + ndim:08x}, got 0x{header.hex()}")
            raw_dims = f.read(4 * nd)
            if len(raw_dims) < 4 * nd:
                raise ValueError(f"{filename}: truncated IDX header (dimension sizes missing)")
            dims = struct.unpack(">" + "I" * nd, raw_dims)
            size = int(np.prod(dims, dtype=np.int64))
            if size > _MAX_BYTES:
                raise ValueError(f"{filename}: IDX header claims an implausible size {dims}")
            # Read one byte past the expected end to detect trailing garbage.
            data = f.read(size + 1)
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise ValueError(f"{filename}: unreadable or truncated gzip/IDX file ({e})") from None
    if len(data) < size:
        raise ValueError(
            f"{filename}: truncated IDX file: header says {dims} ({size} bytes of data), "
            f"found {len(data)}")
    if len(data) > size:
        raise ValueError(f"{filename}: IDX file has data beyond the {size} bytes its header {dims} declares")
    return np.frombuffer(data, dtype=np.uint8).reshape(dims).copy()


def _find(folder, name):
    for candidate in (name, name[:-3]):  # the .gz file, or the same file uncompressed
        full = os.path.join(folder, candidate)
        if os.path.isfile(full):
            return full
    return None


def load_data(path=None):
    """Return ``(x_train, y_train), (x_test, y_test)`` read from the MNIST IDX files.

    ``path``: the folder holding the four files (see the module doc); None means
    ``default_path()``. Raises FileNotFoundError listing what is missing and where to
    put it, ValueError for a malformed file.

    Parameters
    ----------
    path : str or path, optional
        The folder holding the four IDX files. Default None: ``default_path()``.
    """
    folder = default_path() if path is None else os.fspath(path)
    folder = os.path.expanduser(folder)
    if os.path.isfile(folder):
        raise ValueError(f"mnist.load_data: path must be a folder holding the IDX files, got the file {folder!r}")
    found = {key: _find(folder, name) for key, name in FILES.items()}
    missing = [FILES[key] for key, f in found.items() if f is None]
    if missing:
        raise FileNotFoundError(
            "mnist.load_data: fastnn does not download data sets. Put the MNIST IDX files "
            f"{', '.join(FILES.values())} (gzip-compressed or not) in the folder {folder!r} "
            "(or pass path=<folder>, or set FASTNN_DATA so the folder is $FASTNN_DATA/mnist). "
            f"Missing: {', '.join(missing)}")
    out = {}
    for key, filename in found.items():
        out[key] = read_idx(filename, 3 if key.startswith("x") else 1)
    for part in ("train", "test"):
        x, y = out["x_" + part], out["y_" + part]
        if x.shape[0] != y.shape[0]:
            raise ValueError(
                f"mnist.load_data: {found['x_' + part]} holds {x.shape[0]} images but "
                f"{found['y_' + part]} holds {y.shape[0]} labels")
        if y.size and y.max() > 9:
            raise ValueError(f"mnist.load_data: {found['y_' + part]} holds labels outside 0-9 (max {y.max()})")
    return (out["x_train"], out["y_train"]), (out["x_test"], out["y_test"])
