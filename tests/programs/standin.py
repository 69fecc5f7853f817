"""Offline stand-ins for the data sets the programs in this folder download.

The published programs call `keras.datasets.mnist.load_data()`, read a CSV from Kaggle or
fetch scikit-learn's California housing table. Tests have no network, so each program
imports the loader of the same name from here instead. Every loader returns arrays of
the same kind, dtype and per-sample shape as the original, built with NumPy only:

- `mnist`, `fashion_mnist`: 28x28 uint8 images of handwritten digits, labels 0-9. They
  are the 8x8 digits bundled with fastnn (fastnn/datasets/data/digits.csv.gz, UCI,
  CC BY 4.0) enlarged to 20x20, centred on a 28x28 canvas as MNIST is, and shifted by up
  to 2 pixels to give more rows: 6,000 training and 1,000 test images (a tenth of
  MNIST's counts). Fashion-MNIST has the same shapes; the same digits stand in for it.
- `imdb`, `reuters`: reviews / newswires as lists of word indices (1 = start mark,
  2 = unknown word, 3.. words), drawn from a Zipf vocabulary in which each class
  prefers its own words, with a fixed seed.
- `california_housing`: 8 numeric features and a house value, drawn with a fixed seed
  from a smooth function of the features plus noise.
- `credit_card_fraud`: 30 numeric features, about 0.5 % positives.

`report(**figures)` prints the program's key figures on one line that the tests read.

On fastnn (the `REFERENCE` environment variable unset), importing this module seeds
fastnn, Python's `random` and NumPy's global generator with `FASTNN_PROGRAM_SEED`
(default 0), as `keras.utils.set_random_seed` would: a program then gives the same
figures on every run, so a test of it passes or fails for a reason, not by the draw.
The seed is not chosen to make any program pass; 0 is simply the first. Programs that
seed themselves (`set_random_seed(42)`) do so after this import, and their seed wins.
The reference runs under Keras are not seeded (their spread is what the tests allow);
for a program that seeds itself, record_reference.py shifts its seed by the run's number.
"""
import json
import os

import numpy as np

if not os.environ.get("REFERENCE"):
    import fastnn.utils as _fastnn_utils
    _fastnn_utils.set_random_seed(int(os.environ.get("FASTNN_PROGRAM_SEED", "0")))
elif os.environ.get("REFERENCE_SEED_SHIFT"):
    # Reference runs of a program that seeds itself (tf.random.set_seed(42)): run k of
    # record_reference.py adds k to the seed the program sets, so that the recorded
    # figures spread over random streams as the other programs' runs do (run 0 is the
    # program's own seed). The program's code is not changed: the seeding functions of
    # the framework it imported are wrapped.
    import sys as _sys

    def _shifted_seed(fn, shift=int(os.environ["REFERENCE_SEED_SHIFT"])):
        def set_seed(seed, *args, **kwargs):
            return fn(seed + shift if seed is not None else seed, *args, **kwargs)
        return set_seed

    if "tensorflow" in _sys.modules:
        _tf = _sys.modules["tensorflow"]
        _tf.random.set_seed = _shifted_seed(_tf.random.set_seed)
        _tf.keras.utils.set_random_seed = _shifted_seed(_tf.keras.utils.set_random_seed)
    if "keras" in _sys.modules:
        _keras = _sys.modules["keras"]
        _keras.utils.set_random_seed = _shifted_seed(_keras.utils.set_random_seed)

_HERE = os.path.dirname(os.path.abspath(__file__))
_DIGITS_FILE = os.path.join(_HERE, "..", "..", "fastnn", "datasets", "data", "digits.csv.gz")


def report(**figures):
    """Print the figures the tests compare, as one line: FIGURES {"name": value, ...}."""
    out = {}
    for name, value in figures.items():
        value = float(to_numpy(value).astype(np.float64).reshape(()))
        out[name] = value
    print("FIGURES " + json.dumps(out, sort_keys=True), flush=True)


def to_numpy(x):
    """A NumPy copy of a tensor from any of the frameworks (for the report lines)."""
    if hasattr(x, "detach"):          # torch
        x = x.detach().cpu()
    if hasattr(x, "numpy"):
        return np.array(x.numpy())
    return np.array(x)


