"""Nothing done to a model from Python makes the C engine read or write outside its
arrays: weights replaced, reshaped or resized, attributes changed after building, the
engine's own bindings called with wrong arrays. Each case ends in a clear error (or the
assignment is taken in place), never in a crash; the probes that used to overflow the
heap run in a subprocess so that a regression cannot take the test run down.

Also: read-only and memory-mapped data is taken as it is, everywhere.
"""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fastnn
from fastnn import Sequential, engine, _kernels, losses
from fastnn.layers import BatchNormalization, Dense, Input

RNG = np.random.default_rng(0)


def make(dtype="float32", bn=False):
    fastnn.utils.set_random_seed(0)
    layers = [Input((20,), dtype=dtype), Dense(16, activation="relu")]
    if bn:
        layers.append(BatchNormalization())
    layers.append(Dense(3))
    m = Sequential(layers)
    m.compile("adam", losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return m


X = RNG.normal(size=(64, 20)).astype(np.float32)
Y = RNG.integers(0, 3, 64)


# ------------------------------------------------------------------ weights
@pytest.mark.parametrize("attr,value", [("kernel", np.zeros((2, 2), np.float32)),
                                        ("bias", np.zeros(5, np.float32)),
                                        ("kernel", None), ("kernel", "abc")])
def test_replacing_a_weight_with_another_shape_is_refused_and_changes_nothing(attr, value):
    m = make()
    m.fit(X, Y, epochs=1, verbose=0)
    before = m.get_weights()
    layer = m.layers[0]
    with pytest.raises((ValueError, TypeError), match=f"{layer.name}.{attr}"):
        setattr(layer, attr, value)
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)
    m.fit(X, Y, epochs=1, verbose=0)          # the engine still runs, on the same arrays
    assert m.predict(X, verbose=0).shape == (64, 3)


def test_assigning_a_weight_of_the_same_shape_sets_it_in_place_and_the_engine_sees_it():
    m = make()
    m.predict(X, verbose=0)                   # an engine plan exists
    kernel = m.layers[1].kernel
    m.layers[1].kernel = np.zeros((16, 3))    # float64 values into the float32 weight
    assert m.layers[1].kernel is kernel and kernel.dtype == np.float32
    out = m.predict(X, verbose=0)
    np.testing.assert_array_equal(out, np.broadcast_to(m.layers[1].bias, out.shape))


def test_batch_normalization_vectors_keep_their_shape():
    m = make(bn=True)
    m.fit(X, Y, epochs=1, verbose=0)
    bn = m.layers[1]
    for name in ("gamma", "beta", "moving_mean", "moving_variance"):
        with pytest.raises(ValueError, match=name):
            setattr(bn, name, np.ones(3, np.float32))
    m.fit(X, Y, epochs=1, verbose=0)


def test_a_weights_shape_cannot_be_changed_in_place():
    m = make()
    kernel = m.layers[0].kernel
    with pytest.raises(AttributeError, match="fixed"):
        kernel.shape = (16, 20)
    with pytest.raises(AttributeError, match="fixed"):
        kernel.resize((300, 64), refcheck=False)
    assert kernel.shape == (20, 16)
    assert kernel.reshape(-1).shape == (320,)     # views are still fine


@pytest.mark.parametrize("path", ["engine", "layers"])
def test_reshaped_behind_the_layers_back_the_engine_refuses_instead_of_misreading(path, monkeypatch):
    if path == "layers":
        monkeypatch.setattr(engine, "ENABLED", False)
    m = make()
    m.fit(X, Y, epochs=1, verbose=0)
    np.ndarray.shape.__set__(m.layers[0].kernel, (16, 20))   # bypassing the guard
    for call in (lambda: m.predict(X, verbose=0), lambda: m.fit(X, Y, verbose=0),
                 lambda: m.evaluate(X, Y, verbose=0), lambda: m(X)):
        with pytest.raises(ValueError, match="shape"):
            call()


def test_units_changed_after_building_is_refused():
    m = make()
    m.predict(X, verbose=0)
    m.layers[0].units = 5
    with pytest.raises(ValueError, match=r"kernel must have shape \(20, 5\)"):
        m.predict(X, verbose=0)


