"""keras.callbacks.TensorBoard without TensorFlow: event files written with the standard
library (the TFRecord framing, CRC32C and the few protobuf fields TensorBoard reads).

The file format, as TensorBoard reads it (tensorboard/compat/proto/event.proto,
summary.proto; tensorflow/core/lib/io/record_writer.cc):

- a file is a sequence of records: uint64 length (little endian), uint32 masked CRC32C of
  those 8 bytes, the data, uint32 masked CRC32C of the data; mask(crc) =
  ((crc >> 15) | (crc << 17)) + 0xa282ead8 (mod 2**32);
- each record is a serialized `Event`: wall_time = 1 (double), step = 2 (int64),
  file_version = 3 (string, "brain.Event:2" in the first record), summary = 5;
- `Summary`: value = 1 (repeated `Summary.Value`); `Value`: tag = 1 (string),
  simple_value = 2 (float), histo = 5 (`HistogramProto`: min = 1, max = 2, num = 3,
  sum = 4, sum_squares = 5 (doubles), bucket_limit = 6, bucket = 7 (packed doubles)).
"""
import math
import os
import socket
import struct
import time

import numpy as np

from fastnn.callbacks.base import Callback

# ----------------------------------------------------------------------------- CRC32C
_CRC32C_POLY = 0x82F63B78      # Castagnoli, reflected


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ _CRC32C_POLY if c & 1 else c >> 1
        table.append(c)
    return tuple(table)


_CRC32C_TABLE = _crc32c_table()


def crc32c(data):
    """CRC-32C (Castagnoli) of `data` (bytes): crc32c(b"123456789") == 0xE3069283."""
    crc = 0xFFFFFFFF
    table = _CRC32C_TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(data):
    """One TFRecord: length, masked CRC of the length, data, masked CRC of the data."""
    header = struct.pack("<Q", len(data))
    return (header + struct.pack("<I", masked_crc32c(header)) + data
            + struct.pack("<I", masked_crc32c(data)))


# ----------------------------------------------------------------------------- protobuf
def _varint(n):
    n &= 0xFFFFFFFFFFFFFFFF          # int64: negative numbers as 10-byte two's complement
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field, wire_type):
    return _varint((field << 3) | wire_type)


def _pb_double(field, v):
    return _key(field, 1) + struct.pack("<d", float(v))


def _pb_float(field, v):
    return _key(field, 5) + struct.pack("<f", float(v))


def _pb_int(field, v):
    return _key(field, 0) + _varint(int(v))


def _pb_bytes(field, b):
    if isinstance(b, str):
        b = b.encode("utf-8")
    return _key(field, 2) + _varint(len(b)) + b


def _pb_packed_doubles(field, values):
    return _pb_bytes(field, struct.pack(f"<{len(values)}d", *values))


def scalar_value(tag, value):
    """A serialized Summary.Value holding `simple_value` (a float32)."""
    return _pb_bytes(1, tag) + _pb_float(2, value)


def histogram_proto(values, buckets=30):
    """A serialized HistogramProto of `values`: `buckets` buckets of equal width from the
    minimum to the maximum (as tf.summary.histogram), bucket_limit their right edges, bucket
    their counts (a value on an edge counts in the bucket on its left, the minimum in the
    first); one bucket when every value is the same."""
    a = np.asarray(values, dtype=np.float64).ravel()
    if a.size == 0:
        return _pb_double(1, 0.0) + _pb_double(2, 0.0) + _pb_double(3, 0.0) \
            + _pb_double(4, 0.0) + _pb_double(5, 0.0)
    lo, hi = float(a.min()), float(a.max())
    if lo == hi or not (math.isfinite(lo) and math.isfinite(hi)):
        limits, counts = [hi], [float(a.size)]
    else:
        edges = np.linspace(lo, hi, buckets + 1)
        # bucket i holds (edges[i], edges[i+1]], the first also its left edge
        idx = np.searchsorted(edges, a, side="left") - 1
        idx = np.clip(idx, 0, buckets - 1)
        counts = np.bincount(idx, minlength=buckets).astype(np.float64).tolist()
        limits = edges[1:].tolist()
        limits[-1] = hi
    return (_pb_double(1, lo) + _pb_double(2, hi) + _pb_double(3, float(a.size))
            + _pb_double(4, float(a.sum())) + _pb_double(5, float(np.dot(a, a)))
            + _pb_packed_doubles(6, limits) + _pb_packed_doubles(7, counts))


def histogram_value(tag, values):
    """A serialized Summary.Value holding `histo`."""
    return _pb_bytes(1, tag) + _pb_bytes(5, histogram_proto(values))


