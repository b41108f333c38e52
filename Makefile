# Recovery Coach: `make demo` to try it, `make test` to check everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The venv is rebuilt whenever pyproject.toml changes.
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
# The phrasing corpus and its simulator (virtual-alexa, npm), measured by make test and make corpus.
PHRASINGS := tests/phrasings
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.DEFAULT_GOAL := help
.PHONY: help venv system-deps lint test faults corpus demo bench serve clean

help:
	@echo "make demo   - start the skill locally and talk to it"
	@echo "make test   - install what is needed, then lint, type-check and run the tests (not the slow ones)"
	@echo "make faults - run the fault matrix against real Mosquitto and bridge processes; print docs/faults.md"
	@echo "make corpus - measure how well the skill understands the phrasing corpus; write docs/understanding.md"
	@echo "make bench  - run the benchmarks"
	@echo "make serve  - serve the skill on 127.0.0.1:5000 (needs a skill ID; see README)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

venv: $(STAMP)

# The home bridge is tested against a real broker, and the speaker daemon renders speech with
# espeak-ng: install whichever is missing, once.
system-deps:
	@missing=""; \
	command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing="mosquitto"; \
	command -v espeak-ng >/dev/null 2>&1 || missing="$$missing espeak-ng"; \
	if [ -n "$$missing" ]; then \
		echo "Installing$$missing with apt-get..."; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: venv system-deps lint $(PHRASINGS)/node/node_modules/.package-lock.json
	$(BIN)/pytest -m "not slow"

# The fault matrix (issue #10): the conftest prints the table and writes it to docs/faults.md.
faults: venv system-deps
	FAULTS_TABLE=docs/faults.md $(BIN)/pytest -m faults tests/faults

# How well the skill understands tests/phrasings/*.yaml (issue #11), on virtual-alexa (npm, pinned
# in tests/phrasings/node/package-lock.json) against the real server and on the console recogniser.
$(PHRASINGS)/node/node_modules/.package-lock.json: $(PHRASINGS)/node/package-lock.json
	npm ci --prefix $(PHRASINGS)/node --no-audit --no-fund

corpus: venv $(PHRASINGS)/node/node_modules/.package-lock.json
	$(BIN)/python $(PHRASINGS)/measure.py --misses --write docs/understanding.md --readme README.md

demo: venv system-deps
	$(BIN)/recovery-coach demo

bench: venv
	$(BIN)/python bench/run.py

serve: venv
	$(BIN)/recovery-coach serve

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
