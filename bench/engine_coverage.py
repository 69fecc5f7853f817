"""Microseconds per training step of Keras models beyond a plain Dense stack, on the C
engine and on the layer-by-layer path, interleaved.

    python bench/engine_coverage.py [--epochs 4] [--repeats 5]

The digit network (64-25-15-10, batch 32, Adam) on the bundled digits, as it is
and with what a Keras user adds: gradient clipping, BatchNormalization after or before
the activation, a frozen first layer, a train_on_batch loop. Each repeat runs every
variant on both paths in turn (a fresh model after a one-epoch warm-up), so a drifting
host hits both alike; prints the median per variant and path, and whether the engine
took the model (model._engine.why otherwise).
"""
import argparse
import sys
import time

import numpy as np

VARIANTS = ("plain", "clipnorm", "bn_after_activation", "bn_before_activation",
            "frozen_first", "train_on_batch")


def _model(variant):
    import fastnn
    L = fastnn.layers
    if variant == "bn_after_activation":
        hidden = [L.Dense(25, activation="relu"), L.BatchNormalization(),
                  L.Dense(15, activation="relu")]
    elif variant == "bn_before_activation":
        hidden = [L.Dense(25), L.BatchNormalization(), L.ReLU(), L.Dense(15, activation="relu")]
    else:
        hidden = [L.Dense(25, activation="relu"), L.Dense(15, activation="relu")]
    m = fastnn.Sequential([L.Input((64,))] + hidden + [L.Dense(10)])
    if variant == "frozen_first":
        m.layers[0].trainable = False
    opt = fastnn.optimizers.Adam(clipnorm=1.0) if variant == "clipnorm" else "adam"
    m.compile(optimizer=opt, loss=fastnn.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
    return m


def _train(model, variant, x, y, epochs, batch=32):
    if variant != "train_on_batch":
        model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0)
        return
    for _ in range(epochs):
        for b in range(0, len(x), batch):
            model.train_on_batch(x[b:b + batch], y[b:b + batch])


def step_times(variants=VARIANTS, epochs=4, repeats=5):
    """{(variant, engine?): [us per step, one per repeat]}, {variant: why not, or None}."""
    import fastnn
    from fastnn import engine
    (x, y), _ = fastnn.datasets.digits.load_data()
    x = (x / 16).astype(np.float32)
    steps = epochs * -(-len(x) // 32)
    out, why = {}, {}
    saved = engine.ENABLED
    try:
        for _ in range(repeats):
            for v in variants:
                for on in (True, False):
                    engine.ENABLED = on
                    fastnn.utils.set_random_seed(0)
                    m = _model(v)
                    _train(m, v, x, y, 1)
                    t = time.perf_counter()
                    _train(m, v, x, y, epochs)
                    out.setdefault((v, on), []).append(1e6 * (time.perf_counter() - t) / steps)
                    if on:
                        why[v] = m._engine.why
    finally:
        engine.ENABLED = saved
    return out, why


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    if args.epochs < 1 or args.repeats < 1:
        p.error("--epochs and --repeats must be >= 1")
    times, why = step_times(epochs=args.epochs, repeats=args.repeats)
    print(f"{'model':24s} {'engine us/step':>15s} {'layer path':>11s} {'ratio':>7s}")
    for v in VARIANTS:
        e, lp = np.median(times[(v, True)]), np.median(times[(v, False)])
        note = "" if why[v] is None else f"  (engine refused: {why[v]})"
        print(f"{v:24s} {e:15.1f} {lp:11.1f} {lp / e:6.1f}x{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
