"""A system started by the harness does not outlive the test run that started it (Linux)."""

import os
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT

PARENT = """
import subprocess, sys, time
sys.path.insert(0, {root!r})
from deploy.harness import stop_with_parent
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], preexec_fn={hook})
print(child.pid, flush=True)
time.sleep(120)
"""


def orphan_survives(hook):
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT.format(root=ROOT, hook=hook)], stdout=subprocess.PIPE, text=True
    )
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return False
        time.sleep(0.1)
    os.kill(child, 9)
    return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG) is Linux's")
def test_the_launcher_gets_sigterm_when_the_test_process_dies():
    assert not orphan_survives("stop_with_parent")
    assert orphan_survives("None")  # without it the child lives on: the test can tell