# ---------------------------------------------------------------- digit images
def _digits():
    table = np.loadtxt(_DIGITS_FILE, delimiter=",", dtype=np.int64, ndmin=2)
    pixels, labels = table[:, :64].reshape(-1, 8, 8), table[:, 64]
    # the same fixed split as fastnn.datasets.digits: per class, every fifth to test
    test = np.zeros(len(labels), dtype=bool)
    for c in range(10):
        idx = np.flatnonzero(labels == c)
        test[idx[4::5]] = True
    return (pixels[~test], labels[~test]), (pixels[test], labels[test])


def _enlarge(pixels):
    """(n, 8, 8) intensities 0-16 -> (n, 28, 28) uint8 0-255, bilinear, 4-pixel margin."""
    src = (np.arange(20) + 0.5) * 8 / 20 - 0.5
    lo = np.clip(np.floor(src).astype(int), 0, 7)
    hi = np.clip(lo + 1, 0, 7)
    frac = np.clip(src - lo, 0, 1)
    m = np.zeros((20, 8))
    m[np.arange(20), lo] += 1 - frac
    m[np.arange(20), hi] += frac
    big = np.einsum("ij,njk,lk->nil", m, pixels.astype(np.float64), m)
    out = np.zeros((len(pixels), 28, 28))
    out[:, 4:24, 4:24] = big * (255.0 / 16.0)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


_SHIFTS = [(0, 0), (1, 0), (0, 1), (-1, 0), (0, -1), (1, 1), (-1, -1), (2, 0),
           (0, 2), (-2, 0), (0, -2), (1, -1), (-1, 1), (2, 2), (-2, -2)]


def _shifted(images, labels, n):
    reps = []
    for dy, dx in _SHIFTS:
        reps.append((np.roll(images, (dy, dx), axis=(1, 2)), labels))
        if sum(len(r[1]) for r in reps) >= n:
            break
    x = np.concatenate([r[0] for r in reps])
    y = np.concatenate([r[1] for r in reps])
    order = np.random.default_rng(1234).permutation(len(y))[:n]
    return x[order], y[order].astype(np.uint8)


class _DigitImages:
    """mnist / fashion_mnist: load_data() -> (x_train, y_train), (x_test, y_test)."""

    def __init__(self, name, n_train=6000, n_test=1000):
        self.name, self.n_train, self.n_test = name, n_train, n_test

    def load_data(self, *args, **kwargs):
        (xa, ya), (xb, yb) = _digits()
        x_train, y_train = _shifted(_enlarge(xa), ya, self.n_train)
        x_test, y_test = _shifted(_enlarge(xb), yb, self.n_test)
        return (x_train, y_train), (x_test, y_test)


mnist = _DigitImages("mnist")
fashion_mnist = _DigitImages("fashion_mnist")


# ---------------------------------------------------------------- word-index texts
def _texts(n, num_classes, class_probs, num_words, seed, mean_len, strength):
    """n sequences of word indices whose words lean towards their class."""
    rng = np.random.default_rng(seed)
    vocab = np.arange(3, num_words)
    base = 1.0 / (np.arange(len(vocab)) + 10.0)     # Zipf-like word frequencies
    labels = rng.choice(num_classes, size=n, p=class_probs)
    # each class favours its own few hundred words
    favoured = [rng.choice(len(vocab), size=300, replace=False) for _ in range(num_classes)]
    probs = []
    for c in range(num_classes):
        p = base.copy()
        p[favoured[c]] *= strength
        probs.append(p / p.sum())
    lengths = np.clip(rng.poisson(mean_len, size=n), 10, None)
    seqs = np.empty(n, dtype=object)
    for c in range(num_classes):
        rows = np.flatnonzero(labels == c)
        words = rng.choice(vocab, size=int(lengths[rows].sum()), p=probs[c])
        ends = np.cumsum(lengths[rows])
        for i, chunk in zip(rows, np.split(words, ends[:-1])):
            seqs[i] = [1] + chunk.tolist()
    return seqs, labels.astype(np.int64)


class _Texts:
    def __init__(self, num_classes, class_probs, n_train, n_test, seed, mean_len, strength):
        self.args = (num_classes, class_probs, seed, mean_len, strength)
        self.n_train, self.n_test = n_train, n_test

    def load_data(self, num_words=10000, *args, **kwargs):
        num_classes, class_probs, seed, mean_len, strength = self.args
        x, y = _texts(self.n_train + self.n_test, num_classes, class_probs, num_words,
                      seed, mean_len, strength)
        if num_classes > 2:
            # every topic in both parts, as in Reuters (to_categorical's width)
            y[:num_classes] = np.arange(num_classes)
            y[self.n_train:self.n_train + num_classes] = np.arange(num_classes)
        return (x[:self.n_train], y[:self.n_train]), (x[self.n_train:], y[self.n_train:])


