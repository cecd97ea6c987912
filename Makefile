# Local set-up in two commands: `make run` starts the demo, `make test` runs
# the suite. Dependencies live in .venv; a stamp file per requirements file
# makes pip run again only when that file has changed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP_INSTALL := $(BIN)/python -m pip install --disable-pip-version-check

.DEFAULT_GOAL := help
.PHONY: help run test lint clean

help:
	@echo "make run    start the local demo (web, worker, scheduler, sample webhooks)"
	@echo "make test   run the test suite"
	@echo "make lint   check the code with ruff"
	@echo "make clean  remove var/ (local database, broker files) and .venv"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(PIP_INSTALL) -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.runtime-installed
	$(PIP_INSTALL) -r requirements-dev.txt
	touch $@

# The demo runs with DEBUG on, which also supplies a local SECRET_KEY.
run: export DEBUG := 1
run: $(VENV)/.runtime-installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_setup
	exec $(BIN)/python manage.py run_demo

test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf var $(VENV)
