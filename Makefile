# Two commands do everything: `make demo` and `make test`. Both create .venv from requirements.lock.
# Paths stay relative to this folder (or quoted): the clone may sit under a folder whose name has
# spaces or starts with a dot. Bytecode is compiled at install: every command (dbt's children
# too) then starts without compiling its imports, also where PYTHONDONTWRITEBYTECODE is set.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := $(shell sed -n 's/^uv==//p' requirements.lock)

.PHONY: venv spark demo test lint format lock clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || "$(PYTHON)" -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python --no-deps \
		--no-build-isolation -e .
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/emissions demo

# The suite runs on every CPU (at most 4), a module whole on one worker, and the modules that
# share one built home together (tests/conftest.py, pytest_xdist_make_scheduler).
# Spark (EMISSIONS_ENGINE=spark, the parity tests) needs a Java runtime: when `java` is missing it
# is installed from Debian's packages (openjdk-17-jre-headless; as root, or through sudo).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
spark: venv
	@command -v java >/dev/null 2>&1 || { \
	  echo "java not found: installing Debian's openjdk-17-jre-headless for Spark"; \
	  mkdir -p /usr/share/man/man1 2>/dev/null; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    openjdk-17-jre-headless; }
	@java -version 2>&1 | head -n 1

test: venv spark
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -n auto --maxprocesses 4

lint: venv
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

lock: venv
	$(BIN)/uv pip compile --quiet --no-header --python-version 3.11 requirements.in -o requirements.lock

clean:
	rm -rf $(VENV) var dbt_project/target dbt_project/logs
