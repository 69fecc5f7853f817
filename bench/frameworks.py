"""One runner per framework for the workloads of bench/workloads.py.

A runner builds its model in ``__init__`` (not timed), does the timed work in ``run()``
(one ``fit`` call, or one ``predict`` call for a predict workload) and reports
``test_accuracy()`` afterwards. Each is the idiomatic code of its framework:

- fastnn and Keras share one function: the same Keras code, only the imports differ.
- numpy: bench/numpy_mlp.py, the reference every ratio is taken against.
- torch: a plain torch.nn loop, torch.optim.Adam(lr=1e-3, eps=1e-7) (Keras' epsilon),
  glorot-uniform weights and zero biases (Keras' initialisation), default threads,
  running loss and accuracy per epoch (as Keras' fit with metrics=['accuracy']).
- fastnn-bf16 / torch-bf16: fastnn under the mixed_bfloat16 dtype policy, and the torch
  loop under torch.autocast("cpu", dtype=torch.bfloat16) (float32 weights both).
- sklearn: MLPClassifier(solver='adam', learning_rate_init=1e-3, epsilon=1e-7, alpha=0,
  tol=0, n_iter_no_change=max_iter) so it runs exactly ``epochs`` epochs.

Only numpy is imported at module level: peers are optional and imported by their runner.
"""
import contextlib
import importlib
import importlib.util
import time
import warnings

import numpy as np

from workloads import accuracy, loss_value
from numpy_mlp import NumpyMLP

FRAMEWORKS = ("fastnn", "fastnn-customloss", "fastnn-tape", "numpy", "torch", "keras",
              "sklearn", "fastnn-bf16", "torch-bf16")
# The frameworks compare.py runs when --frameworks is not given: the bfloat16 runs are
# asked for by name (their rows are about the 784-512-256-10 network).
DEFAULT_FRAMEWORKS = FRAMEWORKS[:7]
# The import that decides whether a framework is there (found without importing it).
_MODULES = {"fastnn": "fastnn", "fastnn-customloss": "fastnn", "fastnn-tape": "fastnn",
            "numpy": "numpy", "torch": "torch", "keras": "tensorflow", "sklearn": "sklearn",
            "fastnn-bf16": "fastnn", "torch-bf16": "torch"}


def available(framework):
    """Whether ``framework`` can run here: its module is importable (and for fastnn, the
    Keras API exists: it is being written alongside the kernels)."""
    if framework not in _MODULES:
        raise ValueError(f"framework: expected one of {FRAMEWORKS}, got {framework!r}")
    if importlib.util.find_spec(_MODULES[framework]) is None:
        return False
    if framework.startswith("fastnn"):
        try:
            keras_api("fastnn")
        except (ImportError, AttributeError):
            return False
    return True


def keras_api(package):
    """The Keras names the benchmark uses, from ``fastnn`` or ``tensorflow.keras``."""
    root = importlib.import_module(package if package == "fastnn" else "tensorflow.keras")
    layers = importlib.import_module(root.__name__ + ".layers")
    optimizers = importlib.import_module(root.__name__ + ".optimizers")
    losses = importlib.import_module(root.__name__ + ".losses")
    try:
        utils = importlib.import_module(root.__name__ + ".utils")
        set_random_seed = utils.set_random_seed
    except (ImportError, AttributeError):
        set_random_seed = np.random.seed
    return dict(Sequential=root.Sequential, Input=layers.Input, Dense=layers.Dense,
                Adam=optimizers.Adam, losses=losses, set_random_seed=set_random_seed)


class Runner:
    """Build in __init__ (untimed); run() is the timed part; then test_accuracy() and
    test_loss() on the held-out rows (None for predict workloads or without test rows).
    Subclasses give test_outputs(): the network's outputs on x_test as the workload
    defines them (sigmoid probabilities for W1, logits for W2/W3)."""

    def _has_test(self):
        return self.w.kind == "fit" and self.data.x_test is not None

    def test_accuracy(self):
        return accuracy(self.w, self.test_outputs(), self.data.y_test) if self._has_test() else None

    def test_loss(self):
        return loss_value(self.w, self.test_outputs(), self.data.y_test) if self._has_test() else None


