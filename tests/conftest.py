"""Fixtures shared by every test, and the leak checks that keep the suite honest.

A test that leaves a thread or a child process running fails: leaks make a suite
slow and make CI hang on an orphan.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import psutil
import pytest

# No user configuration may leak into a test.
for _var in [v for v in os.environ if v.startswith("CIMAISE_")]:
    del os.environ[_var]
os.environ.setdefault("KIVY_USE_DEFAULTCONFIG", "1")
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")

# Threads that libraries start once per process and keep (not leaks of a test).
_PROCESS_WIDE_THREADS = (
    "asyncio_",
    "ThreadPoolExecutor",
    "pydevd",
    "Dummy-",
    "zeroconf-ServiceBrowser",
)


def _live_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t is not threading.main_thread()}


def _wait_until(predicate: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return bool(predicate())  # type: ignore[operator]


@pytest.fixture(autouse=True)
def verify_threads_ended() -> Iterator[None]:
    """Fail a test that leaves a thread of its own running."""
    before = _live_threads()
    yield

    def leaked() -> set[threading.Thread]:
        return {
            t
            for t in _live_threads() - before
            if t.is_alive() and not t.name.startswith(_PROCESS_WIDE_THREADS)
        }

    _wait_until(lambda: not leaked(), 5.0)
    left = leaked()
    assert not left, f"test left threads running: {sorted(t.name for t in left)}"


@pytest.fixture(autouse=True)
def verify_subprocesses_ended() -> Iterator[None]:
    """Fail a test that leaves a child process running (hub, agent, receiver, Xvfb...)."""
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    yield

    def leaked() -> list[psutil.Process]:
        out = []
        for p in me.children(recursive=True):
            try:
                if p.pid not in before and p.status() != psutil.STATUS_ZOMBIE:
                    out.append(p)
            except psutil.NoSuchProcess:
                pass
        return out

    _wait_until(lambda: not leaked(), 5.0)
    left = leaked()
    for p in left:  # do not let one leak poison the rest of the run
        p.kill()
    assert not left, f"test left processes running: {[' '.join(p.cmdline()[:4]) for p in left]}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """In CI, a test skipped for want of a tool fails: CI installs every tool the suite uses."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if not (os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail")):
        return
    reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
    if any(word in reason for word in ("not installed", "missing", "needs root", "cannot mount")):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every tool must be present: {reason}"
