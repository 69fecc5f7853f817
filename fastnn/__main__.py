"""python -m fastnn: train the digit network (64-25-15-10) on the bundled 8x8 digits.

64 inputs -> Dense(25, relu) -> Dense(15, relu) -> Dense(10, linear), trained with
SparseCategoricalCrossentropy(from_logits=True) and Adam on pixels scaled to [0, 1],
with the Keras progress bar; then prints the test accuracy and the training time.
"""
import argparse
import sys
import time

import numpy as np


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m fastnn", description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=40, help="training epochs (default 40)")
    p.add_argument("--batch-size", type=int, default=32, help="batch size (default 32)")
    p.add_argument("--learning-rate", type=float, default=0.005, help="Adam learning rate (default 0.005)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--quiet", action="store_true", help="no progress bar, only the results")
    p.add_argument("--plot", metavar="PATH",
                   help="also validate on the test digits after every epoch and write the "
                        "learning curves (loss and accuracy per epoch) to PATH (.png, .svg "
                        "or .pdf; needs matplotlib)")
    args = p.parse_args(argv)
    if args.epochs < 1:
        p.error(f"--epochs must be >= 1, got {args.epochs}")
    if args.batch_size < 1:
        p.error(f"--batch-size must be >= 1, got {args.batch_size}")
    if not args.learning_rate > 0:
        p.error(f"--learning-rate must be > 0, got {args.learning_rate}")
    if args.plot is not None and not args.plot.lower().endswith((".png", ".svg", ".pdf")):
        p.error(f"--plot must name a .png, .svg or .pdf file, got {args.plot!r}")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    import fastnn
    from fastnn import Sequential
    from fastnn.datasets import digits
    from fastnn.layers import Dense
    from fastnn.losses import SparseCategoricalCrossentropy
    from fastnn.optimizers import Adam
    from fastnn.utils import set_random_seed

    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train, x_test = x_train / 16.0, x_test / 16.0  # pixel intensities 0-16 -> [0, 1]
    set_random_seed(args.seed)
    model = Sequential([
        Dense(units=25, activation="relu"),
        Dense(units=15, activation="relu"),
        Dense(units=10, activation="linear"),
    ])
    model.compile(optimizer=Adam(learning_rate=args.learning_rate),
                  loss=SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    info = fastnn.build_info()
    print(f"fastnn {info['version']}: {len(x_train)} training / {len(x_test)} test digits (8x8), "
          f"network 64-25-15-10, {info['num_threads']} thread(s), SIMD {info['simd']}")
    if args.plot is not None:
        from fastnn.utils import plot_history
        try:
            import matplotlib  # noqa: F401  (checked before training, not after)
        except ImportError:
            sys.exit('--plot draws with matplotlib, which is not installed: '
                     'pip install "fastnn-cpu[plot]"')
        validation = {"validation_data": (x_test, y_test)}
    else:
        validation = {}
    start = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                        verbose=0 if args.quiet else 1, **validation)
    seconds = time.perf_counter() - start
    logits = model.predict(x_test, verbose=0)
    accuracy = float(np.mean(np.argmax(logits, axis=1) == y_test))
    print(f"test accuracy: {accuracy:.4f}")
    print(f"training time: {seconds:.2f} s ({args.epochs} epochs, {seconds / args.epochs * 1000:.1f} ms/epoch)")
    if args.plot is not None:
        plot_history(history, args.plot, title="digit network 64→25→15→10: validation on "
                                                "the test digits")
        print(f"learning curves: {args.plot}")
    return accuracy


if __name__ == "__main__":
    main()
