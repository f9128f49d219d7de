"""Access tokens: JWT signed with HS256 (PyJWT), algorithm pinned, expiry checked.

A token carries the user's ``token_version`` (claim ``ver``); the directory raises it when the
user's password changes or the user is deactivated, and the gateway compares it with the
actor's on every request, so those tokens end at once.

``JWT_SECRET`` must be a secret: the gateway refuses to start with an empty, short (< 32
characters) or published value (the placeholders of config.yml, docker-compose.yml and
deploy/k8s) unless ``JWT_ALLOW_DEVELOPMENT_SECRET`` is true.  ``make run`` generates a random
secret on first run and keeps it in ``var/jwt_secret``.
"""

import datetime

import jwt
from nameko.exceptions import ConfigurationError
from nameko.extensions import DependencyProvider

from gateway.errors import ApiError
from services.core.config import setting

ALGORITHM = "HS256"
TTL_SECONDS = 3600  # the default of JWT_TTL_SECONDS
MIN_SECRET_LENGTH = 32
# placeholders published in this repository: anyone could sign an admin token with them
KNOWN_SECRETS = {
    "change-me-local-development-only-secret",
    "dev-only-change-me",
    "CHANGE-ME-to-a-long-random-string",
}


def check_secret(secret, allow_development=False):
    """Refuse (ConfigurationError) a secret anyone could know, unless told this is development."""
    if allow_development:
        return
    if secret in KNOWN_SECRETS or len(secret) < MIN_SECRET_LENGTH:
        raise ConfigurationError(
            "JWT_SECRET is unset, a published placeholder or shorter than {} characters: set it to a long "
            "random value (e.g. `openssl rand -base64 48`), or JWT_ALLOW_DEVELOPMENT_SECRET=true for "
            "local development only.".format(MIN_SECRET_LENGTH)
        )


def invalid_token():
    return ApiError("unauthenticated", "INVALID_TOKEN", "The access token is missing, invalid or expired.")


class TokenIssuer:
    def __init__(self, secret, ttl_seconds):
        self.secret = secret
        self.ttl_seconds = ttl_seconds

    def issue(self, user_id, now=None, version=0):
        now = now or datetime.datetime.now(datetime.UTC)
        claims = {
            "sub": str(user_id),
            "ver": int(version),
            "iat": now,
            "exp": now + datetime.timedelta(seconds=self.ttl_seconds),
        }
        return {
            "access_token": jwt.encode(claims, self.secret, algorithm=ALGORITHM),
            "token_type": "bearer",
            "expires_in": self.ttl_seconds,
        }

    def user_id(self, authorization):
        """The user id of a valid ``Authorization: Bearer <jwt>`` header, else 401."""
        return self.subject(authorization)[0]

    def subject(self, authorization):
        """``(user id, token version)`` of a valid ``Authorization: Bearer <jwt>`` header, else 401."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise invalid_token()
        try:
            claims = jwt.decode(token.strip(), self.secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
            version = claims.get("ver", 0)
            if type(version) is not int:
                raise ValueError(version)
            return int(claims["sub"]), version
        except (jwt.InvalidTokenError, ValueError, TypeError):
            raise invalid_token()


class Tokens(DependencyProvider):
    def setup(self):
        config = self.container.config
        secret = str(config.get("JWT_SECRET") or "")
        check_secret(secret, str(config.get("JWT_ALLOW_DEVELOPMENT_SECRET", "")).lower() in ("1", "true", "yes"))
        self.issuer = TokenIssuer(secret, int(setting(config, "JWT_TTL_SECONDS", TTL_SECONDS)))

    def get_dependency(self, worker_ctx):
        return self.issuer
