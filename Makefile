# Two commands for contributors (see README): `make lab` and `make test`.
# Every target sets up what it needs and reuses what already exists.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
NOTORCH_VENV := .venv-notorch
BIN := $(abspath $(VENV)/bin)
export PATH := $(BIN):$(PATH)
STAMPS := .build-stamps
KERNEL_NAME := device-bench-venv
LAB_DIR := playground
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

BUILD_INPUTS := $(shell find src style schema -type f -not -path '*/_generated/*' 2>/dev/null) \
	jupyterlab_device_bench/probe.py jupyterlab_device_bench/doctor.py \
	jupyterlab_device_bench/celltiming.py jupyterlab_device_bench/recommend_rule.json \
	jupyterlab_device_bench/install_facts.json jupyterlab_device_bench/contract.json \
	notebooks/mnist_bench.ipynb notebooks/mnist_bench.zh_CN.ipynb package.json tsconfig.json \
	$(wildcard jupyterlab_device_bench/schemas/*.json) $(wildcard scripts/*.mjs)

.PHONY: help setup prepare wheel-and-pytest lab test lint jest pytest ui-test ui-test-notebook check-wheel chromium clean test-faults catalog screenshots

help:
	@echo "make lab   - set everything up and start JupyterLab on 127.0.0.1 with the benchmark notebook open"
	@echo "make test  - set everything up and run every check (lint, jest, Galata, wheel, pytest); make test-faults - the fault suite"

$(STAMPS):
	mkdir -p $(STAMPS)

# Python: the project-local virtual environment (torch pinned: the CPU build).
$(STAMPS)/venv: requirements/dev.txt | $(STAMPS)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements/dev.txt
	touch $@

# A second interpreter with ipykernel but no torch, for the "no torch" tests.
$(STAMPS)/venv-notorch: | $(STAMPS)
	test -x $(NOTORCH_VENV)/bin/python || $(PYTHON) -m venv $(NOTORCH_VENV)
	$(NOTORCH_VENV)/bin/python -m pip install -q --disable-pip-version-check ipykernel
	touch $@

# Node: exactly what package-lock.json says.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The extension in develop mode, and a kernel spec named for the venv.
$(STAMPS)/develop: $(STAMPS)/venv $(STAMPS)/build pyproject.toml \
		jupyter-config/jupyter_server_config.d/jupyterlab_device_bench.json
	HATCH_JUPYTER_BUILDER_SKIP_NPM=1 $(VENV)/bin/python -m pip install -q --no-build-isolation --no-deps -e .
	jupyter labextension develop --overwrite .
	# What a wheel install puts in place: the server side (a pre-save hook) enabled.
	install -D -m 644 jupyter-config/jupyter_server_config.d/jupyterlab_device_bench.json \
		$(VENV)/etc/jupyter/jupyter_server_config.d/jupyterlab_device_bench.json
	$(VENV)/bin/python -m ipykernel install --sys-prefix --name $(KERNEL_NAME) \
		--display-name "Python 3 (device-bench .venv)"
	touch $@

$(STAMPS)/build: $(BUILD_INPUTS) $(STAMPS)/venv node_modules/.package-lock.json | $(STAMPS)
	npm run build
	touch $@

setup: $(STAMPS)/develop

lab: setup
	mkdir -p $(LAB_DIR)
	test -f $(LAB_DIR)/mnist_bench.ipynb || cp notebooks/mnist_bench.ipynb $(LAB_DIR)/
	jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=$(LAB_DIR) \
		--ServerApp.open_browser=False $(ROOT_FLAG) mnist_bench.ipynb

chromium:
	command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

lint: setup
	npm run lint:check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Every jest spec under src/, the gateway suite among them
# (src/kernel/__tests__/gateway.integration.spec.ts, about 2 minutes: a real
# Kernel Gateway, 20 restarts in a row through it).
jest: setup
	npx jest

ui-test: setup chromium $(STAMPS)/venv-notorch
	cd ui-tests && npx playwright test
	$(MAKE) ui-test-notebook

# The same extension in Jupyter Notebook 7 (`jupyter notebook`), one short spec.
ui-test-notebook: setup chromium
	cd ui-tests && npx playwright test -c playwright.notebook.config.ts

check-wheel: setup
	$(VENV)/bin/python scripts/check_wheel.py

pytest: setup $(STAMPS)/venv-notorch
	$(VENV)/bin/python -m pytest

# The fault suite: kernels killed, cells that hang, saves that fail, edits
# during a run, 50 runs in a row (jest, src/__faults__/), and the faults only
# a browser has: the page reloaded and the tab closed mid-run, five times
# each (Galata, ui-tests/tests/interrupted.spec.ts, which `make test` runs
# with two tries each). Prints one table of what each fault cost. Not part of
# `make test`: it takes 20 to 25 minutes on 2 cores, and with it `make test`
# would pass CI's 30 minutes.
test-faults: setup chromium
	rm -f faults-report.jsonl
	rc=0; \
	(cd ui-tests && DEVICE_BENCH_FAULT_TRIES=5 npx playwright test tests/interrupted.spec.ts) || rc=$$?; \
	DEVICE_BENCH_FAULT_TABLE_KEEP=1 node --expose-gc node_modules/.bin/jest -c jest.faults.config.js || rc=$$?; \
	exit $$rc

# The set-up steps that do not need each other (the two virtual
# environments, npm ci) side by side: about 2 minutes less on a fresh clone.
prepare:
	$(MAKE) -j3 --output-sync=target $(STAMPS)/venv $(STAMPS)/venv-notorch node_modules/.package-lock.json

# The wheel check (mostly a production JavaScript build and a pip install)
# beside pytest (mostly torch kernels): about 3 minutes less on 2 cores. The
# wheel check's lines start with [wheel]; each fails the target.
wheel-and-pytest: setup $(STAMPS)/venv-notorch
	rc=0; \
	{ $(VENV)/bin/python -u scripts/check_wheel.py 2>&1 | sed -u 's/^/[wheel] /'; } & wheel=$$!; \
	$(VENV)/bin/python -m pytest || rc=$$?; \
	wait $$wheel || rc=$$?; \
	exit $$rc

test: prepare lint jest ui-test wheel-and-pytest

# Translations: extract every trans.__/_n/_p string of src/ and every title and
# description of schema/plugin.json into the .pot, merge it into the zh_CN .po
# (translate the new entries there), then compile the .json that ships in the
# wheel. The catalog check (pytest) fails while a string has no translation.
LOCALE_DIR := jupyterlab_device_bench/locale
catalog: $(STAMPS)/venv
	jupyterlab-translate update . jupyterlab_device_bench -l zh_CN
	jupyterlab-translate compile . jupyterlab_device_bench -l zh_CN
	rm -f $(LOCALE_DIR)/*/LC_MESSAGES/*.mo

# Screenshots of the real UI for the README (not part of `make test`): a quick
# benchmark on the CPU, the panel in the light and dark themes, the recorded runs.
screenshots: setup chromium
	cd ui-tests && npx playwright test -c screenshots.config.ts

clean:
	rm -rf $(STAMPS) lib jupyterlab_device_bench/labextension $$(find src -type d -name _generated) dist

# Benchmarks (not tests): they print figures.
.PHONY: bench-probe
bench-probe: setup chromium
	npx playwright test -c bench/playwright.config.ts

.PHONY: bench-doctor
bench-doctor: setup
	$(VENV)/bin/python bench/bench_doctor.py --repeats 7

.PHONY: bench-report bench-notebook
bench-report: setup
	npx jest -c bench/jest.bench.config.js

bench-notebook: setup
	$(VENV)/bin/python bench/bench_profiles.py --scale 0.1 --repeats 3
	$(VENV)/bin/python bench/bench_overhead.py --scale 0.1

.PHONY: test-gateway bench-gateway
# The gateway suite (src/kernel/__tests__/gateway.integration.spec.ts, in
# `make test` too) with Node's own websockets: each connection leaves a stale
# gateway websocket behind, the upstream fault the product works around
# (docs/gateway.md), so every restart meets it.
test-gateway: setup
	DEVICE_BENCH_GATEWAY_WS=node npx jest -c jest.gateway.config.js

# The issue's ten-device quick run through a Kernel Gateway; prints how long it took.
bench-gateway: setup
	DEVICE_BENCH_GATEWAY_DEVICES=10 npx jest -c jest.gateway.config.js -t 'quick run'

.PHONY: bench-driver
bench-driver: setup chromium
	npx playwright test -c bench/playwright.config.ts driver-overhead
