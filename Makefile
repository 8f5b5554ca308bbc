# Two commands do all the set-up on a fresh machine with Python 3.11:
#   make plan   offline plan of dev (creates .venv on first use)
#   make test   the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ENV    ?= dev

.PHONY: plan test lint bench plan-property clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; assert sys.version_info[:2] == (3, 11), "civic-infra needs Python 3.11, found " + sys.version.split()[0]'
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

plan: $(STAMP)
	$(BIN)/infra plan --env $(ENV)

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .

# Checkov (the bench extra) lives in its own virtualenv: its pins would change the tool's.
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed: pyproject.toml
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BIN)/python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["bench"]))' > $(BENCH_VENV)/requirements.txt
	$(BENCH_VENV)/bin/python -m pip install --quiet -r $(BENCH_VENV)/requirements.txt
	@touch $@

bench: $(STAMP) $(BENCH_VENV)/.installed
	CHECKOV=$(BENCH_VENV)/bin/checkov $(BIN)/python bench/run.py

# the property test that every valid environment plans, with many more examples than CI runs
plan-property: $(STAMP)
	CIVIC_PLAN_EXAMPLES=$${CIVIC_PLAN_EXAMPLES:-100} $(BIN)/python -m pytest -q -p no:cacheprovider \
		tests/stacks/test_every_valid_environment_plans.py

clean:
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache .ruff_cache
