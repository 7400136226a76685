# The one interface to the project. Every target installs what it needs, so each works on a
# fresh clone with only Python, pip and Debian's apt.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SAM_VENV ?= .venv-sam
PORT ?= 3000

.PHONY: dev test test-fast faults fuzz bench lint build install browser clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

browser:  ## Debian's chromium for the browser tests (Playwright cannot download browsers here)
	bash infra/scripts/install-chromium.sh

dev: install  ## the whole system on http://127.0.0.1:$(PORT), moto as the embedded AWS
	PORT=$(PORT) $(PY) -m odwolaj_local.runner

test: install browser lint  ## everything CI runs
	$(PY) -m pytest
	$(PY) -m pytest -m faults
	$(PY) -m pytest -m fuzz

faults: install  ## every fault point of the main flows, and the table of outcomes (tests/integration/test_fault_injection.py)
	$(PY) -m pytest -m faults -s

FUZZ_EXAMPLES ?= 50
fuzz: install  ## the clinic API from docs/openapi.yaml (Schemathesis), patient forms and webhooks: requests and answers >= 500
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -m fuzz -s

test-fast: install  ## no browser, no local-runner end-to-end tests
	$(PY) -m pytest -m "not browser and not e2e"

bench: install  ## cold starts and DynamoDB requests per operation, as ratios to a baseline
	$(PY) bench/run.py

# Python checks run over the code that ships and runs (tests may reach into a module, so the
# private-name check leaves them out). Configuration: pyproject.toml.
LINTED := layers functions infra tests bench

lint: install  ## cfn-lint, ruff, mypy, import-linter (layers, no cycles), no private names across modules
	$(VENV)/bin/cfn-lint template.yaml
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache
	$(PY) infra/lint/private_imports.py layers functions infra bench

$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli
	touch $@

build: $(SAM_VENV)/.installed  ## sam build without Docker (makefile build methods, arm64 wheels)
	PIP="$(CURDIR)/$(SAM_VENV)/bin/pip" $(SAM_VENV)/bin/sam build --template template.yaml

clean:
	rm -rf .aws-sam .local $(VENV) $(SAM_VENV)
