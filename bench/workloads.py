"""The benchmark workloads W1-W4, defined once for bench/test_bench_training.py
and bench/compare.py.

A workload is an architecture, a loss, a batch size, an epoch count and a data set. Every
framework trains the same architecture on the same arrays (float32 inputs, fixed split),
so time and accuracy can be put side by side.

Size knob: ``scale`` (a float in (0, 1]; default from the environment variable
FASTNN_BENCH_SCALE, else 1). W1/W2 scale their epoch count, W3/W4 their row counts, so
``scale=0.01`` gives smoke-test sized runs of the same code.
"""
import dataclasses
import gzip
import os

import numpy as np

SCALE_ENV = "FASTNN_BENCH_SCALE"
_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The digits ship inside the package (fastnn/datasets/data); /work/shared is where the
# project keeps its own copy.
_DIGITS_PATHS = (
    os.path.join(_REPO, "fastnn", "datasets", "data", "digits.csv.gz"),
    os.path.join(_REPO, "..", "shared", "data", "digits.csv.gz"),
)


def get_scale(scale=None):
    """The size factor: ``scale`` if given, else $FASTNN_BENCH_SCALE, else 1.0."""
    if scale is None:
        scale = os.environ.get(SCALE_ENV, "1")
    try:
        value = float(scale)
    except (TypeError, ValueError):
        raise ValueError(f"scale: expected a number in (0, 1], got {scale!r}") from None
    if not 0.0 < value <= 1.0:
        raise ValueError(f"scale: expected a number in (0, 1], got {value!r}")
    return value


@dataclasses.dataclass(frozen=True)
class Workload:
    """One benchmark: the network, its training settings and its data.

    ``layers`` are (units, activation) pairs, the last one the output layer. ``loss`` is
    the Keras loss name; ``from_logits`` tells whether the output layer is linear and the
    loss takes logits (W2) or the output has its own activation (W1: sigmoid).
    """

    name: str
    title: str
    kind: str                  # "fit" (time one fit call) or "predict" (one predict call)
    n_features: int
    layers: tuple
    loss: str
    from_logits: bool
    batch_size: int
    epochs: int
    data: str                  # "digits01", "digits" or "synthetic"
    n_train: int = 0           # synthetic rows (the digits sets have a fixed size)
    n_test: int = 0
    min_accuracy: float = 0.0  # test accuracy every framework must reach at full scale
    scale: float = 1.0

    @property
    def n_outputs(self):
        return self.layers[-1][0]

    @property
    def hidden(self):
        return self.layers[:-1]

    @property
    def output_activation(self):
        return self.layers[-1][1]


# The digit networks: 25 relu -> 15 relu -> output (1 sigmoid unit, or 10 logits).
_SEED_HIDDEN = ((25, "relu"), (15, "relu"))

WORKLOADS = {
    "W1": Workload(
        name="W1", title="digits 0/1, 64-25-15-1 sigmoid, BCE, batch 32, 100 epochs",
        kind="fit", n_features=64, layers=_SEED_HIDDEN + ((1, "sigmoid"),),
        loss="binary_crossentropy", from_logits=False, batch_size=32, epochs=100,
        data="digits01", min_accuracy=0.98),
    "W2": Workload(
        name="W2", title="digits, 64-25-15-10 logits, sparse CE, batch 32, 100 epochs",
        kind="fit", n_features=64, layers=_SEED_HIDDEN + ((10, "linear"),),
        loss="sparse_categorical_crossentropy", from_logits=True, batch_size=32,
        epochs=100, data="digits", min_accuracy=0.90),
    "W3": Workload(
        name="W3", title="synthetic 60000x784, 784-512-256-10, sparse CE, batch 128, 1 epoch",
        kind="fit", n_features=784, layers=((512, "relu"), (256, "relu"), (10, "linear")),
        loss="sparse_categorical_crossentropy", from_logits=True, batch_size=128,
        epochs=1, data="synthetic", n_train=60000, n_test=10000, min_accuracy=0.70),
    # Predict is timed on an untrained (freshly initialised) W3 network: the arithmetic
    # does not depend on the weights. Batch 128 for every framework (Keras' default is 32).
    "W4": Workload(
        name="W4", title="predict, W3 network over 60000x784 rows, batch 128",
        kind="predict", n_features=784, layers=((512, "relu"), (256, "relu"), (10, "linear")),
        loss="sparse_categorical_crossentropy", from_logits=True, batch_size=128,
        epochs=0, data="synthetic", n_train=60000, n_test=0),
}