class KerasRunner(Runner):
    """fastnn or tf.keras: the same Keras code, the imports differ."""

    package = "fastnn"

    def __init__(self, workload, data, seed=0):
        api = keras_api(self.package)
        self.w, self.data = workload, data
        api["set_random_seed"](seed)
        w = workload
        Dense, losses = api["Dense"], api["losses"]
        self.model = api["Sequential"](
            [api["Input"](shape=(w.n_features,))]
            + [Dense(units, activation=act) for units, act in w.layers])
        if w.loss == "binary_crossentropy":
            loss = losses.BinaryCrossentropy(from_logits=w.from_logits)
        else:
            loss = losses.SparseCategoricalCrossentropy(from_logits=w.from_logits)
        self.model.compile(optimizer=api["Adam"](learning_rate=1e-3), loss=loss,
                           metrics=["accuracy"])
        self.history = None
        self.outputs = None

    def run(self):
        w, d = self.w, self.data
        if w.kind == "fit":
            self.history = self.model.fit(d.x_train, d.y_train, batch_size=w.batch_size,
                                          epochs=w.epochs, verbose=0)
        else:
            self.outputs = self.model.predict(d.x_train, batch_size=w.batch_size, verbose=0)

    def final_loss(self):
        return float(self.history.history["loss"][-1]) if self.history else None

    def test_outputs(self):
        return self.model.predict(self.data.x_test, batch_size=128, verbose=0)

    def get_weights(self):
        return [np.asarray(p) for p in self.model.get_weights()]


class FastnnRunner(KerasRunner):
    package = "fastnn"


class FastnnBf16Runner(KerasRunner):
    """fastnn under the mixed_bfloat16 dtype policy (set for the whole process before
    the model is built: float32 weights, bfloat16 matrix products)."""

    package = "fastnn"

    def __init__(self, workload, data, seed=0):
        from fastnn import mixed_precision
        mixed_precision.set_global_policy("mixed_bfloat16")
        super().__init__(workload, data, seed=seed)


class TfKerasRunner(KerasRunner):
    package = "tensorflow"


def _keras_ops_loss(workload):
    """The workload's loss written as Keras code writes a custom loss: a function of
    (y_true, y_pred) on keras.ops (the same cross-entropy, computed by the ops)."""
    from fastnn import ops

    def loss(y_true, y_pred):
        if workload.loss == "binary_crossentropy":
            return ops.binary_crossentropy(y_true, y_pred, from_logits=workload.from_logits)
        return ops.sparse_categorical_crossentropy(y_true, y_pred,
                                                   from_logits=workload.from_logits)
    return loss


class FastnnCustomLossRunner(FastnnRunner):
    """fastnn with a custom loss function: the network's steps on the C engine, the loss
    function on the tape over each step's outputs (engine.custom_plan_for)."""

    def __init__(self, workload, data, seed=0):
        super().__init__(workload, data, seed)
        import fastnn
        self.model.compile(optimizer=fastnn.optimizers.Adam(learning_rate=1e-3),
                           loss=_keras_ops_loss(workload), metrics=["accuracy"])