# IMDB: 2 balanced classes, 2,500 + 2,500 reviews (a tenth of IMDB's 25,000 + 25,000).
imdb = _Texts(2, [0.5, 0.5], 2500, 2500, seed=7, mean_len=120, strength=12.0)

# Reuters: 46 topics with Reuters' skew (two large topics, many small ones),
# 1,796 + 449 newswires (a fifth of Reuters' 8,982 + 2,246).
_p = np.array([3.0, 25.0, 4.0, 350.0, 220.0, 2.0, 3.0, 1.0, 14.0, 10.0, 10.0, 19.0,
               4.0, 16.0, 2.0, 1.0, 44.0, 4.0, 7.0, 50.0, 27.0, 10.0, 1.0, 4.0, 6.0,
               9.0, 2.0, 1.0, 3.0, 2.0, 4.0, 4.0, 3.0, 1.0, 5.0, 1.0, 5.0, 2.0, 2.0,
               2.0, 3.0, 3.0, 1.0, 2.0, 1.0, 1.0])
reuters = _Texts(46, list(_p / _p.sum()), 1796, 449, seed=11, mean_len=90, strength=4.0)


# ---------------------------------------------------------------- tables
def _housing(n, seed):
    """California-housing-like rows: 8 features, median house value in dollars."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-124.3, -114.3, n)
    lat = rng.uniform(32.5, 42.0, n)
    age = rng.integers(1, 53, n).astype(np.float64)
    rooms = rng.gamma(4.0, 600.0, n)
    bedrooms = rooms * rng.uniform(0.15, 0.25, n)
    population = rng.gamma(2.5, 550.0, n)
    households = population / rng.uniform(2.0, 4.0, n)
    income = rng.gamma(4.0, 1.0, n)
    coast = np.exp(-np.abs(lon + 122.0 - 0.6 * (lat - 37.0)))
    value = (45000 * income + 120000 * coast + 900 * age - 8 * population / 10
             + rng.normal(0, 35000, n))
    value = np.clip(value, 15000, 500001)
    x = np.stack([lon, lat, age, rooms, bedrooms, population, households, income], axis=1)
    return x.astype(np.float32), value.astype(np.float32)


class _CaliforniaHousing:
    def load_data(self, version="large", path=None, test_split=0.2, seed=113):
        n = 600 if version == "small" else 2064
        x, y = _housing(n, seed=5)
        n_test = int(n * test_split)
        return (x[:-n_test], y[:-n_test]), (x[-n_test:], y[-n_test:])


california_housing = _CaliforniaHousing()


def housing_splits():
    """Hands-On ML's California housing splits, as train_test_split(random_state=42)
    twice gives them: X_train, X_valid, X_test, y_train, y_valid, y_test (targets in
    units of $100,000, as scikit-learn's fetch_california_housing). 2,000 rows."""
    x, y = _housing(2000, seed=42)
    x, y = x.astype(np.float64), y.astype(np.float64) / 100000.0
    n_test, n_valid = 500, 375
    return (x[n_test + n_valid:], x[n_test:n_test + n_valid], x[:n_test],
            y[n_test + n_valid:], y[n_test:n_test + n_valid], y[:n_test])


def standard_scale(train, *others):
    """scikit-learn's StandardScaler: fit on train, transform every array given."""
    mean, std = train.mean(axis=0), train.std(axis=0)
    return tuple((a - mean) / std for a in (train,) + others)


def credit_card_fraud(n=20000, seed=3):
    """The Kaggle credit-card table's shape: 30 features (Time, V1-V28, Amount) and a
    0/1 fraud column; about 0.5 % of rows are fraud. Returns (features, targets) as the
    example's CSV loop builds them: lists of floats and lists of one int."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.005).astype(np.int64)
    v = rng.standard_normal((n, 28))
    shift = rng.normal(0, 1.5, 28)
    v[y == 1] += shift
    time = np.sort(rng.uniform(0, 172792, n))
    amount = rng.gamma(1.2, 80.0, n) * np.where(y == 1, 1.5, 1.0)
    features = np.column_stack([time, v, amount])
    return features.tolist(), [[int(t)] for t in y]
