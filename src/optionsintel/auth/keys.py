"""API keys for programs: a public prefix to find the key, a secret, a fast hash.

A key reads ``oi_<prefix>_<secret>``: ``oi_<prefix>`` (11 characters) is stored in
clear and shown in listings so a user can tell keys apart and revoke one; the secret
is 32 random bytes (256 bits) from :mod:`secrets`. Only the SHA-256 of the whole key
is stored.

Why a fast hash and not Argon2 as for passwords: slow hashes exist to make guessing
low-entropy secrets expensive. A 256-bit random key cannot be guessed or found in a
dictionary whatever the hash speed, so a single SHA-256 is as strong here, and it
keeps authentication to microseconds on every request (an Argon2 check would cost
tens of milliseconds and a lot of memory per call, an easy denial of service).
Comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Final

KEY_MARK: Final = "oi_"
_PREFIX_CHARS: Final = 8
_KEY_RE: Final = re.compile(r"^oi_([a-z0-9]{8})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class NewApiKey:
    """A freshly generated key: ``key`` is shown once, then only ``prefix`` and ``key_hash``."""

    prefix: str
    key: str
    key_hash: str

    def __repr__(self) -> str:  # never print the secret
        return f"NewApiKey(prefix={self.prefix!r}, key='***')"


def hash_api_key(key: str) -> str:
    """Hex SHA-256 of the full key string."""
    return hashlib.sha256(key.encode()).hexdigest()


def generate_api_key() -> NewApiKey:
    """A new random key with its prefix and hash."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    ident = "".join(secrets.choice(alphabet) for _ in range(_PREFIX_CHARS))
    key = f"{KEY_MARK}{ident}_{secrets.token_urlsafe(32)}"
    return NewApiKey(prefix=f"{KEY_MARK}{ident}", key=key, key_hash=hash_api_key(key))


def key_prefix(key: str) -> str | None:
    """The stored prefix of a well-formed key string, None for anything else."""
    match = _KEY_RE.match(key)
    return f"{KEY_MARK}{match.group(1)}" if match else None


def looks_like_api_key(value: str) -> bool:
    """Whether ``value`` has the shape of a key (as opposed to a login token)."""
    return value.startswith(KEY_MARK)


def key_matches(key: str, stored_hash: str) -> bool:
    """Constant-time check of ``key`` against its stored hash."""
    return hmac.compare_digest(hash_api_key(key), stored_hash)
