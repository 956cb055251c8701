# BuildTrace: `make demo` and `make test` work on a fresh machine (they run `setup` first).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_OUT ?= out/demo

.PHONY: setup demo test bench bench-ocr clean

setup: $(STAMP)
	@:

# Re-installs only when a requirements or project file changed; silent otherwise.
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "setup: installing dependencies into $(VENV)"
	@$(PY) -m pip install -q --disable-pip-version-check --no-deps -r requirements.txt -r requirements-dev.txt
	@$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

demo: setup
	@bash examples/demo.sh $(DEMO_OUT)

test: setup
	@$(PY) -m pytest -q

bench: setup
	@$(PY) -m benchmarks.run
	@echo
	@$(PY) -m benchmarks.compare

clean:
	rm -rf $(VENV) out .pytest_cache

# Compare OCR engines on the Transatomic title blocks (tesseract needs Debian's tesseract-ocr).
bench-ocr: setup
	@$(PY) -m benchmarks.ocr_engines
