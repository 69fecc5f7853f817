"""fastnn.callbacks.TensorBoard: the event files read back by a reader written here (TFRecord
framing with both CRC checks, the protobuf fields of Event / Summary / HistogramProto
decoded by hand) and, when the `tensorboard` package is installed, by TensorBoard's own
EventAccumulator."""
import os
import re
import struct

import numpy as np
import pytest

import fastnn as keras
from fastnn import engine
from fastnn.callbacks import CallbackList, LambdaCallback, TensorBoard


# ----------------------------------------------------------------------------- the reader
def _crc32c(data):
    # bit by bit (fastnn's writer uses a table): an independent implementation
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def _masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_records(path):
    with open(path, "rb") as f:
        data = f.read()
    pos, out = 0, []
    while pos < len(data):
        header = data[pos:pos + 8]
        (n,) = struct.unpack("<Q", header)
        (hcrc,) = struct.unpack("<I", data[pos + 8:pos + 12])
        assert hcrc == _masked(_crc32c(header)), "length CRC"
        body = data[pos + 12:pos + 12 + n]
        assert len(body) == n, "truncated record"
        (dcrc,) = struct.unpack("<I", data[pos + 12 + n:pos + 16 + n])
        assert dcrc == _masked(_crc32c(body)), "data CRC"
        out.append(body)
        pos += 16 + n
    return out


def _read_varint(buf, pos):
    shift = result = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, pos


def parse_fields(buf):
    """[(field, wire_type, value)]: ints for varints, bytes for fixed64 / fixed32 /
    length-delimited."""
    pos, out = 0, []
    while pos < len(buf):
        key, pos = _read_varint(buf, pos)
        field, wt = key >> 3, key & 7
        if wt == 0:
            v, pos = _read_varint(buf, pos)
        elif wt == 1:
            v, pos = buf[pos:pos + 8], pos + 8
        elif wt == 5:
            v, pos = buf[pos:pos + 4], pos + 4
        elif wt == 2:
            n, pos = _read_varint(buf, pos)
            v, pos = buf[pos:pos + n], pos + n
        else:
            raise AssertionError(f"wire type {wt}")
        out.append((field, wt, v))
    return out


def _double(b):
    return struct.unpack("<d", b)[0]


def parse_histogram(buf):
    h = {"bucket_limit": [], "bucket": []}
    names = {1: "min", 2: "max", 3: "num", 4: "sum", 5: "sum_squares"}
    for field, wt, v in parse_fields(buf):
        if field in names:
            assert wt == 1
            h[names[field]] = _double(v)
        elif field in (6, 7):
            assert wt == 2
            h["bucket_limit" if field == 6 else "bucket"] += list(
                struct.unpack(f"<{len(v) // 8}d", v))
    return h


def parse_event(buf):
    ev = {"values": []}
    for field, wt, v in parse_fields(buf):
        if field == 1:
            ev["wall_time"] = _double(v)
        elif field == 2:
            ev["step"] = v
        elif field == 3:
            ev["file_version"] = v.decode()
        elif field == 5:
            for f2, _, val in parse_fields(v):
                assert f2 == 1
                item = {}
                for f3, wt3, x in parse_fields(val):
                    if f3 == 1:
                        item["tag"] = x.decode()
                    elif f3 == 2:
                        assert wt3 == 5
                        item["simple_value"] = struct.unpack("<f", x)[0]
                    elif f3 == 5:
                        item["histo"] = parse_histogram(x)
                ev["values"].append(item)
    return ev


def read_run(run_dir):
    """{"scalars": {tag: [(step, value)]}, "histograms": {tag: [(step, histo)]}} of the one
    event file in run_dir, after checking its name and first record."""
    files = [f for f in os.listdir(run_dir) if f.startswith("events.out.tfevents.")]
    assert len(files) == 1, files
    assert re.fullmatch(r"events\.out\.tfevents\.\d{10}\..+\.\d+\.\d+\.v2", files[0])
    events = [parse_event(r) for r in read_records(os.path.join(run_dir, files[0]))]
    assert events[0]["file_version"] == "brain.Event:2" and not events[0]["values"]
    scalars, histos = {}, {}
    for ev in events[1:]:
        assert ev["wall_time"] > 1e9
        for v in ev["values"]:
            if "simple_value" in v:
                scalars.setdefault(v["tag"], []).append((ev["step"], v["simple_value"]))
            else:
                histos.setdefault(v["tag"], []).append((ev["step"], v["histo"]))
    return {"scalars": scalars, "histograms": histos}


