# City diplomacy ABM — set-up and common tasks.
#   make run    create .venv, install, run the default (article) scenario
#   make test   create .venv, install, run the test suite
#   make mutation  mutation testing of model/ with mutmut (slow; not in CI; docs/mutation.md)
# Needs Python >= 3.12: found on PATH first, then among pyenv's installed versions.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=
SOLARA_CDN := $(VENV)/share/solara/cdn
APP_ASSETS := $(SOLARA_CDN)/.installed

.PHONY: run test test-fast mutation app app-assets sweep bench clean help

help:
	@echo "make run    - run the default scenario (outputs under outputs/)"
	@echo "make test   - run the whole test suite"
	@echo "make mutation - mutation score of the fast suite over model/ (slow; MUTANTS='model.events*' restricts)"
	@echo "make clean  - remove .venv and outputs"

$(STAMP): pyproject.toml
	@set -e; \
	find_python() { \
	  for c in python3.14 python3.13 python3.12 python3 python; do \
	    p=$$(command -v $$c 2>/dev/null) || continue; \
	    "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$$p"; return; }; \
	  done; \
	  roots="$${PYENV_ROOT:-}"; command -v pyenv >/dev/null 2>&1 && roots="$$roots $$(pyenv root)"; \
	  for r in $$roots $$HOME/.pyenv; do \
	    for p in $$(ls -d "$$r"/versions/3.* 2>/dev/null | sort -V -r); do \
	      for b in "$$p"/bin/python3; do \
	        [ -x "$$b" ] && "$$b" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$$b"; return; }; \
	      done; \
	    done; \
	  done; \
	}; \
	PYTHON=$$(find_python); \
	if [ -z "$$PYTHON" ]; then \
	  echo "error: Python >= 3.12 is needed and none was found on PATH or in pyenv." >&2; \
	  echo "Install one, e.g. 'pyenv install 3.12' or 'apt-get install python3.12 python3.12-venv', then run make again." >&2; \
	  exit 2; \
	fi; \
	echo "Using $$PYTHON ($$($$PYTHON --version))"; \
	[ -x $(PY) ] || "$$PYTHON" -m venv $(VENV); \
	$(PY) -m pip install --quiet --upgrade pip; \
	$(PY) -m pip install --quiet -e ".[dev]"; \
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m experiments.run $(ARGS)

test: $(STAMP) $(APP_ASSETS)
	$(PY) -m pytest -q $(ARGS)

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
