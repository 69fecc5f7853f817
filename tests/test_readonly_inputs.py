"""fit, evaluate and predict take read-only arrays and memory maps (what joblib hands its
workers for arrays over 1 MB) as they are: no error, and no copy of the data."""
import tracemalloc

import numpy as np
import pytest

import fastnn as keras
from fastnn import engine, layers

N, D = 16_000, 64


@pytest.fixture(scope="module")
def mapped(tmp_path_factory):
    d = tmp_path_factory.mktemp("mm")
    rng = np.random.default_rng(0)
    np.save(d / "x.npy", rng.random((N, D), dtype=np.float32))
    np.save(d / "y.npy", (np.arange(N) % 10).astype(np.int64))
    x, y = np.load(d / "x.npy", mmap_mode="r"), np.load(d / "y.npy", mmap_mode="r")
    assert isinstance(x, np.memmap) and not x.flags.writeable and not y.flags.writeable
    return x, y


def _model(engine_path):
    keras.utils.set_random_seed(0)
    mid = [] if engine_path else [layers.UnitNormalization()]    # a layer-path model
    m = keras.Sequential([keras.Input((D,)), layers.Dense(25, activation="relu"), *mid,
                          layers.Dense(10)])
    m.compile(optimizer="adam", metrics=["accuracy"],
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return m


def _peak(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("engine_path", [True, False], ids=["engine", "layer-path"])
def test_memory_maps_train_without_a_copy(mapped, engine_path):
    x, y = mapped
    m = _model(engine_path)
    m.fit(x[:256], y[:256], epochs=1, verbose=0)       # plans and workspaces made here
    assert (m._engine.plan is not None) == engine_path       # the path the test means
    calls = {"fit": lambda: m.fit(x, y, epochs=1, batch_size=256, verbose=0),
             "fit with validation_split": lambda: m.fit(x, y, epochs=1, batch_size=256,
                                                        validation_split=0.2, verbose=0),
             "evaluate": lambda: m.evaluate(x, y, batch_size=256, verbose=0),
             "predict": lambda: m.predict(x, batch_size=256, verbose=0)}
    out_bytes = N * 10 * 4                    # predict's result
    for what, fn in calls.items():
        peak = _peak(fn)
        assert peak < out_bytes + x.nbytes // 4, (what, peak, x.nbytes)


def test_read_only_arrays_give_what_writable_ones_give(mapped):
    x, y = np.array(mapped[0][:2000]), np.array(mapped[1][:2000])
    xr, yr = x.copy(), y.copy()
    xr.flags.writeable = yr.flags.writeable = False
    runs = []
    for a, b in ((x, y), (xr, yr)):
        m = _model(True)
        keras.utils.set_random_seed(3)
        h = m.fit(a, b, epochs=2, batch_size=64, verbose=0)
        runs.append((h.history, m.evaluate(a, b, verbose=0), m.predict(a, verbose=0)))
    assert runs[0][0] == runs[1][0] and runs[0][1] == runs[1][1]
    np.testing.assert_array_equal(runs[0][2], runs[1][2])
