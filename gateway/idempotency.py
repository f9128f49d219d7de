"""``Idempotency-Key`` on POST: a repeat with the same key and body gets the first
response and does nothing again (a key reused for another request: 422; the
contract is in the OpenAPI document, ``/api/v1/openapi.json``).

A key is claimed (per user) before the route runs; the response is stored when
the route answers with anything but a 5xx (a failure releases the key so the
client may retry), or with a 504: a service that did not answer in time may still
have made the change, so a repeat gets that 504 again instead of running twice (the
client checks what happened and uses a new key).  The same key with another body is refused (422); a repeat
while the first request is still running gets 409.  Keys expire after
``IDEMPOTENCY_TTL_HOURS`` (default 24).
"""

import hashlib

from nameko.constants import DEFAULT_MAX_WORKERS, MAX_WORKERS_CONFIG_KEY
from nameko.extensions import DependencyProvider
from sqlalchemy import delete, select, text, update
from sqlalchemy.dialects.postgresql import insert

from gateway.errors import ApiError, json_response
from gateway.models import IdempotencyKey
from services.core.config import setting
from services.core.db import database_url, make_engine

HEADER = "Idempotency-Key"
OUTCOME_UNKNOWN = 504  # the service may have applied the change after the gateway stopped waiting
MAX_KEY_LENGTH = 200
TTL_HOURS = 24  # the default of IDEMPOTENCY_TTL_HOURS


def fingerprint(request):
    digest = hashlib.sha256()
    for part in (request.method, request.full_path, request.get_data(cache=True)):
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


class IdempotencyStore:
    def __init__(self, engine, ttl_hours):
        self.engine = engine
        self.ttl_hours = ttl_hours

    def claim(self, user_id, key, request):
        """None when the key is new (the request may run); else the response to give."""
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            raise ApiError(
                "invalid",
                "INVALID_IDEMPOTENCY_KEY",
                "Idempotency-Key must be 1 to {} characters.".format(MAX_KEY_LENGTH),
            )
        digest = fingerprint(request)
        with self.engine.begin() as connection:
            connection.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.user_id == user_id,
                    IdempotencyKey.key == key,
                    IdempotencyKey.created_at
                    < text("now() - make_interval(hours => :ttl)").bindparams(ttl=self.ttl_hours),
                )
            )
            claimed = connection.execute(
                insert(IdempotencyKey)
                .values(user_id=user_id, key=key, fingerprint=digest)
                .on_conflict_do_nothing()
                .returning(IdempotencyKey.key)
            ).first()
            if claimed:
                return None
            record = connection.execute(
                select(IdempotencyKey.fingerprint, IdempotencyKey.status, IdempotencyKey.body).where(
                    IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
                )
            ).first()
        if record is None:  # released meanwhile: let the client try again
            raise ApiError("conflict", "IDEMPOTENCY_KEY_IN_USE", "A request with this Idempotency-Key is in progress.")
        if record.fingerprint != digest:
            raise ApiError(
                "unprocessable", "IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used for a different request."
            )
        if record.status is None:
            raise ApiError("conflict", "IDEMPOTENCY_KEY_IN_USE", "A request with this Idempotency-Key is in progress.")
        response = json_response(None, record.status)
        response.set_data(record.body or b"")
        response.headers["Idempotent-Replayed"] = "true"
        return response

    def settle(self, user_id, key, response):
        """Store the response, or release the key after a server-side failure that changed nothing."""
        where = (IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
        with self.engine.begin() as connection:
            if response.status_code >= 500 and response.status_code != OUTCOME_UNKNOWN:
                connection.execute(delete(IdempotencyKey).where(*where))
            else:
                connection.execute(
                    update(IdempotencyKey)
                    .where(*where)
                    .values(status=response.status_code, body=response.get_data(as_text=True))
                )

    def purge_expired(self):
        with self.engine.begin() as connection:
            connection.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.created_at
                    < text("now() - make_interval(hours => :ttl)").bindparams(ttl=self.ttl_hours)
                )
            )


class Idempotency(DependencyProvider):
    def setup(self):
        config = self.container.config
        self.store = IdempotencyStore(
            make_engine(database_url(config), pool_size=int(config.get(MAX_WORKERS_CONFIG_KEY, DEFAULT_MAX_WORKERS))),
            int(setting(config, "IDEMPOTENCY_TTL_HOURS", TTL_HOURS)),
        )

    def stop(self):
        self.store.engine.dispose()

    def get_dependency(self, worker_ctx):
        return self.store
