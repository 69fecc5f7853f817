"""A count of the changes that can alter how a model lowers onto the C engine.

The engine keeps a plan per model and, before each call, checks that nothing the plan
was built from has changed (``engine.FusedPlan._key``: the layers, their weights and
settings, the loss, the metrics, the optimizer's settings). That check reads every layer
and costs several microseconds, a large share of a one-row ``predict``. Every way such
things change counts here instead: an attribute set on a layer (a model is a layer) or
on an optimizer, a weight added, a weight's ``trainable`` or
``overwrite_with_gradient`` flag set, a layer added to or taken from a Sequential. A
plan checked at count ``n`` needs no new check while the count is still ``n`` and the
model's chain of layers is the same objects.

Counting too often only costs a full check; missing a change would run a stale plan,
so every writer of those things calls :func:`note` (or goes through an ``__setattr__``
that does), and only the attributes in ``RUN_STATE``, which the training loops set at
every call and no plan reads, are left out.
"""

# [n]: a list, so that the hot writers (Layer.__setattr__) bump it without a call
count = [0]

# Attributes fit / evaluate / predict / train_on_batch set on the model, and an optimizer
# step sets on the optimizer, at every call; the plan's key reads none of them.
RUN_STATE = frozenset({
    "history", "stop_training", "stop_evaluating", "stop_predicting", "_on_batch_sums",
    "_initial_epoch", "_iterations",
})


def note():
    """Count one change (made outside a Layer's or an Optimizer's __setattr__)."""
    count[0] += 1


def now():
    """The count so far: read it BEFORE checking a model, so that a change made while
    the check runs (another thread) is seen at the next call."""
    return count[0]
