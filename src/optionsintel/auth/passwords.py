"""Password hashing with Argon2id (argon2-cffi, RFC 9106 parameters).

Passwords are low-entropy secrets, so they are hashed with a memory-hard function
whose cost is stored in the hash string: raising the parameters later only needs
:func:`needs_rehash` at the next successful login.
"""

from __future__ import annotations

import functools
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from optionsintel.errors import InputError

MIN_PASSWORD_LENGTH: Final = 12
MAX_PASSWORD_LENGTH: Final = 256  # bounds the hashing work a request can ask for

# argon2-cffi's defaults are RFC 9106's "low memory" profile (t=3, m=64 MiB, p=4).
_HASHER: Final = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so both paths cost one Argon2 run.

    Made on first use, not at import: one Argon2 run (~0.17 s, 64 MiB) was paid by every
    process importing :mod:`optionsintel.auth` (a dashboard kernel, the API at start).
    """
    return _HASHER.hash("not a password of anyone")


def check_password_policy(password: str) -> None:
    """Refuse passwords that are too short or too long.

    Raises
    ------
    InputError
        Saying the bounds (never the password).
    """
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InputError(
            f"a password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )


def hash_password(password: str) -> str:
    """The Argon2id hash string of ``password`` (salt and parameters included).

    Raises
    ------
    InputError
        When the password breaks :func:`check_password_policy`.
    """
    check_password_policy(password)
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``; a missing hash costs the same and fails."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _HASHER.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether ``stored_hash`` was made with weaker parameters than the current ones."""
    return _HASHER.check_needs_rehash(stored_hash)
