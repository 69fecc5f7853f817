#!/usr/bin/env python
"""The fixed cost of one call: fit, predict, model(x), predict_on_batch, train_on_batch
on ONE row of the digit networks, where nearly all of a call is Python around the C
kernels (argument checks, the engine's plan look-up, callbacks, History).

    python bench/fixed_costs.py [--calls 2000] [--rounds 3] [--nets binary,digits]
                                [--frameworks fastnn,torch,keras]
                                [--tree /path/to/another/fastnn/checkout:label ...]
                                [--keras-python /path/to/python] [--keras-calls 200]
                                [--json out.json]

Each (framework, round) is a fresh process. It builds the network (64→25 relu→15
relu→1 sigmoid with binary cross-entropy, or 64→25 relu→15 relu→10 logits with sparse
cross-entropy, Adam 1e-3, metrics=['accuracy']), warms every entry point up, then
times ``--calls`` calls of each (``--keras-calls`` for Keras), one by one
(``time.perf_counter_ns`` around each call), and reports the median. Entry points are
interleaved call by call, so a slow patch of a shared machine lands on all of them
alike. The table gives the median over rounds, and each column's ratio to the first
column's (fastnn, this checkout, when it is measured).

``--tree PATH:LABEL`` adds a column for the fastnn found at PATH (e.g. an older
checkout exported with ``git archive``, its compiled extension copied in): a
before/after comparison in one run, the runs alternating.

The peers, where installed, run the same calls in their own idiom:
- PyTorch: ``model(x)`` under ``torch.inference_mode()`` (+ ``.numpy()``) for predict,
  ``model(x)`` and ``predict_on_batch``; one optimizer step (``zero_grad``, forward,
  loss, ``backward``, ``step``) for fit and ``train_on_batch``.
- Keras (``--keras-python``: the interpreter of an environment with Keras 3 and a
  backend; its ``KERAS_BACKEND`` is whatever that environment sets): the same Keras
  code as fastnn, only the import changed.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
TAG = "FIXED-COST "
ENTRY_POINTS = ("predict", "fit", "__call__", "predict_on_batch", "train_on_batch")
NETS = {"binary": "64-25-15-1 sigmoid, binary cross-entropy",
        "digits": "64-25-15-10 logits, sparse cross-entropy"}
FEATURES = 64


def _one_row(net, seed=0):
    """One input row in [0, 1) and its label, float32 (as the digit networks train)."""
    import numpy as np
    rng = np.random.default_rng(seed)
    x1 = rng.random((1, FEATURES), dtype=np.float32)
    y1 = np.array([1.0 if net == "binary" else 3.0], np.float32)
    return x1, y1


def _time_calls(calls, n):
    """Median nanoseconds per call of each (name, fn) in `calls`, interleaved."""
    clock = time.perf_counter_ns
    times = {name: [] for name, _ in calls}
    for _ in range(n):
        for name, fn in calls:
            t0 = clock()
            fn()
            times[name].append(clock() - t0)
    return {name: statistics.median(ts) / 1e3 for name, ts in times.items()}


# -- children ---------------------------------------------------------------------
def _keras_calls(keras, net):
    """The five entry points of a compiled Keras-API model (fastnn or Keras)."""
    layers = keras.layers
    out, act, loss = ((1, "sigmoid", "binary_crossentropy") if net == "binary" else
                      (10, None, keras.losses.SparseCategoricalCrossentropy(from_logits=True)))
    model = keras.Sequential([keras.Input((FEATURES,)), layers.Dense(25, activation="relu"),
                              layers.Dense(15, activation="relu"),
                              layers.Dense(out, activation=act)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss, metrics=["accuracy"])
    x1, y1 = _one_row(net)
    return [("predict", lambda: model.predict(x1, verbose=0)),
            ("fit", lambda: model.fit(x1, y1, epochs=1, verbose=0)),
            ("__call__", lambda: model(x1)),
            ("predict_on_batch", lambda: model.predict_on_batch(x1)),
            ("train_on_batch", lambda: model.train_on_batch(x1, y1))]


def _torch_calls(net):
    """PyTorch's equivalents: a forward without autograd, and one optimizer step."""
    import torch
    from torch import nn
    torch.manual_seed(0)
    out = 1 if net == "binary" else 10
    model = nn.Sequential(nn.Linear(FEATURES, 25), nn.ReLU(), nn.Linear(25, 15), nn.ReLU(),
                          nn.Linear(15, out))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    x1, y1 = _one_row(net)
    X = torch.from_numpy(x1)
    if net == "binary":
        Y, loss_fn = torch.from_numpy(y1.reshape(-1, 1)), nn.BCEWithLogitsLoss()
    else:
        Y, loss_fn = torch.from_numpy(y1.astype("int64")), nn.CrossEntropyLoss()

    def forward():
        with torch.inference_mode():
            return model(X).numpy()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        opt.step()
        return loss.item()
    return [("predict", forward), ("fit", step), ("__call__", forward),
            ("predict_on_batch", forward), ("train_on_batch", step)]


