"""Read a service's ``config.yml`` the way ``nameko run --config`` does."""

import yaml
from nameko.cli.main import setup_yaml_parser


def load_config(path):
    setup_yaml_parser()
    with open(path) as stream:
        return yaml.safe_load(stream)
