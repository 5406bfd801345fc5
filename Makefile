# City-brain backend. `make demo` builds the whole pipeline on generated data; `make test` runs the tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
# Tools started by Dagster itself (dbt under `dagster dev`) are found in the virtual environment.
export PATH := $(BIN):$(PATH)

# Demo data: DEMO_DAYS days ending yesterday (Asia/Shanghai), or from DEMO_START when it is set. DEMO_SIZES takes
# `--size SOURCE=N` options (records per day or month); every other source gets its generator's default.
DEMO_START ?=
DEMO_DAYS ?= 60
DEMO_SIZES ?=
# Public, clearly flagged salt for the demo only; real deployments set CITYBRAIN_PSEUDONYM_SALT themselves.
DEMO_SALT := DEMO-public-salt-pseudonyms-not-protected

DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/seeds dbt_project/tests -type f 2>/dev/null) \
	dbt_project/dbt_project.yml dbt_project/profiles.yml
MANIFEST := dbt_project/target/manifest.json
# What the contracts determine (dbt sources, staging models, contract metadata) is derived into dbt_project/derived/.
DERIVED := dbt_project/derived/.stamp

# The data-sharing service (`make serve`): loopback only; put a TLS proxy in front of it to serve the network.
SERVE_PORT ?= 8000

.PHONY: setup demo test dev serve bench cockpit browser clean FORCE

# uv (pinned in requirements.txt) installs the pins: the same wheels as pip, minutes faster on a fresh machine.
$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check $$(grep '^uv==' requirements.txt)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode -r requirements.txt
	touch $@

# Derived on every make run (about a second): the stamp changes only when a derived file did, so dbt parses again
# only after a contract, a mapping seed or the deriving code really changed (a removed contract included).
$(DERIVED): $(VENV)/.installed FORCE
	@$(BIN)/python -m pipelines.derived --stamp $@

# The manifest is prepared at build time so that loading the code location never parses the dbt project, and so is
# the partial parse the runs start from (in their dbt environment: pipelines/dbt_project.py).
$(MANIFEST): $(VENV)/.installed $(DERIVED) $(DBT_SOURCES)
	$(BIN)/python -m pipelines.dbt_project

$(DAGSTER_HOME)/dagster.yaml: deploy/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp deploy/dagster.yaml $@

setup: $(VENV)/.installed $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml

DEMO_WINDOW = $(if $(DEMO_START),--start $(DEMO_START)) --days $(DEMO_DAYS)

# Prints what it generated, then the build's summary (the runs' full logs are in the UI, `make dev`).
demo: setup
	@$(BIN)/python -m demo.generate $(DEMO_WINDOW) $(DEMO_SIZES)
	@CITYBRAIN_PSEUDONYM_SALT=$${CITYBRAIN_PSEUDONYM_SALT:-$(DEMO_SALT)} \
		$(BIN)/python -m pipelines.cli build $(DEMO_WINDOW)

# The suite runs on TEST_WORKERS processes (pytest-xdist), a test file per worker: the end-to-end builds overlap. The
# build several files read is made once for all workers (tests/reference_build.py).
# Files go out in collection order, the end-to-end ones first (tests/conftest.py), not the largest first.
TEST_WORKERS ?= 2

# setup (uv) and browser (apt-get) wait on the network, not on each other: they run side by side.
test:
	$(MAKE) --no-print-directory -j2 setup browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# The cockpit's browser test drives Debian's Chromium (never a browser Playwright downloads) and needs a CJK font
# for the Chinese labels. Installed once with apt-get (root); nothing to do when both are there.
CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
browser: $(CHROMIUM) $(CJK_FONT)

$(CHROMIUM) $(CJK_FONT):
	@if [ "$$(id -u)" != 0 ]; then \
		echo "The cockpit's browser test needs $(CHROMIUM) and $(CJK_FONT): as root, run" \
			"'apt-get install chromium fonts-wqy-microhei' (Debian), then make test again." >&2; exit 1; fi
	@echo "Installing Debian's chromium and fonts-wqy-microhei for the cockpit's browser test (once, about a minute)."
	@{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		chromium fonts-wqy-microhei >/dev/null; } || { echo "Could not install chromium and fonts-wqy-microhei" \
		"with apt-get (see above): the cockpit's browser test needs them." >&2; exit 1; }
	touch -c $(CHROMIUM) $(CJK_FONT)

dev: setup
	CITYBRAIN_PSEUDONYM_SALT=$${CITYBRAIN_PSEUDONYM_SALT:-$(DEMO_SALT)} \
		$(BIN)/dagster dev -h 127.0.0.1 -p 3000 -w workspace.yaml

serve: setup
	$(BIN)/python -m pipelines.sharing.app --host 127.0.0.1 --port $(SERVE_PORT)

# BENCH_ARGS: options of bench/run.py, e.g. `--scale 0.1 --skip multiples,sharing` for a quick run.
BENCH_ARGS ?=

bench: setup
	CITYBRAIN_PSEUDONYM_SALT=$${CITYBRAIN_PSEUDONYM_SALT:-$(DEMO_SALT)} $(BIN)/python -m bench.run $(BENCH_ARGS)

# The cockpit (驾驶舱) of the published snapshot: built when missing or older than the snapshot, then opened.
cockpit: setup
	$(BIN)/python -m pipelines.cockpit --open

clean:
	rm -rf warehouse/inbox warehouse/landing warehouse/serving warehouse/exports warehouse/*.duckdb* $(DAGSTER_HOME) \
		dbt_project/target dbt_project/logs dbt_project/derived
