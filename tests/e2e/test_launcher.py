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
