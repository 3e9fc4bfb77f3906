# Loa — everyday commands. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test install lock bench clean

# The locked, hash-checked dependencies first (the same set as the Docker image), then Loa itself
# in editable mode with the test tools.
$(BIN)/loa: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(BIN)/loa

install: $(BIN)/loa

run: install
	$(BIN)/loa db upgrade
	$(BIN)/loa units load --if-empty
	$(BIN)/loa demo --if-empty
	$(BIN)/loa serve --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Re-pin the dependencies of pyproject.toml (after changing them) with their hashes.
lock: install
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file requirements.lock pyproject.toml

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) loa.db media