def child(framework, net, n_calls, tree):
    import warnings
    warnings.filterwarnings("ignore")
    if framework == "torch":
        import torch
        calls = _torch_calls(net)
        threads = torch.get_num_threads()
    else:
        if framework == "fastnn":
            sys.path.insert(0, tree)
            import fastnn as keras
            threads = keras.get_num_threads()
        else:
            import keras
            threads = None
        calls = _keras_calls(keras, net)
        if framework == "fastnn":
            assert os.path.dirname(os.path.dirname(os.path.abspath(keras.__file__))) == \
                os.path.abspath(tree), keras.__file__
    for _, fn in calls:          # warm-up: builds, plans, workspaces, first-call imports
        for _ in range(20):
            fn()
    medians = _time_calls(calls, n_calls)
    print(TAG + json.dumps({"framework": framework, "net": net, "us": medians,
                            "threads": threads}), flush=True)


# -- parent -----------------------------------------------------------------------
def run_child(python, framework, net, n_calls, tree, env=None):
    cmd = [python, os.path.abspath(__file__), "--child", framework, "--net", net,
           "--calls", str(n_calls), "--child-tree", tree]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
    for line in proc.stdout.splitlines():
        if line.startswith(TAG):
            return json.loads(line[len(TAG):])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
    return {"error": tail[0]}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--calls", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--nets", default="binary,digits")
    p.add_argument("--frameworks", default="fastnn,torch,keras")
    p.add_argument("--tree", action="append", default=[],
                   help="PATH:LABEL of another fastnn checkout to measure alongside")
    p.add_argument("--keras-calls", type=int, default=200,
                   help="calls per entry point for Keras (milliseconds a call: fewer)")
    p.add_argument("--keras-python", default=sys.executable,
                   help="the Python whose environment has Keras 3 (default: this one)")
    p.add_argument("--json")
    p.add_argument("--child")
    p.add_argument("--child-tree", default=REPO)
    p.add_argument("--net", default="digits")
    a = p.parse_args(argv)
    if a.child:
        child(a.child, a.net, a.calls, a.child_tree)
        return 0
    if a.calls < 1 or a.rounds < 1 or a.keras_calls < 1:
        p.error("--calls, --keras-calls and --rounds must be >= 1")
    nets = [n for n in a.nets.split(",") if n]
    for n in nets:
        if n not in NETS:
            p.error(f"--nets: expected names from {sorted(NETS)}, got {n!r}")
    # columns: (label, framework, python, tree)
    columns = []
    for fw in [f for f in a.frameworks.split(",") if f]:
        if fw == "fastnn":
            columns.append(("fastnn", "fastnn", sys.executable, REPO))
            for spec in a.tree:
                path, _, label = spec.partition(":")
                columns.append((label or path, "fastnn", sys.executable, os.path.abspath(path)))
        elif fw == "torch":
            columns.append(("PyTorch", "torch", sys.executable, REPO))
        elif fw == "keras":
            columns.append(("Keras", "keras", a.keras_python, REPO))
        else:
            p.error(f"--frameworks: expected fastnn, torch or keras, got {fw!r}")
    results = {}     # (net, label) -> list of per-round dicts
    for r in range(a.rounds):
        for net in nets:
            for label, fw, python, tree in columns:
                res = run_child(python, fw, net, a.keras_calls if fw == "keras" else a.calls,
                                tree)
                results.setdefault((net, label), []).append(res)
                shown = res.get("error") or ", ".join(
                    f"{k} {v:.1f}" for k, v in res["us"].items())
                print(f"  [round {r + 1}/{a.rounds}] {net} {label}: {shown}", flush=True)
    print(f"\nMedian µs per call over {a.rounds} rounds (each the median of {a.calls} "
          f"calls in a fresh process, {a.keras_calls} for Keras); ratios: the column over "
          f"the first column's")
    table = {}
    for net in nets:
        print(f"\n#### {NETS[net]}, one row\n")
        labels = [c[0] for c in columns]
        print("| call | " + " | ".join([f"{lb} (µs)" for lb in labels] +
                                       [f"{lb} / {labels[0]}" for lb in labels[1:]]) + " |")
        print("|---|" + "---:|" * (2 * len(labels) - 1))
        for ep in ENTRY_POINTS:
            vals = []
            for lb in labels:
                ok = [res["us"][ep] for res in results[(net, lb)] if "us" in res]
                vals.append(statistics.median(ok) if ok else None)
            table.setdefault(net, {})[ep] = dict(zip(labels, vals))
            cells = ["skipped" if v is None else f"{v:.1f}" for v in vals]
            ratios = ["" if v is None or vals[0] is None else f"{v / vals[0]:.2f}×"
                      for v in vals[1:]]
            print(f"| `{ep}` | " + " | ".join(cells + ratios) + " |")
        for lb in labels:
            errs = [res["error"] for res in results[(net, lb)] if "error" in res]
            if errs:
                print(f"\n{lb}: skipped ({errs[0]})")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(table, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
