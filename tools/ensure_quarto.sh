#!/usr/bin/env bash
# Make sure a `quarto` command is available for `make site` and `make preview`. If none is on PATH,
# try the quarto-cli package from PyPI (it fetches Quarto's binary from GitHub while installing).
# Where that is impossible, stop with one clear message instead of a traceback, leaving no file behind.
# Usage: tools/ensure_quarto.sh [BIN_DIR] [TARGET]   (TARGET: the make target to run again; default: site)
bin=${1:-.venv/bin}
target=${2:-site}
command -v quarto >/dev/null 2>&1 && exit 0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if "$bin/python" -m pip install -q quarto-cli >"$log" 2>&1 && command -v quarto >/dev/null 2>&1 \
   && quarto --version >/dev/null 2>&1; then
  exit 0
fi
cat >&2 <<MSG

  Quarto is needed to render the site, and it is not installed.
  Installing it automatically (pip install quarto-cli) failed: that package downloads Quarto
  from GitHub, which this machine cannot reach (to see pip's error: $bin/python -m pip install quarto-cli).
  Install Quarto 1.7 or newer by hand from https://quarto.org/docs/get-started/
  (on Debian/Ubuntu: download the .deb and run sudo dpkg -i quarto-*-linux-amd64.deb),
  make sure 'quarto --version' works, then run 'make $target' again.

MSG
exit 1
