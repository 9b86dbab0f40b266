"""Batches of the cloud protocol: sizing, ids, gzip NDJSON bodies and signatures (pure).

A batch covers a range of one stream's sequence numbers. Its id is derived from the
range, the database's random epoch and a digest of the batch's first and last records,
so a retry sends the same id (the receiver's idempotency key), a new database never
reuses the ids of an old one, and a database restored from a backup, which numbers new
events as the lost ones were numbered, gives them new ids (every event id is unique).
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

SIGNATURE_PREFIX: Final = "sha256="
CONTENT_TYPE: Final = "application/x-ndjson"
GZIP_LEVEL: Final = 6


def batch_id(epoch: str, stream: str, first: int, last: int, digest: str = "") -> str:
    """The idempotency key of the batch of ``stream`` covering ``first..last``."""
    key = f"{stream}-{epoch}-{first}-{last}"
    return f"{key}-{digest}" if digest else key


def edge_digest(body: bytes) -> str:
    """A short digest of a batch's first and last records (empty when it has none).

    ``body`` is the batch's NDJSON. Records carry unique ids, so two batches over the
    same range with other events in them differ here; hashing the edges alone keeps it
    cheap on large batches.
    """
    if not body:
        return ""
    end = body.find(b"\n")
    head = body if end < 0 else body[: end + 1]
    tail = body[body.rfind(b"\n", 0, len(body) - 1) + 1 :]
    return hashlib.blake2b(head + b"\0" + tail, digest_size=4).hexdigest()


def cut(line_sizes: Sequence[int], max_count: int, max_bytes: int) -> int:
    """How many leading lines fit a batch of ``max_count`` lines and ``max_bytes`` bytes.

    At least one line when there is any, so a single line larger than the byte limit
    still travels (alone) instead of blocking the stream.
    """
    total = 0
    for n, size in enumerate(line_sizes[:max_count]):
        total += size
        if total > max_bytes and n > 0:
            return n
    return min(len(line_sizes), max_count)


@dataclass(frozen=True, slots=True)
class StreamRows:
    """Rows of a stream in sequence order, as the NDJSON they go out as.

    ``seqs`` holds every row read, ``skipped`` those the sync skips (they send nothing
    but belong to the range), ``body`` one line per other row, in the same order. One
    buffer rather than a line per row: the export encodes a batch at once.
    """

    seqs: list[int]
    body: bytes
    skipped: frozenset[int] = frozenset()

    @classmethod
    def of_lines(cls, seqs: Sequence[int], lines: Sequence[bytes]) -> StreamRows:
        """From lines aligned with ``seqs``: each with its newline, empty for a skipped row."""
        skipped = frozenset(seq for seq, line in zip(seqs, lines, strict=True) if not line)
        return cls(list(seqs), b"".join(lines), skipped)

    @property
    def records(self) -> int:
        """How many records the body holds."""
        return len(self.seqs) - len(self.skipped)

    def lines(self) -> list[bytes]:
        """One line per row, aligned with ``seqs`` (empty for a skipped row)."""
        # every line ends in a newline, so the split's last part is the empty remainder
        records = [line + b"\n" for line in self.body.split(b"\n")[:-1]]
        if len(records) != self.records:
            raise ValueError(f"{len(records)} lines for {self.records} records")
        taken = iter(records)
        return [b"" if seq in self.skipped else next(taken) for seq in self.seqs]

    def head(self, max_count: int, max_bytes: int) -> StreamRows:
        """The leading rows that fit one batch (at least one row: see ``cut``)."""
        if len(self.seqs) <= max_count and len(self.body) <= max_bytes:
            return self
        lines = self.lines()
        n = cut([len(line) for line in lines], max_count, max_bytes)
        return StreamRows.of_lines(self.seqs[:n], lines[:n])

    def digest(self) -> str:
        """``edge_digest`` of the records: what makes the batch id name its content."""
        return edge_digest(self.body)


def gzip_body(ndjson: bytes, level: int = GZIP_LEVEL) -> bytes:
    """NDJSON (each line ending in a newline) as one gzip body (mtime 0)."""
    return gzip.compress(ndjson, compresslevel=level, mtime=0)


def signature(secret: bytes, timestamp: int | str, body: bytes) -> str:
    """``sha256=HEX``: HMAC-SHA256 of ``timestamp + "." + body`` as sent."""
    mac = hmac.new(secret, str(timestamp).encode("ascii") + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def signature_ok(secret: bytes, timestamp: str, body: bytes, header: str) -> bool:
    """True when ``header`` is the batch's signature (compared in constant time)."""
    try:
        expected = signature(secret, timestamp, body)
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected.encode(), header.strip().encode("utf-8", "replace"))


def headers(site: str, batch: str, timestamp: int, body: bytes, secret: bytes) -> dict[str, str]:
    """The request headers of one attempt at sending a batch."""
    return {
        "Content-Type": CONTENT_TYPE,
        "Content-Encoding": "gzip",
        "Cimaise-Site": site,
        "Cimaise-Batch": batch,
        "Cimaise-Timestamp": str(timestamp),
        "Cimaise-Signature": signature(secret, timestamp, body),
    }
