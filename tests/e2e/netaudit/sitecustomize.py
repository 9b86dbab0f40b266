"""Loaded by every Python process of a test run with this folder on PYTHONPATH: records each
attempt to reach an address beyond this machine (``NETAUDIT_LOG``), so the demo's promise to
talk to loopback only is checked in all its processes, not assumed.

Python's audit hooks see every ``connect``, ``sendto``/``sendmsg`` and name lookup, whatever
library makes them (aiohttp, zeroconf, urllib...).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys


def _loopback_host(host: object) -> bool:
    if host in (None, "", b"", "localhost", b"localhost"):
        return True
    text = host.decode() if isinstance(host, bytes) else str(host)
    try:
        address = ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return False  # a name to resolve: a DNS query may leave the machine
    return address.is_loopback or address.is_unspecified


def _multicast_on_loopback(sock: socket.socket) -> bool:
    try:
        interface = sock.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, 4)
    except OSError:
        return False
    return socket.inet_ntoa(interface).startswith("127.")


def _install(log_path: str) -> None:
    def record(what: str, target: object) -> None:
        with open(log_path, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {' '.join(sys.argv[:4])}: {what} {target!r}\n")

    def hook(event: str, args: tuple[object, ...]) -> None:
        if event == "socket.getaddrinfo":
            if not _loopback_host(args[0]):
                record("lookup", args[0])
        elif event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
            sock, address = args[0], args[1]
            if not isinstance(address, tuple) or not address:
                return  # a Unix socket, or a connected socket's send
            host = address[0]
            if _loopback_host(host):
                return
            try:
                multicast = ipaddress.ip_address(str(host)).is_multicast
            except ValueError:
                multicast = False
            if multicast and isinstance(sock, socket.socket) and _multicast_on_loopback(sock):
                return  # zeroconf on the loopback interface
            record(event.split(".")[1], address)

    sys.addaudithook(hook)
    with open(log_path + ".pids", "a", encoding="utf-8") as fh:
        fh.write(f"{os.getpid()} {' '.join(sys.argv[:4])}\n")


if os.environ.get("NETAUDIT_LOG"):
    _install(os.environ["NETAUDIT_LOG"])
