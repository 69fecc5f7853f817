"""Microseconds per training step of one network at several thread counts, interleaved.

    python bench/thread_scaling.py [--layers 784,128,10] [--batch 32] [--rows 20000]
                                   [--threads 1,2] [--repeats 6] [--policy on|off|both]

A Dense network (relu hidden layers, logits out, sparse cross-entropy, Adam) on random
float32 rows: each repeat fits one epoch at every thread count in turn (a fresh model,
after a short warm-up fit), so a drifting host hits every count alike. Prints the median
and best per count. For the regimes W1-W4 do not cover, e.g. the Keras MNIST MLP
(784-128-10 at batch 32), where threads must pay in the whole step, not only kernel by
kernel. --policy off keeps the engine on the whole team (csrc/train.h, fnn_adapt: no
team-size search); both runs each count both ways, side by side, and shows the team
the search chose.
"""
import argparse
import sys
import time

import numpy as np


def step_times(layers, batch, rows, threads, repeats, policies=(True,), seed=0):
    """({(threads, policy): [microseconds per step, one per repeat]},
    {(threads, policy): the team the engine used at the end of the last repeat},
    {(threads, policy): the last search's (team, us per row) pairs, in the order tried})."""
    import fastnn
    from fastnn import engine
    r = np.random.default_rng(seed)
    x = r.standard_normal((rows, layers[0])).astype(np.float32)
    y = r.integers(0, layers[-1], rows)
    steps = -(-rows // batch)
    out = {(nt, pol): [] for nt in threads for pol in policies}
    teams, tried = {}, {}
    old = fastnn.get_num_threads()
    try:
        for _ in range(repeats):
            for nt, pol in out:
                fastnn.set_num_threads(nt)
                fastnn.utils.set_random_seed(seed)
                model = fastnn.Sequential(
                    [fastnn.layers.Input((layers[0],))]
                    + [fastnn.layers.Dense(u, activation="relu") for u in layers[1:-1]]
                    + [fastnn.layers.Dense(layers[-1])])
                model.compile(optimizer="adam", metrics=["accuracy"],
                              loss=fastnn.losses.SparseCategoricalCrossentropy(from_logits=True))
                model.fit(x[:batch * 8], y[:batch * 8], batch_size=batch, verbose=0)
                net = engine.plan_for(model, x, training=True).net
                net.set_adapt(pol)
                t = time.perf_counter()
                model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
                out[nt, pol].append(1e6 * (time.perf_counter() - t) / steps)
                # team 0: no search ran (one thread, or no kernel worth threads)
                state = net.adapt_state()
                teams[nt, pol] = (state["team"] if pol else 0) or nt
                tried[nt, pol] = state["tried"] if pol else []
    finally:
        fastnn.set_num_threads(old)
    return out, teams, tried


def _ints(text, name):
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise SystemExit(f"--{name}: expected comma-separated integers, got {text!r}")
    if not values or min(values) < 1:
        raise SystemExit(f"--{name}: expected integers >= 1, got {text!r}")
    return values


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--layers", default="784,128,10")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--rows", type=int, default=20000)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--repeats", type=int, default=6)
    p.add_argument("--policy", choices=("on", "off", "both"), default="on")
    args = p.parse_args(argv)
    layers, threads = _ints(args.layers, "layers"), _ints(args.threads, "threads")
    if len(layers) < 2:
        raise SystemExit(f"--layers: expected inputs and at least one layer, got {args.layers!r}")
    policies = {"on": (True,), "off": (False,), "both": (True, False)}[args.policy]
    times, teams, tried = step_times(layers, args.batch, args.rows, threads, args.repeats,
                                     policies)
    print(f"{'-'.join(map(str, layers))}, batch {args.batch}, {args.rows} rows, "
          f"{args.repeats} repeats (us per step):")
    for (nt, pol), ts in times.items():
        how = f"search, team {teams[nt, pol]:2d}" if pol else "whole team     "
        # what the last search measured: why it chose that team
        probes = "  ".join(f"{t}: {us * args.batch:.0f}" for t, us in tried[nt, pol])
        print(f"  {nt:3d} threads, {how}: median {np.median(ts):9.1f}   best {min(ts):9.1f}"
              + (f"   last search (team: us per step) {probes}" if probes else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
