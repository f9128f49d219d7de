"""`make run`'s launcher refuses to start, in one sentence, when the broker or the database is away."""

import os
import socket
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


@pytest.mark.parametrize(
    "variable, value, says",
    [
        ("AMQP_URI", "amqp://guest:guest@127.0.0.1:{port}/", "Cannot reach RabbitMQ"),
        ("DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:{port}", "Cannot reach PostgreSQL"),
    ],
)
def test_launcher_says_what_cannot_be_reached(infra, variable, value, says):
    env = dict(os.environ, AMQP_URI=infra.amqp_uri, DATABASE_URL=infra.database_url, PYTHONWARNINGS="ignore")
    env[variable] = value.format(port=closed_port())
    done = subprocess.run(
        [sys.executable, os.path.join(ROOT, "deploy", "launcher.py"), "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = (done.stdout + done.stderr).strip()
    assert done.returncode == 1
    assert says in output and "Traceback" not in output and len(output.splitlines()) == 1


def test_reset_drops_this_systems_databases_and_queues_only_when_confirmed(infra, make_vhost):
    from sqlalchemy import create_engine, text

    from deploy.harness import random_name
    from services.core.registry import PARTS

    prefix = random_name("crmreset")
    vhost = make_vhost()
    env = dict(
        os.environ,
        AMQP_URI=infra.amqp_uri_for(vhost),
        DATABASE_URL=infra.database_url,
        DATABASE_PREFIX=prefix,
        PYTHONWARNINGS="ignore",
    )
    env.pop("FORCE", None)
    launcher = [sys.executable, os.path.join(ROOT, "deploy", "launcher.py")]

    def launch(command, **extra):
        return subprocess.run(
            [*launcher, command],
            env=dict(env, **extra),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=180,
        )

    def databases():
        engine = create_engine(infra.database_url + "/postgres")
        try:
            with engine.connect() as connection:
                return set(
                    connection.scalars(
                        text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": prefix + "_%"}
                    )
                )
        finally:
            engine.dispose()

    def queues():
        return {q["name"] for q in infra.rabbit_manager().get_queues(vhost) if q["name"].startswith("evt-")}

    ours = {each.database(prefix) for each in PARTS}
    try:
        assert launch("prepare").returncode == 0
        assert databases() == ours and queues()

        refused = launch("reset")  # no terminal to ask in, no FORCE=1: nothing happens
        assert refused.returncode == 1 and "FORCE=1" in refused.stdout
        assert databases() == ours and queues()

        done = launch("reset", FORCE="1")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "the next run starts empty" in done.stdout
        assert databases() == set() and queues() == set()
    finally:
        infra.drop_databases(prefix)