def get_workload(name, scale=None):
    """The workload ``name`` ("W1".."W4"), shrunk by ``scale`` (see get_scale)."""
    if name not in WORKLOADS:
        raise ValueError(f"workload: expected one of {sorted(WORKLOADS)}, got {name!r}")
    s = get_scale(scale)
    w = WORKLOADS[name]
    if s == 1.0:
        return w
    return dataclasses.replace(
        w, scale=s,
        epochs=max(1, round(w.epochs * s)) if w.epochs else 0,
        n_train=max(2 * w.batch_size, round(w.n_train * s)) if w.n_train else 0,
        n_test=max(w.batch_size, round(w.n_test * s)) if w.n_test else 0)


@dataclasses.dataclass
class Data:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray = None
    y_test: np.ndarray = None


_DIGITS_CACHE = {}


def _read_digits_csv():
    for path in _DIGITS_PATHS:
        if os.path.exists(path):
            with gzip.open(path, "rt") as f:
                table = np.loadtxt(f, delimiter=",", dtype=np.float32)
            return table[:, :64], table[:, 64].astype(np.int64)
    raise FileNotFoundError(f"digits.csv.gz not found in any of {_DIGITS_PATHS}")


def load_digits():
    """All 1,797 digits as (x float32 in [0, 1], y int64), fixed 80/20 split.

    The split is fastnn.datasets.digits.load_data()'s fixed one (stratified, 1,442 /
    355); where that is missing, a seeded permutation of the CSV rows (1,438 / 359).
    Either way every framework and every run sees the same rows.
    Returns ((x_train, y_train), (x_test, y_test)).
    """
    if "all" not in _DIGITS_CACHE:
        try:
            from fastnn.datasets import digits
            (xtr, ytr), (xte, yte) = digits.load_data()
        except (ImportError, AttributeError):
            x, y = _read_digits_csv()
            order = np.random.default_rng(0).permutation(len(x))
            cut = int(round(0.8 * len(x)))
            (xtr, ytr), (xte, yte) = (x[order[:cut]], y[order[:cut]]), \
                (x[order[cut:]], y[order[cut:]])
        scale = np.float32(1.0 / 16.0)     # pixel intensities are 0..16
        _DIGITS_CACHE["all"] = (
            (np.ascontiguousarray(xtr * scale, np.float32), np.asarray(ytr, np.int64)),
            (np.ascontiguousarray(xte * scale, np.float32), np.asarray(yte, np.int64)))
    (xtr, ytr), (xte, yte) = _DIGITS_CACHE["all"]
    return (xtr.copy(), ytr.copy()), (xte.copy(), yte.copy())


def synthetic(n_rows, n_features=784, n_classes=10, seed=0):
    """Standard-normal float32 rows labelled by the argmax of a fixed random linear
    teacher (seed 1, whatever ``seed`` is, so train and test share the teacher). The
    teacher's scores are summed in float64: in float32 the BLAS' thread count moved a
    near-tie (one label of 70,000 differed between 1 and 2 threads, so every framework's
    accuracy did too)."""
    teacher = np.random.default_rng(1).standard_normal((n_features, n_classes),
                                                       dtype=np.float32).astype(np.float64)
    x = np.random.default_rng(seed).standard_normal((n_rows, n_features), dtype=np.float32)
    y = np.empty(n_rows, dtype=np.int64)
    for i in range(0, n_rows, 1024):         # chunks: a 6 MB float64 temporary at most
        np.argmax(x[i:i + 1024].astype(np.float64) @ teacher, axis=1, out=y[i:i + 1024])
    return x, y


