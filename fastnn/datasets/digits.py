"""The 8x8 handwritten digits bundled with fastnn (the 64 inputs of the digit network).

Source: the test part of the UCI "Optical Recognition of Handwritten Digits" data set
(E. Alpaydin, C. Kaynak, 1998), CC BY 4.0, https://doi.org/10.24432/C50P49 (see
``fastnn/datasets/data/README.md``). 1,797 images; each row of ``data/digits.csv.gz`` holds
64 pixel intensities (integers 0-16, row-major 8x8) followed by the label 0-9.

``load_data()`` returns the fixed split ``(x_train, y_train), (x_test, y_test)``:

- ``x_*``: float32 arrays of shape ``(n, 64)`` holding the raw intensities, 0.0 to 16.0
  (divide by 16 for ``[0, 1]``; Keras-style examples often feed them as they are).
- ``y_*``: int64 arrays of shape ``(n,)``, the digit 0-9.

The split is deterministic and stratified without any random generator (so it is the same
on every NumPy version): within each class, taken in file order, every fifth sample
(ranks 4, 9, 14, ...) goes to the test set. That gives 1,442 training and 355 test
samples, each class ~20% in test; both sets keep the file order.
"""
import gzip
import os

import numpy as np

__all__ = ["load_data", "DATA_FILE", "N_SAMPLES", "N_FEATURES"]

DATA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "digits.csv.gz")
N_SAMPLES = 1797
N_FEATURES = 64
_TEST_EVERY = 5  # every 5th sample of a class -> test: a 20% stratified split


def _read_table():
    try:
        with gzip.open(DATA_FILE, "rt", encoding="ascii") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.int64, ndmin=2)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"digits.load_data: the bundled data file is missing: expected {DATA_FILE} "
            "(reinstall fastnn)") from None
    if table.shape != (N_SAMPLES, N_FEATURES + 1):
        raise ValueError(
            f"digits.load_data: {DATA_FILE} should hold {N_SAMPLES} rows of "
            f"{N_FEATURES + 1} values, got shape {table.shape}")
    pixels, labels = table[:, :N_FEATURES], table[:, N_FEATURES]
    if pixels.min() < 0 or pixels.max() > 16 or labels.min() < 0 or labels.max() > 9:
        raise ValueError(f"digits.load_data: {DATA_FILE} holds values outside pixels 0-16 / labels 0-9")
    return pixels, labels


def _test_mask(labels):
    """Boolean mask of the test samples: per class, in order, every fifth one."""
    labels = np.asarray(labels)
    mask = np.zeros(labels.shape[0], dtype=bool)
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        mask[idx[_TEST_EVERY - 1::_TEST_EVERY]] = True
    return mask


def load_data():
    """Return ``(x_train, y_train), (x_test, y_test)`` of the bundled 8x8 digits.

    ``x`` is float32 ``(n, 64)`` with values 0-16, ``y`` int64 ``(n,)`` with values 0-9;
    1,442 training and 355 test samples, a fixed stratified split (see the module doc).
    Every call returns fresh arrays, so callers may modify them.
    """
    pixels, labels = _read_table()
    test = _test_mask(labels)
    x = pixels.astype(np.float32)
    return (x[~test], labels[~test].copy()), (x[test], labels[test].copy())
