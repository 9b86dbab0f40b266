"""Announce the hub by zeroconf as ``_cimaise._tcp.local.`` (python-zeroconf's async API).

TXT properties (protocol 1): ``proto`` (protocol version), ``site``, ``path`` (``/api/v1``),
``hub_id`` (stable), ``version`` (Cimaise), and ``tls`` (certificate fingerprint) when TLS
is on. The hub announces on the interface of its listening address: 127.0.0.1 means
loopback only; every interface only for 0.0.0.0.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from dataclasses import dataclass

import ifaddr
from zeroconf import InterfaceChoice, IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from cimaise import __version__
from hub.client.discovery import PROTOCOL_VERSION, SERVICE_TYPE

log = logging.getLogger(__name__)

API_PATH = "/api/v1"


@dataclass(frozen=True, slots=True)
class Placement:
    """Where to announce: the interfaces zeroconf uses and the addresses it publishes."""

    interfaces: list[str] | InterfaceChoice
    addresses: list[str]


def placement_for(host: str) -> Placement:
    """Interfaces and addresses for a hub listening on ``host``."""
    if host in ("0.0.0.0", "", "::"):
        addresses = [
            str(ip.ip)
            for adapter in ifaddr.get_adapters()
            for ip in adapter.ips
            if ip.is_IPv4 and not ipaddress.ip_address(str(ip.ip)).is_loopback
        ]
        return Placement(InterfaceChoice.All, addresses or ["127.0.0.1"])
    try:
        address = str(ipaddress.ip_address(host))
    except ValueError:
        address = socket.gethostbyname(host)
    return Placement([address], [address])


def service_info(
    *, site: str, hub_id: str, port: int, addresses: list[str], tls: str | None = None
) -> AsyncServiceInfo:
    """The service record of a hub."""
    properties = {
        "proto": PROTOCOL_VERSION,
        "site": site,
        "path": API_PATH,
        "hub_id": hub_id,
        "version": __version__,
    }
    if tls:
        properties["tls"] = tls
    return AsyncServiceInfo(
        SERVICE_TYPE,
        f"Cimaise hub {site} {hub_id[:8]}.{SERVICE_TYPE}",
        port=port,
        properties=properties,
        server=f"cimaise-{hub_id[:8]}.local.",
        addresses=[socket.inet_aton(a) for a in addresses],
    )


class Announcer:
    """Registers the hub's service on start and unregisters it on stop."""

    def __init__(self, *, host: str, port: int, site: str, hub_id: str) -> None:
        self.placement = placement_for(host)
        self.info = service_info(
            site=site, hub_id=hub_id, port=port, addresses=self.placement.addresses
        )
        self._zc: AsyncZeroconf | None = None

    async def async_start(self) -> None:
        """Register the service (waits for the name to be probed as unique)."""
        self._zc = AsyncZeroconf(interfaces=self.placement.interfaces, ip_version=IPVersion.V4Only)
        try:
            await self._zc.async_register_service(self.info, allow_name_change=True)
        except BaseException:
            await self._zc.async_close()
            self._zc = None
            raise
        log.info("announced %s on %s", self.info.name, ", ".join(self.placement.addresses))

    async def async_stop(self) -> None:
        """Unregister the service (a goodbye packet) and close zeroconf."""
        if self._zc is None:
            return
        try:
            await self._zc.async_unregister_service(self.info)
        finally:
            await self._zc.async_close()
            self._zc = None
