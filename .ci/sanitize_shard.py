"""pytest plugin for .ci/sanitize: with SANITIZE_SHARD=k/n in the environment, run only
every n-th collected test, starting with the k-th (0-based), so that n pytest processes
started alike (the same arguments, PYTHONHASHSEED fixed) share one run evenly."""
import os

import pytest


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    spec = os.environ.get("SANITIZE_SHARD")
    if not spec:
        return
    k, n = map(int, spec.split("/"))
    keep = [item for i, item in enumerate(items) if i % n == k]
    dropped = [item for i, item in enumerate(items) if i % n != k]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = keep
