"""Shared fixtures and the skip rule of the clnn Python tests.

A skip is not a pass: a file whose tests were all skipped exits 77, which
ctest shows as "Skipped"; and a module that CMake found importable at
configure time (CLNN_PYTHON_REQUIRE, e.g. "numpy,pytest,torch,pyopencl")
must import here, or the test fails instead of skipping."""
import importlib
import os

import pytest

_outcomes = {"passed": 0, "skipped": 0, "failed": 0}


def require(module):
    """Imports module, or skips (fails when CMake found it: CLNN_PYTHON_REQUIRE)."""
    required = os.environ.get("CLNN_PYTHON_REQUIRE", "").split(",")
    try:
        return importlib.import_module(module)
    except ImportError as e:
        if module in required:
            pytest.fail(f"{module} was importable when CMake configured the build but not now: {e}")
        pytest.skip(f"python3 has no {module} (Debian: python3-{module})", allow_module_level=True)


@pytest.fixture(scope="session")
def ctx():
    import clnn
    with clnn.Context() as c:
        yield c


@pytest.fixture
def rng():
    import numpy as np
    return np.random.default_rng(1234)


def pytest_runtest_logreport(report):
    if report.when == "call" or report.outcome != "passed":
        _outcomes[report.outcome] = _outcomes.get(report.outcome, 0) + 1


def pytest_collectreport(report):
    if report.outcome == "skipped":
        _outcomes["skipped"] += 1


def pytest_sessionfinish(session, exitstatus):
    if _outcomes["passed"] == 0 and _outcomes["failed"] == 0 and _outcomes["skipped"] > 0:
        session.exitstatus = 77
