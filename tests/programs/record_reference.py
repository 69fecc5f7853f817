"""Record what real Keras prints for every program in this folder: reference.json.

    python3 tests/programs/record_reference.py [--runs 3] [--only p01,p07] [--no-tensorflow]
                                               [--out FILE]

Each program runs under Keras 3 on the PyTorch backend (REFERENCE=keras,
KERAS_BACKEND=torch) in a scratch virtual environment outside the repository
(/tmp/keras-ref: `keras` and `torch==2.13.0` from PyPI). A program that cannot run
there because it uses TensorFlow's own API (tf.GradientTape, tf.data, tf.nn, ...) runs
again under TensorFlow (REFERENCE=tensorflow, KERAS_BACKEND=tensorflow, tf.keras being
Keras 3) in a second scratch environment (/tmp/tf-ref: `tensorflow-cpu`), unless
--no-tensorflow is given; the torch error is kept in the JSON either way.

Every program runs --runs times, each with its own random initial weights and shuffles
(a program that seeds itself gets its seed plus the run's number: standin.py), so the
JSON holds the spread a different random stream gives; tests/test_programs.py compares
fastnn's figures against it.
Nothing here is needed to run the tests: reference.json is committed.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "reference.json")
TIMEOUT = 900

# Programs recorded under TensorFlow although they run on torch. A softmax or sigmoid
# output with the matching cross-entropy trains on the logits under TensorFlow (Keras
# keeps them on the output tensor) and fastnn does the same; Keras on torch clips the
# probabilities instead, and a saturated output then has no gradient. These programs'
# outputs saturate (10,000-wide random binary inputs), so their figures depend on it.
PREFER_TENSORFLOW = ["p06", "p07"]


def programs():
    return sorted(f[:-3] for f in os.listdir(HERE) if f.startswith("p") and f.endswith(".py")
                  and f[1:3].isdigit())


def venv(path, packages, probe, env):
    """A virtual environment at path in which `probe` imports, made with pip if needed."""
    py = os.path.join(path, "bin", "python")
    if not os.path.exists(py):
        subprocess.check_call([sys.executable, "-m", "venv", path])
    if subprocess.run([py, "-c", probe], env=env, capture_output=True).returncode != 0:
        subprocess.check_call([py, "-m", "pip", "install", "--quiet", *packages])
    return py


def versions(py, code, env):
    out = subprocess.run([py, "-c", code], env=env, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else {}


def run_once(py, name, env):
    """Run one program; returns (figures or None, last line of the traceback, seconds)."""
    with tempfile.TemporaryDirectory() as cwd:
        t0 = time.time()
        try:
            proc = subprocess.run([py, os.path.join(HERE, name + ".py")], cwd=cwd, env=env,
                                  capture_output=True, text=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            return None, f"timed out after {TIMEOUT} s", time.time() - t0
        seconds = time.time() - t0
    figures = None
    for line in proc.stdout.splitlines():
        if line.startswith("FIGURES "):
            figures = json.loads(line[len("FIGURES "):])
    if proc.returncode != 0 or figures is None:
        lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        return None, (lines[-1] if lines else f"exit status {proc.returncode}"), seconds
    return figures, None, seconds


def record(py, name, env, runs):
    """Run a program `runs` times; {figures: {name: [values]}, seconds} or {error}.
    Run i sets REFERENCE_SEED_SHIFT=i: a program that seeds itself runs with its seed
    plus i (standin.py), so that its runs spread as an unseeded program's do."""
    all_figures, seconds = {}, []
    for i in range(runs):
        figures, error, sec = run_once(py, name, dict(env, REFERENCE_SEED_SHIFT=str(i)))
        if figures is None:
            return {"error": error}
        seconds.append(round(sec, 1))
        for k, v in figures.items():
            all_figures.setdefault(k, []).append(v)
        print(f"  run {i + 1}: {figures}", flush=True)
    return {"figures": all_figures, "seconds": seconds}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated program prefixes (p01,p07)")
    ap.add_argument("--no-tensorflow", action="store_true")
    ap.add_argument("--tensorflow-first", default="",
                    help="comma-separated program prefixes to record under TensorFlow even "
                         "when they run on torch (see PREFER_TENSORFLOW)")
    ap.add_argument("--keras-venv", default="/tmp/keras-ref")
    ap.add_argument("--tf-venv", default="/tmp/tf-ref")
    ap.add_argument("--out", default=OUT, help="the JSON file to update (default: reference.json)")
    args = ap.parse_args()

    base = {k: v for k, v in os.environ.items()
            if k not in ("REFERENCE", "KERAS_BACKEND", "PYTHONPATH")}
    base["PYTHONPATH"] = HERE
    torch_env = dict(base, REFERENCE="keras", KERAS_BACKEND="torch")
    tf_env = dict(base, REFERENCE="tensorflow", KERAS_BACKEND="tensorflow",
                  TF_CPP_MIN_LOG_LEVEL="2")

    torch_py = venv(args.keras_venv, ["keras", "torch==2.13.0"], "import keras, torch", torch_env)
    tf_py = None if args.no_tensorflow else venv(
        args.tf_venv, ["tensorflow-cpu"], "import tensorflow, keras", tf_env)

    out = args.out
    data = {"programs": {}}
    if os.path.exists(out):
        with open(out) as f:
            data = json.load(f)
    data["torch_backend"] = versions(torch_py, "import json, keras, torch, numpy; print(json.dumps("
                                     "{'keras': keras.__version__, 'torch': torch.__version__,"
                                     " 'numpy': numpy.__version__}))", torch_env)
    if tf_py:
        data["tensorflow_backend"] = versions(
            tf_py, "import json, keras, tensorflow, numpy; print(json.dumps({'keras': "
            "keras.__version__, 'tensorflow': tensorflow.__version__, 'numpy': "
            "numpy.__version__}))", tf_env)
    data["runs"] = args.runs

    only = [p for p in args.only.split(",") if p]
    for name in programs():
        if only and not any(name.startswith(p) for p in only):
            continue
        entry = {}
        prefer_tf = tf_py and any(name.startswith(p) for p in PREFER_TENSORFLOW + [
            p for p in args.tensorflow_first.split(",") if p])
        if prefer_tf:
            print(f"{name}: TensorFlow (preferred)", flush=True)
            result = record(tf_py, name, tf_env, args.runs)
            if "figures" in result:
                data["programs"][name] = dict(result, backend="tensorflow",
                                              note="recorded under TensorFlow: see "
                                                   "PREFER_TENSORFLOW")
                with open(out, "w") as f:
                    json.dump(data, f, indent=1, sort_keys=True)
                    f.write("\n")
                continue
        print(f"{name}: Keras on torch", flush=True)
        result = record(torch_py, name, torch_env, args.runs)
        if "figures" in result:
            entry = dict(result, backend="torch")
        else:
            entry["torch_error"] = result["error"]
            print(f"  torch: {result['error']}", flush=True)
            if tf_py:
                print(f"{name}: TensorFlow", flush=True)
                result = record(tf_py, name, tf_env, args.runs)
                if "figures" in result:
                    entry.update(result, backend="tensorflow")
                else:
                    entry["tensorflow_error"] = result["error"]
                    print(f"  tensorflow: {result['error']}", flush=True)
        data["programs"][name] = entry
        with open(out, "w") as f:            # after every program: a partial run is kept
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
