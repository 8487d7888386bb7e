# The two quick-start commands are `make run` and `make test`; both install what they need from uv.lock first.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
BIN := .venv/bin

.PHONY: install install-test run run-relevance test gates lint typecheck audit soak bench bench-integrations bench-import \
	browser-deps \
	wordpress-deps wordpress-zip

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

install: $(UV)  ## create/refresh .venv exactly from uv.lock (idempotent)
	$(UV) sync --locked --python $(PYTHON) --quiet --compile-bytecode

# The relevance extra (onnxruntime + a 23 MB sentence-embedding model, docs/model.md issue 8) is left out of `make run`:
# it costs more per reply than the performance budget allows. The gates install it, so the tests exercise it for real.
install-test: $(UV)  ## .venv from uv.lock with the relevance extra (what lint, typecheck, audit, test and soak use)
	$(UV) sync --locked --extra relevance --python $(PYTHON) --quiet --compile-bytecode

run: install  ## serve on the embedded SQLite default (migrates, trains a default model if none is registered)
	$(BIN)/replyguard serve

run-relevance: install-test  ## as `make run`, with article relevance (a model trained with the extra carries its parameters)
	$(BIN)/replyguard serve

lint: install-test
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: install-test
	$(BIN)/mypy

# The locked set as pinned, hashed requirements, extras included, for pip-audit (kept in .venv, which git ignores).
AUDIT_REQUIREMENTS := .venv/audit-requirements.txt

# A finding with no fixed release yet: append `--ignore-vuln ID` to the audit line with a comment saying why it is
# safe here and who reviewed it, never drop the check. None today.
audit: install-test  ## pip-audit over uv.lock: fails on a known vulnerability
	$(UV) export --locked --quiet --all-extras --no-emit-project --format requirements-txt --output-file $(AUDIT_REQUIREMENTS)
	$(BIN)/python .ci/audit.py $(AUDIT_REQUIREMENTS)

browser-deps:  ## Debian's Chromium for the browser tests (Playwright drives it; no browser is ever downloaded)
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# The WordPress plugin's end-to-end test (tests/wordpress) runs Debian's WordPress on PHP's web server and MariaDB.
WORDPRESS_PACKAGES := wordpress php-cli php-mysql mariadb-server
wordpress-deps:  ## Debian's WordPress, PHP and MariaDB for the plugin's end-to-end test (nothing is downloaded by the test)
	@(command -v php && command -v mariadbd && test -d /usr/share/wordpress && php -m | grep -qx mysqli) >/dev/null \
		|| (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(WORDPRESS_PACKAGES))

wordpress-zip:  ## the installable WordPress plugin: build/wordpress/replyguard.zip (docs/wordpress.md)
	$(PYTHON) deploy/wordpress/build_zip.py build/wordpress

gates: lint typecheck audit

# Two pytest-xdist workers, one per core; a test file stays on one worker, so a module's shared server starts once.
# Each worker has its own PostgreSQL database and Redis database (tests/conftest.py). PYTEST_WORKERS= runs serially.
PYTEST_WORKERS ?= --numprocesses 2 --dist loadfile

# The suite's default model trains (about 70 s on two cores alone) while the gates run (mypy and the audit beside it),
# then pytest finds it in REPLYGUARD_TEST_MODEL_ROOT. A root set from outside (.ci/run's, shared by both database
# runs) is kept; otherwise the model lives in a temporary folder for this run.
test: install-test browser-deps wordpress-deps  ## lint, type-check, audit the dependencies, then the whole test suite
	@root=$${REPLYGUARD_TEST_MODEL_ROOT:-}; own=; \
	if [ -z "$$root" ]; then root=$$(mktemp -d /tmp/replyguard-test-model.XXXXXX); own=$$root; fi; \
	trap 'rm -rf "$$own" "$$root.log"' EXIT; \
	$(BIN)/python -m tests.default_model "$$root" >"$$root.log" 2>&1 & trainer=$$!; \
	if ! $(MAKE) --no-print-directory -j3 --output-sync=target gates; then kill $$trainer 2>/dev/null; exit 1; fi; \
	if ! wait $$trainer; then echo "training the suite's default model failed:"; cat "$$root.log"; exit 1; fi; \
	REPLYGUARD_TEST_MODEL_ROOT=$$root $(BIN)/pytest $(PYTEST_WORKERS)

# Coverage is off: one end-to-end test covers too little to meet the suite's floor, and it measures nothing here.
soak: install-test  ## soak run: one real server under mixed load (REPLYGUARD_TEST_SOAK_SECONDS, default 60); figures in tests/soak/results/
	$(BIN)/pytest -m soak --no-cov -s tests/soak

bench: install  ## HTTP benchmark (ours vs bare Litestar vs Isso) and the PostgreSQL scale run; rewrites docs/performance.md
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	$(BIN)/python bench/run.py --rules 10000
	$(BIN)/python bench/scale.py

bench-integrations: install  ## p50/p99 of Perspective analyze, Akismet comment-check, Coral's phase at 50 req/s; rewrites its block of docs/integrations.md
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	$(BIN)/python bench/integrations_latency.py

bench-import: install  ## `replyguard import wordpress` of generated exports of 10,000 and 1,000,000 comments: speed, peak memory (docs/migration.md)
	$(BIN)/python bench/import_scale.py --comments 10000 1000000
