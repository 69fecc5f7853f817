"""fastnn.saving: the file format, atomic writes, rejection of bad files, model round trips."""
import hashlib
import io
import json
import os
import zipfile

import numpy as np
import pytest

from fastnn import saving


# ====================================================================== the container
def _arrays():
    rng = np.random.default_rng(0)
    return {"weights": [rng.normal(size=(4, 3)).astype(np.float32), np.arange(3, dtype=np.float32)],
            "optimizer": [np.array(7, dtype=np.int64), rng.normal(size=(4, 3))]}


def _header(fmt=saving.MODEL_FORMAT):
    return {"format": fmt, "format_version": saving.FORMAT_VERSION, "fastnn_version": "test"}


def _rewrite(path, mutate):
    """Rewrite the archive at path with mutate(members: dict name -> bytes) applied."""
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    mutate(members)
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)


def _edit_config(members, fn):
    cfg = json.loads(members["config.json"])
    fn(cfg)
    members["config.json"] = json.dumps(cfg).encode()


def test_archive_round_trip_and_layout(tmp_path):
    path = tmp_path / "a.fastnn"
    saving._write_archive(path, _header(), _arrays())
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["config.json", "optimizer/00000.npy", "optimizer/00001.npy",
                                         "weights/00000.npy", "weights/00001.npy"]
        cfg = json.loads(zf.read("config.json"))
        # The members are plain .npy files that numpy reads without pickle.
        w0 = np.load(io.BytesIO(zf.read("weights/00000.npy")), allow_pickle=False)
        assert hashlib.sha256(zf.read("weights/00000.npy")).hexdigest() == cfg["arrays"]["weights"][0]["sha256"]
    assert cfg["arrays"]["weights"][0]["shape"] == [4, 3] and cfg["arrays"]["weights"][0]["dtype"] == "<f4"
    assert cfg["arrays"]["optimizer"][0] == {**cfg["arrays"]["optimizer"][0], "shape": [], "dtype": "<i8"}
    config, arrays = saving._read_archive(path, saving.MODEL_FORMAT)
    assert config["fastnn_version"] == "test"
    for group, expected in _arrays().items():
        assert len(arrays[group]) == len(expected)
        for got, want in zip(arrays[group], expected):
            assert got.dtype == want.dtype and np.array_equal(got, want)
    assert np.array_equal(w0, _arrays()["weights"][0])


def test_big_endian_arrays_are_stored_little_endian(tmp_path):
    path = tmp_path / "be.fastnn"
    saving._write_archive(path, _header(), {"weights": [np.arange(4, dtype=">f8")]})
    _, arrays = saving._read_archive(path, saving.MODEL_FORMAT)
    assert arrays["weights"][0].dtype.str == "<f8" and arrays["weights"][0].tolist() == [0, 1, 2, 3]


def test_object_arrays_cannot_be_saved(tmp_path):
    with pytest.raises(TypeError, match="numeric"):
        saving._write_archive(tmp_path / "o", _header(), {"weights": [np.array([{}], dtype=object)]})
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------- atomic writes
def test_failed_save_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "model.fastnn"
    saving._write_archive(path, _header(), _arrays())
    before = path.read_bytes()

    real_writestr = zipfile.ZipFile.writestr
    calls = {"n": 0}

    def failing_writestr(self, name, data, *a, **k):
        calls["n"] += 1
        if calls["n"] == 3:  # config and one array are written, then the "crash"
            raise OSError("disk full (simulated)")
        return real_writestr(self, name, data, *a, **k)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing_writestr)
    bigger = _arrays()
    bigger["weights"][0] = bigger["weights"][0] + 1
    with pytest.raises(OSError, match="simulated"):
        saving._write_archive(path, _header(), bigger)
    monkeypatch.undo()
    assert calls["n"] == 3
    assert path.read_bytes() == before  # the old file is intact...
    assert os.listdir(tmp_path) == ["model.fastnn"]  # ...and no temporary file is left
    saving._read_archive(path, saving.MODEL_FORMAT)


