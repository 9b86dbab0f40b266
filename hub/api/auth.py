"""Device authentication: ``Authorization: Bearer TOKEN`` on every device call."""

from __future__ import annotations

from aiohttp import web

from hub.api.problems import ApiProblem
from hub.devices.registry import Device
from hub.keys import DEVICES

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="cimaise"'}


def require_device(request: web.Request) -> Device:
    """The device calling, or a 401 problem (code ``pairing_required``)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiProblem(
            401,
            "pairing_required",
            "this call needs the device's token (Authorization: Bearer ...): "
            "pair the device with the hub first",
            _CHALLENGE,
        )
    device = request.app[DEVICES].authenticate(token)
    if device is None:
        raise ApiProblem(
            401,
            "pairing_required",
            "this device's token is unknown or was revoked: pair the device again "
            "with a new code from the hub",
            _CHALLENGE,
        )
    return device
