"""Keras 3's `keras/src/callbacks/tensorboard_test.py`, ported to fastnn.

Each test names the Keras test it comes from (`# Keras: <file>::<test>`). Imports are
adapted (`keras.src.callbacks` -> `fastnn.callbacks`, ...); `testing.TestCase` assertions
become plain pytest ones; Keras' `get_temp_dir()` is pytest's `tmp_path`. Keras reads the
event files with TensorFlow (`tf_record.tf_record_iterator`, `event_pb2.Event`); here
`list_summaries` keeps Keras' logic over the reader of tests/test_tensorboard.py (TFRecord
framing with its CRC checks, the Event / Summary protobuf fields decoded by hand).

Deliberate differences, documented in `fastnn.callbacks.TensorBoard`:
- scalars are `simple_value` summaries (Keras' list_summaries files them with the scalars,
  as it does tf.summary's tensor summaries with the "scalars" plugin);
- histogram tags are `<layer>/<weight>/histogram` (Keras: `<weight.path>/histogram`);
  `_strip_layer_names` keeps the last component, "histogram", either way.

Not ported:
- test_TensorBoard_weight_images: Conv2D and GlobalAveragePooling2D (fastnn has no
  convolutions) and write_images=True (weights as images: refused with ValueError).
- test_TensorBoard_projector_callback: the Embedding layer and embeddings_freq (the
  projector config names TF checkpoint keys; refused with ValueError).
- test_custom_summary: a layer writing its own summaries through tf.summary inside
  call(); fastnn has no summary ops.
- test_TensorBoard_write_sequential_model_no_input_shape,
  test_TensorBoard_write_sequential_model_with_input_shape, test_TensorBoard_write_model:
  their bodies are commented out in Keras (`pass`); write_graph is a no-op in fastnn.
- test_TensorBoard_auto_trace: profiling runs on Keras' TF and JAX backends only
  (skipped on numpy / torch); fastnn refuses profile_batch > 0 as Keras does on those
  backends (test_profile_batch_refused_as_on_numpy_backend below).
"""
import os
import random

import numpy as np
import pytest

from fastnn import callbacks, layers, models, optimizers
from fastnn.optimizers import schedules
from tests.test_tensorboard import parse_event, read_records

SOURCE = "keras/src/callbacks/tensorboard_test.py"


class _ObservedSummary(tuple):
    """Keras' namedtuple ("logdir", "tag")."""

    def __new__(cls, logdir, tag):
        return super().__new__(cls, (str(logdir), tag))

    logdir = property(lambda self: self[0])
    tag = property(lambda self: self[1])

    def _replace(self, tag):
        return _ObservedSummary(self.logdir, tag)


class _SummaryFile:
    def __init__(self):
        self.scalars = set()
        self.images = set()
        self.histograms = set()
        self.tensors = set()


def list_summaries(logdir):
    """Keras' list_summaries: every summary under logdir, by kind, as (dir, tag)."""
    result = _SummaryFile()
    for dirpath, _, filenames in os.walk(logdir):
        for filename in filenames:
            if not filename.startswith("events.out."):
                continue
            for rec in read_records(os.path.join(dirpath, filename)):
                for value in parse_event(rec)["values"]:
                    kind = "simple_value" if "simple_value" in value else \
                        "histo" if "histo" in value else None
                    container = {"simple_value": result.scalars,
                                 "histo": result.histograms}.get(kind)
                    if container is None:
                        raise ValueError(f"Unexpected summary kind in {filename}: {value!r}")
                    container.add(_ObservedSummary(logdir=dirpath, tag=value["tag"]))
    return result


def _get_log_dirs(tmp_path):
    logdir = os.path.join(str(tmp_path), str(random.randint(1, int(1e7))), "tb")
    return logdir, os.path.join(logdir, "train"), os.path.join(logdir, "validation")


def _get_model(compile_model=True):
    model = models.Sequential([layers.Input((10, 10, 1)), layers.Flatten(), layers.Dense(1)])
    if compile_model:
        model.compile("sgd", "mse")
    return model