def test_crash_before_replace_never_exposes_partial_file(tmp_path, monkeypatch):
    path = tmp_path / "m.fastnn"
    saving._write_archive(path, _header(), _arrays())
    before = path.read_bytes()
    seen = {}

    def crash(src, dst):
        # At this point the new archive is complete and fsync'ed in a temp file beside path.
        seen["src"] = src
        assert os.path.dirname(os.path.abspath(src)) == str(tmp_path)
        saving._read_archive(src, saving.MODEL_FORMAT)
        raise KeyboardInterrupt  # the process dies before the rename

    monkeypatch.setattr(saving.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        saving._write_archive(path, _header(), _arrays())
    monkeypatch.undo()
    assert path.read_bytes() == before and not os.path.exists(seen["src"])


def test_save_uses_fsync_and_normal_permissions(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(saving.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    path = tmp_path / "p.fastnn"
    saving._write_archive(path, _header(), _arrays())
    assert len(synced) >= 1
    mask = os.umask(0)
    os.umask(mask)
    assert (os.stat(path).st_mode & 0o777) == (0o666 & ~mask)


def test_save_onto_directory_or_into_missing_directory_is_an_error(tmp_path):
    with pytest.raises(IsADirectoryError):
        saving._write_archive(tmp_path, _header(), _arrays())
    with pytest.raises(FileNotFoundError, match="does not exist"):
        saving._write_archive(tmp_path / "no" / "m.fastnn", _header(), _arrays())


# ---------------------------------------------------------------------- bad files
def _saved(tmp_path):
    path = tmp_path / "m.fastnn"
    saving._write_archive(path, _header(), _arrays())
    return path


@pytest.mark.parametrize("cut", [0, 10, 100, -200, -30, -1])
def test_truncated_files_rejected(tmp_path, cut):
    path = _saved(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:cut] if cut else b"")
    with pytest.raises(ValueError, match="m.fastnn"):
        saving._read_archive(path, saving.MODEL_FORMAT)


@pytest.mark.parametrize("payload", [
    b"\x89HDF\r\n\x1a\n" + b"\x00" * 100,            # a Keras .h5 file
    b"\x80\x04\x95" + b"\x00" * 50,                  # a pickle
    b"just some text\n",
    b"\x93NUMPY" + b"\x00" * 100,                    # a bare .npy
])
def test_foreign_files_rejected(tmp_path, payload):
    path = tmp_path / "foreign.fastnn"
    path.write_bytes(payload)
    with pytest.raises(ValueError, match="not a fastnn file"):
        saving._read_archive(path, saving.MODEL_FORMAT)


def test_foreign_zip_rejected(tmp_path):
    path = tmp_path / "model.keras"
    with zipfile.ZipFile(path, "w") as zf:  # what a Keras 3 .keras file looks like
        zf.writestr("metadata.json", "{}")
        zf.writestr("config.json", json.dumps({"class_name": "Sequential", "config": {}}))
        zf.writestr("model.weights.h5", b"\x89HDF")
    with pytest.raises(ValueError, match="not a fastnn file: format is None"):
        saving._read_archive(path, saving.MODEL_FORMAT)


def test_missing_file_and_wrong_kind(tmp_path):
    with pytest.raises(FileNotFoundError):
        saving._read_archive(tmp_path / "nope", saving.MODEL_FORMAT)
    path = tmp_path / "w.fastnn"
    saving._write_archive(path, _header(saving.WEIGHTS_FORMAT), {"weights": _arrays()["weights"]})
    with pytest.raises(ValueError, match="load_weights"):
        saving._read_archive(path, saving.MODEL_FORMAT)


@pytest.mark.parametrize("mutate, message", [
    (lambda m: m.__setitem__("weights/00000.npy", m["weights/00000.npy"][:-4] + b"\x00\x00\x80\x7f"),
     "SHA-256"),                                                                   # edited values
    (lambda m: m.pop("optimizer/00001.npy"), "missing"),                           # dropped member
    (lambda m: m.__setitem__("evil.py", b"import os"), "does not list"),           # extra member
    (lambda m: m.__setitem__("config.json", b"{not json"), "not valid UTF-8 JSON"),
    (lambda m: m.__setitem__("config.json", b"[1, 2]"), "JSON object"),
    (lambda m: _edit_config(m, lambda c: c.__setitem__("format_version", 99)), "format_version 99"),
    (lambda m: _edit_config(m, lambda c: c["arrays"]["weights"][0].__setitem__("shape", [3, 4])),
     "config.json says"),                                                          # shape lie
    (lambda m: _edit_config(m, lambda c: c["arrays"]["weights"][0].__setitem__("shape", [4000, 3000])),
     "config.json says"),                                                          # size lie
    (lambda m: _edit_config(m, lambda c: c["arrays"]["weights"][0].__setitem__("dtype", "|O")),
     "numeric dtype"),                                                             # object dtype
    (lambda m: _edit_config(m, lambda c: c["arrays"]["weights"][0].__setitem__("file", "../../x.npy")),
     "should be"),                                                                 # path games
    (lambda m: _edit_config(m, lambda c: c["arrays"].__setitem__("code", [])), "'arrays' must map"),
])
def test_tampered_files_rejected(tmp_path, mutate, message):
    path = _saved(tmp_path)
    _rewrite(path, mutate)
    with pytest.raises(ValueError, match=message):
        saving._read_archive(path, saving.MODEL_FORMAT)


def test_pickled_object_array_never_unpickled(tmp_path):
    """A member holding a pickled object array (with a matching digest) is refused, not loaded."""
    path = _saved(tmp_path)
    buf = io.BytesIO()
    np.save(buf, np.array([print], dtype=object), allow_pickle=True)
    evil = buf.getvalue()

    def mutate(m):
        m["weights/00001.npy"] = evil
        _edit_config(m, lambda c: c["arrays"]["weights"][1].update(
            sha256=hashlib.sha256(evil).hexdigest(), dtype="<f4", shape=[1]))

    _rewrite(path, mutate)
    with pytest.raises(ValueError, match="not a valid .npy array|config.json says"):
        saving._read_archive(path, saving.MODEL_FORMAT)


def test_member_larger_than_declared_is_not_read(tmp_path):
    """A small declared shape bounds how much of a member is ever decompressed."""
    path = tmp_path / "bomb.fastnn"
    saving._write_archive(path, _header(), {"weights": [np.zeros(1 << 20, dtype=np.float32)]})
    _rewrite(path, lambda m: _edit_config(m, lambda c: c["arrays"]["weights"][0].__setitem__("shape", [1])))
    with pytest.raises(ValueError, match="more than"):
        saving._read_archive(path, saving.MODEL_FORMAT)


def test_corrupted_member_crc_rejected(tmp_path):
    path = tmp_path / "c.fastnn"
    saving._write_archive(path, _header(), {"weights": [np.zeros(1000, dtype=np.float32)]})
    data = bytearray(path.read_bytes())
    # Flip a byte inside the compressed weights member (after the config member).
    i = data.index(b"weights/00000.npy") + 40
    data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError):
        saving._read_archive(path, saving.MODEL_FORMAT)


# ====================================================================== models
def _digit_model(seed=0, optimizer="adam", **compile_kw):
    from fastnn import Sequential
    from fastnn.layers import Dense
    from fastnn.losses import SparseCategoricalCrossentropy
    from fastnn.utils import set_random_seed
    set_random_seed(seed)
    m = Sequential([Dense(25, activation="relu"), Dense(15, activation="relu"), Dense(10)], name="digits")
    m.compile(optimizer=optimizer, loss=SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"], **compile_kw)
    return m


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.random((96, 64)).astype(np.float32)
    y = rng.integers(0, 10, 96)
    return x, y


def _same(a, b):
    return len(a) == len(b) and all(x.dtype == y.dtype and np.array_equal(x, y) for x, y in zip(a, b))


def test_model_round_trip_architecture_weights_compile_optimizer(tmp_path, data):
    from fastnn.models import load_model
    x, y = data
    m = _digit_model()
    m.fit(x, y, epochs=2, batch_size=32, verbose=0)
    path = tmp_path / "digits"  # any file name works
    m.save(path)
    m2 = load_model(path)
    assert m2.get_config() == m.get_config()
    assert [type(l).__name__ for l in m2.layers] == ["Dense"] * 3
    assert _same(m2.get_weights(), m.get_weights())
    assert np.array_equal(m2.predict(x, verbose=0), m.predict(x, verbose=0))
    # Compile settings.
    assert type(m2.optimizer).__name__ == "Adam" and m2.optimizer.get_config() == m.optimizer.get_config()
    assert type(m2.loss).__name__ == "SparseCategoricalCrossentropy" and m2.loss.from_logits
    assert m2.metrics_names == m.metrics_names
    assert m2.evaluate(x, y, verbose=0) == pytest.approx(m.evaluate(x, y, verbose=0))
    # Optimizer state: step count and every slot.
    assert m2.optimizer.iterations == m.optimizer.iterations == 6
    assert _same(m2.optimizer.get_state(), m.optimizer.get_state())


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop", "adagrad", "adamw"])
def test_training_resumes_identically_after_load(tmp_path, data, optimizer):
    """fit 2 epochs, save, load, fit 2 more == fit 4 epochs without the round trip (bitwise)."""
    from fastnn.models import load_model
    from fastnn.optimizers import SGD
    x, y = data
    opt = SGD(learning_rate=0.05, momentum=0.9) if optimizer == "sgd" else optimizer
    ref = _digit_model(seed=3, optimizer=opt)
    ref.fit(x, y, epochs=4, batch_size=16, verbose=0)

    opt = SGD(learning_rate=0.05, momentum=0.9) if optimizer == "sgd" else optimizer
    m = _digit_model(seed=3, optimizer=opt)
    m.fit(x, y, epochs=2, batch_size=16, verbose=0)
    m.save(tmp_path / "ckpt.fastnn")
    del m
    resumed = load_model(tmp_path / "ckpt.fastnn")
    resumed.fit(x, y, epochs=4, initial_epoch=2, batch_size=16, verbose=0)
    assert resumed.optimizer.iterations == ref.optimizer.iterations == 24
    assert _same(resumed.get_weights(), ref.get_weights())
    assert _same(resumed.optimizer.get_state(), ref.optimizer.get_state())


def test_resume_without_shuffle_is_independent_of_the_rng(tmp_path, data):
    """The file alone determines the continuation (no hidden process state)."""
    from fastnn.models import load_model
    from fastnn.utils import set_random_seed
    x, y = data
    m = _digit_model(seed=1)
    m.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    m.save(tmp_path / "a.fastnn")
    m.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False)
    set_random_seed(12345)
    r = load_model(tmp_path / "a.fastnn")
    r.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False)
    assert _same(r.get_weights(), m.get_weights())