# ------------------------------------------------------------------ the bindings
def _spec(n_in, n_out, W=None, b=None):
    return {"in": n_in, "out": n_out, "act": 0, "act_param": 0.0, "dropout": 0.0,
            "kl1": 0.0, "kl2": 0.0, "bl1": 0.0, "bl2": 0.0,
            "W": np.zeros((n_in, n_out), np.float32) if W is None else W,
            "b": np.zeros(n_out, np.float32) if b is None else b,
            "slotsW": [None] * 3, "slotsb": [None] * 3}


def _net(specs, **kw):
    return _kernels.FusedNet(specs, 6, 1.0, False, specs[-1]["out"], 0, {"kind": 0}, 0,
                             np.float32, **kw)


@pytest.mark.parametrize("specs,match", [
    ([_spec(4, 3), _spec(5, 2)], "input width"),                 # chain broken
    ([_spec(0, 3)], "sizes > 0"),
    ([_spec(4, 3, W=np.zeros((2, 2), np.float32))], "W must be"),
    ([_spec(4, 3, b=np.zeros(4, np.float32))], "b must be"),
    ([_spec(4, 3, W=np.zeros((4, 3), np.float64))], "float32"),
    ([_spec(4, 3, W=np.zeros((3, 4), np.float32).T)], "C-contiguous"),
    ([_spec(2 ** 62, 2 ** 62, W=np.zeros(1, np.float32), b=np.zeros(1, np.float32))],
     "fit in memory"),
])
def test_the_engine_validates_its_description_once(specs, match):
    with pytest.raises(ValueError, match=match):
        _net(specs)


def test_the_engine_refuses_bad_calls():
    net = _net([_spec(4, 3)])
    x, y = np.zeros((5, 4), np.float32), np.zeros((5, 3), np.float32)
    ws = np.zeros(net.workspace_size(5), np.float32)
    stats = np.zeros((2, _kernels.STATS_WIDTH))
    lr = np.full(2, 0.1)
    with pytest.raises(ValueError, match="workspace"):
        net.train_steps(ws[:10], 5, x, y, None, np.arange(5), 0, 1, 0, lr, stats)
    with pytest.raises(ValueError, match="row indices"):
        net.train_steps(ws, 5, x, y, None, np.array([0, 1, 2, 3, 99]), 0, 1, 0, lr, stats)
    with pytest.raises(ValueError, match="fit in memory"):
        net.workspace_size(2 ** 62)
    with pytest.raises(ValueError, match="shapes"):
        net.forward(ws, 5, np.zeros((5, 7), np.float32), np.zeros((5, 3), np.float32))


