"""The system under attack: started as ``make run`` does, with a gateway kept deliberately small.

``GATEWAY_MAX_WORKERS`` is 4, so a handful of stalled connections would be enough to take
every worker if the gateway let them; the body deadline is short so those tests stay quick.
"""

import pytest

from tests.e2e.conftest import (  # noqa: F401  (fixtures, resolved against this system)
    admin,
    anonymous,
    fake_providers,
    new_department,
    new_user,
    run_system,
)

MAX_WORKERS = 4
BODY_TIMEOUT_SECONDS = 6


@pytest.fixture(scope="package")
def system(infra, make_vhost, tmp_path_factory, fake_providers):  # noqa: F811
    yield from run_system(
        infra,
        make_vhost,
        tmp_path_factory,
        fake_providers,
        "crmsec",
        GATEWAY_MAX_WORKERS=str(MAX_WORKERS),
        GATEWAY_BODY_TIMEOUT_SECONDS=str(BODY_TIMEOUT_SECONDS),
        GATEWAY_BODY_MAX_BYTES=str(8 * 1024 * 1024),
    )
