"""Tolerances and shapes shared by the kernel tests (a plain module, not conftest, so
that `pytest tests bench` in one run does not pick up bench/conftest.py instead)."""
import numpy as np


def tol(dtype):
    """assert_allclose tolerances for kernel-vs-reference in `dtype` (a few ulps, with
    room for the different order of a row's sum)."""
    return dict(rtol=2e-5, atol=2e-6) if np.dtype(dtype) == np.float32 else \
        dict(rtol=1e-12, atol=1e-13)


# Shapes: batch 1, odd sizes, tall, wide.
SHAPES = [(1, 1), (1, 7), (5, 3), (67, 2), (3, 129)]


def central_diff(f, x, h=1e-6):
    """d f / d x by central differences, element by element (f: array -> float)."""
    g = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        g[idx] = (f(xp) - f(xm)) / (2 * h)
    return g


def vjp_central_diff(f, z, da, h=1e-6):
    """Central differences of sum(f(z) * da) with respect to each element of z (the
    vector-Jacobian product a backward kernel computes)."""
    g = np.empty_like(z)
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += h
        zm[idx] -= h
        g[idx] = np.sum((f(zp) - f(zm)) * da) / (2 * h)
    return g


def simplex(rng, shape):
    """Random probability rows (each last-axis slice sums to 1, entries >= 0.1 / its sum)."""
    a = rng.uniform(0.1, 1.0, shape)
    return a / a.sum(axis=-1, keepdims=True)


def away_from(a, point, gap=0.05):
    """a with the entries within gap of point moved to point +- 2 gap (kinks and
    boundaries kept out of finite differences)."""
    near = np.abs(a - point) < gap
    return np.where(near, point + 2 * gap * np.where(a >= point, 1, -1), a)


def check_step_against_central_differences(model, w0, x, y, rng, which=None, eps=1e-6,
                                           atol=1e-7):
    """After one SGD step of rate 1 on all rows from weights w0, the weights moved by
    minus the gradient: central differences of model.evaluate's loss reproduce it at 3
    random entries of each weight in `which` (indices into w0; all by default). The
    weights are w0 again afterwards."""
    grads = [a - b for a, b in zip(w0, model.get_weights())]
    for k in range(len(w0)) if which is None else which:
        for idx in [tuple(rng.integers(0, n) for n in w0[k].shape) for _ in range(3)]:
            f = []
            for sign in (1, -1):
                ws = [v.copy() for v in w0]
                ws[k][idx] += sign * eps
                model.set_weights(ws)
                f.append(model.evaluate(x, y, batch_size=len(x), verbose=0)[0])
            assert abs((f[0] - f[1]) / (2 * eps) - grads[k][idx]) < atol, (k, idx)
    model.set_weights(w0)


def engine_and_layer_path_runs(monkeypatch, build, x, y, connection=None, epochs=3,
                               batch_size=16, lowered=None):
    """The model build() makes (from its own seed) fitted on the C engine, then on the
    layer-by-layer path (engine.ENABLED off): per path (predictions before, history,
    weights, predictions after, evaluate's result). Asserts that the engine ran the
    model, that its plan has a connection of the given kind ("skip", "cat", "src";
    None: any plan), and whatever lowered(model) asserts of the engine's run; and that
    the layer path ran without a plan."""
    from fastnn import engine
    runs = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = build()
        before = m.predict(x, verbose=0)
        h = m.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0).history
        if fused:
            assert m._engine.why is None and m._engine.plan is not None, m._engine.why
            if connection is not None:
                assert any(s.get(connection) for s in m._engine.plan.specs)
            if lowered is not None:
                lowered(m)
        else:
            assert m._engine.plan is None
        runs.append((before, h, m.get_weights(), m.predict(x, verbose=0),
                     m.evaluate(x, y, verbose=0)))
    return runs