def _strip_layer_names(summaries, model_type):
    result = set()
    for s in summaries:
        if "/" not in s.tag:
            raise ValueError(f"tag has no layer name: {s.tag!r}")
        result.add(s._replace(tag=s.tag.split("/")[-1]))
    return result


def _basic_scalars(train_dir, validation_dir):
    return {
        _ObservedSummary(logdir=train_dir, tag="epoch_loss"),
        _ObservedSummary(logdir=validation_dir, tag="epoch_loss"),
        _ObservedSummary(logdir=train_dir, tag="epoch_learning_rate"),
        _ObservedSummary(logdir=validation_dir, tag="evaluation_loss_vs_iterations"),
    }


# Keras: tensorboard_test.py::test_TensorBoard_basic
def test_TensorBoard_basic(tmp_path):
    model = _get_model()
    x, y = np.ones((10, 10, 10, 1)), np.ones((10, 1))
    logdir, train_dir, validation_dir = _get_log_dirs(tmp_path)
    tb_cbk = callbacks.TensorBoard(logdir)
    model.fit(x, y, batch_size=2, epochs=2, validation_data=(x, y), callbacks=[tb_cbk],
              verbose=0)
    summary_file = list_summaries(logdir)
    assert summary_file.scalars == _basic_scalars(train_dir, validation_dir)


# Keras: tensorboard_test.py::test_TensorBoard_across_invocations
def test_TensorBoard_across_invocations(tmp_path):
    model = _get_model()
    x, y = np.ones((10, 10, 10, 1)), np.ones((10, 1))
    logdir, train_dir, validation_dir = _get_log_dirs(tmp_path)
    tb_cbk = callbacks.TensorBoard(logdir)
    for _ in (1, 2):
        model.fit(x, y, batch_size=2, epochs=2, validation_data=(x, y), callbacks=[tb_cbk],
                  verbose=0)
    summary_file = list_summaries(logdir)
    assert summary_file.scalars == _basic_scalars(train_dir, validation_dir)


# Keras: tensorboard_test.py::test_TensorBoard_no_spurious_event_files
def test_TensorBoard_no_spurious_event_files(tmp_path):
    model = _get_model()
    x, y = np.ones((10, 10, 10, 1)), np.ones((10, 1))
    logdir, train_dir, _ = _get_log_dirs(tmp_path)
    tb_cbk = callbacks.TensorBoard(logdir)
    model.fit(x, y, batch_size=2, epochs=2, callbacks=[tb_cbk], verbose=0)
    events_file_run_basenames = set()
    for dirpath, _, filenames in os.walk(train_dir):
        if any(fn.startswith("events.out.") for fn in filenames):
            events_file_run_basenames.add(os.path.basename(dirpath))
    assert events_file_run_basenames == {"train"}


# Keras: tensorboard_test.py::test_TensorBoard_batch_metrics
def test_TensorBoard_batch_metrics(tmp_path):
    model = _get_model()
    x, y = np.ones((10, 10, 10, 1)), np.ones((10, 1))
    logdir, train_dir, validation_dir = _get_log_dirs(tmp_path)
    tb_cbk = callbacks.TensorBoard(logdir, update_freq=1)
    model.fit(x, y, batch_size=2, epochs=2, validation_data=(x, y), callbacks=[tb_cbk],
              verbose=0)
    summary_file = list_summaries(logdir)
    assert summary_file.scalars == _basic_scalars(train_dir, validation_dir) | {
        _ObservedSummary(logdir=train_dir, tag="batch_loss")}


# Keras: tensorboard_test.py::test_TensorBoard_learning_rate_schedules
def test_TensorBoard_learning_rate_schedules(tmp_path):
    model = _get_model(compile_model=False)
    opt = optimizers.SGD(schedules.CosineDecay(0.01, 1))
    model.compile(opt, "mse")
    logdir, train_dir, _ = _get_log_dirs(tmp_path)
    x, y = np.ones((10, 10, 10, 1)), np.ones((10, 1))
    model.fit(x, y, batch_size=2, epochs=2, callbacks=[callbacks.TensorBoard(logdir)],
              verbose=0)
    summary_file = list_summaries(logdir)
    assert summary_file.scalars == {
        _ObservedSummary(logdir=train_dir, tag="epoch_loss"),
        _ObservedSummary(logdir=train_dir, tag="epoch_learning_rate"),
    }


