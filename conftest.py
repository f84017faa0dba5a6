"""pytest set-up shared by the whole suite."""

from __future__ import annotations

import os

import pytest

REQUIRE_ALL = os.environ.get("SHUXIANG_REQUIRE_ALL") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    # In CI a skipped test means a part (PostgreSQL, Chromium) was not exercised: fail it.
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"SHUXIANG_REQUIRE_ALL=1 but the test was skipped: {reason}"


@pytest.fixture(autouse=True)
def _fresh_circulation_settings():  # type: ignore[no-untyped-def]
    # The checkout caches loan rules and the calendar per process; a test's rollback fires no
    # signal, so every test starts from what its own database holds.
    from shuxiang.circulation import config

    config.invalidate()
    yield
    config.invalidate()