def event(step, values=None, file_version=None, wall_time=None):
    """A serialized Event: wall_time, step and either file_version or a Summary of the
    serialized Summary.Values `values`."""
    out = _pb_double(1, time.time() if wall_time is None else wall_time) + _pb_int(2, step)
    if file_version is not None:
        out += _pb_bytes(3, file_version)
    if values:
        out += _pb_bytes(5, b"".join(_pb_bytes(1, v) for v in values))
    return out


_FILE_COUNTER = [0]


class EventFileWriter:
    """Appends events to `logdir/events.out.tfevents.<time>.<host>.<pid>.<n>.v2` (TF's
    name), created (with its directories) at the first write; the first record is the
    file_version event "brain.Event:2"."""

    def __init__(self, logdir):
        self.logdir = logdir
        self.path = None
        self._f = None

    def _open(self):
        os.makedirs(self.logdir, exist_ok=True)
        _FILE_COUNTER[0] += 1
        name = "events.out.tfevents.%010d.%s.%d.%d.v2" % (
            int(time.time()), socket.gethostname(), os.getpid(), _FILE_COUNTER[0])
        self.path = os.path.join(self.logdir, name)
        self._f = open(self.path, "wb")
        self._f.write(tfrecord(event(0, file_version="brain.Event:2")))

    def write(self, step, values):
        if self._f is None:
            self._open()
        self._f.write(tfrecord(event(step, values)))

    def flush(self):
        if self._f is not None:
            self._f.flush()

    def close(self):
        if self._f is not None:
            self._f.close()
            self._f = None


# ----------------------------------------------------------------------------- callback
def _named_weights(layer, prefix):
    """(name, weight) for every weight of `layer`: its own under the names it gave them
    (kernel, bias, ...), then its sublayers' under their layer names."""
    out, seen = [], set()
    own_fn = getattr(layer, "_own_weights", None)
    names = getattr(layer, "weight_names", None)
    if own_fn is not None and names is not None:
        own = own_fn(True) + own_fn(False)
        if len(own) == len(names):
            for n, w in zip(names, own):
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append((f"{prefix}/{n}", w))
    subs = getattr(layer, "_sublayers", None)
    for sub in (subs() if subs is not None else []):
        for n, w in _named_weights(sub, f"{prefix}/{sub.name}"):
            if id(w) not in seen:
                seen.add(id(w))
                out.append((n, w))
    rest = [w for w in getattr(layer, "weights", []) if id(w) not in seen]
    for i, w in enumerate(rest):
        seen.add(id(w))
        out.append((f"{prefix}/variable_{i}", w))
    return out


def _profile_range(profile_batch):
    # Keras' _init_profile_batch: a non-negative int, "start,stop" or "start", or a pair
    msg = ("profile_batch must be a non-negative integer or 2-tuple of positive integers. "
           "A pair of positive integers signifies a range of batches to profile. "
           f"Found: {profile_batch}")
    pb = profile_batch
    try:
        if isinstance(pb, str):
            pb = [int(p) for p in pb.split(",")]
            pb = pb[0] if len(pb) == 1 else pb
        if isinstance(pb, (int, np.integer)) and not isinstance(pb, bool):
            start = stop = int(pb)
        elif isinstance(pb, (tuple, list)) and len(pb) == 2:
            start, stop = (int(p) for p in pb)
        else:
            raise ValueError(msg)
    except (TypeError, ValueError):
        raise ValueError(msg) from None
    if start < 0 or stop < start:
        raise ValueError(msg)
    return start, stop


def _nonneg_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"TensorBoard: {name} must be a non-negative integer, got {value!r}")
    if value < 0:
        raise ValueError(f"TensorBoard: {name} must be a non-negative integer, got {value!r}")
    return int(value)


def _boolean(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"TensorBoard: {name} must be True or False, got {value!r}")
    return bool(value)


