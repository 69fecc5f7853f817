"""Benchmark suite settings.

Scale: $FASTNN_BENCH_SCALE when set; otherwise full size, except under
``--benchmark-disable`` (the smoke run CI does: ``python -m pytest bench -q
--benchmark-disable``), where every workload shrinks to SMOKE_SCALE so the suite checks
that the code runs and learns in a few seconds.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))   # workloads, numpy_mlp

from workloads import SCALE_ENV, get_scale  # noqa: E402

SMOKE_SCALE = 0.05      # W1/W2: 5 epochs; W3/W4: 3,000 rows


@pytest.fixture(scope="session")
def bench_scale(request):
    if os.environ.get(SCALE_ENV):
        return get_scale()
    if request.config.getoption("benchmark_disable", default=False):
        return SMOKE_SCALE
    return 1.0


def pytest_report_header(config):
    scale = os.environ.get(SCALE_ENV) or (
        SMOKE_SCALE if config.getoption("benchmark_disable", default=False) else 1.0)
    return f"fastnn bench: workload scale {scale} (set {SCALE_ENV} to change)"
