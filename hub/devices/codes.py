"""Pairing codes and device tokens: how they are made, shown, normalised and hashed.

Pure functions; randomness from ``secrets``. Only hashes are ever stored.
"""

from __future__ import annotations

import hashlib
import secrets

# No 0/O, 1/I/L, nor U/V: easy to read aloud and to type on a kiosk's screen.
ALPHABET = "ABCDEFGHJKMNPQRSTWXYZ23456789"
CODE_LENGTH = 8


def new_pairing_code() -> str:
    """A short single-use code, shown as ``ABCD-EFGH`` (about 39 bits)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_code(code: str) -> str:
    """The code as typed (any case, with or without dashes or spaces) in canonical form."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_hash(code: str) -> str:
    """The stored form of a pairing code."""
    return hashlib.sha256(b"cimaise-pairing:" + normalize_code(code).encode()).hexdigest()


def new_token() -> str:
    """A device token: 32 random bytes, URL-safe base64."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The stored form of a device token (sha256 hex)."""
    return hashlib.sha256(token.encode()).hexdigest()
