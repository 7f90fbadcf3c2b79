# thidua-sync — the two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
DEMO   := var/demo

.PHONY: run test lint typecheck pytest nodetest demo clean help

help:
	@echo "make run   — chạy dịch vụ với đợt mẫu (backend local) tại http://127.0.0.1:8000"
	@echo "make test  — cài công cụ phát triển và chạy toàn bộ kiểm thử (ruff, mypy, pytest)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m sync.cli run-sample $(DEMO)

demo: $(STAMP)
	$(BIN)/thidua demo $(DEMO)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

nodetest:
	@command -v node >/dev/null || { echo "node (>= 20) is needed for the Apps Script tests: apt-get install nodejs"; exit 1; }
	node --test tests/node/

test: lint typecheck nodetest pytest

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