class FastnnTapeRunner(FastnnRunner):
    """fastnn driven by a GradientTape training loop, as TensorFlow's 'training loop
    from scratch' guide writes it (a Loss object, tape.gradient, apply_gradients)."""

    def run(self):
        import fastnn as tf
        w, d = self.w, self.data
        if w.kind != "fit":
            return super().run()
        model = self.model
        optimizer = tf.keras.optimizers.Adam(learning_rate=1e-3)
        if w.loss == "binary_crossentropy":
            loss_fn = tf.keras.losses.BinaryCrossentropy(from_logits=w.from_logits)
        else:
            loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=w.from_logits)
        n = len(d.x_train)
        rng = np.random.default_rng(0)
        variables = model.trainable_weights
        loss = None
        for _ in range(w.epochs):
            order = rng.permutation(n)
            for i in range(0, n, w.batch_size):
                rows = order[i:i + w.batch_size]
                with tf.GradientTape() as tape:
                    loss = loss_fn(d.y_train[rows], model(d.x_train[rows], training=True))
                optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        self._loss = float(loss)

    def final_loss(self):
        return getattr(self, "_loss", None)


class NumpyRunner(Runner):
    def __init__(self, workload, data, seed=0):
        self.w, self.data = workload, data
        self.model = NumpyMLP(workload.n_features, workload.layers, workload.loss, seed=seed)
        self.history = None
        self.outputs = None

    def run(self):
        w, d = self.w, self.data
        if w.kind == "fit":
            self.history = self.model.fit(d.x_train, d.y_train, batch_size=w.batch_size,
                                          epochs=w.epochs)
        else:
            self.outputs = self.model.predict(d.x_train, batch_size=w.batch_size)

    def final_loss(self):
        return self.history["loss"][-1] if self.history else None

    def test_outputs(self):
        return self.model.predict(self.data.x_test, batch_size=128)

    def get_weights(self):
        return self.model.get_weights()


class TorchRunner(Runner):
    def __init__(self, workload, data, seed=0):
        import torch
        from torch import nn

        self.torch = torch
        self.w, self.data = workload, data
        torch.manual_seed(seed)
        mods, n_in = [], workload.n_features
        for i, (units, act) in enumerate(workload.layers):
            lin = nn.Linear(n_in, units)
            nn.init.xavier_uniform_(lin.weight)     # Keras' glorot_uniform, zero bias
            nn.init.zeros_(lin.bias)
            mods.append(lin)
            if i < len(workload.layers) - 1 and act == "relu":
                mods.append(nn.ReLU())
            n_in = units
        self.model = nn.Sequential(*mods)      # the output layer gives logits
        self.loss_fn = (nn.BCEWithLogitsLoss() if workload.loss == "binary_crossentropy"
                        else nn.CrossEntropyLoss())
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3, eps=1e-7)
        self.X = torch.from_numpy(data.x_train)
        self.Y = torch.from_numpy(data.y_train)
        self.losses = []
        self.outputs = None

    def autocast(self):
        """The context the forward pass (and the loss) runs in: float32 as it is."""
        return contextlib.nullcontext()

    def run(self):
        torch, w = self.torch, self.w
        if w.kind != "fit":
            self.outputs = self._predict(self.X, w.batch_size)
            return
        model, opt, loss_fn, X, Y = self.model, self.opt, self.loss_fn, self.X, self.Y
        n, bs, binary = len(X), w.batch_size, w.n_outputs == 1
        model.train()
        for _ in range(w.epochs):
            perm = torch.randperm(n)
            running, correct = 0.0, 0
            for start in range(0, n, bs):
                idx = perm[start:start + bs]
                xb, yb = X[idx], Y[idx]
                opt.zero_grad()
                with self.autocast():
                    out = model(xb)
                    loss = loss_fn(out, yb)
                loss.backward()
                opt.step()
                running += loss.item() * len(idx)
                pred = (out > 0) if binary else out.argmax(1)
                correct += (pred == (yb > 0.5) if binary else pred == yb).sum().item()
            self.losses.append(running / n)

    def _predict(self, X, batch_size):
        torch = self.torch
        self.model.eval()
        with torch.inference_mode(), self.autocast():
            out = torch.cat([self.model(xb) for xb in X.split(batch_size)])
        return out.float().numpy()

    def final_loss(self):
        return self.losses[-1] if self.losses else None

    def test_outputs(self):
        out = self._predict(self.torch.from_numpy(self.data.x_test), 128)
        if self.w.output_activation == "sigmoid":      # the loss took the logits
            out = 1.0 / (1.0 + np.exp(-out))
        return out