def test_loading_does_not_move_the_random_stream(tmp_path, data):
    from fastnn import utils
    m = _digit_model()
    m(data[0][:1])
    m.save(tmp_path / "m.fastnn")
    utils.set_random_seed(7)
    expected = utils.get_rng().random(3)
    utils.set_random_seed(7)
    saving.load_model(tmp_path / "m.fastnn")
    assert np.array_equal(utils.get_rng().random(3), expected)


def test_schedule_and_changed_learning_rate_round_trip(tmp_path, data):
    from fastnn.models import load_model
    from fastnn.optimizers import Adam, RMSprop
    from fastnn.optimizers.schedules import ExponentialDecay
    x, y = data
    m = _digit_model(optimizer=Adam(learning_rate=ExponentialDecay(0.01, decay_steps=3, decay_rate=0.5)))
    m.fit(x, y, epochs=1, batch_size=32, verbose=0)
    m.save(tmp_path / "s.fastnn")
    m2 = load_model(tmp_path / "s.fastnn")
    assert m2.optimizer.iterations == 3
    assert m2.optimizer.learning_rate == pytest.approx(m.optimizer.learning_rate) == pytest.approx(0.005)
    m = _digit_model(optimizer=RMSprop(learning_rate=0.01))
    m.fit(x, y, epochs=1, verbose=0)
    m.optimizer.learning_rate = 0.0025  # as ReduceLROnPlateau does
    m.save(tmp_path / "r.fastnn")
    assert load_model(tmp_path / "r.fastnn").optimizer.learning_rate == 0.0025


