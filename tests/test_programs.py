"""Public Keras programs (tests/programs/) run on fastnn and give the figures real Keras
gives (tests/programs/reference.json, recorded by tests/programs/record_reference.py).

Each program runs as its own process, with fastnn in its imports, in a scratch folder.
Its last output line holds its key figures (final training loss, a test metric, ...);
each figure must fall within the range the reference runs gave, widened by the
tolerance stated below for that program. The reference runs use other random numbers
(initial weights, shuffles, dropout masks) than fastnn, so the tolerances are what a
different random stream justifies for a few epochs of training, not rounding error.

On fastnn every program is seeded (tests/programs/standin.py: FASTNN_PROGRAM_SEED,
default 0), so its figures are the same on every run and the verdict does not depend on
the draw; the Keras reference runs are not seeded, and their spread is in the ranges.

A program that does not run on fastnn yet, or whose figures differ, is marked
xfail(strict=True) with the reason (tests/programs/README.md has the table): the test
turns into an unexpected pass, and fails, as soon as fastnn runs it; then remove the
mark. Run `python3 tests/test_programs.py` for a table of where every program stands.

FASTNN_PROGRAM_FIGURES=0 checks only that every program runs to its end (and drops the
marks of programs that run but give other figures): the sanitizer builds (.ci/sanitize)
compile with -O1, whose other rounding grows over training into other figures.
"""
import json
import os
import subprocess
import sys

import pytest

import fastnn

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAM_DIR = os.path.join(HERE, "programs")
# The folder the fastnn under test is imported from: this checkout, or site-packages
# when the tests run against an installed wheel (the checkout's own fastnn/ has no
# compiled module then, and must not shadow the installed one in a child process).
FASTNN_HOME = os.path.dirname(os.path.dirname(os.path.abspath(fastnn.__file__)))
# Seconds one program may take (a few on an idle machine; far more under sanitizers).
TIMEOUT = int(os.environ.get("FASTNN_PROGRAM_TIMEOUT", "600"))
# "0": only that each program runs (see the docstring)
COMPARE_FIGURES = os.environ.get("FASTNN_PROGRAM_FIGURES", "1") != "0"

try:
    with open(os.path.join(PROGRAM_DIR, "reference.json")) as _f:
        REFERENCE = json.load(_f)
except FileNotFoundError:       # not recorded yet: the programs only have to run
    REFERENCE = {"programs": {}}

PROGRAMS = sorted(f[:-3] for f in os.listdir(PROGRAM_DIR)
                  if f.startswith("p") and f[1:3].isdigit() and f.endswith(".py"))


def rel(x):
    """Within x times the reference value (on each side of the reference range)."""
    return ("rel", x)


def absolute(x):
    """Within x of the reference range."""
    return ("abs", x)


