"""Password hashing with Argon2id (argon2-cffi).

Hashing is CPU-bound: it runs in eventlet's thread pool so that one login does
not stall every other worker of the service.
"""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters

# Verified when the username is unknown, so that both cases take as long.
_DUMMY_HASH = _hasher.hash("not a real password")


def hash_password(password):
    return tpool.execute(_hasher.hash, password)


def verify_password(password_hash, password):
    try:
        return tpool.execute(_hasher.verify, password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash):
    return _hasher.check_needs_rehash(password_hash)
