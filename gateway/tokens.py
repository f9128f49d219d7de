"""Access tokens: JWT signed with HS256 (PyJWT), algorithm pinned, expiry checked."""

import datetime

import jwt
from nameko.extensions import DependencyProvider

from gateway.errors import ApiError
from services.core.config import setting

ALGORITHM = "HS256"
TTL_SECONDS = 3600  # the default of JWT_TTL_SECONDS


def invalid_token():
    return ApiError("unauthenticated", "INVALID_TOKEN", "The access token is missing, invalid or expired.")


class TokenIssuer:
    def __init__(self, secret, ttl_seconds):
        self.secret = secret
        self.ttl_seconds = ttl_seconds

    def issue(self, user_id, now=None):
        now = now or datetime.datetime.now(datetime.UTC)
        claims = {"sub": str(user_id), "iat": now, "exp": now + datetime.timedelta(seconds=self.ttl_seconds)}
        return {
            "access_token": jwt.encode(claims, self.secret, algorithm=ALGORITHM),
            "token_type": "bearer",
            "expires_in": self.ttl_seconds,
        }

    def user_id(self, authorization):
        """The user id of a valid ``Authorization: Bearer <jwt>`` header, else 401."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise invalid_token()
        try:
            claims = jwt.decode(token.strip(), self.secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
            return int(claims["sub"])
        except (jwt.InvalidTokenError, ValueError):
            raise invalid_token()


class Tokens(DependencyProvider):
    def setup(self):
        config = self.container.config
        self.issuer = TokenIssuer(str(config["JWT_SECRET"]), int(setting(config, "JWT_TTL_SECONDS", TTL_SECONDS)))

    def get_dependency(self, worker_ctx):
        return self.issuer