def test_uncompiled_untrained_and_compile_false(tmp_path, data):
    from fastnn import Sequential
    from fastnn.layers import Dense, Input
    from fastnn.models import load_model
    m = Sequential([Input(shape=(4,)), Dense(3, activation="tanh")])
    m.save(tmp_path / "u.fastnn")
    u = load_model(tmp_path / "u.fastnn")
    assert not u.compiled and u.input_shape == (None, 4) and _same(u.get_weights(), m.get_weights())
    c = _digit_model()
    c(data[0][:2])  # built, compiled, never trained: no optimizer slots yet
    c.save(tmp_path / "c.fastnn")
    c2 = load_model(tmp_path / "c.fastnn")
    assert c2.compiled and c2.optimizer.iterations == 0
    c3 = load_model(tmp_path / "c.fastnn", compile=False)
    assert not c3.compiled and _same(c3.get_weights(), c.get_weights())


def test_float64_model_round_trip(tmp_path):
    from fastnn import Sequential
    from fastnn.layers import Dense
    m = Sequential([Dense(3, activation="sigmoid", dtype="float64")])
    m(np.ones((1, 2)))
    m.set_weights([np.array([[0.1, 0.2, 0.3], [1e-300, -2.0, np.pi]]), np.array([1.0, 2.0, 3.0])])
    m.save(tmp_path / "d.fastnn")
    m2 = saving.load_model(tmp_path / "d.fastnn")
    assert m2.dtype == "float64" and _same(m2.get_weights(), m.get_weights())


