# The CX playbook kit. `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
JOBS ?= 2

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,dask,dev]"
	touch $(STAMP)

.PHONY: help install demo test lint format clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

install: $(STAMP) ## Create .venv and install the kit with its test tools

demo: $(STAMP) ## Run the whole engagement on the demo client and print where the report is
	$(BIN)/cx demo

test: $(STAMP) ## Run every test: cxlib (unit, doctests, end to end) and the playbooks (nbval)
	$(BIN)/pytest -n $(JOBS) --dist loadfile --nbval-lax tests cxlib playbooks

lint: $(STAMP) ## Check style with ruff
	$(BIN)/ruff check cxlib tests playbooks benchmarks
	$(BIN)/ruff format --check cxlib tests benchmarks

format: $(STAMP) ## Format the code with ruff
	$(BIN)/ruff format cxlib tests benchmarks

clean: ## Remove the environment, caches and demo outputs
	rm -rf $(VENV) .pytest_cache .ruff_cache data/demo/runs data/demo/reports
