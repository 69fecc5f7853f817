#!/usr/bin/env python
"""One network written as each kind of Keras model: does it lower onto the C engine,
and what do an epoch and a predict over its rows cost next to the Sequential's?

    python bench/model_kinds.py [--rows 8192] [--batch 128] [--runs 5]
                                [--widths 784,512,256,10] [--profile 12] [--threads N]

The kinds, all the same Dense layers (glorot weights from one seed, Adam 1e-3, sparse
cross-entropy from logits, metrics=['accuracy']):

- ``sequential``: ``keras.Sequential([Input, Dense, Dense, Dense])``
- ``functional``: ``Input`` → Dense → Dense → Dense, ``keras.Model(inputs, outputs)``
- ``subclassed``: a ``keras.Model`` subclass whose ``call`` chains its three Dense layers
- ``custom_layer``: a Sequential holding one custom ``Layer`` whose ``call`` chains
  three Dense layers it owns (the engine expands it into those layers)
- ``residual``: a functional model with a skip connection (``Add``) around one more
  Dense layer of the last hidden width; it is compared with ``sequential_extra``, a
  Sequential of the same layers without the skip
- ``residual_block``: the same with the residual block's activation after the sum
  (a linear Dense layer, ``Add``, then ``Activation("relu")``), also compared with
  ``sequential_extra``
- ``wide_and_deep``: a functional model whose output layer takes the model's input
  joined to the last hidden layer's output (``Concatenate``), compared with the
  ``sequential`` (its output layer takes the input's width more: at 784-512-256-10 about
  1% more multiply-adds)
- ``branched``: a functional model whose last hidden layer is the sum of two parallel
  Dense layers (the engine runs one branch after the other), also compared with
  ``sequential_extra``
- ``two_inputs``: a functional model with two inputs, the first and second half of each
  row's features, each into a relu Dense layer of the first hidden width, summed (the
  same multiply-adds as the ``sequential``'s first layer): the engine takes the two
  inputs side by side
- ``normalized_inputs``: a functional model with four inputs, a quarter of each row's
  features each, every one through a ``Normalization`` (mean and variance given), then
  a ``Concatenate`` of them all and the ``sequential``'s Dense layers (Keras'
  structured-data models: the engine normalises the joined rows it gathers)
- ``normalized_wide_and_deep``: a functional model with two inputs, the first and
  second half of each row's features, each through a ``Normalization`` (mean and
  variance given); the second half into the ``sequential``'s hidden layers, the first
  joined to the last hidden layer's output by a ``Concatenate`` before the output layer
  (the textbook wide-and-deep model with normalised inputs: the engine normalises each
  input's columns of the rows it gathers; half the first layer's multiply-adds)
- ``subclassed_wide_and_deep``: the same written as a ``keras.Model`` subclass, as the
  textbook writes it, with an auxiliary output on the last hidden layer
  (``loss_weights=[0.9, 0.1]``); fit traces its ``call()`` into a graph the engine
  runs (about 0.5% more multiply-adds than ``normalized_wide_and_deep``)
- ``rescaling_first``, ``input_dropout``, ``max_norm``: the ``sequential`` with a
  ``Rescaling(1 / 255)`` first, with a ``Dropout(0.2)`` on the input, and with a
  ``MaxNorm(3)`` kernel constraint on every Dense layer (the engine rescales or drops out
  each gathered batch, and constrains each kernel after its update)
- ``two_outputs``: the ``functional`` model with a second output layer beside the first
  (both on the last hidden layer, each with its loss and accuracy: about 0.5% more
  multiply-adds at 784-512-256-10): the engine forms both losses and starts the
  backward pass from both outputs, the targets side by side
- ``input_layer_norm``: the ``sequential`` with a ``LayerNormalization`` on the input
  first (the engine normalises the rows it gathers in an identity layer before the
  first Dense layer, as it normalises a Dense layer's outputs)
- ``unit_norm``: the ``sequential`` with a ``UnitNormalization`` after the first hidden
  layer, which the engine does not run: the layer-by-layer path, its per-step overhead
  reported

All models live in one process and their fits alternate (one epoch each, ``--runs``
times after one warm-up epoch, each kind first in turn, a garbage collection and one
untimed step before each), so the ratios compare like with like on a loaded machine.
For each model: the median epoch time, its ratio to the Sequential with the same layers,
whether it lowered (``model._engine.why`` says why not), and for a model that did not
lower its per-step Python overhead (the epoch's time over the Sequential's, per step) and, with ``--profile N``, the top N functions of one epoch under cProfile.
That difference is not all Python: a model off the engine runs the layer path's own
kernels (a Dense forward, its vjp, the optimizer update per weight), which the profile
lists with their share. With ``--layer-path``, a second model of each kind is fitted with
the engine off in the same alternation: the speed-up of the engine over the
layer-by-layer path each kind took before it lowered.
"""
import argparse
import cProfile
import gc
import io
import os
import pstats
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]