def test_save_errors(tmp_path):
    from fastnn import Sequential
    from fastnn.layers import Dense
    with pytest.raises(ValueError, match="not built"):
        Sequential([Dense(2)]).save(tmp_path / "x")
    with pytest.raises(TypeError, match="Sequential"):
        saving.save_model(object(), tmp_path / "x")
    m = Sequential([Dense(2)])
    m(np.ones((1, 3), dtype=np.float32))
    m.save(tmp_path / "x")
    with pytest.raises(FileExistsError):
        saving.save_model(m, tmp_path / "x", overwrite=False)
    assert os.listdir(tmp_path) == ["x"]


def _tamper_config(path, fn):
    _rewrite(path, lambda mem: _edit_config(mem, fn))


def test_architecture_that_does_not_fit_the_weights_is_rejected(tmp_path, data):
    m = _digit_model()
    m.fit(data[0], data[1], epochs=1, verbose=0)
    path = tmp_path / "t.fastnn"
    m.save(path)
    _tamper_config(path, lambda c: c["model"]["config"]["layers"][0]["config"].__setitem__("units", 26))
    with pytest.raises(ValueError, match=r"weight 0 has shape \(64, 25\) in the file, the model expects \(64, 26\)"):
        saving.load_model(path)


@pytest.mark.parametrize("fn, message", [
    (lambda c: c["model"]["config"]["layers"][0].__setitem__("class_name", "os.system"),
     r"layers\[0\] \('os.system'\) cannot be built .*unknown class_name 'os.system'"),
    (lambda c: c["model"]["config"]["layers"][0].__setitem__("config", ["not", "a", "dict"]),
     r"layers\[0\].config must be an object"),
    (lambda c: c["model"]["config"]["layers"][0]["config"].__setitem__("exec", "print(1)"),
     r"layers\[0\] \('Dense'\) cannot be built .*unexpected keyword argument.*exec"),
    (lambda c: c["model"]["config"]["layers"][0]["config"].__setitem__("units", 10 ** 14),
     r"the input of layers\[1\] .* 100000000000000 values per sample .*MAX_LOAD_BYTES"),
    (lambda c: c["model"].__setitem__("class_name", "Evil"), r"config.json: model: expected \{\"class_name\": \"Sequential\" or \"Functional\""),
    (lambda c: c["model"].__setitem__("class_name", "Functional"), r"config.json: model.config has no 'input_layers'"),
    (lambda c: c["model"]["config"].pop("build_input_shape"), "no input shape"),
    (lambda c: c["compile"]["optimizer"].__setitem__("class_name", "Evil"), "compile settings"),
    (lambda c: c["compile"]["loss"].__setitem__("class_name", "__import__"), "compile settings"),
])
def test_bad_configs_rejected(tmp_path, data, fn, message):
    m = _digit_model()
    m.fit(data[0], data[1], epochs=1, verbose=0)
    path = tmp_path / "b.fastnn"
    m.save(path)
    _tamper_config(path, fn)
    with pytest.raises(ValueError, match=message):
        saving.load_model(path)


def test_optimizer_state_that_does_not_fit_is_rejected(tmp_path, data):
    m = _digit_model()
    m.fit(data[0], data[1], epochs=1, verbose=0)
    path = tmp_path / "o.fastnn"
    m.save(path)
    # Swap two slot arrays of different shapes (digests and declared shapes kept consistent).
    def swap(mem):
        cfg = json.loads(mem["config.json"])
        opt = cfg["arrays"]["optimizer"]
        mem[opt[1]["file"]], mem[opt[3]["file"]] = mem[opt[3]["file"]], mem[opt[1]["file"]]
        a, b = dict(opt[1]), dict(opt[3])
        opt[1].update(shape=b["shape"], sha256=b["sha256"], dtype=b["dtype"])
        opt[3].update(shape=a["shape"], sha256=a["sha256"], dtype=a["dtype"])
        mem["config.json"] = json.dumps(cfg).encode()
    _rewrite(path, swap)
    with pytest.raises(ValueError, match="optimizer state does not fit"):
        saving.load_model(path)


