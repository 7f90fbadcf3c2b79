# thidua-sync — the two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
RUN_STAMP := $(VENV)/.installed-run
DEMO   := var/demo

.PHONY: run test lint typecheck pytest nodetest browser translations demo clean help

help:
	@echo "make run   — chạy dịch vụ với đợt mẫu (backend local) tại http://127.0.0.1:8000"
	@echo "make test  — cài công cụ phát triển và chạy toàn bộ kiểm thử (ruff, mypy, pytest)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# `make run` needs the runtime dependencies only; the dev toolchain stays with `make test`.
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	@if [ -f $(STAMP) ] && [ $(STAMP) -nt pyproject.toml ]; then :; else \
	  $(BIN)/python -m pip install --quiet -e .; fi
	touch $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/python -m sync.cli run-sample $(DEMO)

demo: $(RUN_STAMP)
	$(BIN)/thidua demo $(DEMO)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

NODE_STAMP := node_modules/.package-lock.json

# axe-core (accessibility checks in the browser tests), pinned by package-lock.json.
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the browser tests: apt-get install npm"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error

# Debian's Chromium for the Playwright browser tests (no browser download is possible).
CHROMIUM ?= /usr/bin/chromium
browser: $(NODE_STAMP)
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing chromium (Debian) for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends chromium fonts-dejavu-core; \
	  else \
	    echo "browser tests need $(CHROMIUM): sudo apt-get install chromium (they skip without it)"; \
	  fi; \
	fi

pytest: $(STAMP) browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

nodetest:
	@command -v node >/dev/null || { echo "node (>= 20) is needed for the Apps Script tests: apt-get install nodejs"; exit 1; }
	node --test tests/node/

test: lint typecheck nodetest pytest

# One message catalogue for every user-facing text: sync/i18n/vi.po and en.po (docs/messages.md).
# `make translations` adds new page texts and message ids untranslated and lists what still
# needs a translation; translate them in the .po files (no compile step).
translations: $(STAMP)
	$(BIN)/python -m sync.i18n.build

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache node_modules test-artifacts
