"""A differential random test for subclassed models whose call() is a graph of their
own layers (several inputs, several outputs, concatenations, branches, residual Adds):
the random functional models of tests/test_normalized_parts_differential.py (2 to 4
inputs, some through a Normalization or Rescaling, one or two outputs) and of
tests/test_multi_output_differential.py (one input, 2 to 4 outputs, BatchNormalization,
LayerNormalization, Dropout, regularizers, sample weights per output), each rewritten as
a subclassed model: its layers held in a list attribute, its call() running the graph
on them (passing `training` on to every layer, as hand-written calls do) and returning
the outputs as a dict by output name (the names the cases' losses, metrics and targets
use). fit, evaluate and predict trace that call() into a graph (Model._graph_model) and
run it on the engine where the functional model would.

Each case is trained once on the engine and once on the layer-by-layer path
(``fastnn.engine.ENABLED = False``) from the same seed, and compared as those tests
compare theirs (their _run and _assert_alike): weights and predictions bit for bit,
the logs within their tolerances. And a subclassed model takes the engine exactly where
the functional model of the same graph does.

A scratch run over 1,000 seeds of each generator found no difference."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import engine
from fastnn.models.functional import run_graph
import test_multi_output_differential as multi_output
import test_normalized_parts_differential as normalized_parts

pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")


class GraphModel(keras.Model):
    """A subclassed model whose call() runs a functional model's graph on the layers it
    holds itself (the functional model is kept out of its tracked attributes)."""

    def __init__(self, functional):
        super().__init__(name=f"subclassed_{functional.name}", dtype=functional.dtype)
        self.parts = [layer for layer in functional.layers if not layer._is_input_layer]
        self.__dict__["_functional"] = lambda: functional

    def call(self, inputs, training=None):
        f = self._functional()
        given = f._given_inputs(inputs, self.name)

        def call_layer(layer, args, kwargs):
            if training is not None:
                kwargs["training"] = training
            return layer(*args, **kwargs)
        out = run_graph(f._nodes, f.inputs, given, f._outputs_struct, call_layer)
        if isinstance(out, (list, tuple, dict)):
            flat = [out[k] for k in sorted(out)] if isinstance(out, dict) else list(out)
            return dict(zip(f.output_names, flat))
        return out


def _subclassed(build):
    def make():
        f = build()
        m = GraphModel(f)
        m.compile_from_config(f.get_compile_config())
        return m
    return make


GENERATORS = {"normalized_parts": normalized_parts, "multi_output": multi_output}
SEEDS = [("normalized_parts", s) for s in range(12)] + [("multi_output", s) for s in range(12)]


def _subclassed_case(module, monkeypatch):
    """Make the module's cases build the subclassed form of their models (its _run
    then trains those), with its records of the runs kept apart."""
    case = module._case
    monkeypatch.setattr(module, "_case", lambda seed: (_subclassed(case(seed)[0]),)
                        + tuple(case(seed)[1:]))
    for record in ("_WHY", "_WALKED", "_IN_ORDER"):
        if hasattr(module, record):
            monkeypatch.setattr(module, record, {})
    return case


@pytest.mark.parametrize("generator,seed", SEEDS)
def test_random_subclassed_graphs_train_alike_on_both_paths(generator, seed, monkeypatch):
    module = GENERATORS[generator]
    functional_case = _subclassed_case(module, monkeypatch)
    a, lowered = module._run(seed, True, monkeypatch)
    b, on_engine = module._run(seed, False, monkeypatch)
    assert not on_engine
    module._assert_alike(seed, a, b)
    # the engine takes the subclassed model where it takes the functional one
    monkeypatch.setattr(engine, "ENABLED", True)
    build, x, y = functional_case(seed)[:3]
    f = build()
    f.fit(x, y, epochs=1, verbose=0)
    assert lowered == (f._engine.plan is not None), f._engine.why


def test_most_random_subclassed_graphs_lower(monkeypatch):
    """The cases above are worth running: most of them train on the engine."""
    monkeypatch.setattr(engine, "ENABLED", True)
    lowered = 0
    for generator, seed in SEEDS:
        module = GENERATORS[generator]
        build, x, y = module._case(seed)[:3]
        m = _subclassed(build)()
        m.fit(x, y, epochs=1, verbose=0)
        assert isinstance(m, GraphModel)
        lowered += m._engine.plan is not None
    assert lowered >= 0.75 * len(SEEDS)
