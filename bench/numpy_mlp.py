"""The NumPy reference training loop: the baseline every benchmark ratio is taken against.

It is meant to be a *fair* NumPy program, the one a careful NumPy user would write:
- vectorised per batch (``X @ W``, broadcasting; no per-sample Python loops),
- float32 end to end (Python scalars are weak under NEP 50, so nothing upcasts),
- the same math as Keras and fastnn: glorot-uniform kernels, zero biases, the fused
  logits losses (sigmoid + BCE via softplus, softmax + CE via log-sum-exp), batch-mean
  reduction, Keras' Adam (eps 1e-7, alpha_t = lr*sqrt(1-b2^t)/(1-b1^t), eps added to the
  uncorrected sqrt(v)), a fresh permutation per epoch, running loss and accuracy per epoch
  as ``fit(..., metrics=['accuracy'])`` keeps them,
- preallocated: every parameter, gradient and Adam moment lives in one flat buffer (so the
  update is a handful of whole-buffer in-place operations per step), the per-batch
  activations and gradients in buffers allocated once per fit, batches gathered into them
  with ``np.take(..., out=)`` from the permutation (never a copy of the whole data set).
"""
import numpy as np

_HIDDEN_ACTIVATIONS = ("relu", "sigmoid", "tanh", "linear")
_LOSSES = ("binary_crossentropy", "sparse_categorical_crossentropy", "mse")


