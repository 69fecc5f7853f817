"""Ctrl-C while fastnn trains or predicts: stopped within a step, at a consistent point.

The C engine runs many steps per call without the GIL, where Python cannot act on a
SIGINT until the call returns. So each engine call runs inside a `Section`:

- the engine's SIGINT hook is installed for the call (csrc/interrupt.h), so the engine
  stops at its next step or block boundary (`sig0` is the baseline it compares with);
- in the main thread, Python's own handler is deferred until the section ends: a
  KeyboardInterrupt is never raised between a weight update and the bookkeeping that
  goes with it (the optimizer's step count, the running sums, the History), so after
  it the weights, the optimizer's slots and `iterations` agree and `fit` can resume.

A SIGINT is delivered to the main thread's handler only; in other threads (and where
SIGINT is ignored or left to its default) sections change nothing and calls run to
their end. A handler that does not raise lets the interrupted work go on: callers loop
until the work is done.
"""
import _signal          # signal's C functions: no enum conversions (~2 us a call less)
import threading

from fastnn import _kernels

NO_INTERRUPT = _kernels.NO_INTERRUPT
_MAIN_ID = threading.main_thread().ident
_SIGINT = int(_signal.SIGINT)


def _run_pending_handlers():
    """Nothing: calling Python code is where the interpreter runs the Python handlers of
    signals that have arrived."""


class Section:
    """`with Section(defer) as sec:` one engine call given `sig0=sec.sig0`, and (with
    defer=True) the bookkeeping after it, which a KeyboardInterrupt cannot split: the
    handler runs when the block ends."""

    __slots__ = ("defer", "sig0", "_prev", "_hits", "_hooked")

    def __init__(self, defer=True):
        self.defer = defer

    def __enter__(self):
        self.sig0 = NO_INTERRUPT
        self._prev = None
        self._hooked = False
        if threading.get_ident() != _MAIN_ID:
            return self
        if self.defer:
            self._hits = []
            prev = _signal.signal(_SIGINT, self._record)
            if not callable(prev):    # ignored, the default, or not set from Python
                _signal.signal(_SIGINT, prev)
                return self
            self._prev = prev
        self.sig0 = _kernels.sigint_hook_enter()
        self._hooked = self.sig0 != NO_INTERRUPT
        if self._hooked and self._prev is not None:
            # A SIGINT that came before the engine's hook was in place is not in its
            # count: Python runs its handler (_record) at the next call of Python code.
            # Run that now; if it records one, the engine stops at its first check.
            _run_pending_handlers()
            if self._hits:
                self.sig0 += 1
        return self

    def _record(self, signum, frame):
        self._hits.append((signum, frame))

    def __exit__(self, *exc):
        if self._hooked:
            _kernels.sigint_hook_exit()
        if self._prev is not None:
            _signal.signal(_SIGINT, self._prev)
            if self._hits:
                self._prev(*self._hits[0])    # Python's default raises KeyboardInterrupt
        return False
