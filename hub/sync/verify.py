"""Checks of one batch as a receiver gets it (pure): headers, clock, signature, body.

``check_batch`` runs them in this order: headers present (400), timestamp within the
window (401), signature over the body as sent (401), gzip (415/400/413), one JSON
object with ``type`` and ``id`` per line (400); it raises ``BatchRefused`` with the
status and a stable code, or returns the site, the batch id and the record count.
"""

from __future__ import annotations

import zlib
from typing import Final

import msgspec

from cimaise.errors import CimaiseError
from hub.sync.batching import signature_ok

MAX_DECOMPRESSED_BYTES: Final = 256 * 1024 * 1024
DEFAULT_WINDOW_S: Final = 300.0
HEADERS: Final = (
    "Cimaise-Site",
    "Cimaise-Batch",
    "Cimaise-Timestamp",
    "Cimaise-Signature",
    "Content-Encoding",
)


class _Line(msgspec.Struct, gc=False):  # strings only: no cycles to track
    type: str
    id: str


_line_decoder: Final = msgspec.json.Decoder(_Line)


class BatchRefused(CimaiseError):
    """Raised when a receiver refuses a batch; the HTTP layer makes it a problem body."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


def _decompress(body: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(body, limit)
    except zlib.error as exc:
        raise BatchRefused(400, "bad-gzip", f"the body is not gzip: {exc}") from None
    if inflater.unconsumed_tail:
        raise BatchRefused(413, "too-large", "the decompressed body is too large")
    if not inflater.eof:
        raise BatchRefused(400, "bad-gzip", "the gzip body is truncated")
    return out


_lines_decoder: Final = msgspec.json.Decoder(list[_Line])


def count_records(ndjson: bytes) -> int:
    """How many records a batch holds; refuses one whose lines are not such objects.

    Every line must be a JSON object with a string ``type`` and ``id``. The whole body
    is checked in one decode (as a JSON array of its lines); only a refused body is
    walked line by line, to name the first bad line.
    """
    text = ndjson.rstrip(b"\n")
    if not text:
        return 0
    lines = text.count(b"\n") + 1
    try:
        if len(_lines_decoder.decode(b"[" + text.replace(b"\n", b",") + b"]")) == lines:
            return lines
    except (msgspec.DecodeError, msgspec.ValidationError):
        pass
    for number, line in enumerate(text.split(b"\n"), start=1):
        try:
            _line_decoder.decode(line)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise BatchRefused(400, "bad-record", f"line {number}: {exc}") from None
    raise BatchRefused(400, "bad-record", "the body is not NDJSON")


def check_batch(
    headers: dict[str, str],
    body: bytes,
    secret: bytes,
    now: float,
    window_s: float,
    max_bytes: int = MAX_DECOMPRESSED_BYTES,
) -> tuple[str, str, int]:
    """Verify one request; returns ``(site, batch, record count)`` or raises BatchRefused."""
    missing = [
        name
        for name in ("Cimaise-Site", "Cimaise-Batch", "Cimaise-Timestamp", "Cimaise-Signature")
        if not headers.get(name)
    ]
    if missing:
        raise BatchRefused(400, "missing-header", f"missing header(s): {', '.join(missing)}")
    stamp = headers["Cimaise-Timestamp"]
    try:
        sent = int(stamp)
    except ValueError:
        raise BatchRefused(400, "bad-timestamp", "Cimaise-Timestamp is not Unix seconds") from None
    if abs(now - sent) > window_s:
        raise BatchRefused(
            401,
            "stale-timestamp",
            f"Cimaise-Timestamp is {now - sent:+.0f} s away from the receiver's clock "
            f"(window {window_s:.0f} s): check both clocks",
        )
    if not signature_ok(secret, stamp, body, headers["Cimaise-Signature"]):
        raise BatchRefused(
            401, "bad-signature", "the signature does not match: check the shared secret"
        )
    if headers.get("Content-Encoding", "").lower() != "gzip":
        raise BatchRefused(415, "not-gzip", "the body must be sent with Content-Encoding: gzip")
    return (
        headers["Cimaise-Site"],
        headers["Cimaise-Batch"],
        count_records(_decompress(body, max_bytes)),
    )
