# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
BENCH_ARGS ?=
BROWSER_ARGS ?=

.PHONY: run test lint bench bench-load bench-browser bench-storage demo install install-dev chromium clean

# Python caches each module's bytecode (__pycache__) unless PYTHONDONTWRITEBYTECODE is set, as it is on some CI and
# container images: then every process compiles everything it imports from source again (~1 s for Streamlit,
# polars and Plotly alone), and a test run starts hundreds of processes. The caches stay out of git (.gitignore).
unexport PYTHONDONTWRITEBYTECODE

# uv installs the pinned requirements into the venv: ~10 s on a fresh machine, where pip took ~50 s.
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q uv==$(UV_VERSION)
	$(UV) pip install -q --python $(PY) -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(UV) pip install -q --python $(PY) -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: install, seed the demo jobs when the store is empty, serve on http://localhost:8501
run: $(VENV)/.installed
	$(PY) -m core demo --if-empty
	$(PY) -m streamlit run dashboard/server.py --server.port $(PORT)

## test: install the test dependencies (Debian's Chromium included) and run every test, one worker per core
## (pytest-xdist; each e2e module on one worker, its server started once: tests/conftest.py)
test: $(VENV)/.installed-dev chromium deploy-deps
	$(PY) -m pytest -n auto --dist loadgroup --durations=25

## lint: ruff (lint and format) over the repository and mypy over core/ (pyproject.toml); CI runs it before the tests
lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## bench: the 1M-result import/stats benchmark; writes bench/REPORT.md (BENCH_ARGS="--images 2000" for a quick one);
## the same job in a browser: make bench-browser
bench: $(VENV)/.installed-dev
	$(PY) -m bench.run $(BENCH_ARGS)

## bench-import: the import alone at 1M and 3M results on SQLite and PostgreSQL, pre-labels in both COCO formats;
## its own section of bench/REPORT.md (IMPORT_ARGS="--sizes 1" for a quick one; --pg names a database it drops)
IMPORT_ARGS ?= --pg postgresql+psycopg://postgres@127.0.0.1:5432/labeldeck_import_bench --profile
.PHONY: bench-import
bench-import: $(VENV)/.installed-dev
	$(PY) -m bench.import_bench $(IMPORT_ARGS)

## bench-load: reviewer processes at once on a 1M-result job, then reconciliation (LOAD_ARGS="--db URL")
bench-load: $(VENV)/.installed-dev
	$(PY) -m bench.load $(LOAD_ARGS)

## bench-browser: the app in Debian's Chromium, each click timed until the page is settled, on the demo store and the
## 1M job; its own section of bench/REPORT.md (BROWSER_ARGS="--store demo --reps 2" for a quick one)
bench-browser: $(VENV)/.installed-dev chromium
	$(PY) -m bench.browser $(BROWSER_ARGS)

## bench-storage: an import's image checks and a cold grid page from a loopback S3 server (moto); its own section
## of bench/REPORT.md (STORAGE_ARGS="--images 1000" for a quick one)
bench-storage: $(VENV)/.installed-dev
	$(PY) -m bench.storage $(STORAGE_ARGS)

## scale-demo: two app replicas behind HAProxy on 127.0.0.1:8500 against a PostgreSQL database of their own, one
## shared data folder; Ctrl-C stops (SCALE_ARGS="--pg postgresql+psycopg://user@host/postgres --reset")
.PHONY: scale-demo deploy-deps bench-load-browser
scale-demo: $(VENV)/.installed deploy-deps
	$(PY) -m deploy.scale_demo $(SCALE_ARGS)

## bench-load-browser: N Chromium sessions reviewing through the proxy of make scale-demo's cluster for a bounded
## time; its own section of bench/REPORT.md (LOAD_BROWSER_ARGS="--sessions 8 --duration 60")
bench-load-browser: $(VENV)/.installed-dev chromium deploy-deps
	$(PY) -m bench.load_browser $(LOAD_BROWSER_ARGS)

# The replicas' proxy: Debian's haproxy (deploy/haproxy.cfg), installed as chromium is.
deploy-deps:
	@command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy; \
	  else echo "make needs Debian's haproxy: sudo apt-get install -y haproxy" >&2; exit 1; fi; }

demo: $(VENV)/.installed
	$(PY) -m core demo --reset

# The e2e tests drive Debian's Chromium; Playwright's own browser download is never used.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "make test needs Debian's chromium: sudo apt-get install -y chromium" >&2; exit 1; fi; }

clean:
	rm -rf $(VENV) .pytest_cache