import numpy as np  # noqa: E402

import fastnn as keras  # noqa: E402
from fastnn import engine, layers  # noqa: E402


def _data(rows, n_in, n_out, seed=0):
    """Standard-normal rows, labels from the argmax of a fixed random linear teacher
    (as the 784-512-256-10 workload of bench/workloads.py)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, n_in), dtype=np.float32)
    teacher = rng.standard_normal((n_in, n_out))
    return x, np.argmax(x.astype(np.float64) @ teacher, axis=1)


def _dense(widths, extra=False, **kw):
    """The hidden and output Dense layers for widths (in, h1, ..., out)."""
    out = [layers.Dense(w, activation="relu", **kw) for w in widths[1:-1]]
    if extra:
        out.append(layers.Dense(widths[-2], activation="relu", **kw))
    return out + [layers.Dense(widths[-1], **kw)]


class ChainModel(keras.Model):
    """A subclassed model whose call chains its Dense layers."""

    def __init__(self, widths):
        super().__init__()
        self.blocks = _dense(widths)

    def call(self, x):
        for layer in self.blocks:
            x = layer(x)
        return x


class WideAndDeepModel(keras.Model):
    """The textbook subclassed wide-and-deep model: two inputs, each through a
    Normalization, the deep one into the hidden layers, the wide one joined to the last
    hidden layer's output by ``layers.concatenate``; a main output on that and an
    auxiliary one on the last hidden layer."""

    def __init__(self, widths):
        super().__init__()
        self.norm_wide = layers.Normalization(mean=0.0, variance=1.0)
        self.norm_deep = layers.Normalization(mean=0.0, variance=1.0)
        self.hidden = _dense(widths)[:-1]
        self.main_output = layers.Dense(widths[-1])
        self.aux_output = layers.Dense(widths[-1])

    def call(self, inputs):
        wide, deep = inputs
        h = self.norm_deep(deep)
        for layer in self.hidden:
            h = layer(h)
        concat = layers.concatenate([self.norm_wide(wide), h])
        return self.main_output(concat), self.aux_output(h)


class DenseStack(layers.Layer):
    """A custom layer: its own call over the Dense layers it owns."""

    def __init__(self, widths, **kwargs):
        super().__init__(**kwargs)
        self.blocks = _dense(widths)

    def call(self, x):
        for layer in self.blocks:
            x = layer(x)
        return x


def build(kind, widths):
    """The model of `kind` for widths (in, ..., out), compiled; weights from seed 0."""
    keras.utils.set_random_seed(0)
    n_in = widths[0]
    if kind in ("sequential", "sequential_extra"):
        model = keras.Sequential([keras.Input((n_in,))] +
                                 _dense(widths, extra=kind == "sequential_extra"))
    elif kind in ("rescaling_first", "input_dropout"):
        front = layers.Rescaling(1 / 255) if kind == "rescaling_first" else layers.Dropout(0.2)
        model = keras.Sequential([keras.Input((n_in,)), front] + _dense(widths))
    elif kind == "input_layer_norm":
        model = keras.Sequential([keras.Input((n_in,)), layers.LayerNormalization()] +
                                 _dense(widths))
    elif kind == "unit_norm":
        dense = _dense(widths)
        model = keras.Sequential([keras.Input((n_in,)), dense[0], layers.UnitNormalization()]
                                 + dense[1:])
    elif kind == "max_norm":
        model = keras.Sequential([keras.Input((n_in,))] +
                                 _dense(widths, kernel_constraint=keras.constraints.MaxNorm(3)))
    elif kind == "functional":
        inp = keras.Input((n_in,))
        h = inp
        for layer in _dense(widths):
            h = layer(h)
        model = keras.Model(inp, h)
    elif kind == "subclassed":
        model = ChainModel(widths)
        model.build((None, n_in))
    elif kind == "custom_layer":
        model = keras.Sequential([keras.Input((n_in,)), DenseStack(widths)])
    elif kind == "residual":
        inp = keras.Input((n_in,))
        h = inp
        for w in widths[1:-1]:
            h = layers.Dense(w, activation="relu")(h)
        r = layers.Dense(widths[-2], activation="relu")(h)
        h = layers.Add()([h, r])
        model = keras.Model(inp, layers.Dense(widths[-1])(h))
    elif kind == "residual_block":
        inp = keras.Input((n_in,))
        h = inp
        for w in widths[1:-1]:
            h = layers.Dense(w, activation="relu")(h)
        h = layers.Activation("relu")(layers.Add()([h, layers.Dense(widths[-2])(h)]))
        model = keras.Model(inp, layers.Dense(widths[-1])(h))
    elif kind == "wide_and_deep":
        inp = keras.Input((n_in,))
        h = inp
        for w in widths[1:-1]:
            h = layers.Dense(w, activation="relu")(h)
        model = keras.Model(inp, layers.Dense(widths[-1])(layers.Concatenate()([inp, h])))
    elif kind == "two_inputs":
        half = n_in // 2
        ins = [keras.Input((half,)), keras.Input((n_in - half,))]
        h = layers.Add()([layers.Dense(widths[1], activation="relu")(t) for t in ins])
        for layer in _dense(widths)[1:]:
            h = layer(h)
        model = keras.Model(ins, h)
    elif kind == "normalized_inputs":
        ins = [keras.Input((b - a,)) for a, b in _quarters(n_in)]
        h = layers.Concatenate()([layers.Normalization(mean=0.0, variance=1.0)(t) for t in ins])
        for layer in _dense(widths):
            h = layer(h)
        model = keras.Model(ins, h)
    elif kind == "normalized_wide_and_deep":
        half = n_in // 2
        wide, deep = keras.Input((half,)), keras.Input((n_in - half,))
        h = layers.Normalization(mean=0.0, variance=1.0)(deep)
        for w in widths[1:-1]:
            h = layers.Dense(w, activation="relu")(h)
        h = layers.Concatenate()([layers.Normalization(mean=0.0, variance=1.0)(wide), h])
        model = keras.Model([wide, deep], layers.Dense(widths[-1])(h))
    elif kind == "subclassed_wide_and_deep":
        model = WideAndDeepModel(widths)
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=[loss, loss],
                      loss_weights=[0.9, 0.1], metrics=[["accuracy"], ["accuracy"]])
        return model       # (built by its first fit, from the arrays' shapes)
    elif kind == "two_outputs":
        inp = keras.Input((n_in,))
        h = inp
        for w in widths[1:-1]:
            h = layers.Dense(w, activation="relu")(h)
        model = keras.Model(inp, [layers.Dense(widths[-1])(h), layers.Dense(widths[-1])(h)])
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=[loss, loss],
                      metrics=[["accuracy"], ["accuracy"]])
        return model
    elif kind == "branched":
        inp = keras.Input((n_in,))
        h = inp
        for w in widths[1:-2]:
            h = layers.Dense(w, activation="relu")(h)
        a = layers.Dense(widths[-2], activation="relu")(h)
        b = layers.Dense(widths[-2], activation="relu")(h)
        model = keras.Model(inp, layers.Dense(widths[-1])(layers.Add()([a, b])))
    else:
        raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


KINDS = ("sequential", "functional", "subclassed", "custom_layer", "residual", "residual_block",
         "wide_and_deep", "branched", "two_inputs", "normalized_inputs",
         "normalized_wide_and_deep", "subclassed_wide_and_deep", "rescaling_first",
         "input_dropout", "max_norm", "two_outputs", "input_layer_norm", "unit_norm",
         "sequential_extra")
REFERENCE = {"residual": "sequential_extra", "residual_block": "sequential_extra",
             "branched": "sequential_extra"}  # else sequential


def _quarters(n_in):
    """The (first, end) columns of the four inputs of ``normalized_inputs``."""
    cuts = [n_in * k // 4 for k in range(5)]
    return list(zip(cuts[:-1], cuts[1:]))


def inputs(kind, x):
    """What a model of `kind` takes for the rows x: two arrays for ``two_inputs`` and
    the wide-and-deep models, four for ``normalized_inputs``."""
    if kind in ("two_inputs", "normalized_wide_and_deep", "subclassed_wide_and_deep"):
        half = x.shape[1] // 2
        return [x[:, :half], x[:, half:]]
    if kind == "normalized_inputs":
        return [x[:, a:b] for a, b in _quarters(x.shape[1])]
    return x


def targets(kind, y):
    """What a model of `kind` takes for the labels y: one array per output."""
    return [y, y] if kind in ("two_outputs", "subclassed_wide_and_deep") else y


def lowered(model):
    """(True, None) when fit ran on the engine, else (False, why)."""
    why = model._engine.why
    if model._engine.plan is not None and why is None:
        return True, None
    if why is None and model._flat_chain() is None:
        why = ("not a chain of layers (model._flat_chain() is None): the engine runs chains "
               "with residual connections, concatenations, parallel branches, several "
               "inputs and several outputs")
    return False, why


def profile_epoch(model, x, y, batch, top):
    pr = cProfile.Profile()
    pr.enable()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    pr.disable()
    out = io.StringIO()
    pstats.Stats(pr, stream=out).sort_stats("tottime").print_stats(top)
    lines = [ln for ln in out.getvalue().splitlines() if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
    return "\n".join(lines[start:start + top + 1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=8192)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--widths", default="784,512,256,10")
    p.add_argument("--kinds", default=",".join(KINDS))
    p.add_argument("--threads", type=int, default=None,
                   help="fastnn.set_num_threads(N) first (default: fastnn's own count)")
    p.add_argument("--layer-path", action="store_true",
                   help="also time each model with the engine off (the layer-by-layer path "
                        "every model takes that does not lower), in the same alternation")
    p.add_argument("--profile", type=int, default=12,
                   help="top N functions of one epoch of each model that did not lower "
                        "(0: no profile)")
    a = p.parse_args(argv)
    widths = [int(w) for w in a.widths.split(",")]
    if len(widths) < 3 or min(widths) < 1:
        p.error(f"--widths: expected at least 3 positive ints, got {a.widths!r}")
    if a.rows < 1 or a.batch < 1 or a.runs < 1:
        p.error("--rows, --batch and --runs must be >= 1")
    if a.threads is not None:
        if a.threads < 1:
            p.error(f"--threads: expected an int >= 1, got {a.threads}")
        keras.set_num_threads(a.threads)
    kinds = [k for k in a.kinds.split(",") if k]
    for k in kinds:
        if k not in KINDS:
            p.error(f"--kinds: expected names from {KINDS}, got {k!r}")
    for k in kinds:            # each ratio needs its reference in the run (and that one
        ref = REFERENCE.get(k, "sequential")   # its own: the list grows as it is walked)
        if ref not in kinds:
            kinds.append(ref)
    x, y = _data(a.rows, widths[0], widths[-1])
    steps = -(-a.rows // a.batch)
    models = {k: build(k, widths) for k in kinds}
    # (with --layer-path, a second model of each kind, fitted with the engine off)
    runs = [(k, False) for k in kinds] + ([(k, True) for k in kinds] if a.layer_path else [])
    slow_models = {k: build(k, widths) for k in kinds} if a.layer_path else {}
    xs = {k: inputs(k, x) for k in kinds}
    ys = {k: targets(k, y) for k in kinds}
    times = {run: [] for run in runs}
    ptimes = {run: [] for run in runs}

    def fit_and_predict(k, off, timed):
        m = slow_models[k] if off else models[k]
        engine.ENABLED = not off
        try:
            if not timed:     # warm-up epoch: plans, workspaces, imports
                m.fit(xs[k], ys[k], batch_size=a.batch, epochs=1, verbose=0)
                return
            # the layer path's garbage is not charged to the next fit, and after the
            # collection one untimed step (NumPy's first calls after one are slower)
            gc.collect()
            m.fit(inputs(k, x[:a.batch]), targets(k, y[:a.batch]), batch_size=a.batch,
                  epochs=1, verbose=0)
            t0 = time.perf_counter()
            m.fit(xs[k], ys[k], batch_size=a.batch, epochs=1, verbose=0)
            times[(k, off)].append(time.perf_counter() - t0)
            gc.collect()
            t0 = time.perf_counter()
            m.predict(xs[k], batch_size=a.batch, verbose=0)
            ptimes[(k, off)].append(time.perf_counter() - t0)
        finally:
            engine.ENABLED = True

    for k, off in runs:
        fit_and_predict(k, off, False)
    for r in range(a.runs):
        order = runs[r % len(runs):] + runs[:r % len(runs)]   # each run first in turn
        for k, off in order:
            fit_and_predict(k, off, True)
    med = {k: statistics.median(times[(k, False)]) for k in kinds}
    pmed = {k: statistics.median(ptimes[(k, False)]) for k in kinds}
    print(f"{a.rows} rows, network {'-'.join(map(str, widths))}, batch {a.batch} "
          f"({steps} steps an epoch), one epoch per fit, median of {a.runs} alternating "
          f"runs in one process (after each fit, predict over the same rows); fastnn threads: "
          f"{keras.get_num_threads()}\n")
    print("| model | epoch (s) | / Sequential | lowered | per-step overhead (µs) | "
          "predict (s) | / Sequential | why not |")
    print("|---|---:|---:|---|---:|---:|---:|---|")
    slow = []
    for k in kinds:
        ref = REFERENCE.get(k, "sequential")
        ok, why = lowered(models[k])
        over = "" if ok else f"{(med[k] - med[ref]) / steps * 1e6:,.0f}"
        label = k if ref == "sequential" or k == ref else f"{k} (vs {ref})"
        print(f"| {label} | {med[k]:.4g} | {med[k] / med[ref]:.2f}× | "
              f"{'yes' if ok else 'no'} | {over} | {pmed[k]:.4g} | "
              f"{pmed[k] / pmed[ref]:.2f}× | {why or ''} |")
        if not ok:
            slow.append(k)
    if a.layer_path:
        print("\nThe same models with the engine off (the layer-by-layer path), in the same "
              "alternation:\n")
        print("| model | epoch, engine (s) | epoch, layer path (s) | engine speed-up | "
              "predict, engine (s) | predict, layer path (s) | engine speed-up |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for k in kinds:
            e, lp = med[k], statistics.median(times[(k, True)])
            pe, plp = pmed[k], statistics.median(ptimes[(k, True)])
            print(f"| {k} | {e:.4g} | {lp:.4g} | {lp / e:.2f}× | {pe:.4g} | {plp:.4g} | "
                  f"{plp / pe:.2f}× |")
    if a.profile:
        for k in slow:
            print(f"\n{k}: one epoch under cProfile, top {a.profile} by own time\n")
            print(profile_epoch(models[k], xs[k], ys[k], a.batch, a.profile))
    return 0


if __name__ == "__main__":
    sys.exit(main())
