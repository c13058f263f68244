# Two commands do everything: `make run` (serve a demo city) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 8000
DB ?= var/school-report.db

.PHONY: run test lint messages bench eval-danger chromium zbar caddy libreoffice wrk clean mutants planted-bugs

$(VENV)/.installed-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

## Set up, create $(DB) with a demo city if it does not exist, print the links, serve. An
## existing database is served as it is: the demo's known passwords never go into a real city.
run: $(VENV)/.installed-run
	$(if $(wildcard $(DB)),,$(BIN)/school-admin demo --db $(DB))
	$(BIN)/school-admin serve --db $(DB) --host $(HOST) --port $(PORT)

## Set up with test tools and Debian's Chromium, then lint and run every test.
test: $(VENV)/.installed-test chromium zbar caddy libreoffice lint
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

chromium:
	@command -v chromium >/dev/null || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# zbarimg reads the posters' QR codes back in the tests.
zbar:
	@command -v zbarimg >/dev/null || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq zbar-tools >/dev/null; }

# LibreOffice (headless) converts the statistics workbook to PDF in the tests, as a board would.
libreoffice:
	@command -v soffice >/dev/null || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
			libreoffice-calc >/dev/null; }

## The benchmark, not part of `make test` (about 5 minutes, both cores busy): prints a table and
## writes bench/results.json. See README "Performance".
bench: $(VENV)/.installed-test chromium wrk
	$(BIN)/python -m bench.run

# Caddy (its own CA) terminates TLS in front of the app in tests/test_tls_proxy.py.
caddy:
	@command -v caddy >/dev/null || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq caddy >/dev/null; }

## Recall on danger and false alarms on ordinary messages, per family and per language, from
## every tests/data/danger_*.tsv (README "Danger detection").
eval-danger: $(VENV)/.installed-test
	$(BIN)/python -m bench.eval_danger

## Mutation testing (mutmut) of the security-critical modules, one at a time on one core, each
## against the tests that cover it; not part of `make test` (about an hour). Prints each
## module's kill rate and every survivor not explained as equivalent. See README "Testing".
mutants: $(VENV)/.installed-mutants
	$(BIN)/python -m tests.mutants

$(VENV)/.installed-mutants: $(VENV)/.installed-test
	$(BIN)/pip install --quiet -e '.[test,mutants]'
	touch $@

## The ten bugs of issue 23 planted again one at a time: each must fail its tests (5 minutes).
planted-bugs: $(VENV)/.installed-test
	$(BIN)/python -m tests.planted_bugs

# wrk drives the server in the benchmark.
wrk:
	@command -v wrk >/dev/null || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk >/dev/null; }

## Extract translatable strings and merge them into the catalogues.
messages: $(VENV)/.installed-test
	$(BIN)/python web/translations/update.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