class NumpyMLP:
    """A stack of dense layers trained with Adam on a fused loss.

    Parameters
    ----------
    n_in : int
        Input features.
    layers : sequence of (units, activation)
        Hidden activations: relu, sigmoid, tanh, linear. The output activation is linear
        (logits), sigmoid (with binary_crossentropy) or softmax (with sparse CE); the loss
        always takes the output layer's logits, as Keras' fused path does.
    loss : "binary_crossentropy" | "sparse_categorical_crossentropy" | "mse"
    """

    def __init__(self, n_in, layers, loss, learning_rate=1e-3, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, seed=0, dtype=np.float32):
        if loss not in _LOSSES:
            raise ValueError(f"loss: expected one of {_LOSSES}, got {loss!r}")
        layers = [(int(u), a) for u, a in layers]
        for units, act in layers[:-1]:
            if act not in _HIDDEN_ACTIVATIONS:
                raise ValueError(f"layers: hidden activation must be one of "
                                 f"{_HIDDEN_ACTIVATIONS}, got {act!r}")
        self.dtype = np.dtype(dtype)
        self.loss = loss
        self.layers = layers
        self.output_activation = layers[-1][1]
        self.lr, self.beta_1, self.beta_2, self.epsilon = learning_rate, beta_1, beta_2, epsilon
        self.iterations = 0

        sizes = [int(n_in)] + [u for u, _ in layers]
        shapes = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            shapes += [(fan_in, fan_out), (fan_out,)]
        total = sum(int(np.prod(s)) for s in shapes)
        # One flat buffer each for the parameters, their gradients and Adam's moments;
        # the per-layer arrays are views into them.
        self.theta = np.zeros(total, self.dtype)
        self.grad = np.zeros(total, self.dtype)
        self._m = np.zeros(total, self.dtype)
        self._v = np.zeros(total, self.dtype)
        self._tmp = np.empty(total, self.dtype)
        self.params, self.grads = [], []
        offset = 0
        for shape in shapes:
            n = int(np.prod(shape))
            self.params.append(self.theta[offset:offset + n].reshape(shape))
            self.grads.append(self.grad[offset:offset + n].reshape(shape))
            offset += n
        rng = np.random.default_rng(seed)
        for W in self.params[0::2]:
            limit = np.sqrt(6.0 / (W.shape[0] + W.shape[1]))      # glorot uniform
            W[...] = rng.uniform(-limit, limit, W.shape)
        self._rng = np.random.default_rng(seed + 1)
        self._ws_batch = 0

    # -- workspace ------------------------------------------------------------------
    def _workspace(self, batch):
        """Per-batch buffers for ``batch`` rows; smaller batches use leading-row views."""
        if batch <= self._ws_batch:
            return
        dt = self.dtype
        units = [u for u, _ in self.layers]
        self._xb = np.empty((batch, self.params[0].shape[0]), dt)
        self._acts = [np.empty((batch, u), dt) for u in units]   # outputs (last: logits)
        self._deltas = [np.empty((batch, u), dt) for u in units]  # dLoss/dZ per layer
        self._masks = [np.empty((batch, u), bool) for u in units[:-1]]
        self._tmps = [np.empty((batch, u), dt) for u in units[:-1]]   # sigmoid/tanh f'
        k = units[-1]
        self._col = np.empty((batch, 1), dt)
        self._col2 = np.empty((batch, 1), dt)
        self._out2 = np.empty((batch, k), dt)
        self._ws_batch = batch

    # -- forward ---------------------------------------------------------------------
    def _forward(self, x, m):
        """Hidden activations and output logits for the first ``m`` rows of ``x``."""
        a = x
        n_layers = len(self.layers)
        for i in range(n_layers):
            W, b = self.params[2 * i], self.params[2 * i + 1]
            z = self._acts[i][:m]
            np.matmul(a, W, out=z)
            z += b
            if i < n_layers - 1:
                act = self.layers[i][1]
                if act == "relu":
                    np.maximum(z, 0, out=z)
                elif act == "sigmoid":
                    _sigmoid(z, z)
                elif act == "tanh":
                    np.tanh(z, out=z)
            a = z
        return a

    # -- loss head: value, correct count, and dLoss/dlogits into delta --------------
    def _loss_head(self, z, y, delta, m):
        inv_m = 1.0 / m
        if self.loss == "sparse_categorical_crossentropy":
            mx = self._col[:m]
            s = self._col2[:m]
            np.max(z, axis=1, keepdims=True, out=mx)
            np.subtract(z, mx, out=delta)                       # shifted logits
            rows = np.arange(m)
            picked = delta[rows, y]                             # z_y - max
            correct = int(np.count_nonzero(picked == 0.0))      # argmax == label
            np.exp(delta, out=delta)
            np.sum(delta, axis=1, keepdims=True, out=s)
            loss = float(np.log(s).sum() - picked.sum()) * inv_m
            delta /= s                                          # softmax
            delta[rows, y] -= 1.0
            delta *= inv_m
        elif self.loss == "binary_crossentropy":
            # loss = max(z,0) - z*y + log1p(exp(-|z|)); grad = sigmoid(z) - y
            e = self._col[:m]
            np.abs(z, out=e)
            np.negative(e, out=e)
            np.exp(e, out=e)                                    # exp(-|z|) in (0, 1]
            t = self._col2[:m]
            np.maximum(z, 0, out=t)
            loss_sum = float(t.sum() - np.dot(z[:, 0], y[:, 0]) + np.log1p(e).sum())
            correct = int(np.count_nonzero((z > 0) == (y > 0.5)))
            _sigmoid(z, delta)
            delta -= y
            delta *= inv_m
            loss = loss_sum * inv_m
        else:                                                   # mse, linear output
            np.subtract(z, y, out=delta)
            loss = float(np.vdot(delta, delta)) * inv_m / delta.shape[1]
            delta *= 2.0 * inv_m / delta.shape[1]
            correct = 0
        return loss, correct

    # -- one training step on the first m rows of the gathered batch ----------------
    def _train_step(self, x, y, m):
        loss, correct = self._loss_and_grad(x, y, m)
        self._adam()
        return loss, correct

    def _loss_and_grad(self, x, y, m):
        """Batch-mean loss and correct count; the gradients land in self.grad."""
        n_layers = len(self.layers)
        logits = self._forward(x, m)
        delta = self._deltas[-1][:m]
        loss, correct = self._loss_head(logits, y, delta, m)
        for i in range(n_layers - 1, -1, -1):
            a_prev = x if i == 0 else self._acts[i - 1][:m]
            np.matmul(a_prev.T, delta, out=self.grads[2 * i])
            np.sum(delta, axis=0, out=self.grads[2 * i + 1])
            if i == 0:
                break
            prev = self._deltas[i - 1][:m]
            np.matmul(delta, self.params[2 * i].T, out=prev)
            act = self.layers[i - 1][1]
            if act == "relu":
                mask = self._masks[i - 1][:m]
                np.greater(a_prev, 0, out=mask)
                np.multiply(prev, mask, out=prev)
            elif act == "sigmoid":                            # a(1-a)
                t = self._tmps[i - 1][:m]
                np.subtract(1.0, a_prev, out=t)
                t *= a_prev
                prev *= t
            elif act == "tanh":                               # 1 - a^2
                t = self._tmps[i - 1][:m]
                np.multiply(a_prev, a_prev, out=t)
                np.subtract(1.0, t, out=t)
                prev *= t
            delta = prev
        return loss, correct

    def _adam(self):
        """Keras Adam on the flat buffers, in place."""
        self.iterations += 1
        t = self.iterations
        b1, b2 = self.beta_1, self.beta_2
        alpha = self.lr * np.sqrt(1.0 - b2 ** t) / (1.0 - b1 ** t)
        g, m, v, tmp = self.grad, self._m, self._v, self._tmp
        np.subtract(g, m, out=tmp)          # m += (g - m)(1 - b1)
        tmp *= 1.0 - b1
        m += tmp
        np.multiply(g, g, out=tmp)          # v += (g^2 - v)(1 - b2)
        tmp -= v
        tmp *= 1.0 - b2
        v += tmp
        np.sqrt(v, out=tmp)                 # theta -= alpha m / (sqrt(v) + eps)
        tmp += self.epsilon
        np.divide(m, tmp, out=tmp)
        tmp *= alpha
        self.theta -= tmp

    # -- public API ----------------------------------------------------------------
    def fit(self, x, y, batch_size=32, epochs=1, shuffle=True):
        """Train; returns a dict of per-epoch mean loss (and accuracy for classifiers)."""
        x = np.ascontiguousarray(x, dtype=self.dtype)
        if self.loss == "sparse_categorical_crossentropy":
            y = np.ascontiguousarray(y, dtype=np.intp).reshape(-1)
            yb = np.empty(batch_size, np.intp)
        else:
            y = np.ascontiguousarray(y, dtype=self.dtype).reshape(len(x), -1)
            yb = np.empty((batch_size, y.shape[1]), self.dtype)
        n = len(x)
        self._workspace(batch_size)
        xb = self._xb
        history = {"loss": [], "accuracy": []}
        for _ in range(epochs):
            order = self._rng.permutation(n) if shuffle else np.arange(n)
            loss_sum, correct = 0.0, 0
            for start in range(0, n, batch_size):
                idx = order[start:start + batch_size]
                m = len(idx)
                np.take(x, idx, axis=0, out=xb[:m])
                np.take(y, idx, axis=0, out=yb[:m])
                loss, c = self._train_step(xb[:m], yb[:m], m)
                loss_sum += loss * m
                correct += c
            history["loss"].append(loss_sum / n)
            history["accuracy"].append(correct / n)
        return history

    def predict(self, x, batch_size=128):
        """Network outputs (the output activation applied: probabilities for sigmoid and
        softmax, logits for a linear output), batch by batch."""
        x = np.ascontiguousarray(x, dtype=self.dtype)
        n = len(x)
        out = np.empty((n, self.layers[-1][0]), self.dtype)
        self._workspace(min(batch_size, max(n, 1)))
        for start in range(0, n, batch_size):
            xb = x[start:start + batch_size]      # contiguous row block: no copy needed
            z = self._forward(xb, len(xb))
            o = out[start:start + len(xb)]
            if self.output_activation == "sigmoid":
                _sigmoid(z, o)
            elif self.output_activation == "softmax":
                np.subtract(z, z.max(axis=1, keepdims=True), out=o)
                np.exp(o, out=o)
                o /= o.sum(axis=1, keepdims=True)
            else:
                o[...] = z
        return out

    def get_weights(self):
        """Copies of the parameters in Keras' layout: [W1 (in, out), b1, W2, b2, ...]."""
        return [p.copy() for p in self.params]

    def set_weights(self, weights):
        if len(weights) != len(self.params):
            raise ValueError(f"weights: expected {len(self.params)} arrays, "
                             f"got {len(weights)}")
        for p, w in zip(self.params, weights):
            w = np.asarray(w)
            if w.shape != p.shape:
                raise ValueError(f"weights: expected shape {p.shape}, got {w.shape}")
            p[...] = w


def _sigmoid(z, out):
    """Overflow-free logistic: exp only of -|z|. ``out`` may be ``z``."""
    negative = z < 0                      # before ``out`` (maybe z itself) is written
    e = np.exp(-np.abs(z))
    np.divide(1.0, 1.0 + e, out=out)
    np.multiply(out, e, out=out, where=negative)
    return out
