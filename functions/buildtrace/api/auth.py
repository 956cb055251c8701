"""Who is calling: a Firebase ID token verified with firebase-admin.

Revocation is checked (``check_revoked=True``) and the expiry is checked here as well: the
Auth emulator's tokens are unsigned and firebase-admin skips its own checks for them, so
the API does not rely on the library alone for ``exp``. Any failure is a 401.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

from .errors import ApiError


@dataclass(frozen=True)
class User:
    uid: str
    email: str | None


@functools.lru_cache(maxsize=1)
def _app():
    import firebase_admin

    from ..cloud.config import settings

    try:
        return firebase_admin.get_app()
    except ValueError:
        return firebase_admin.initialize_app(options={"projectId": settings().project})


def authenticate(header: str | None) -> User:
    """The user of an ``Authorization: Bearer <Firebase ID token>`` header, or ApiError 401."""
    from firebase_admin import auth

    if not header or not header.startswith("Bearer ") or len(header) < 20:
        raise ApiError(401, "sign in: an Authorization: Bearer <Firebase ID token> header "
                       "is required", headers={"WWW-Authenticate": "Bearer"})
    token = header[len("Bearer "):].strip()
    try:
        claims = auth.verify_id_token(token, app=_app(), check_revoked=True)
    except auth.RevokedIdTokenError:
        # an old token is also "revoked" once its user signs out; say what is first wrong
        if _claimed_exp(token) < time.time():
            raise ApiError(401, "the token expired: sign in again") from None
        raise ApiError(401, "the token was revoked: sign in again") from None
    except auth.UserDisabledError:
        raise ApiError(401, "this account is disabled") from None
    except auth.ExpiredIdTokenError:
        raise ApiError(401, "the token expired: sign in again") from None
    except (auth.InvalidIdTokenError, ValueError):
        raise ApiError(401, "the token is not a valid Firebase ID token") from None
    except auth.UserNotFoundError:
        raise ApiError(401, "the token's user does not exist") from None
    if float(claims.get("exp", 0)) < time.time():
        raise ApiError(401, "the token expired: sign in again")
    return User(claims["uid"], claims.get("email"))


def _claimed_exp(token: str) -> float:
    """The ``exp`` a token claims, unverified: used only to choose between two refusals."""
    import base64
    import json

    try:
        part = token.split(".")[1]
        return float(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
                     .get("exp", 0))
    except (IndexError, ValueError):
        return 0.0


def uid_for_email(email: str) -> str | None:
    from firebase_admin import auth

    try:
        return auth.get_user_by_email(email, app=_app()).uid
    except auth.UserNotFoundError:
        return None
