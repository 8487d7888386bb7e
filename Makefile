# The two quick-start commands are `make run` and `make test`; both install what they need from uv.lock first.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
BIN := .venv/bin

.PHONY: install run test lint typecheck bench browser-deps

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

install: $(UV)  ## create/refresh .venv exactly from uv.lock (idempotent)
	$(UV) sync --locked --python $(PYTHON) --quiet --compile-bytecode

run: install  ## serve on the embedded SQLite default (migrates, trains a default model if none is registered)
	$(BIN)/replyguard serve

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

browser-deps:  ## Debian's Chromium for the browser tests (Playwright drives it; no browser is ever downloaded)
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

test: lint typecheck browser-deps  ## lint, type-check, then the whole test suite
	$(BIN)/pytest

bench: install  ## HTTP benchmark (ours vs bare Litestar vs Isso) and the PostgreSQL scale run; rewrites docs/performance.md
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/scale.py
