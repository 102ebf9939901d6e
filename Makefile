# ggzy — 公共资源交易平台. `make help` lists the targets.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP) $@

install: $(STAMP) ## Create .venv and install ggzy

run: $(STAMP) ## Migrate, load demo data once, serve http://127.0.0.1:8000 (SQLite)
	$(BIN)/ggzy migrate --no-input -v0
	$(BIN)/ggzy demo
	$(BIN)/ggzy serve

test: $(DEV_STAMP) ## Whole test suite (PostgreSQL when DATABASE_URL is set, else SQLite)
	$(BIN)/ggzy makemigrations --check --dry-run -v1
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: $(DEV_STAMP) ## ruff (lint + format check) and mypy --strict
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src

fmt: $(DEV_STAMP) ## Format the code with ruff
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(DEV_STAMP) ## All benchmarks; figures printed and written to bench/results/
	@set -e; for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b; done

messages: $(DEV_STAMP) ## Extract and compile translations (needs gettext)
	cd src/ggzy && ../../$(BIN)/ggzy makemessages -l en --no-obsolete && ../../$(BIN)/ggzy compilemessages -l en

clean: ## Remove the venv and local data
	rm -rf $(VENV) var

.PHONY: help install run test lint fmt bench messages clean
