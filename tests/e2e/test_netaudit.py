"""The network audit used by the demo test tells loopback from the rest of the world."""

from __future__ import annotations

import pytest

from tests.e2e.netaudit.sitecustomize import _loopback_host


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.8.9.1", "::1", "localhost", "", None, "0.0.0.0"]
)
def test_loopback_hosts_pass(host: object) -> None:
    assert _loopback_host(host)


@pytest.mark.parametrize(
    "host", ["192.0.2.1", "10.0.0.1", "224.0.0.251", "example.org", b"hub.local"]
)
def test_other_hosts_are_recorded(host: object) -> None:
    assert not _loopback_host(host)
