# credit-claims — `make run` starts the suite, `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DB     ?= sqlite

.PHONY: run browser tools test test-fast test-postgres lint migrate clean bench demo fuzz

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

## run: install if needed, start the six processes (each migrates its SQLite database under var/ first)
run: $(STAMP)
	$(BIN)/python -m deploy.local

## browser: Chromium for the browser tests (Debian's package; elsewhere set CHROMIUM to a Chromium or Chrome)
browser:
	@command -v $(or $(CHROMIUM),chromium) >/dev/null || \
		(apt-get install -y -q chromium >/dev/null || (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null))

## tools: what the tests run besides Python: Chromium, docker compose (to check docker-compose.yml), promtool (the
## alert rules), kubectl (to render deploy/kubernetes; Debian 12's is too old: https://kubernetes.io/docs/tasks/tools/)
tools: browser
	@docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null || \
		(apt-get install -y -q docker-compose >/dev/null || (apt-get update -q >/dev/null && apt-get install -y -q docker-compose >/dev/null))
	@command -v promtool >/dev/null || (apt-get install -y -q --no-install-recommends prometheus >/dev/null || \
		(apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends prometheus >/dev/null))
	@command -v kubectl >/dev/null || (echo "kubectl 1.27 or newer is needed to render deploy/kubernetes" >&2; exit 1)

## test: the whole suite on SQLite (DB=postgresql for PostgreSQL at TEST_POSTGRES_URL)
test: $(STAMP) tools
	TEST_DB=$(DB) $(BIN)/python -m pytest -q

test-postgres:
	$(MAKE) test DB=postgresql

migrate: $(STAMP)
	for s in policies debtors claims webhooks; do $(BIN)/alembic -n $$s upgrade head; done

## fuzz: with `make run` up, schemathesis as each demo client, every check (FUZZ_EXAMPLES=100)
fuzz: $(STAMP)
	$(BIN)/python -m deploy.fuzz

## lint: ruff, the layering contracts (import-linter) and strict types on every domain and kit (mypy)
lint: $(STAMP)
	$(BIN)/ruff check services gateway backoffice deploy tests bench
	$(BIN)/ruff format --check services gateway backoffice deploy tests bench
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

## test-fast: unit and integration tests, no real processes (the inner loop; `make test` runs everything)
test-fast: $(STAMP)
	TEST_DB=$(DB) $(BIN)/python -m pytest -q tests/unit tests/integration

clean:
	rm -rf var .pytest_cache

## bench: real processes on SQLite and PostgreSQL, figures beside targets (never part of make test)
bench: $(STAMP)
	@command -v wrk >/dev/null && command -v nginx >/dev/null || \
		(apt-get install -y -q wrk nginx >/dev/null || (apt-get update -q >/dev/null && apt-get install -y -q wrk nginx >/dev/null))
	$(BIN)/python -m bench.run --db $(or $(BENCH_DB),both) --scenario $(or $(BENCH_SCENARIO),all)

## demo: the newcomer's tour, against a running suite (`make run` in another terminal)
demo: $(STAMP)
	$(BIN)/python -m deploy.demo
