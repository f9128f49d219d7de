"""Read a service's ``config.yml`` the way ``nameko run --config`` does, and its settings.

A setting's default is written once, as a constant beside the code that uses it (e.g.
``services.core.rpc.DEFAULT_TIMEOUT``); ``config.yml`` names the variable without repeating
the default (``RPC_TIMEOUT: ${RPC_TIMEOUT:}``), which leaves the key empty when it is unset.
"""

import yaml
from nameko.cli.main import setup_yaml_parser


def load_config(path):
    setup_yaml_parser()
    with open(path) as stream:
        return yaml.safe_load(stream)


def setting(config, key, default):
    """``config[key]``, or ``default`` when the key is missing or empty (its variable unset)."""
    value = config.get(key)
    return default if value is None or value == "" else value
