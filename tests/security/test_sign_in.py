"""Sign-in and tokens: no published secret, current password to change one's own, tokens that end
with a password change or a deactivation, a username lock nobody can turn against the real user,
and the same Argon2 cost for an unknown user."""

import os
import stat
import sys

import pytest
import requests
from nameko.exceptions import ConfigurationError
from requests.adapters import HTTPAdapter

from gateway.tokens import KNOWN_SECRETS, check_secret
from services.directory import authentication, exceptions, passwords
from tests.conftest import ROOT, unique

# -- the signing secret --------------------------------------------------------


@pytest.mark.parametrize("secret", sorted(KNOWN_SECRETS) + ["", "short-secret"])
def test_the_gateway_refuses_a_secret_anyone_could_know(secret):
    with pytest.raises(ConfigurationError) as refused:
        check_secret(secret)
    assert "JWT_SECRET" in str(refused.value)
    check_secret(secret, allow_development=True)  # the explicit development flag


def test_a_long_random_secret_is_accepted():
    check_secret(os.urandom(32).hex())


def test_make_run_generates_a_secret_once_and_keeps_it(tmp_path, monkeypatch):
    sys.path.insert(0, os.path.join(ROOT, "deploy"))
    try:
        import launcher
    finally:
        sys.path.remove(os.path.join(ROOT, "deploy"))
    monkeypatch.delenv("JWT_SECRET", raising=False)
    monkeypatch.setenv("CRM_VAR_DIR", str(tmp_path / "var"))
    secret = launcher.local_jwt_secret()
    check_secret(secret)
    path = tmp_path / "var" / "jwt_secret"
    assert path.read_text().strip() == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert launcher.local_jwt_secret() == secret  # kept across runs
    monkeypatch.setenv("JWT_SECRET", "x" * 40)
    assert launcher.local_jwt_secret() == "x" * 40  # an explicit one wins


# -- an unknown user costs one Argon2 verification -----------------------------


class NoUsers:
    """A unit of work on a directory without users."""

    session = property(lambda self: self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def scalar(self, statement):
        return None


class SpyHasher:
    """The real Argon2 hasher, noting which hashes it verified against."""

    def __init__(self, hasher):
        self.hasher = hasher
        self.verified = []

    def verify(self, password_hash, password):
        self.verified.append(password_hash)
        return self.hasher.verify(password_hash, password)

    def __getattr__(self, name):
        return getattr(self.hasher, name)


def test_an_unknown_user_still_costs_one_argon2_verification(monkeypatch):
    spy = SpyHasher(passwords._hasher)
    monkeypatch.setattr(passwords, "_hasher", spy)
    with pytest.raises(exceptions.InvalidCredentials):
        authentication.authenticate(NoUsers(), "nobody-here", "some password")
    assert spy.verified == [passwords._DUMMY_HASH]  # a real Argon2id hash, verified in full
    assert passwords._DUMMY_HASH.startswith("$argon2id$")


# -- passwords and tokens, end to end -------------------------------------------


def test_changing_ones_own_password_needs_the_current_one_and_ends_old_tokens(new_user, anonymous):
    user = new_user()
    path = "/api/v1/users/{}".format(user.user["id"])
    response = user.patch(path, {"password": "a new password"})
    assert response.status_code == 400 and "current_password" in response.json()["error"]["fields"]
    response = user.patch(path, {"password": "a new password", "current_password": "wrong"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "WRONG_CURRENT_PASSWORD"
    assert user.get("/api/v1/me").status_code == 200  # nothing changed
    response = user.patch(path, {"password": "a new password", "current_password": user.password})
    assert response.status_code == 200, response.text
    assert user.get("/api/v1/me").status_code == 401  # the token given before the change ended
    again = anonymous.login(user.user["username"], "a new password")
    assert again.get("/api/v1/me").status_code == 200
    old = anonymous.post("/api/v1/auth/login", {"username": user.user["username"], "password": user.password})
    assert old.status_code == 401


def test_current_password_only_with_a_new_one_of_ones_own(admin, new_user):
    user = new_user()
    path = "/api/v1/users/{}".format(user.user["id"])
    response = user.patch(path, {"full_name": "x", "current_password": user.password})
    assert response.status_code == 400 and "current_password" in response.json()["error"]["fields"]
    response = admin.patch(path, {"password": "set by the admin", "current_password": "whatever"})
    assert response.status_code == 400 and "current_password" in response.json()["error"]["fields"]


def test_a_password_set_by_an_admin_ends_the_users_tokens(admin, new_user, anonymous):
    user = new_user()
    other = anonymous.login(user.user["username"], user.password)  # a second session
    response = admin.patch("/api/v1/users/{}".format(user.user["id"]), {"password": "set by the admin"})
    assert response.status_code == 200, response.text
    assert user.get("/api/v1/me").status_code == 401
    assert other.get("/api/v1/me").status_code == 401
    assert admin.get("/api/v1/me").status_code == 200  # the admin's own token is untouched
    assert anonymous.login(user.user["username"], "set by the admin").get("/api/v1/me").status_code == 200


def test_a_deactivation_ends_the_tokens_even_after_reactivation(admin, new_user, anonymous):
    user = new_user()
    path = "/api/v1/users/{}".format(user.user["id"])
    assert admin.patch(path, {"active": False}).status_code == 200
    assert user.get("/api/v1/me").status_code == 401
    assert admin.patch(path, {"active": True}).status_code == 200
    assert user.get("/api/v1/me").status_code == 401  # the old token stays ended
    assert anonymous.login(user.user["username"], user.password).get("/api/v1/me").status_code == 200


def test_a_profile_edit_keeps_the_tokens(new_user):
    user = new_user()
    assert user.patch("/api/v1/users/{}".format(user.user["id"]), {"full_name": "Renamed"}).status_code == 200
    assert user.get("/api/v1/me").status_code == 200


# -- the username lock ----------------------------------------------------------


class FromAddress(HTTPAdapter):
    """Connect from another loopback address (Linux routes all of 127/8 to lo)."""

    def __init__(self, address):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def session_from(address):
    session = requests.Session()
    session.mount("http://", FromAddress(address))
    return session


def test_failures_from_an_attacker_do_not_lock_out_the_real_user(system, new_user):
    victim = new_user()
    login = system.base_url + "/api/v1/auth/login"
    attacker = session_from("127.0.0.{}".format(2 + os.getpid() % 200))
    statuses = [
        attacker.post(
            login, json={"username": victim.user["username"], "password": "guess " + unique()}, timeout=30
        ).status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429  # the attacker's address is refused...
    response = attacker.post(login, json={"username": victim.user["username"], "password": victim.password}, timeout=30)
    assert response.status_code == 429  # ...even with the right password
    # the real user, from an address that never failed for this username, signs in as usual
    response = requests.post(login, json={"username": victim.user["username"], "password": victim.password}, timeout=30)
    assert response.status_code == 200, response.text