# ----------------------------------------------------------------------------- helpers
def _model(metrics=("mae",), lr=0.01):
    model = keras.Sequential([keras.layers.Input((4,)),
                              keras.layers.Dense(3, activation="relu", name="dense"),
                              keras.layers.Dense(1, name="dense_1")])
    model.compile(keras.optimizers.SGD(lr), "mse", metrics=list(metrics))
    return model


def _data(n=24, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)), rng.normal(size=(n, 1))


def f32(v):
    return float(np.float32(v))


# ----------------------------------------------------------------------------- tests
def test_crc32c_test_vectors():
    from fastnn.callbacks.tensorboard import crc32c
    assert crc32c(b"123456789") == _crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"\x00" * 32) == 0x8A9136AA        # RFC 3720 B.4
    assert crc32c(b"\xff" * 32) == 0x62A8AB43
    assert crc32c(bytes(range(32))) == 0x46DD794E
    assert crc32c(b"") == 0


def test_fit_with_validation_writes_every_epoch_scalar(tmp_path):
    x, y = _data()
    model = _model()
    hist = model.fit(x, y, batch_size=8, epochs=3, validation_data=(x[:10], y[:10]),
                     callbacks=[TensorBoard(tmp_path)], verbose=0).history
    assert sorted(os.listdir(tmp_path)) == ["train", "validation"]
    train = read_run(tmp_path / "train")
    val = read_run(tmp_path / "validation")
    assert train["histograms"] == {} and val["histograms"] == {}
    assert set(train["scalars"]) == {"epoch_loss", "epoch_mae", "epoch_learning_rate"}
    assert set(val["scalars"]) == {"epoch_loss", "epoch_mae", "evaluation_loss_vs_iterations",
                                   "evaluation_mae_vs_iterations"}
    for name in ("loss", "mae"):
        assert train["scalars"][f"epoch_{name}"] == [(e, f32(v)) for e, v in enumerate(hist[name])]
        assert val["scalars"][f"epoch_{name}"] == [(e, f32(v))
                                                   for e, v in enumerate(hist["val_" + name])]
        # step = optimizer.iterations at the end of each validation: 3 steps an epoch
        assert val["scalars"][f"evaluation_{name}_vs_iterations"] == [
            (3 * (e + 1), f32(v)) for e, v in enumerate(hist["val_" + name])]
    assert train["scalars"]["epoch_learning_rate"] == [(e, f32(0.01)) for e in range(3)]