def test_loading_never_uses_pickle(tmp_path, data, monkeypatch):
    import pickle
    m = _digit_model()
    m.fit(data[0], data[1], epochs=1, verbose=0)
    m.save(tmp_path / "p.fastnn")

    def forbidden(*a, **k):
        raise AssertionError("pickle used while loading")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "Unpickler", forbidden)
    real_load = np.load
    monkeypatch.setattr(np, "load", lambda *a, **k: (
        k.get("allow_pickle") is False or forbidden(), real_load(*a, **k))[1])
    m2 = saving.load_model(tmp_path / "p.fastnn")
    assert _same(m2.get_weights(), m.get_weights())


def test_weights_only_round_trip_and_mismatch(tmp_path, data):
    from fastnn import Sequential
    from fastnn.layers import Dense
    m = _digit_model(seed=1)
    m(data[0][:1])
    saving.save_weights(m, tmp_path / "w.fastnn")
    other = _digit_model(seed=2)
    other(data[0][:1])
    assert not _same(other.get_weights(), m.get_weights())
    saving.load_weights(other, tmp_path / "w.fastnn")
    assert _same(other.get_weights(), m.get_weights())
    # A whole-model file also provides weights.
    m.save(tmp_path / "full.fastnn")
    saving.load_weights(other, tmp_path / "full.fastnn")
    # A different architecture is refused and keeps its own weights.
    small = Sequential([Dense(10)])
    small(data[0][:1])
    before = small.get_weights()
    with pytest.raises(ValueError, match="holds 6 weight arrays, the model has 2"):
        saving.load_weights(small, tmp_path / "w.fastnn")
    assert _same(small.get_weights(), before)
    with pytest.raises(ValueError, match="load_weights"):
        saving.load_model(tmp_path / "w.fastnn")


def test_every_single_byte_corruption_is_caught_or_harmless(tmp_path):
    """Flip each byte of a saved file in turn: loading either gives back exactly the saved
    arrays (a flip in a timestamp, say) or raises ValueError; never another exception."""
    path = tmp_path / "f.fastnn"
    arrays = {"weights": [np.arange(60, dtype=np.float32).reshape(6, 10), np.ones(10, np.float32)],
              "optimizer": [np.array(3, dtype=np.int64)]}
    saving._write_archive(path, _header(), arrays)
    data = path.read_bytes()
    bad = tmp_path / "bad.fastnn"
    outcomes = {"same": 0, "rejected": 0}
    for pos in range(len(data)):
        for flip in (0xFF, 0x01):
            corrupted = bytearray(data)
            corrupted[pos] ^= flip
            bad.write_bytes(bytes(corrupted))
            try:
                _, got = saving._read_archive(bad, saving.MODEL_FORMAT)
            except ValueError:
                outcomes["rejected"] += 1
                continue
            for group in arrays:
                assert all(np.array_equal(g, w) and g.dtype == w.dtype for g, w in zip(got[group], arrays[group]))
            outcomes["same"] += 1
    assert outcomes["rejected"] > outcomes["same"] > 0
    for cut in range(len(data)):  # and every truncation
        bad.write_bytes(data[:cut])
        with pytest.raises(ValueError):
            saving._read_archive(bad, saving.MODEL_FORMAT)


def test_model_methods_save_weights_load_weights(tmp_path, data):
    m = _digit_model(seed=4)
    m(data[0][:1])
    m.save_weights(tmp_path / "m.weights.fastnn")
    other = _digit_model(seed=5)
    other(data[0][:1])
    other.load_weights(tmp_path / "m.weights.fastnn")
    assert _same(other.get_weights(), m.get_weights())
    with zipfile.ZipFile(tmp_path / "m.weights.fastnn") as zf:
        assert json.loads(zf.read("config.json"))["format"] == saving.WEIGHTS_FORMAT