# Accuracies after a few epochs move by a few points with the random stream, losses by
# tens of percent (more for losses still falling fast, or near zero); figures that do not
# depend on the random stream (a softmax row's sum) are held to rounding.
ACC, LOSS, SUM = absolute(0.05), rel(0.2), absolute(1e-4)
TOLERANCES = {
    "p01_dlwp_first_network": dict(loss=LOSS, test_loss=LOSS, test_acc=ACC, pred_sum=SUM),
    "p02_dlwp_naive_dense_from_scratch": dict(test_acc=absolute(0.1), test_loss=rel(0.1)),
    # 20 Adam steps for the final model: its loss is still falling fast
    "p03_dlwp_imdb": dict(val_accuracy=ACC, loss=rel(0.5), test_loss=rel(0.5),
                          test_acc=ACC, mean_prediction=absolute(0.15)),
    "p04_dlwp_reuters": dict(val_top_3_accuracy=ACC, loss=rel(0.3), test_loss=rel(0.3),
                             test_acc=ACC),
    "p05_dlwp_california_kfold": dict(kfold_val_mae=rel(0.25), test_mse=rel(0.4),
                                      test_mae=rel(0.25)),
    # Random inputs and targets, as published: the first Adam step on 10,000-wide binary
    # inputs saturates the outputs, and how far training recovers from that in two
    # epochs varies from run to run (fastnn: losses 1.30-1.87, accuracies 0.25-0.43 on
    # random labels). The priority MAE is 0.25 when the sigmoid output recovers and 0.5
    # when it stays saturated (p07 under TensorFlow stayed saturated in one run of five),
    # hence 0.3. Recorded under TensorFlow (record_reference.py, PREFER_TENSORFLOW),
    # which trains a saturated softmax on its logits as fastnn does; five runs.
    "p06_dlwp_ticket_functional": dict(loss=rel(0.4), eval_loss=rel(0.3),
                                       priority_mae=absolute(0.3), department_acc=absolute(0.2),
                                       department_pred_sum=SUM),
    # The same saturation. The mean priority prediction is a saturated sigmoid's: it
    # lands near 0, 0.5 or 1 from run to run (TensorFlow: 0.50 four times in five, 1.0
    # once), so it is recorded but not compared (a tolerance of 1 on a value in [0, 1]).
    "p07_dlwp_ticket_subclassed": dict(loss=rel(0.6), eval_loss=rel(0.3),
                                       priority_pred_mean=absolute(1.0),
                                       department_pred_sum=SUM),
    "p08_dlwp_custom_metric": dict(first_test_acc=ACC, loss=LOSS, val_rmse=rel(0.15),
                                   test_loss=LOSS, test_acc=ACC, test_rmse=rel(0.15)),
    "p09_dlwp_callbacks": dict(loss=LOSS, best_val_loss=LOSS, test_loss=LOSS, test_acc=ACC),
    "p10_dlwp_custom_train_step": dict(loss=LOSS, test_acc=ACC),
    "p11_homl_fashion_mnist_mlp": dict(loss=LOSS, val_accuracy=ACC, test_loss=LOSS,
                                       test_acc=ACC),
    "p12_homl_regression_normalization": dict(loss=LOSS, val_rmse=rel(0.15),
                                              test_mse=LOSS, test_rmse=rel(0.15)),
    "p13_homl_wide_and_deep": dict(loss=LOSS, test_mse=LOSS, test_rmse=rel(0.15)),
    "p14_homl_multi_input_output": dict(two_input_test_mse=rel(0.3), loss=rel(0.3),
                                        test_weighted_loss=rel(0.3), test_main_loss=rel(0.3),
                                        test_aux_loss=rel(0.3)),
    "p15_homl_subclassed_wide_deep": dict(first_test_loss=rel(0.3), loss=LOSS,
                                          test_loss=LOSS),
    "p16_homl_custom_huber_loss": dict(loss=rel(0.3), val_loss=rel(0.3), test_loss=rel(0.3),
                                       test_mae=rel(0.25)),
    "p17_homl_custom_training_loop": dict(loss=LOSS, mae=LOSS, test_mse=rel(0.3)),
    "p18_dlwp2_linear_classifier": dict(loss=rel(0.3), accuracy=absolute(0.02)),
    "p19_dlwp2_custom_training_loop": dict(loss=LOSS, accuracy=ACC, val_loss=LOSS,
                                           val_accuracy=ACC),
    # RMSprop at learning rate 0.1 on a linear model of raw labels: a noisy descent, and
    # the early-stopping model's error depends on which epoch it restores (four runs)
    "p20_keras_callbacks_guide": dict(early_stopping_test_mae=rel(0.5), loss=rel(0.5),
                                      mae=rel(0.5), final_lr=absolute(1e-7)),
    "p21_keras_functional_api_guide": dict(loss=LOSS, val_accuracy=ACC, test_loss=LOSS,
                                           test_acc=ACC, reloaded_test_acc=ACC),
    "p22_keras_vae_subclassing_guide": dict(loss=rel(0.1)),
    # class weights of 1/16,000 and 1/80: the final loss is ~1e-7 and moves over two
    # orders of magnitude with the draw (Keras: 2.5e-8 to 3.8e-6 in six runs); from the
    # same initial weights fastnn gives Keras' losses (tests/conformance/
    # test_class_weighted_training.py)
    "p23_keras_imbalanced_classification": dict(loss=rel(0.5), val_recall=absolute(0.15),
                                                val_fraud_rows=absolute(0),
                                                val_all_rows=absolute(0)),
    # initial_loss: one example's loss under random initial weights (about ln 10 +- 1)
    "p24_tf_quickstart_beginner": dict(initial_loss=absolute(1.5), loss=LOSS, test_loss=LOSS,
                                       test_acc=ACC, prob_sum=SUM),
    "p25_tf_basic_classification": dict(loss=LOSS, test_loss=LOSS, test_acc=ACC,
                                        predicted_agrees=absolute(0)),
}