def test_learning_rate_of_a_schedule_is_its_value_at_epoch_end(tmp_path):
    x, y = _data()
    sched = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    model = keras.Sequential([keras.layers.Input((4,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(sched), "mse")
    model.fit(x, y, batch_size=12, epochs=3, callbacks=[TensorBoard(tmp_path)], verbose=0)
    train = read_run(tmp_path / "train")
    assert train["scalars"]["epoch_learning_rate"] == [
        (e, f32(float(sched(2 * (e + 1))))) for e in range(3)]
    assert not (tmp_path / "validation").exists()    # no validation, no validation run


@pytest.mark.parametrize("freq", [1, 2, 5, "batch"])
def test_update_freq_writes_batch_scalars(tmp_path, freq):
    x, y = _data(n=30)
    seen = []
    rec = LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(dict(logs)))
    model = _model()
    model.fit(x, y, batch_size=10, epochs=3, callbacks=[rec, TensorBoard(tmp_path, update_freq=freq)],
              verbose=0)
    n = 1 if freq == "batch" else freq
    train = read_run(tmp_path / "train")
    assert len(seen) == 9
    for name in ("loss", "mae"):
        want = [(g, f32(seen[g - 1][name])) for g in range(1, 10) if g % n == 0]
        assert train["scalars"][f"batch_{name}"] == want
    assert len(train["scalars"]["epoch_loss"]) == 3


def test_update_freq_epoch_hooks_no_batch(tmp_path):
    # with update_freq="epoch" fit keeps its whole-epoch engine calls
    tb = TensorBoard(tmp_path)
    assert not engine.user_batch_hooks(CallbackList([tb]))
    assert not CallbackList([tb]).wants("on_train_batch_end")
    assert not CallbackList([tb]).wants("on_test_batch_end")
    assert engine.user_batch_hooks(CallbackList([TensorBoard(tmp_path, update_freq=3)]))
    x, y = _data()
    model = _model()
    model.fit(x, y, batch_size=8, epochs=2, callbacks=[tb], verbose=0)
    assert tb._global_train_batch == 0      # no batch hook ran in fit


def test_a_subclass_batch_hook_is_still_called(tmp_path):
    calls = []

    class Mine(TensorBoard):
        def on_train_batch_end(self, batch, logs=None):
            super().on_train_batch_end(batch, logs)
            calls.append(batch)
    tb = Mine(tmp_path)
    assert engine.user_batch_hooks(CallbackList([tb]))
    x, y = _data()
    _model().fit(x, y, batch_size=8, epochs=2, callbacks=[tb], verbose=0)
    assert calls == [0, 1, 2] * 2
    assert "batch_loss" not in read_run(tmp_path / "train")["scalars"]


@pytest.mark.parametrize("freq,epochs", [(1, 2), (2, 5)])
def test_histogram_freq_writes_weight_histograms(tmp_path, freq, epochs):
    x, y = _data()
    model = _model()
    snaps = {}

    def snap(epoch, logs):
        snaps[epoch] = {f"{l.name}/{n}": np.array(w) for l in model.layers
                        for n, w in zip(l.weight_names, l.weights)}
    model.fit(x, y, batch_size=8, epochs=epochs, validation_data=(x, y),
              callbacks=[LambdaCallback(on_epoch_end=snap), TensorBoard(tmp_path, histogram_freq=freq)],
              verbose=0)
    train = read_run(tmp_path / "train")
    assert read_run(tmp_path / "validation")["histograms"] == {}
    tags = {"dense/kernel/histogram", "dense/bias/histogram", "dense_1/kernel/histogram",
            "dense_1/bias/histogram"}
    assert set(train["histograms"]) == tags
    want_epochs = [e for e in range(epochs) if e % freq == 0]
    for tag, items in train["histograms"].items():
        assert [s for s, _ in items] == want_epochs
        for step, h in items:
            w = snaps[step][tag[:-len("/histogram")]].astype(np.float64).ravel()
            assert sum(h["bucket"]) == h["num"] == w.size
            assert h["min"] == w.min() and h["max"] == w.max()
            assert h["sum"] == pytest.approx(w.sum(), rel=1e-12, abs=1e-12)
            assert h["sum_squares"] == pytest.approx(np.dot(w, w), rel=1e-12)
            assert len(h["bucket_limit"]) == len(h["bucket"])
            assert h["bucket_limit"][-1] == w.max()
            assert all(a < b for a, b in zip(h["bucket_limit"], h["bucket_limit"][1:]))
            if w.min() < w.max():
                counts, _ = np.histogram(w, bins=30, range=(w.min(), w.max()))
                assert len(h["bucket"]) == 30
                assert h["bucket"] == counts.astype(float).tolist()


def test_histogram_of_a_constant_weight_is_one_bucket(tmp_path):
    model = _model()
    x, y = _data()
    model.fit(x, y, epochs=1, callbacks=[TensorBoard(tmp_path, histogram_freq=1)], verbose=0)
    from fastnn.callbacks.tensorboard import histogram_proto
    h = parse_histogram(histogram_proto(np.full((2, 3), 0.5)))
    assert h == {"min": 0.5, "max": 0.5, "num": 6.0, "sum": 3.0, "sum_squares": 1.5,
                 "bucket_limit": [0.5], "bucket": [6.0]}


def test_batch_normalization_weights_are_named(tmp_path):
    x, y = _data()
    model = keras.Sequential([keras.layers.Input((4,)), keras.layers.Dense(3),
                              keras.layers.BatchNormalization(name="batch_normalization"),
                              keras.layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(x, y, epochs=1, callbacks=[TensorBoard(tmp_path, histogram_freq=1)], verbose=0)
    tags = set(read_run(tmp_path / "train")["histograms"])
    assert {f"batch_normalization/{n}/histogram"
            for n in ("gamma", "beta", "moving_mean", "moving_variance")} <= tags
    assert len(tags) == 8


def test_each_fit_gets_its_own_event_files(tmp_path):
    x, y = _data()
    model = _model()
    tb = TensorBoard(tmp_path)
    for _ in range(2):
        model.fit(x, y, batch_size=8, epochs=2, validation_data=(x, y), callbacks=[tb], verbose=0)
    for run in ("train", "validation"):
        files = sorted(os.listdir(tmp_path / run))
        assert len(files) == 2
        for f in files:
            recs = [parse_event(r) for r in read_records(tmp_path / run / f)]
            assert sorted({v["tag"] for ev in recs for v in ev["values"]}) != []


def test_evaluate_writes_evaluation_scalars(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    loss, mae = model.evaluate(x, y, callbacks=[TensorBoard(tmp_path)], verbose=0)
    assert os.listdir(tmp_path) == ["validation"]
    val = read_run(tmp_path / "validation")
    assert val["scalars"] == {"evaluation_loss_vs_iterations": [(3, f32(loss))],
                              "evaluation_mae_vs_iterations": [(3, f32(mae))]}


def test_write_steps_per_second(tmp_path):
    x, y = _data()
    _model().fit(x, y, batch_size=8, epochs=2, verbose=0,
                 callbacks=[TensorBoard(tmp_path, update_freq=1, write_steps_per_second=True)])
    s = read_run(tmp_path / "train")["scalars"]
    assert [st for st, _ in s["epoch_steps_per_second"]] == [0, 1]
    assert [st for st, _ in s["batch_steps_per_second"]] == list(range(1, 7))
    assert all(v > 0 for _, v in s["epoch_steps_per_second"] + s["batch_steps_per_second"])


def test_pathlike_and_defaults(tmp_path):
    tb = TensorBoard()
    assert (tb.log_dir, tb.histogram_freq, tb.write_graph, tb.write_images,
            tb.write_steps_per_second, tb.update_freq, tb.embeddings_freq,
            tb.embeddings_metadata) == ("logs", 0, True, False, False, "epoch", 0, None)
    assert TensorBoard(tmp_path).log_dir == str(tmp_path)
    assert TensorBoard(update_freq="batch").update_freq == 1
    # accepted and ignored: write_graph (no graph), embeddings_metadata without embeddings,
    # profile_batch 0 in Keras' forms
    TensorBoard(write_graph=False, embeddings_metadata={"emb": "meta.tsv"}, profile_batch="0")
    TensorBoard(profile_batch=(0, 0))


def test_log_dir_that_is_a_file(tmp_path):
    x, y = _data()
    model = _model()
    before = model.get_weights()
    (tmp_path / "f").write_text("")
    for log_dir in (tmp_path / "f", tmp_path):
        if log_dir == tmp_path:
            (tmp_path / "train").write_text("")
        with pytest.raises(ValueError, match="log_dir"):
            model.fit(x, y, epochs=1, callbacks=[TensorBoard(log_dir)], verbose=0)
        with pytest.raises(ValueError, match="log_dir"):
            model.evaluate(x, y, callbacks=[TensorBoard(tmp_path / "f")], verbose=0)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kwargs,exc,word", [
    (dict(log_dir=3), TypeError, "log_dir"),
    (dict(histogram_freq=-1), ValueError, "histogram_freq"),
    (dict(histogram_freq=1.5), TypeError, "histogram_freq"),
    (dict(histogram_freq=True), TypeError, "histogram_freq"),
    (dict(write_graph="yes"), TypeError, "write_graph"),
    (dict(write_images=True), ValueError, "write_images"),
    (dict(write_images=1), TypeError, "write_images"),
    (dict(write_steps_per_second=None), TypeError, "write_steps_per_second"),
    (dict(update_freq="step"), ValueError, "update_freq"),
    (dict(update_freq=0), ValueError, "update_freq"),
    (dict(update_freq=2.0), TypeError, "update_freq"),
    (dict(profile_batch=2), ValueError, "profile_batch"),
    (dict(profile_batch=(10, 20)), ValueError, "profile_batch"),
    (dict(profile_batch="5,2"), ValueError, "profile_batch"),
    (dict(profile_batch=-1), ValueError, "profile_batch"),
    (dict(profile_batch="a"), ValueError, "profile_batch"),
    (dict(embeddings_freq=1), ValueError, "embeddings_freq"),
    (dict(embeddings_freq=-1), ValueError, "embeddings_freq"),
    (dict(embeddings_metadata=3), TypeError, "embeddings_metadata"),
])
def test_bad_arguments(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        TensorBoard(**kwargs)


def test_tensorboards_own_reader_agrees(tmp_path):
    ea_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    x, y = _data()
    model = _model()
    model.fit(x, y, batch_size=8, epochs=4, validation_data=(x, y), verbose=0,
              callbacks=[TensorBoard(tmp_path, histogram_freq=2, update_freq=2)])
    for run in ("train", "validation"):
        mine = read_run(tmp_path / run)
        acc = ea_mod.EventAccumulator(str(tmp_path / run),
                                      size_guidance={"scalars": 0, "histograms": 0})
        acc.Reload()
        tags = acc.Tags()
        assert sorted(tags["scalars"]) == sorted(mine["scalars"])
        assert sorted(tags["histograms"]) == sorted(mine["histograms"])
        for tag, items in mine["scalars"].items():
            assert [(e.step, e.value) for e in acc.Scalars(tag)] == items
        for tag, items in mine["histograms"].items():
            got = acc.Histograms(tag)
            assert [e.step for e in got] == [s for s, _ in items]
            for e, (_, h) in zip(got, items):
                v = e.histogram_value
                assert (v.min, v.max, v.num, v.sum, v.sum_squares) == (
                    h["min"], h["max"], h["num"], h["sum"], h["sum_squares"])
                assert list(v.bucket_limit) == h["bucket_limit"]
                assert list(v.bucket) == h["bucket"]
    assert sorted(acc.Tags()["scalars"]) == sorted(
        ["epoch_loss", "epoch_mae", "evaluation_loss_vs_iterations", "evaluation_mae_vs_iterations"])


def test_tensorboards_dashboard_path_files_them_as_scalars_and_histograms(tmp_path):
    # The TensorBoard server reads through plugin_event_accumulator, which files simple_value
    # and histo summaries under the "scalars" and "histograms" plugins (data_compat).
    pea = pytest.importorskip("tensorboard.backend.event_processing.plugin_event_accumulator")
    tensor_util = pytest.importorskip("tensorboard.util.tensor_util")
    x, y = _data()
    hist = _model().fit(x, y, batch_size=8, epochs=2, verbose=0,
                        callbacks=[TensorBoard(tmp_path, histogram_freq=1)]).history
    acc = pea.EventAccumulator(str(tmp_path / "train"))
    acc.Reload()
    assert set(acc.PluginTagToContent("scalars")) == {"epoch_loss", "epoch_mae",
                                                      "epoch_learning_rate"}
    assert set(acc.PluginTagToContent("histograms")) == {
        "dense/kernel/histogram", "dense/bias/histogram", "dense_1/kernel/histogram",
        "dense_1/bias/histogram"}
    got = [(t.step, float(tensor_util.make_ndarray(t.tensor_proto)))
           for t in acc.Tensors("epoch_loss")]
    assert got == [(e, f32(v)) for e, v in enumerate(hist["loss"])]
    h = tensor_util.make_ndarray(acc.Tensors("dense/kernel/histogram")[0].tensor_proto)
    assert h.shape == (30, 3) and h[:, 2].sum() == 12      # (left, right, count) rows