def test_training_resumes_identically_after_freezing_and_load(tmp_path, data):
    """Freeze a layer after the optimizer was built for all of them (no recompile), save,
    load: the file holds the slots of the weights that train now, and training resumes
    bitwise as without the round trip."""
    from fastnn.models import load_model
    x, y = data
    runs = []
    for round_trip in (False, True):
        m = _digit_model(seed=4)
        m.fit(x, y, epochs=1, batch_size=16, verbose=0)
        m.layers[0].trainable = False
        m.fit(x, y, epochs=2, initial_epoch=1, batch_size=16, verbose=0)
        if round_trip:
            m.save(tmp_path / "frozen.fastnn")
            m = load_model(tmp_path / "frozen.fastnn")
            assert not m.layers[0].trainable
            assert len(m.optimizer.get_state()) == 1 + 2 * 4   # 2 Adam slots x 4 weights
        m.fit(x, y, epochs=4, initial_epoch=2, batch_size=16, verbose=0)
        runs.append(m)
    assert runs[1].optimizer.iterations == runs[0].optimizer.iterations == 24
    assert _same(runs[1].get_weights(), runs[0].get_weights())
    assert _same(runs[1].optimizer.get_state(), runs[0].optimizer.get_state(runs[0].trainable_weights))


def test_optimizer_state_for_other_weights_is_skipped_with_a_warning(tmp_path, data):
    """An optimizer built while a layer was frozen, the layer unfrozen since: its state
    cannot serve the model's trainable weights. Keras skips it on load; so does fastnn,
    saying so, and the model's weights still load."""
    from fastnn.models import load_model
    x, y = data
    m = _digit_model(seed=5)
    m.build((None, 64))
    m.layers[0].trainable = False
    m.fit(x, y, epochs=1, batch_size=16, verbose=0)
    m.layers[0].trainable = True
    m.save(tmp_path / "unfrozen.fastnn")
    with pytest.warns(UserWarning, match="skipping the optimizer state: it holds 8 slot arrays.* 6 trainable"):
        m2 = load_model(tmp_path / "unfrozen.fastnn")
    assert _same(m2.get_weights(), m.get_weights())
    assert not m2.optimizer.built and m2.optimizer.iterations == 0
    m2.fit(x, y, epochs=1, batch_size=16, verbose=0)   # a fresh optimizer trains every layer
    assert not np.array_equal(m2.layers[0].kernel, m.layers[0].kernel)


# ====================================================================== load limits
def _declared_bytes(path):
    with zipfile.ZipFile(path) as zf:
        cfg = json.loads(zf.read("config.json"))
    return sum(int(np.prod(e["shape"], dtype=object)) * np.dtype(e["dtype"]).itemsize
               for group in cfg["arrays"].values() for e in group)


def test_max_bytes_is_the_arrays_total_size(tmp_path, data, monkeypatch):
    """A file whose arrays take exactly max_bytes loads; one byte less is refused, by the
    keyword or by the module setting, for load_model and load_weights."""
    m = _digit_model()
    m.fit(data[0], data[1], epochs=1, verbose=0)
    path = tmp_path / "m.fastnn"
    m.save(path)
    total = _declared_bytes(path)
    n = 64 * 25 + 25 + 25 * 15 + 15 + 15 * 10 + 10
    assert total == 3 * 4 * n + 8          # weights, Adam's m and v (float32), the int64 step
    assert _same(saving.load_model(path, max_bytes=total).get_weights(), m.get_weights())
    with pytest.raises(ValueError, match=rf"m.fastnn: its arrays take .*more than the {total - 1} bytes "
                                         r"a load may read; raise it with max_bytes"):
        saving.load_model(path, max_bytes=total - 1)
    other = _digit_model(seed=9)
    other(data[0][:1])
    saving.load_weights(other, path, max_bytes=total)
    assert _same(other.get_weights(), m.get_weights())
    monkeypatch.setattr(saving, "MAX_LOAD_BYTES", total - 1)
    with pytest.raises(ValueError, match=rf"more than the {total - 1} bytes .*MAX_LOAD_BYTES"):
        saving.load_model(path)
    with pytest.raises(ValueError, match=rf"more than the {total - 1} bytes .*MAX_LOAD_BYTES"):
        saving.load_weights(other, path)     # the file's arrays count together
    monkeypatch.setattr(saving, "MAX_LOAD_BYTES", "4 GB")
    with pytest.raises(ValueError, match=r"fastnn.saving.MAX_LOAD_BYTES must be an int >= 0 \(bytes\), got '4 GB'"):
        saving.load_model(path)