# Programs that do not run on fastnn today (or give other figures): the reason is the
# missing feature and the last line of the traceback. strict: a fix makes the test fail
# until its mark is removed. Kept in step with tests/programs/README.md.
XFAIL = {
    "p16_homl_custom_huber_loss":
        "mismatch: validation loss 1.92 on fastnn (the program's seed, 42) against 0.44-0.97 "
        "in 13 Keras runs (seeds 42-53): the draw of initial weights decides two epochs of "
        "this training. Over 30 other seeds each, fastnn and Keras give the same spread "
        "(validation loss median 0.76 and 0.77, above 1.0 in 20% and 17% of runs), and from "
        "the same initial weights the same losses to 2e-5 "
        "(tests/conformance/test_custom_loss_training.py)",
}


def run_program(name, tmp_dir):
    """Run tests/programs/<name>.py on fastnn: (returncode, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if k not in ("REFERENCE", "KERAS_BACKEND")}
    env["PYTHONPATH"] = os.pathsep.join(
        [PROGRAM_DIR, FASTNN_HOME] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.setdefault("MPLBACKEND", "Agg")
    proc = subprocess.run([sys.executable, os.path.join(PROGRAM_DIR, name + ".py")],
                          cwd=tmp_dir, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)
    return proc.returncode, proc.stdout, proc.stderr


def figures_of(stdout):
    for line in reversed(stdout.splitlines()):
        if line.startswith("FIGURES "):
            return json.loads(line[len("FIGURES "):])
    return None


def mismatches(name, figures):
    """The figures outside the reference range widened by their tolerance."""
    ref = REFERENCE["programs"].get(name, {}).get("figures")
    if not ref:
        return []
    bad = []
    for key, values in ref.items():
        if key not in figures:
            bad.append(f"{key}: missing (reference {values})")
            continue
        kind, tol = TOLERANCES[name][key]
        lo, hi = min(values), max(values)
        if kind == "abs":
            lo, hi = lo - tol, hi + tol
        else:
            lo, hi = lo - tol * abs(lo), hi + tol * abs(hi)
        x = figures[key]
        if not lo <= x <= hi:
            bad.append(f"{key} = {x:.6g}, reference {[round(v, 6) for v in values]}, "
                       f"allowed [{lo:.6g}, {hi:.6g}]")
    return bad


def check(name, tmp_dir):
    """None when the program runs and matches; otherwise (kind, message)."""
    try:
        rc, out, err = run_program(name, tmp_dir)
    except subprocess.TimeoutExpired:
        return "timeout", f"{name} ran longer than {TIMEOUT} s"
    if rc != 0:
        return "error", f"{name} failed (exit status {rc}):\n{err[-6000:]}"
    figures = figures_of(out)
    if figures is None:
        return "error", f"{name} printed no FIGURES line; its output ends:\n{out[-3000:]}"
    bad = mismatches(name, figures) if COMPARE_FIGURES else []
    if bad:
        return "mismatch", f"{name}: figures differ from Keras':\n  " + "\n  ".join(bad)
    return None


def test_every_program_has_tolerances():
    assert sorted(TOLERANCES) == PROGRAMS
    for name in PROGRAMS:
        ref = REFERENCE["programs"].get(name, {}).get("figures", {})
        assert set(ref) <= set(TOLERANCES[name]), name


def expected_failure(name):
    """The program's xfail reason, or None where it is expected to pass here."""
    reason = XFAIL.get(name)
    if reason is not None and reason.startswith("mismatch") and not COMPARE_FIGURES:
        return None
    return reason


def test_every_xfail_names_a_program():
    assert set(XFAIL) <= set(PROGRAMS)


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=expected_failure(n)))
    if expected_failure(n) else n
    for n in PROGRAMS])
def test_program(name, tmp_path):
    problem = check(name, str(tmp_path))
    if problem is not None:
        pytest.fail(problem[1], pytrace=False)


if __name__ == "__main__":
    # A table of where every program stands: python3 tests/test_programs.py
    import tempfile
    import time
    for name in PROGRAMS:
        with tempfile.TemporaryDirectory() as d:
            t0 = time.time()
            problem = check(name, d)
            sec = time.time() - t0
        if problem is None:
            print(f"| {name} | passes | {sec:.1f} s |")
        else:
            last = [ln for ln in problem[1].strip().splitlines() if ln.strip()][-1].strip()
            print(f"| {name} | {problem[0]} | {sec:.1f} s | {last} |")