def load_data(workload):
    """The arrays of ``workload``: x float32 C-contiguous; y int64 class indices, or
    float32 of shape (n, 1) for the binary workload (what Keras' BCE expects)."""
    w = workload
    if w.data == "digits":
        (xtr, ytr), (xte, yte) = load_digits()
        return Data(xtr, ytr, xte, yte)
    if w.data == "digits01":
        (xtr, ytr), (xte, yte) = load_digits()
        keep_tr, keep_te = ytr <= 1, yte <= 1
        return Data(np.ascontiguousarray(xtr[keep_tr]),
                    ytr[keep_tr].astype(np.float32).reshape(-1, 1),
                    np.ascontiguousarray(xte[keep_te]),
                    yte[keep_te].astype(np.float32).reshape(-1, 1))
    if w.data == "synthetic":
        xtr, ytr = synthetic(w.n_train, w.n_features, w.n_outputs, seed=0)
        if w.n_test:
            xte, yte = synthetic(w.n_test, w.n_features, w.n_outputs, seed=2)
            return Data(xtr, ytr, xte, yte)
        return Data(xtr, ytr)
    raise ValueError(f"workload.data: unknown data set {w.data!r}")


def accuracy(workload, outputs, y):
    """Accuracy of network ``outputs`` (probabilities for a sigmoid output, else logits or
    probabilities: argmax is the same) against labels ``y``."""
    outputs = np.asarray(outputs)
    y = np.asarray(y)
    if workload.n_outputs == 1:
        threshold = 0.0 if workload.output_activation == "linear" else 0.5
        pred = (outputs.reshape(-1) > threshold)
        return float(np.mean(pred == (y.reshape(-1) > 0.5)))
    return float(np.mean(np.argmax(outputs, axis=1) == y.reshape(-1)))


def samples_per_second(workload, data, seconds):
    """Training rows processed per second (rows x epochs), or predicted rows per second."""
    rows = len(data.x_train) * (workload.epochs if workload.kind == "fit" else 1)
    return rows / seconds if seconds > 0 else float("inf")


def loss_value(workload, outputs, y):
    """The workload's batch-mean loss of network ``outputs`` against ``y``, in float64:
    binary cross-entropy on sigmoid probabilities (clipped at 1e-7, as Keras), sparse
    cross-entropy on logits (log-sum-exp) or on probabilities."""
    out = np.asarray(outputs, dtype=np.float64)
    y = np.asarray(y)
    eps = 1e-7
    if workload.n_outputs == 1:
        yy = y.reshape(-1).astype(np.float64)
        if workload.from_logits or workload.output_activation == "linear":
            z = out.reshape(-1)
            return float(np.mean(np.maximum(z, 0) - z * yy + np.log1p(np.exp(-np.abs(z)))))
        p = np.clip(out.reshape(-1), eps, 1 - eps)
        return float(-np.mean(yy * np.log(p) + (1 - yy) * np.log(1 - p)))
    labels = y.reshape(-1).astype(np.intp)
    rows = np.arange(len(labels))
    if workload.from_logits or workload.output_activation == "linear":
        mx = out.max(axis=1, keepdims=True)
        lse = np.log(np.exp(out - mx).sum(axis=1)) + mx[:, 0]
        return float(np.mean(lse - out[rows, labels]))
    p = out / out.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(np.clip(p[rows, labels], eps, 1 - eps))))


def limit_threads(n):
    """fastnn and NumPy's BLAS both at n threads (the BLAS through threadpoolctl, where it
    is installed; a note on stderr otherwise). Returns the threadpoolctl limiter (its
    restore_original_limits() undoes the BLAS part) or None."""
    import sys
    import fastnn
    fastnn.set_num_threads(n)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print("threadpoolctl is not installed: NumPy's BLAS keeps its own thread count",
              file=sys.stderr)
        return None
    return threadpool_limits(n, user_api="blas")