def test_compression_ratio_bound_and_how_to_lift_it(tmp_path, monkeypatch):
    """An all-zero kernel deflates ~1000:1: beyond the free allowance such a file is
    refused (a deflate bomb looks the same), trained weights are not, and a ratio of
    None reads it."""
    from fastnn import Sequential
    from fastnn.layers import Dense, Input
    monkeypatch.setattr(saving, "_RATIO_FREE_BYTES", 1 << 20)   # 1 MiB instead of 32
    zeros = Sequential([Input((600,)), Dense(600, kernel_initializer="zeros")])
    zeros.save(tmp_path / "z.fastnn")
    random = Sequential([Input((600,)), Dense(600)])
    random.save(tmp_path / "r.fastnn")
    with pytest.raises(ValueError, match=r"z.fastnn: its members inflate to 1.4 MiB \(\d+ bytes\), more than "
                                         r"100 times the file's \d+ bytes \(fastnn.saving.MAX_COMPRESSION_RATIO\)"):
        saving.load_model(tmp_path / "z.fastnn")
    assert _same(saving.load_model(tmp_path / "r.fastnn").get_weights(), random.get_weights())
    monkeypatch.setattr(saving, "MAX_COMPRESSION_RATIO", None)
    assert _same(saving.load_model(tmp_path / "z.fastnn").get_weights(), zeros.get_weights())
    monkeypatch.setattr(saving, "MAX_COMPRESSION_RATIO", "100")
    with pytest.raises(ValueError, match="MAX_COMPRESSION_RATIO must be a number > 0 or None, got '100'"):
        saving.load_model(tmp_path / "r.fastnn")


def test_load_weights_compares_shapes_before_reading_any_array(tmp_path, data, monkeypatch):
    from fastnn import Sequential
    from fastnn.layers import Dense
    m = _digit_model()
    m(data[0][:1])
    m.save_weights(tmp_path / "w.fastnn")
    small = Sequential([Dense(10)])
    small(data[0][:1])

    def no_reading(*args):
        raise AssertionError("an array was read")

    monkeypatch.setattr(saving._Archive, "_read_array", no_reading)
    with pytest.raises(ValueError, match="holds 6 weight arrays, the model has 2"):
        saving.load_weights(small, tmp_path / "w.fastnn")


def test_load_model_builds_without_random_initialisation(tmp_path, data, monkeypatch):
    """The loaded model's weights are the file's; no initializer runs (so a config's
    layers cost the calloc of their zeros, and the random stream is untouched)."""
    from fastnn import initializers
    m = _digit_model()
    m(data[0][:1])
    m.save(tmp_path / "m.fastnn")
    calls = []
    real = initializers.GlorotUniform.__call__
    monkeypatch.setattr(initializers.GlorotUniform, "__call__",
                        lambda self, *a, **k: calls.append(a) or real(self, *a, **k))
    m2 = saving.load_model(tmp_path / "m.fastnn")
    assert calls == [] and _same(m2.get_weights(), m.get_weights())
    assert all("add_weight" not in vars(layer) for layer in m2.layers)
    m2.layers[0].build((None, 64))       # the layers' own add_weight again afterwards
    assert len(calls) == 1


def test_save_model_keywords_follow_keras_saving_api(tmp_path):
    """Keras 3's saving_api.save_model: save_format is deprecated (a warning with a .keras
    or .h5 name, else ValueError), unknown keywords are a ValueError; fastnn refuses
    include_optimizer=False rather than ignore it; zipped=False writes a directory, whose
    name may not end in .keras."""
    import fastnn as keras
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.warns(UserWarning, match="save_format` argument is deprecated"):
        keras.saving.save_model(m, tmp_path / "m.keras", save_format="keras")
    assert keras.saving.load_model(tmp_path / "m.keras").get_config() == m.get_config()
    with pytest.raises(ValueError, match="save_format` argument is deprecated.*"
                                         "Received: save_format=tf"):
        m.save(tmp_path / "m", save_format="tf")
    with pytest.raises(ValueError, match=r"The following argument\(s\) are not supported: "
                                         r"\['bad'\]"):
        m.save(tmp_path / "m.keras", bad=1)
    with pytest.raises(ValueError, match="include_optimizer=False is not supported"):
        m.save(tmp_path / "m.keras", include_optimizer=False)
    with pytest.raises(ValueError, match="When using `zipped=False`, the `filepath` argument "
                                         "should not end in `.keras`"):
        m.save(tmp_path / "m_dir.keras", zipped=False)
    with pytest.raises(TypeError, match="zipped must be True, False or None, got str"):
        m.save(tmp_path / "m_dir", zipped="no")
    m.save(tmp_path / "m_dir", zipped=False)
    assert keras.saving.load_model(tmp_path / "m_dir").get_config() == m.get_config()
    m.save(tmp_path / "m2.keras", include_optimizer=True, zipped=True)
