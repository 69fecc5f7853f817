"""Inference over many rows (predict and evaluate of at least two blocks of the engine's
row-parallel path) of models with residual connections, concatenations and parallel
branches: blocks of rows go through every layer on one thread, each layer's output of the
block kept where a later layer reads it. The outputs must be the layer path's bit for
bit, for any team size, including a last block of fewer rows."""
import numpy as np
import pytest

from fastnn import engine
from test_branch_engine import KINDS as BRANCH_KINDS, _branched
from test_concat_engine import KINDS as CONCAT_KINDS, _wide_and_deep
from test_residual_engine import _residual

ROWS = 1000       # five blocks of the engine's rows and a partial one


def _model(family, kind, dtype):
    # (layers wide enough for the packed GEMM, which the row-parallel path needs)
    if family == "residual":
        return _residual(kind, 0.3, dtype, width=160)
    if family == "branch":
        return _branched(kind, dtype, rate=0.25, width=160, out_act="softmax")
    rng = np.random.default_rng(5)
    return _wide_and_deep(kind, dtype, rate=0.25, width=48, out_units=3, out_act="softmax",
                          adapt_on=rng.standard_normal((64, 7)).astype(dtype) * 3 + 1)


def _data(family, dtype):
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((ROWS, 9 if family == "residual" else 7)) * 2).astype(dtype)
    return x, rng.integers(0, 3, ROWS)


CASES = [("residual", k) for k in ("one", "bn", "two", "activated")] + [("concat", k) for k in CONCAT_KINDS] \
    + [("branch", k) for k in BRANCH_KINDS]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("family,kind", CASES)
def test_many_rows_predict_as_the_layer_path(monkeypatch, set_threads, family, kind, dtype):
    x, y = _data(family, dtype)
    outs = []
    for fused, threads in ((True, 1), (True, 2), (False, 2)):
        set_threads(threads)
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _model(family, kind, dtype)
        loss = "sparse_categorical_crossentropy"
        m.compile(optimizer="adam", loss=loss)
        m.fit(x[:200], y[:200], batch_size=50, epochs=1, verbose=0)  # BN statistics moved
        if fused:
            assert m._engine.plan is not None, m._engine.why
        outs.append((m.predict(x, batch_size=64, verbose=0), m.evaluate(x, y, verbose=0)))
    (p1, e1), (p2, e2), (p3, e3) = outs
    assert np.array_equal(p1, p2) and np.array_equal(p1, p3)
    rtol = 1e-12 if dtype == "float64" else 1e-6
    np.testing.assert_allclose([e1, e2], [e3, e3], rtol=rtol)
