# civicdesk: the one entry point. `make demo` and `make test` are all a newcomer needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
ASSETS := src/civicdesk/web/static/govuk
ASSETS_STAMP := $(ASSETS)/.built-stamp
CHROMIUM ?= /usr/bin/chromium

.PHONY: help install assets browsers demo serve test lint typecheck contracts pytest bench clean

help:
	@echo "make demo   install, create the local database, load the sample guidance, serve"
	@echo "make test   lint, type-check, layer contracts and the whole test suite"
	@echo "make bench  print the benchmark figures (needs ../shared/data)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# GOV.UK Frontend comes from npm and is copied where the app serves it; no CDN.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(ASSETS_STAMP): node_modules/.package-lock.json
	rm -rf $(ASSETS)
	mkdir -p $(ASSETS)
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css $(ASSETS)/
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js $(ASSETS)/
	cp -r node_modules/govuk-frontend/dist/govuk/assets $(ASSETS)/assets
	touch $@

assets: $(ASSETS_STAMP)

install: $(STAMP) assets

# Debian's Chromium drives the browser tests; Playwright never downloads a browser of its own.
browsers:
	@if [ ! -x $(CHROMIUM) ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi
	@$(CHROMIUM) --version

demo: install
	$(BIN)/civicdesk init
	$(BIN)/civicdesk demo

serve: install
	$(BIN)/civicdesk serve

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy src

contracts: $(STAMP)
	$(BIN)/lint-imports

pytest: install browsers
	$(BIN)/pytest

test: install browsers lint typecheck contracts pytest

bench: install
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) node_modules $(ASSETS) civicdesk-data .pytest_cache .mypy_cache .ruff_cache
