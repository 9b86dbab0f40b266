"""What the store and its ingest writer process say to each other over their socket pair.

Frames are a 4-byte big-endian length and a msgpack body. The store sends ``Ingest``
jobs and, to close, ``Stop``; the writer answers ``Ready`` once (its connection is open,
or why not), then ``GroupDone`` for every group it committed or failed. A second socket
pair hands over SQLite's write lock (see ``hub.store.ingest_writer``), one byte each way.
"""

from __future__ import annotations

import struct
from typing import Final

import msgspec

#: the values of one stored row, in this order; ``received`` is None until the writer
#: takes the job and stamps it
COLUMNS: Final = ("id", "type", "ts", "received", "device_id", "site", "zone", "visitor", "body")
VALUES_PER_ROW: Final = len(COLUMNS)
RECEIVED: Final = COLUMNS.index("received")

HEADER: Final = struct.Struct("!I")

# One byte each on the lock socket pair.
LOCK: Final = b"L"  # the store's thread asks for the write lock; the writer grants it
UNLOCK: Final = b"U"  # the store's thread is done: the writer may write again


class Ingest(msgspec.Struct, array_like=True, tag=1):
    """Rows to store: ``rows`` x ``VALUES_PER_ROW`` values, flat, in ``COLUMNS`` order."""

    job: int
    rows: int
    values: list[str | None]


class Stop(msgspec.Struct, array_like=True, tag=0):
    """Finish what is queued, close the connection, exit."""


class Ready(msgspec.Struct, array_like=True):
    """The writer's first frame: None once its connection is open, else why not."""

    error: str | None


class JobDone(msgspec.Struct, array_like=True):
    """One job's outcome: counts, or the error (``kind`` names its class) and its text."""

    job: int
    accepted: int = 0
    duplicates: int = 0
    kind: str | None = None
    message: str | None = None


class GroupDone(msgspec.Struct, array_like=True):
    """One group's jobs; ``error`` (the store cannot commit) when nothing of it was stored."""

    jobs: list[JobDone]
    rows: int
    seconds: float
    error: str | None = None


#: the ``kind`` of a job whose group could not be committed (disk full, read-only...)
UNAVAILABLE: Final = "unavailable"

to_writer = msgspec.msgpack.Decoder(Ingest | Stop)
from_writer_first = msgspec.msgpack.Decoder(Ready)
from_writer = msgspec.msgpack.Decoder(GroupDone)
_encode = msgspec.msgpack.Encoder().encode


def frame(message: msgspec.Struct) -> bytes:
    """``message`` framed for the socket."""
    body = _encode(message)
    return HEADER.pack(len(body)) + body