def assert_trained_alike(runs, rtol, atol_floor=0.0):
    """The two runs of engine_and_layer_path_runs: the same forward pass bit for bit
    before training; then the same losses and metrics, weights, predictions and
    evaluation within rtol (the layer path forms the loss's gradient through the tape
    and sums the metrics in another order: rounding apart), absolute errors within rtol
    times the largest magnitude of each array (at least atol_floor)."""
    (p1, h1, w1, q1, e1), (p2, h2, w2, q2, e2) = runs
    assert np.array_equal(p1, p2)
    assert set(h1) == set(h2)
    for key in h2:
        np.testing.assert_allclose(h1[key], h2[key], rtol=rtol)
    np.testing.assert_allclose(e1, e2, rtol=rtol)
    for a, b in zip(w1 + [q1], w2 + [q2]):
        np.testing.assert_allclose(a, b, rtol=rtol,
                                   atol=rtol * max(atol_floor, np.abs(b).max()))


def assert_the_same_bits_at_team_sizes(set_threads, build, x, y, epochs=2, batch_size=16):
    """The model build() makes, fitted at one thread and at two (set_threads: the
    conftest fixture): the same weights and predictions, bit for bit."""
    out = []
    for n in (1, 2):
        set_threads(n)
        m = build()
        m.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
        out.append(m.get_weights() + [m.predict(x, verbose=0)])
    assert all(np.array_equal(a, b) for a, b in zip(*out))


def assert_logits_taken_on_both_paths(monkeypatch, build, x, y, epochs=2, batch_size=16):
    """A model with a softmax output and a cross-entropy on probabilities trains on its
    logits on the engine (asserted) and the layer path alike: the same losses."""
    from fastnn import engine
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = build()
        h = m.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0).history["loss"]
        if fused:
            assert m._engine.plan is not None and m._trains_on_logits()
        out.append(h)
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12)


def net_spec(n_in, n_out, **connections):
    """A linear Dense layer's spec for fastnn._kernels.FusedNet (zero weights, no
    optimizer slots), with its connections (skip, cat, cat_first, src: csrc/train.h)."""
    return {"in": n_in, "out": n_out, "act": 0, "act_param": 0.0, "dropout": 0.0,
            "kl1": 0.0, "kl2": 0.0, "bl1": 0.0, "bl2": 0.0, "W": np.zeros((n_in, n_out)),
            "b": np.zeros(n_out), "slotsW": [None] * 3, "slotsb": [None] * 3, "frozen": False,
            **connections}


def fused_net(specs):
    """A float64 FusedNet of `specs` (net_spec) with an SGD step: what fnn_net_check says
    of them (a ValueError naming the layer and the rule when it refuses them)."""
    from fastnn import _kernels
    return _kernels.FusedNet(specs, 0, 1.0, False, specs[-1]["out"], 0,
                             {"kind": _kernels.OPT_CODES["sgd"]}, 1, np.float64)


def assert_reloads_alike(model, x, pred, tmp_path, dtypes=False):
    """model saved as a .keras file and loaded again: the same layers and configs, the same
    weights (and their dtypes, with dtypes=True), and predict's bits (pred) on x."""
    import fastnn as keras
    path = tmp_path / "m.keras"
    model.save(path)
    r = keras.models.load_model(path)
    assert [type(layer).__name__ for layer in r.layers] == \
        [type(layer).__name__ for layer in model.layers]
    for a, b in zip(r.layers, model.layers):
        assert a.get_config() == b.get_config()
    for u, v in zip(r.get_weights(), model.get_weights()):
        assert not dtypes or u.dtype == v.dtype
        np.testing.assert_array_equal(u, v)
    np.testing.assert_array_equal(r.predict(x, verbose=0), pred)
    return r


def weight_grad_by_differences(layer, x, w, v, diff=None):
    """Central differences (diff: central_diff by default) of sum(layer(x) * w) with
    respect to the layer's weight v, which is restored after each evaluation."""
    def f(value):
        keep = np.array(v)
        v.assign(value)
        out = float(np.sum(np.asarray(layer(x)) * w))
        v.assign(keep)
        return out
    return (diff or central_diff)(f, np.array(v))