class TensorBoard(Callback):
    """Logs events for TensorBoard, as keras.callbacks.TensorBoard, with no TensorFlow:
    the event files are written by fastnn itself (fastnn.callbacks.tensorboard).

    Layout, as Keras: `log_dir/train` and `log_dir/validation`, one
    `events.out.tfevents.<time>.<host>.<pid>.<n>.v2` file each per fit (created at the first
    value written: no validation file without validation). Written:

    - per epoch (step = epoch): `epoch_<name>` for every training log (`epoch_loss`,
      `epoch_<metric>`) and `epoch_learning_rate` (the optimizer's current learning rate,
      a schedule evaluated at its iterations) in train/; `epoch_<name>` for the `val_` logs,
      the prefix removed, in validation/; `epoch_steps_per_second` in train/ with
      write_steps_per_second;
    - at the end of each validation (and of evaluate() with this callback):
      `evaluation_<name>_vs_iterations` in validation/, step = optimizer.iterations;
    - with update_freq = N (or "batch", N = 1): `batch_<name>` for the batch logs every N
      batches, step = the batch count since on_train_begin (1-based, across epochs), and
      `batch_steps_per_second` with write_steps_per_second;
    - with histogram_freq = N > 0: a histogram of every weight every N epochs (epochs 0, N,
      2N, ...), tag `<layer>/<weight>/histogram` (e.g. `dense/kernel/histogram`; Keras
      tags `<weight.path>/histogram`), 30 buckets of equal width (as tf.summary.histogram).

    Scalars are written as `simple_value` (a float32), histograms as `HistogramProto`:
    TensorBoard's scalar and histogram dashboards read both (Keras' tf.summary writes
    tensor summaries with plugin data; the values shown are the same, scalars to float32).

    With update_freq="epoch" (the default) the callback hooks no batch, so fit keeps its
    whole-epoch engine calls; update_freq=N runs fit a step per call, as any batch hook.

    Arguments fastnn cannot honour: write_graph is accepted and ignored (Keras documents it
    as "not supported at this time"; fastnn has no graph to write), write_images=True,
    profile_batch other than 0 and embeddings_freq > 0 raise ValueError (Keras itself
    refuses profile_batch on its numpy and torch backends); embeddings_metadata is only
    used with embeddings, so it is accepted and ignored.

    Parameters
    ----------
    log_dir : str or path
        The folder the event files are written to. Default ``'logs'``.
    histogram_freq : int
        Every how many epochs to write weight histograms; 0 (the default) writes none.
    write_graph : bool
        Accepted and ignored: fastnn has no graph to write.
    write_images : bool
        Not supported: only False is accepted.
    write_steps_per_second : bool
        Whether to log the training speed. Default False.
    update_freq : str or int
        ``'epoch'`` (the default), ``'batch'``, or an int N: write batch-level values
        every N batches.
    profile_batch : int
        Not supported: only 0 is accepted.
    embeddings_freq : int
        Not supported: only 0 is accepted.
    embeddings_metadata : dict, optional
        Used only with embeddings; accepted and ignored.
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        if not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError(f"TensorBoard: log_dir must be a path (str or os.PathLike), "
                            f"got {log_dir!r}")
        self.log_dir = os.fspath(log_dir)
        if isinstance(self.log_dir, bytes):
            self.log_dir = os.fsdecode(self.log_dir)
        self.histogram_freq = _nonneg_int(histogram_freq, "histogram_freq")
        self.write_graph = _boolean(write_graph, "write_graph")
        self.write_images = _boolean(write_images, "write_images")
        if self.write_images:
            raise ValueError("TensorBoard: write_images=True is not supported by fastnn "
                             "(weights as images); use write_images=False")
        self.write_steps_per_second = _boolean(write_steps_per_second,
                                               "write_steps_per_second")
        if isinstance(update_freq, str) and update_freq == "batch":
            update_freq = 1
        if isinstance(update_freq, str):
            if update_freq != "epoch":
                raise ValueError('TensorBoard: update_freq must be "epoch", "batch" or a '
                                 f"positive integer, got {update_freq!r}")
        elif isinstance(update_freq, bool) or not isinstance(update_freq, (int, np.integer)):
            raise TypeError('TensorBoard: update_freq must be "epoch", "batch" or a '
                            f"positive integer, got {update_freq!r}")
        elif update_freq < 1:
            raise ValueError('TensorBoard: update_freq must be "epoch", "batch" or a '
                             f"positive integer, got {update_freq!r}")
        else:
            update_freq = int(update_freq)
        self.update_freq = update_freq
        start, stop = _profile_range(profile_batch)
        if (start, stop) != (0, 0):
            raise ValueError("TensorBoard: profiling is not available in fastnn. Received: "
                             f"profile_batch={profile_batch!r} (must be 0)")
        self.embeddings_freq = _nonneg_int(embeddings_freq, "embeddings_freq")
        if self.embeddings_freq:
            raise ValueError("TensorBoard: embeddings are not available in fastnn. "
                             f"Received: embeddings_freq={embeddings_freq!r} (must be 0)")
        if embeddings_metadata is not None and not isinstance(embeddings_metadata, (str, dict)):
            raise TypeError("TensorBoard: embeddings_metadata must be None, a file name or a "
                            f"dict of them, got {embeddings_metadata!r}")
        self.embeddings_metadata = embeddings_metadata
        self._global_train_batch = 0
        self._previous_epoch_iterations = 0
        self._epoch_start_time = 0.0
        self._batch_start_time = 0.0
        self._writers = {}
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")

    # Batch hooks only when batch values are written: with update_freq="epoch" fit keeps
    # its whole-epoch C calls (fastnn.engine.user_batch_hooks). A hook a subclass (or the
    # instance) defines is always called.
    def _wants_hook(self, hook):
        mine = getattr(type(self), hook, None)
        if hook in getattr(self, "__dict__", {}) or mine is not getattr(TensorBoard, hook, None):
            return True
        if hook in ("on_train_batch_begin", "on_train_batch_end"):
            return self.update_freq != "epoch"
        if hook in ("on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin",
                    "on_predict_batch_end", "on_predict_begin", "on_predict_end"):
            return False
        return mine is not getattr(Callback, hook)

    def set_model(self, model):
        super().set_model(model)
        self._close_writers()       # as Keras: new event files for a new fit

    def _writer(self, which):
        w = self._writers.get(which)
        if w is None:
            w = self._writers[which] = EventFileWriter(
                self._train_dir if which == "train" else self._val_dir)
        return w

    def _close_writers(self):
        for w in self._writers.values():
            w.close()
        self._writers = {}

    @staticmethod
    def _scalars(prefix, logs, suffix=""):
        out = []
        for name, value in logs.items():
            try:
                v = float(value)
            except (TypeError, ValueError):
                continue          # a non-scalar log has no scalar summary
            out.append(scalar_value(f"{prefix}{name}{suffix}", v))
        return out

    def _optimizer(self):
        opt = getattr(self.model, "optimizer", None)
        return getattr(opt, "inner_optimizer", opt)

    # -------------------------------------------------------------- hooks
    def _check_log_dir(self):
        # before any step: a log_dir (or run folder) that is a file stops fit at once
        for path in (self.log_dir, self._train_dir, self._val_dir):
            if path and os.path.exists(path) and not os.path.isdir(path):
                raise ValueError(f"TensorBoard: log_dir must be a folder (or a path to create "
                                 f"one), but {path!r} is a file")

    def on_test_begin(self, logs=None):
        self._check_log_dir()

    def on_train_begin(self, logs=None):
        self._check_log_dir()
        self._global_train_batch = 0
        self._previous_epoch_iterations = 0

    def on_train_end(self, logs=None):
        self._close_writers()

    def on_test_end(self, logs=None):
        opt = self._optimizer()
        if opt is not None and hasattr(opt, "iterations") and logs:
            values = self._scalars("evaluation_", logs, "_vs_iterations")
            if values:
                w = self._writer("val")
                w.write(int(opt.iterations), values)
                w.flush()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        values = []
        if self.write_steps_per_second:
            dt = time.time() - self._batch_start_time
            values.append(scalar_value("batch_steps_per_second", 1.0 / dt if dt > 0 else 0.0))
        if isinstance(logs, dict):
            values += self._scalars("batch_", logs)
        if values:
            self._writer("train").write(self._global_train_batch, values)

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            opt = self._optimizer()
            self._previous_epoch_iterations = int(getattr(opt, "iterations", 0) or 0)
            self._epoch_start_time = time.time()

    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch_metrics(epoch, logs)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        for w in self._writers.values():
            w.flush()

    def _log_epoch_metrics(self, epoch, logs):
        if not logs:
            return
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        opt = self._optimizer()
        if hasattr(opt, "optimizers"):
            for o in opt.optimizers:
                train_logs[f"learning_rate_{o.name}"] = float(o.learning_rate)
        elif opt is not None and hasattr(opt, "learning_rate"):
            try:
                train_logs["learning_rate"] = float(opt.learning_rate)
            except (TypeError, ValueError):
                pass
        if self.write_steps_per_second:
            dt = time.time() - self._epoch_start_time
            its = int(getattr(opt, "iterations", 0) or 0) - self._previous_epoch_iterations
            train_logs["steps_per_second"] = its / dt if dt > 0 else 0.0
        if train_logs:
            self._writer("train").write(epoch, self._scalars("epoch_", train_logs))
        if val_logs:
            self._writer("val").write(epoch, self._scalars("epoch_", val_logs))

    def _log_weights(self, epoch):
        values = []
        seen = set()
        for layer in getattr(self.model, "layers", []):
            for name, w in _named_weights(layer, layer.name):
                if id(w) in seen:
                    continue
                seen.add(id(w))
                values.append(histogram_value(f"{name}/histogram", np.asarray(w)))
        if values:
            self._writer("train").write(epoch, values)