class TorchBf16Runner(TorchRunner):
    """The same loop under PyTorch's automatic mixed precision on the CPU:
    ``torch.autocast("cpu", dtype=torch.bfloat16)`` around the forward pass and the
    loss (float32 weights and optimizer; the linear layers run in bfloat16), as
    PyTorch's AMP recipe has it; backward outside the context."""

    def autocast(self):
        return self.torch.autocast("cpu", dtype=self.torch.bfloat16)


class SklearnRunner(Runner):
    def __init__(self, workload, data, seed=0):
        from sklearn.neural_network import MLPClassifier

        w = workload
        acts = {act for _, act in w.hidden}
        if len(acts) != 1:
            raise ValueError("sklearn: MLPClassifier needs one hidden activation")
        self.w, self.data = w, data
        self.y_train = np.asarray(data.y_train).reshape(-1).astype(np.int64)
        max_iter = max(w.epochs, 1)
        self.model = MLPClassifier(
            hidden_layer_sizes=tuple(u for u, _ in w.hidden), activation=acts.pop(),
            solver="adam", learning_rate_init=1e-3, epsilon=1e-7, alpha=0.0,
            batch_size=w.batch_size, max_iter=max_iter, tol=0.0,
            n_iter_no_change=max_iter, shuffle=True, random_state=seed)
        if w.kind == "predict":
            # sklearn cannot predict before fitting: one untimed step on one batch.
            classes = np.arange(w.n_outputs)
            self.model.partial_fit(data.x_train[:w.batch_size],
                                   self.y_train[:w.batch_size], classes=classes)
        self.outputs = None

    def run(self):
        from sklearn.exceptions import ConvergenceWarning

        d = self.data
        if self.w.kind == "fit":
            with warnings.catch_warnings():
                # max_iter reached on purpose: it is the epoch count.
                warnings.simplefilter("ignore", ConvergenceWarning)
                self.model.fit(d.x_train, self.y_train)
        else:
            # MLPClassifier has no batch size for prediction: all rows in one pass.
            self.outputs = self.model.predict_proba(d.x_train)

    def final_loss(self):
        return float(self.model.loss_) if hasattr(self.model, "loss_") else None

    def test_outputs(self):
        # Probabilities; for W2/W3 their log is a valid set of logits (same argmax and
        # the same cross-entropy), which is what the workload's outputs are.
        proba = self.model.predict_proba(self.data.x_test)
        if self.w.n_outputs == 1:
            return proba[:, 1:]
        return np.log(np.clip(proba, 1e-300, None))


RUNNERS = {"fastnn": FastnnRunner, "fastnn-customloss": FastnnCustomLossRunner,
           "fastnn-tape": FastnnTapeRunner, "numpy": NumpyRunner, "torch": TorchRunner,
           "keras": TfKerasRunner, "sklearn": SklearnRunner, "fastnn-bf16": FastnnBf16Runner,
           "torch-bf16": TorchBf16Runner}


# Pause between the untimed set-up and the timed run. Generating W3/W4's labels uses a
# NumPy matrix product, after which OpenBLAS leaves its worker threads spinning for a
# while; a framework with its own thread pool then shares the cores with them during its
# first ~0.1 s (measured: fastnn W4 0.34 s right away, 0.30 s after a pause). Every
# framework waits the same, so each starts on idle cores.
SETTLE_S = 0.5


def timed_run(framework, workload, data, seed=0, settle_s=SETTLE_S):
    """Build (untimed), let the cores settle, then time one run. Returns (runner, seconds)."""
    runner = RUNNERS[framework](workload, data, seed=seed)
    if settle_s:
        time.sleep(settle_s)
    t0 = time.perf_counter()
    runner.run()
    return runner, time.perf_counter() - t0
