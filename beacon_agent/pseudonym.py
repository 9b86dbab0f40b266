"""Pseudonyms: a Bluetooth address turned into a keyed hash, with the key in memory only.

The key comes from the hub's heartbeat reply, rotates every day and at hub restart,
and is never written anywhere. Without a key there is no pseudonym, and so nothing
about visitors is recorded. Pseudonyms are cached per address within one key epoch,
in memory, so the hash is computed once per address rather than once per
advertisement; the cache is dropped with the key.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Final

#: hex digits of a pseudonym (64 bits of a keyed BLAKE2b digest)
PSEUDONYM_HEX: Final = 16
#: cache bound: far above the devices one room sees in a day, small in memory
MAX_CACHED: Final = 50_000


@dataclass(frozen=True, slots=True)
class PseudonymKey:
    """A key from the hub: the secret, its id and its end (Unix seconds, None: no end)."""

    secret: bytes
    key_id: str
    expires: float | None = None

    def __repr__(self) -> str:  # never show the secret, even in a traceback
        return f"PseudonymKey(key_id={self.key_id!r}, expires={self.expires!r})"


def pseudonym_of(key: bytes, address: str) -> str:
    """The pseudonym of an address under a key (keyed BLAKE2b, 16 hex digits)."""
    normalised = address.upper().encode()
    return hashlib.blake2b(normalised, key=key[:64], digest_size=PSEUDONYM_HEX // 2).hexdigest()


class Pseudonymizer:
    """Turns addresses into pseudonyms under the current key, or None without one."""

    __slots__ = ("_key", "cache")

    def __init__(self) -> None:
        self._key: PseudonymKey | None = None
        #: address -> pseudonym under the current key; read it for speed, never write it
        self.cache: dict[str, str] = {}

    @property
    def key_id(self) -> str | None:
        """The id of the key in use, or None when there is none."""
        return None if self._key is None else self._key.key_id

    def set_key(self, key: PseudonymKey | None) -> bool:
        """Use a new key (or none); True when it differs from the one in use."""
        old = self._key
        if key is not None and old is not None and hmac.compare_digest(key.secret, old.secret):
            self._key = key  # same secret, maybe a new expiry
            return False
        self._key = key
        self.cache = {}
        return old is not None or key is not None

    def expire(self, now: float) -> bool:
        """Forget the key once it has expired; True when it was dropped."""
        key = self._key
        if key is not None and key.expires is not None and now >= key.expires:
            self.set_key(None)
            return True
        return False

    def pseudonym(self, address: str) -> str | None:
        """The pseudonym of an address, or None when no key is available."""
        cached = self.cache.get(address)
        if cached is not None:
            return cached
        key = self._key
        if key is None:
            return None
        if len(self.cache) >= MAX_CACHED:
            self.cache = {}
        value = self.cache[address] = pseudonym_of(key.secret, address)
        return value