def test_memory_probes_that_used_to_overflow_run_cleanly_in_a_subprocess():
    """The probes that, before these checks, wrote past the heap (AddressSanitizer) or
    segfaulted: each must end in its own clean error, and the process must live."""
    code = textwrap.dedent("""
        import json, numpy as np, fastnn
        from fastnn import Sequential, losses
        from fastnn.layers import Dense, Input, BatchNormalization
        x = np.random.default_rng(0).normal(size=(256, 300)).astype(np.float32)
        y = np.zeros(256, np.int64)
        def model():
            m = Sequential([Input((300,)), Dense(64, activation="relu"), BatchNormalization(), Dense(10)])
            m.compile("adam", losses.SparseCategoricalCrossentropy(from_logits=True))
            m.fit(x, y, verbose=0)
            return m
        probes = {
            "kernel replaced": lambda m: setattr(m.layers[0], "kernel", np.zeros((2, 2), np.float32)),
            "bias replaced": lambda m: setattr(m.layers[2], "bias", np.zeros(3, np.float32)),
            "gamma replaced": lambda m: setattr(m.layers[1], "gamma", np.zeros(1, np.float32)),
            "kernel reshaped": lambda m: np.ndarray.shape.__set__(m.layers[0].kernel, (64, 300)),
            "units changed": lambda m: setattr(m.layers[0], "units", 640),
        }
        out = {}
        for name, probe in probes.items():
            m = model()
            errors = []
            for step in (lambda: probe(m), lambda: m.predict(x, verbose=0),
                         lambda: m.fit(x, y, verbose=0), lambda: m.evaluate(x, y, verbose=0)):
                try:
                    step()
                except (ValueError, TypeError, AttributeError) as e:
                    errors.append(type(e).__name__)
            out[name] = errors
        print(json.dumps(out))
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    result = json.loads(r.stdout.strip().splitlines()[-1])
    for name, errors in result.items():
        assert errors, f"{name}: nothing was refused"


# ------------------------------------------------------------------ read-only data
def _read_only(a):
    a = np.array(a)
    a.setflags(write=False)
    return a


@pytest.fixture(params=["engine", "layers"])
def path(request, monkeypatch):
    if request.param == "layers":
        monkeypatch.setattr(engine, "ENABLED", False)
    return request.param


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_read_only_inputs_work_everywhere_with_the_same_results(dtype, path):
    x, y = X.astype(dtype), Y
    sw = RNG.uniform(0.5, 1.5, len(y))
    ro = [_read_only(a) for a in (x, y, sw)]

    def run(x, y, sw):
        m = make(dtype)
        h = m.fit(x, y, sample_weight=sw, validation_data=(x, y, sw), epochs=2, verbose=0)
        out = [m.predict(x, verbose=0), np.asarray(m(x)), m.predict_on_batch(x),
               m.evaluate(x, y, sample_weight=sw, verbose=0),
               m.train_on_batch(x, y, sample_weight=sw), m.test_on_batch(x, y, sample_weight=sw)]
        return h.history, out, m.get_weights()

    h1, out1, w1 = run(x, y, sw)
    h2, out2, w2 = run(*ro)
    assert h1 == h2
    for a, b in zip(out1 + w1, out2 + w2):
        np.testing.assert_array_equal(a, b)


def test_memory_mapped_data_trains_and_predicts(tmp_path):
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "y.npy", Y)
    xm = np.load(tmp_path / "x.npy", mmap_mode="r")
    ym = np.load(tmp_path / "y.npy", mmap_mode="r")
    a = make()
    a.fit(xm, ym, epochs=2, verbose=0)
    b = make()
    b.fit(X, Y, epochs=2, verbose=0)
    np.testing.assert_array_equal(a.predict(xm, verbose=0), b.predict(X, verbose=0))
    xb = np.frombuffer(X.tobytes(), np.float32).reshape(X.shape)
    np.testing.assert_array_equal(a.predict(xb, verbose=0), a.predict(X, verbose=0))


def test_read_only_data_of_the_right_dtype_is_not_copied():
    m = make()
    ro = _read_only(X)
    assert np.shares_memory(m._convert_x(ro, "predict"), ro)


# ------------------------------------------------------------------ shapes from arguments
@pytest.mark.parametrize("make_it,error", [
    (lambda: Input(shape=(float("inf"),)), TypeError),
    (lambda: Input((3,), batch_size=float("inf")), TypeError),
    (lambda: Input(batch_shape=""), TypeError),
    (lambda: Input(batch_shape=()), ValueError),
    (lambda: Input((3.5,)), TypeError),
    (lambda: Input((-1,)), ValueError),          # a size of 0 is taken, as in Keras
    (lambda: Dense(10 ** 400), ValueError),
])
def test_shape_arguments_are_refused_by_name(make_it, error):
    with pytest.raises(error, match="shape|batch_size|units"):
        make_it()


def test_flatten_sizes_do_not_wrap_around():
    """2**32 * 2**32 wrapped to 0 in int64 and built a (0, 2) kernel."""
    from fastnn.layers import Flatten
    assert Flatten().compute_output_shape((None, 2 ** 32, 2 ** 32)) == (None, 2 ** 64)
    with pytest.raises(ValueError, match=r"shape\[0\] must be an int in .* got 18446744073709551616"):
        Sequential([Input((2 ** 32, 2 ** 32)), Flatten(), Dense(2)])
