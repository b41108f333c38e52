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
.PHONY: help venv system-deps lint test faults corpus demo bench serve clean test-ha

help:
	@echo "make demo   - start the skill locally and talk to it"
	@echo "make test   - install what is needed, then lint, type-check and run the tests (not the slow ones)"
	@echo "make test-ha - prove the Home Assistant speaker against a real Home Assistant 2024.1 (slow)"
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

# The home bridge is tested against a real broker, the speaker daemon renders speech with
# espeak-ng, and the report's charts are checked in headless Chromium: install whichever is
# missing, once.
system-deps:
	@missing=""; \
	command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing="mosquitto"; \
	command -v espeak-ng >/dev/null 2>&1 || missing="$$missing espeak-ng"; \
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		missing="$$missing chromium"; \
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

# The Home Assistant speaker against a real Home Assistant, in a venv of its own: 2024.1 is the
# last release on Python 3.11. HA runs with --skip-pip, so the requirements of what the test loads
# (the demo integration, Google Translate TTS, onboarding) are installed here, pinned as 2024.1 pins them.
HA_VERSION := 2024.1.6
HA_VENV := .venv-ha
HA_PYTHON ?= python3.11
HA_STAMP := $(HA_VENV)/.installed-$(HA_VERSION)
HA_REQUIREMENTS := homeassistant==$(HA_VERSION) gTTS==2.2.4 hassil==1.5.1 \
	home-assistant-intents==2024.1.2 mutagen==1.47.0 ha-ffmpeg==3.1.0 numpy==1.26.0 \
	PyTurboJPEG==1.7.1 Pillow==10.1.0 SQLAlchemy==2.0.23 fnv-hash-fast==0.5.0 \
	psutil-home-assistant==0.0.1 pyotp==2.8.0 PyQRCode==1.2.1

$(HA_STAMP):
	$(HA_PYTHON) -m venv $(HA_VENV)
	$(HA_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(HA_VENV)/bin/python -m pip install --quiet $(HA_REQUIREMENTS)
	touch $@

test-ha: venv system-deps $(HA_STAMP)
	HA_PYTHON=$(abspath $(HA_VENV))/bin/python $(BIN)/pytest -m ha -s tests/test_ha_real.py

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
	rm -rf $(VENV) $(HA_VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
