"""Find the hub of a site on the local network by zeroconf (``_cimaise._tcp.local.``).

The hub announces TXT properties ``proto`` (protocol version), ``site``, ``path`` (the API
path, ``/api/v1``), ``hub_id`` (stable) and ``tls`` (certificate fingerprint, when TLS is on).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from zeroconf import InterfaceChoice, IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from cimaise.errors import HubUnreachableError

log = logging.getLogger(__name__)

SERVICE_TYPE = "_cimaise._tcp.local."
PROTOCOL_VERSION = "1"


@dataclass(frozen=True, slots=True)
class HubEndpoint:
    """A hub found on the network: its base URL (no API path) and its TXT identity."""

    url: str
    site: str
    hub_id: str
    proto: str
    tls: str | None = None


def endpoint_from_info(info: AsyncServiceInfo) -> HubEndpoint | None:
    """The endpoint a resolved service describes, or None when it is not a usable hub."""
    props = {k.decode(): (v or b"").decode() for k, v in info.properties.items()}
    addresses = info.parsed_addresses(IPVersion.V4Only)
    if not addresses or not info.port:
        return None
    scheme = "https" if props.get("tls") else "http"
    return HubEndpoint(
        url=f"{scheme}://{addresses[0]}:{info.port}",
        site=props.get("site", ""),
        hub_id=props.get("hub_id", ""),
        proto=props.get("proto", ""),
        tls=props.get("tls") or None,
    )


async def discover_hub(
    site: str | None = None,
    *,
    wait_s: float = 10.0,
    interfaces: list[str] | None = None,
) -> HubEndpoint:
    """Browse for hubs and return the first of ``site`` (any site when None).

    Raises HubUnreachableError when none answers within ``wait_s`` seconds.
    ``interfaces``: addresses to browse on (default all; tests use ["127.0.0.1"]).
    """
    names: asyncio.Queue[str] = asyncio.Queue()

    def on_change(
        zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        # Runs in the event loop: only hand the name over, resolve elsewhere.
        if state_change in (ServiceStateChange.Added, ServiceStateChange.Updated):
            names.put_nowait(name)

    aiozc = AsyncZeroconf(
        interfaces=interfaces if interfaces is not None else InterfaceChoice.All,
        ip_version=IPVersion.V4Only,
    )
    browser = AsyncServiceBrowser(aiozc.zeroconf, [SERVICE_TYPE], handlers=[on_change])
    deadline = time.monotonic() + wait_s
    seen: list[str] = []
    try:
        while (left := deadline - time.monotonic()) > 0:
            try:
                name = await asyncio.wait_for(names.get(), left)
            except TimeoutError:
                break
            info = AsyncServiceInfo(SERVICE_TYPE, name)
            if not await info.async_request(aiozc.zeroconf, int(min(3.0, left) * 1000) or 1):
                continue
            endpoint = endpoint_from_info(info)
            if endpoint is None:
                continue
            if endpoint.proto != PROTOCOL_VERSION:
                log.warning("ignoring hub %s: protocol %r", endpoint.hub_id, endpoint.proto)
                continue
            if site is not None and endpoint.site != site:
                seen.append(endpoint.site)
                continue
            log.info("found hub %s of site %s at %s", endpoint.hub_id, endpoint.site, endpoint.url)
            return endpoint
    finally:
        await browser.async_cancel()
        await aiozc.async_close()
    others = f" (found hubs of sites: {', '.join(sorted(set(seen)))})" if seen else ""
    wanted = f"of site '{site}' " if site is not None else ""
    raise HubUnreachableError(f"no Cimaise hub {wanted}answered on the network{others}")
