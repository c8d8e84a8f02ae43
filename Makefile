# City diplomacy ABM — set-up and common tasks.
#   make run    create .venv, install the locked versions, run the default (article) scenario
#   make test   the same set-up, Debian's Chromium if missing, the app's front end, the whole test suite
#   make lock   re-resolve requirements.lock from pyproject.toml (UPGRADE=1: newest versions allowed)
#   make mutation  mutation testing of model/ with mutmut (slow; not in CI; docs/mutation.md)
# Needs Python 3.12 or 3.13 (basemap 2.0 has no wheel for 3.14): found on PATH first, then
# among pyenv's installed versions.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LOCK := requirements.lock
ARGS ?=
SOLARA_CDN := $(VENV)/share/solara/cdn
APP_ASSETS := $(SOLARA_CDN)/.installed
# Debian's Chromium, the browser tests/test_browser.py drives; `make test` installs it if missing.
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test test-fast lock check-lock chromium mutation app app-assets sweep bench clean help

help:
	@echo "make run    - run the default scenario (outputs under outputs/)"
	@echo "make test   - install what the tests need (Chromium included) and run the whole test suite"
	@echo "make lock   - refresh requirements.lock from pyproject.toml (UPGRADE=1 to take newer versions)"
	@echo "make mutation - mutation score of the fast suite over model/ (slow; MUTANTS='model.events*' restricts)"
	@echo "make clean  - remove .venv and outputs"

$(STAMP): pyproject.toml $(LOCK)
	@set -e; \
	find_python() { \
	  for c in python3.13 python3.12 python3 python; do \
	    p=$$(command -v $$c 2>/dev/null) || continue; \
	    "$$p" -c "$$SUPPORTED_PYTHON" 2>/dev/null && { echo "$$p"; return; }; \
	  done; \
	  roots="$${PYENV_ROOT:-}"; command -v pyenv >/dev/null 2>&1 && roots="$$roots $$(pyenv root)"; \
	  for r in $$roots $$HOME/.pyenv; do \
	    for p in $$(ls -d "$$r"/versions/3.* 2>/dev/null | sort -V -r); do \
	      for b in "$$p"/bin/python3; do \
	        [ -x "$$b" ] && "$$b" -c "$$SUPPORTED_PYTHON" 2>/dev/null && { echo "$$b"; return; }; \
	      done; \
	    done; \
	  done; \
	}; \
	PYTHON=$$(find_python); \
	if [ -z "$$PYTHON" ]; then \
	  echo "error: Python 3.12 or 3.13 is needed and none was found on PATH or in pyenv." >&2; \
	  echo "Install one, e.g. 'pyenv install 3.13' or 'apt-get install python3.13 python3.13-venv', then run make again." >&2; \
	  exit 2; \
	fi; \
	echo "Using $$PYTHON ($$($$PYTHON --version))"; \
	[ -x $(PY) ] || "$$PYTHON" -m venv $(VENV); \
	$(PY) -m pip install --quiet --upgrade pip; \
	$(PY) -m pip install --quiet --no-deps -r $(LOCK); \
	$(PY) -m pip install --quiet --no-deps -e .; \
	touch $(STAMP)

# The lock is complete (every dependency pinned), so it installs with --no-deps; --no-deps also lets
# basemap run with the numpy, matplotlib and packaging the lock holds ([tool.uv] in pyproject.toml).
define SUPPORTED_PYTHON
import sys; sys.exit(not (3, 12) <= sys.version_info[:2] <= (3, 13))
endef
export SUPPORTED_PYTHON

# Exact versions of every dependency (dev extras included) for the Python `make` uses (3.13),
# resolved by uv from pyproject.toml; pins already in requirements.lock are kept where they
# still fit, UPGRADE=1 takes the newest allowed. Commit the result; `make` then reinstalls.
lock: $(STAMP)
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.13 --quiet \
	  --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade) -o $(LOCK)

run: $(STAMP)
	$(PY) -m experiments.run $(ARGS)

# The installed packages are exactly the lock's (the project itself aside): what CI checks.
check-lock: $(STAMP)
	@$(PY) -m pip freeze --exclude-editable | $(PY) -c "$$LOCK_DIFFERENCE" $(LOCK)

define LOCK_DIFFERENCE
import re, sys
def pins(lines):
    return {re.sub(r"[-_.]+", "-", name).lower(): version for name, _, version in
            (line.split()[0].partition("==") for line in lines if "==" in line and not line.lstrip().startswith("#"))}
locked, installed = pins(open(sys.argv[1])), pins(sys.stdin)
wrong = sorted(f"{n}: locked {locked.get(n, '-')}, installed {installed.get(n, '-')}"
               for n in locked.keys() | installed.keys() if locked.get(n) != installed.get(n))
print("\n".join(wrong) or f"installed packages equal {sys.argv[1]} ({len(locked)} pins)")
sys.exit(1 if wrong else 0)
endef
export LOCK_DIFFERENCE

# Under `make test` a browser test that cannot run fails with the reason instead of skipping
# (CITYDIPLOMACY_REQUIRE_BROWSER, read in tests/conftest.py).
test: $(STAMP) chromium $(APP_ASSETS)
	CITYDIPLOMACY_REQUIRE_BROWSER=1 $(PY) -m pytest -q $(ARGS)

