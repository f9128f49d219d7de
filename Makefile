# The two commands: `make run` (everything on http://127.0.0.1:8000) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export AMQP_URI ?= amqp://guest:guest@127.0.0.1:5672/
export DATABASE_URL ?= postgresql+psycopg2://postgres@127.0.0.1:5432
export PYTHONWARNINGS ?= ignore

.PHONY: install run reset test test-unit test-faults bench lint check check-k8s check-compose demo dead-letters replay-dead-letters clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

## Run every service and the gateway in the foreground (Ctrl-C stops them all).
run: install
	$(BIN)/python deploy/launcher.py run

## Drop this system's databases (asks first; `make reset FORCE=1` does not): the next `make run` starts empty.
reset: install
	$(BIN)/python deploy/launcher.py reset

## The whole test suite (unit, service, end-to-end); needs RabbitMQ and PostgreSQL.
test: install
	$(BIN)/nameko test tests -q

test-unit: install
	$(BIN)/nameko test tests/unit -q

## Demo data (a small Vietnamese company) in the running system; running it twice adds nothing.
demo: install
	$(BIN)/python deploy/demo.py

## The fault suite alone (part of `make test`): killed processes, broker and database outages.
test-faults: install
	$(BIN)/nameko test tests/faults -q

## Benchmarks: prints figures next to the baselines they are compared with.
bench: install
	$(BIN)/python bench/run_all.py

## ruff's lint and format checks (pyproject.toml); `ruff format .` fixes the format.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## Everything CI checks before the tests: lint and the deployment manifests.
check: lint check-k8s check-compose

## deploy/k8s rendered by kustomize (kubectl's), validated against Kubernetes' schemas, offline.
check-k8s: install
	set -o pipefail; $(BIN)/kubectl kustomize deploy/k8s | $(BIN)/kubernetes-validate --strict --quiet -

check-compose: install
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

## Events a handler gave up on (crm.dead-letters): list them (EVENT=<id> shows one in full), or
## send them back to their handler (all, or EVENT=<id> [<id>...]).
dead-letters: install
	$(BIN)/python -m services.core.dead_letters $(if $(EVENT),show $(EVENT),list)

replay-dead-letters: install
	$(BIN)/python -m services.core.dead_letters replay $(EVENT)

clean:
	rm -rf $(VENV)