# Keras: tensorboard_test.py::test_TensorBoard_global_step
def test_TensorBoard_global_step(tmp_path):
    model = _get_model(compile_model=False)
    opt = optimizers.SGD(schedules.CosineDecay(0.01, 1))
    model.compile(opt, "mse")
    logdir, train_dir, _ = _get_log_dirs(tmp_path)
    x, y = np.ones((10, 10, 10, 1)), np.ones((10, 1))
    model.fit(x, y, batch_size=2, epochs=2, verbose=0,
              callbacks=[callbacks.TensorBoard(logdir, update_freq=1, profile_batch=0,
                                               write_steps_per_second=True)])
    summary_file = list_summaries(logdir)
    assert summary_file.scalars == {
        _ObservedSummary(logdir=train_dir, tag="batch_loss"),
        _ObservedSummary(logdir=train_dir, tag="epoch_loss"),
        _ObservedSummary(logdir=train_dir, tag="epoch_learning_rate"),
        _ObservedSummary(logdir=train_dir, tag="epoch_steps_per_second"),
        _ObservedSummary(logdir=train_dir, tag="batch_steps_per_second"),
    }


# Keras: tensorboard_test.py::test_TensorBoard_weight_histograms
def test_TensorBoard_weight_histograms(tmp_path):
    model = _get_model()
    x, y = np.ones((10, 10, 10, 1)), np.ones((10, 1))
    logdir, train_dir, validation_dir = _get_log_dirs(tmp_path)
    tb_cbk = callbacks.TensorBoard(logdir, histogram_freq=1)
    model.fit(x, y, batch_size=2, epochs=2, validation_data=(x, y), callbacks=[tb_cbk],
              verbose=0)
    summary_file = list_summaries(logdir)
    assert summary_file.scalars == _basic_scalars(train_dir, validation_dir)
    assert _strip_layer_names(summary_file.histograms, "sequential") == {
        _ObservedSummary(logdir=train_dir, tag="histogram")}


# Keras: tensorboard_test.py::test_TensorBoard_non_blocking (adapted: fastnn's logs are
# Python and NumPy numbers, so there is no tensor whose .numpy() to trap; the hooks are
# driven through CallbackList outside fit, as in Keras, and must run and write)
def test_TensorBoard_non_blocking(tmp_path):
    logdir, _, _ = _get_log_dirs(tmp_path)
    model = models.Sequential([layers.Dense(1)])
    model.optimizer = optimizers.Adam()
    tb = callbacks.TensorBoard(logdir)
    cb_list = callbacks.CallbackList([tb], model=model, epochs=1, steps=100, verbose=0)
    logs = {"metric": np.float32(1.0)}

    cb_list.on_train_begin(logs)
    cb_list.on_epoch_begin(0, logs)
    cb_list.on_train_batch_begin(0, logs)
    cb_list.on_train_batch_end(0, logs)
    cb_list.on_epoch_end(0, logs)
    cb_list.on_train_end(logs)

    cb_list.on_test_begin(logs)
    cb_list.on_test_batch_begin(0, logs)
    cb_list.on_test_batch_end(0, logs)
    cb_list.on_test_end(logs)

    cb_list.on_predict_begin(logs)
    cb_list.on_predict_batch_begin(logs)
    cb_list.on_predict_batch_end(logs)
    cb_list.on_predict_end(logs)
    assert {s.tag for s in list_summaries(logdir).scalars} == {
        "epoch_metric", "epoch_learning_rate", "evaluation_metric_vs_iterations"}


# Keras: tensorboard_test.py::test_TensorBoard_auto_trace (adapted: Keras' __init__ on its
# numpy and torch backends refuses profile_batch, which is what fastnn does)
def test_profile_batch_refused_as_on_numpy_backend(tmp_path):
    logdir, _, _ = _get_log_dirs(tmp_path)
    with pytest.raises(ValueError, match=r"profile_batch=1 \(must be 0\)"):
        callbacks.TensorBoard(logdir, histogram_freq=1, profile_batch=1, write_graph=False)
