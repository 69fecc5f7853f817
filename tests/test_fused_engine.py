"""The fused C training engine against a NumPy oracle of the same training steps."""
import numpy as np
import pytest

from fastnn import _kernels
from fastnn._codes import ACTIVATIONS, LOSSES

OPT_SGD, OPT_ADAM = 0, 1
METRIC_SPARSE_ACC = 1


def _act(name, z):
    if name == "relu":
        return np.maximum(z, 0)
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    return z


def _act_grad(name, z, a, da):
    if name == "relu":
        return da * (z > 0)
    if name == "tanh":
        return da * (1 - a * a)
    if name == "sigmoid":
        return da * a * (1 - a)
    return da


def oracle_steps(Ws, bs, acts, X, y, perm, batch, n_steps, lr, opt, loss):
    """Plain float64 NumPy training loop: Keras' formulas, fused logits loss heads."""
    Ws = [w.astype(np.float64).copy() for w in Ws]
    bs = [b.astype(np.float64).copy() for b in bs]
    m = [np.zeros_like(p) for p in Ws + bs]
    v = [np.zeros_like(p) for p in Ws + bs]
    losses = []
    for s in range(n_steps):
        idx = perm[s * batch:(s + 1) * batch]
        xb = X[idx].astype(np.float64)
        yb = y[idx]
        As, Zs = [xb], []
        for W, b, a in zip(Ws, bs, acts):
            z = As[-1] @ W + b
            Zs.append(z)
            As.append(_act(a, z) if a is not acts[-1] or loss == "mse" else z)
        out = As[-1]
        n = len(idx)
        if loss == "scce":
            zmax = out.max(1, keepdims=True)
            lse = np.log(np.exp(out - zmax).sum(1, keepdims=True)) + zmax
            lab = yb[:, 0].astype(int)
            losses.append(float((lse[:, 0] - out[np.arange(n), lab]).sum()))
            p = np.exp(out - lse)
            p[np.arange(n), lab] -= 1
            dz = p / n
        else:
            d = out - yb
            losses.append(float((d * d).mean(1).sum()))
            dz = _act_grad(acts[-1], Zs[-1], out, 2 * d / d.shape[1] / n)
        grads_W, grads_b = [None] * len(Ws), [None] * len(Ws)
        for l in range(len(Ws) - 1, -1, -1):
            grads_W[l] = As[l].T @ dz
            grads_b[l] = dz.sum(0)
            if l > 0:
                da = dz @ Ws[l].T
                dz = _act_grad(acts[l - 1], Zs[l - 1], As[l], da)
        t = s + 1
        for i, (p, g) in enumerate(zip(Ws + bs, grads_W + grads_b)):
            if opt == "sgd":
                p -= lr * g
            else:
                alpha = lr * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
                m[i] += (g - m[i]) * (1 - 0.9)
                v[i] += (g * g - v[i]) * (1 - 0.999)
                p -= alpha * m[i] / (np.sqrt(v[i]) + 1e-7)
    return Ws, bs, losses


def make_net(Ws, bs, acts, loss, opt, dtype):
    specs = []
    slots = []
    for W, b, a in zip(Ws, bs, acts):
        sW = [np.zeros_like(W), np.zeros_like(W), None] if opt == "adam" else [None] * 3
        sb = [np.zeros_like(b), np.zeros_like(b), None] if opt == "adam" else [None] * 3
        slots.append((sW, sb))
        specs.append(dict(**{"in": W.shape[0]}, out=W.shape[1], act=ACTIVATIONS[a][0],
                          act_param=0.0, dropout=0.0, kl1=0.0, kl2=0.0, bl1=0.0, bl2=0.0,
                          W=W, b=b, slotsW=sW, slotsb=sb))
    if loss == "scce":
        code, on_logits, ycols = LOSSES["sparse_categorical_crossentropy_logits"], True, 1
    else:
        code, on_logits, ycols = LOSSES["mean_squared_error"], False, Ws[-1].shape[1]
    o = {"kind": OPT_SGD if opt == "sgd" else OPT_ADAM}
    return _kernels.FusedNet(specs, code, 1.0, on_logits, ycols,
                             METRIC_SPARSE_ACC if loss == "scce" else 0, o, 1234, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("opt", ["sgd", "adam"])
@pytest.mark.parametrize("loss,acts", [("scce", ["relu", "tanh", "softmax"]),
                                       ("mse", ["sigmoid", "relu"])])
def test_train_steps_match_numpy_oracle(dtype, opt, loss, acts):
    rng = np.random.default_rng(0)
    sizes = [7] + [9, 5, 4][:len(acts)]
    Ws = [rng.normal(0, 0.5, (a, b)).astype(dtype) for a, b in zip(sizes, sizes[1:])]
    bs = [rng.normal(0, 0.1, b).astype(dtype) for b in sizes[1:]]
    N, batch, n_steps = 23, 5, 5        # last batch is short (23 = 4*5 + 3)
    X = rng.normal(size=(N, sizes[0])).astype(dtype)
    if loss == "scce":
        y = rng.integers(0, sizes[-1], (N, 1)).astype(dtype)
    else:
        y = rng.normal(size=(N, sizes[-1])).astype(dtype)
    perm = rng.permutation(N).astype(np.int64)
    lr = 0.05
    ref_W, ref_b, ref_losses = oracle_steps(Ws, bs, acts, X, y, perm, batch, n_steps, lr,
                                            opt, loss)
    net = make_net(Ws, bs, acts, loss, opt, dtype)
    ws = np.zeros(net.workspace_size(batch), dtype)
    stats = np.zeros((n_steps, _kernels.STATS_WIDTH))
    rc, done = net.train_steps(ws, batch, X, y, None, perm, 0, n_steps, 0,
                               np.full(n_steps, lr), stats)
    assert (rc, done) == (0, n_steps)
    tol = 2e-4 if dtype == np.float32 else 1e-10
    for got, want in zip(Ws + bs, ref_W + ref_b):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    np.testing.assert_allclose(stats[:, 0], ref_losses, rtol=tol)
    assert list(stats[:, 1]) == [5, 5, 5, 5, 3]
