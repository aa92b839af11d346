"""Short-lived signed login tokens for people (JWT, HS256, PyJWT).

A token names the user and expires after :data:`TOKEN_LIFETIME`; it is checked for
signature, expiry, issuer and type. The role is deliberately not trusted from the
token: the service re-reads the account on every request, so disabling a user or
changing a role takes effect at once, not at token expiry.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Final

import jwt

from optionsintel.errors import CredentialsError

TOKEN_LIFETIME: Final = dt.timedelta(minutes=15)
_ISSUER: Final = "optionsintel"
_ALGORITHM: Final = "HS256"
MIN_SECRET_BYTES: Final = 32


def new_secret() -> str:
    """A fresh random signing secret (256 bits, URL-safe text)."""
    return secrets.token_urlsafe(MIN_SECRET_BYTES)


def issue_token(username: str, secret: str, *, now: dt.datetime | None = None) -> str:
    """A signed token for ``username`` valid for :data:`TOKEN_LIFETIME`."""
    issued = now or dt.datetime.now(dt.UTC)
    claims = {
        "sub": username,
        "iss": _ISSUER,
        "typ": "login",
        "iat": issued,
        "exp": issued + TOKEN_LIFETIME,
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def verify_token(token: str, secret: str) -> str:
    """The username a valid token names.

    Raises
    ------
    CredentialsError
        When the token is malformed, forged, expired or not a login token.
    """
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            issuer=_ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise CredentialsError("the login token has expired: log in again") from None
    except jwt.PyJWTError:
        raise CredentialsError(
            "the bearer credential is neither an API key nor a valid login token"
        ) from None
    if claims.get("typ") != "login" or not isinstance(claims.get("sub"), str):
        raise CredentialsError("the bearer credential is not a login token")
    return str(claims["sub"])