# Debian's Chromium for the browser tests (Playwright cannot download its own browsers here):
# installed with apt-get when missing and running as root; otherwise stop with the command to run.
chromium:
	@set -e; [ -x "$(CHROMIUM)" ] && exit 0; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "error: $(CHROMIUM) is missing; install it, then run make test again: sudo apt-get install -y chromium" >&2; \
	  exit 2; \
	fi; \
	echo "$(CHROMIUM) is missing: installing Debian's chromium"; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	[ -x "$(CHROMIUM)" ] || { echo "error: apt-get install chromium did not provide $(CHROMIUM)" >&2; exit 2; }

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow" $(ARGS)

# The teaching app on http://127.0.0.1:8765; HOST=0.0.0.0 serves a classroom (see README).
# A closed page's run is released after 2 minutes (SOLARA_KERNEL_CULL_TIMEOUT=30s make app: sooner).
app: $(STAMP) $(APP_ASSETS)
	$(PY) -m solara run experiments.app --host $${HOST:-127.0.0.1} --port $${PORT:-8765} --production --no-open

# Solara's page loads its front end (JavaScript, CSS, fonts) from a CDN through the
# server's cache in $(SOLARA_CDN); fill that cache once from the npm registry
# (`npm pack`), so that the app works without reaching the CDN.
app-assets: $(APP_ASSETS)

$(APP_ASSETS): $(STAMP)
	@set -e; \
	command -v npm >/dev/null || { echo "error: npm is needed to fetch the app's front end (apt-get install npm)" >&2; exit 2; }; \
	packages=$$($(PY) -c 'from experiments.app.frontend import frontend_packages; print(*frontend_packages())'); \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for pkg in $$packages; do \
	  echo "front end: $$pkg"; \
	  tarball=$$(cd "$$tmp" && npm pack --silent "$$pkg"); \
	  mkdir -p "$(SOLARA_CDN)/$$pkg"; \
	  tar -xzf "$$tmp/$$tarball" -C "$(SOLARA_CDN)/$$pkg" --strip-components=1; \
	done; \
	touch $@

# Mutation testing (docs/mutation.md; [tool.mutmut] in pyproject.toml): mutmut copies the
# project into mutants/, mutates model/ and runs the fast suite (not slow,
# not browser) against each mutant. MUTANTS restricts the run to mutant names, e.g.
# MUTANTS="model.events* model.rules.coalition*"; results are kept in mutants/ between runs.
# One worker and single-threaded BLAS by default: the machine is shared. PYTHONPATH: the tests
# that run `python -m experiments.run` in a subprocess import this (unmutated) tree.
MUTANTS ?=
SAMPLE ?=
MAX_CHILDREN ?= 1
MUTMUT := $(VENV)/bin/mutmut

mutation: $(STAMP)
	@$(PY) -c 'import mutmut' 2>/dev/null || $(PY) -m pip install --quiet "mutmut>=3.8,<4"
	@set -e; names="$(MUTANTS)"; \
	if [ -n "$(SAMPLE)" ]; then \
	  OPENBLAS_NUM_THREADS=1 PYTHONPATH=$(CURDIR) $(MUTMUT) run --max-children $(MAX_CHILDREN) "model.__list_only__*" >/dev/null 2>&1 || true; \
	  names=$$($(MUTMUT) results --all true | sed 's/^ *//; s/:.*//' | $(PY) -c "$$MUTATION_SAMPLE" $(SAMPLE)); \
	fi; \
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONPATH=$(CURDIR) \
	  $(MUTMUT) run --max-children $(MAX_CHILDREN) $$names
	@echo; echo "Mutants not killed (mutmut show NAME for the diff):"; $(MUTMUT) results | grep -v ": not checked$$" || true
	@$(PY) -c "$$MUTATION_SCORE"

# SAMPLE=N: N mutant names drawn at random (seed 2026) from all of them, read from stdin.
define MUTATION_SAMPLE
import random, sys
names = sys.stdin.read().split()  # in mutmut's listing order
print(*sorted(random.Random(2026).sample(names, min(int(sys.argv[1]), len(names)))))
endef
export MUTATION_SAMPLE

# Score per file from mutmut's results in mutants/: killed (timeouts and type-check kills
# included) over checked mutants; a mutant that no fast test reaches counts as a survivor.
define MUTATION_SCORE
import json, pathlib
from mutmut.stats import status_by_exit_code
KILLED = ("killed", "timeout", "caught by type check")
rows = []
for meta in sorted(pathlib.Path("mutants").rglob("*.py.meta")):
    statuses = [status_by_exit_code[c] for c in json.loads(meta.read_text())["exit_code_by_key"].values()]
    checked = [s for s in statuses if s not in ("not checked", "skipped")]
    if checked:
        rows.append((str(meta.relative_to("mutants"))[:-5], sum(s in KILLED for s in checked), len(checked), len(statuses)))
print()
print(f"{'file':34} {'killed':>7} {'checked':>8} {'mutants':>8} {'score':>7}")
for name, killed, checked, total in rows:
    print(f"{name:34} {killed:7} {checked:8} {total:8} {100 * killed / checked:6.1f}%")
killed, checked = sum(r[1] for r in rows), sum(r[2] for r in rows)
if checked:
    score = 100 * killed / checked
    print(f"{'all checked':34} {killed:7} {checked:8} {'':8} {score:6.1f}%   (target: 90%)")
else:
    print("no mutant checked yet")
endef
export MUTATION_SCORE

sweep: $(STAMP)
	$(PY) -m experiments.sweep $(ARGS)

bench: $(STAMP)
	$(PY) -m experiments.bench $(ARGS)

clean:
	rm -rf $(VENV) outputs multirun .pytest_cache .hypothesis mutants
