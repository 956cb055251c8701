# BuildTrace: `make demo` and `make test` work on a fresh machine (they run `setup` first).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_OUT ?= out/demo
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
FONT_DIR := functions/buildtrace/fonts
FONTS  := $(FONT_DIR)/ipag.ttf $(FONT_DIR)/ipam.ttf $(FONT_DIR)/DroidSansFallbackFull.ttf \
          $(FONT_DIR)/DejaVuSans.ttf $(FONT_DIR)/rowmans.jhf

.PHONY: setup demo test bench bench-ocr bench-stack clean stack stack-down

setup: $(STAMP) $(FONTS)
	@:

# The package's fonts, unpacked with their notices from Debian's packages into $(FONT_DIR)
# (inside the package, which the cloud functions and the Cloud Run job are deployed from),
# not installed on the system:
# - PDFium draws and reads a drawing's non-embedded fonts with them instead of the machine's
#   (engine/pdfium_fonts.py): IPA Gothic and IPA Mincho stand in for MS-Gothic and MS-Mincho
#   (Japanese CAD output), Droid Sans Fallback for Chinese fonts;
# - report.pdf embeds subsets of them for characters Helvetica lacks (a Japanese sheet
#   title, the arrow of a renumbering).
# $(call unpack,PACKAGE,PATH IN IT,NOTICE NAME)
unpack = @echo "setup: unpacking Debian's $(1) into $(FONT_DIR)"; \
	tmp=$$(mktemp -d) && cd $$tmp && { apt-get download $(1) >/dev/null 2>&1 || \
	{ $(SUDO) apt-get update -qq && apt-get download $(1) >/dev/null 2>&1; }; } && \
	dpkg-deb -x $(1)_*.deb x && mkdir -p $(CURDIR)/$(FONT_DIR) && \
	cp x$(2) $(CURDIR)/$(FONT_DIR)/ && \
	cp x/usr/share/doc/$(1)/copyright $(CURDIR)/$(FONT_DIR)/$(3).copyright && rm -rf $$tmp

$(FONT_DIR)/ipag.ttf:
	$(call unpack,fonts-ipafont-gothic,/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf,IPAGothic)

$(FONT_DIR)/ipam.ttf:
	$(call unpack,fonts-ipafont-mincho,/usr/share/fonts/opentype/ipafont-mincho/ipam.ttf,IPAMincho)

$(FONT_DIR)/DroidSansFallbackFull.ttf:
	$(call unpack,fonts-droid-fallback,/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf,DroidSansFallback)

$(FONT_DIR)/DejaVuSans.ttf:
	$(call unpack,fonts-dejavu-core,/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf,DejaVuSans)

# Hershey's Roman Simplex, single strokes (the design of AutoCAD's romans.shx): the revision
# generator draws text with it as CAD plots SHX text, lines with no text layer (synth.py)
$(FONT_DIR)/rowmans.jhf:
	$(call unpack,hershey-fonts-data,/usr/share/hershey-fonts/rowmans.jhf,HersheyFonts)

# Re-installs only when a requirements or project file changed; silent otherwise.
# Debian's chromium (the report page's browser test, driven by Playwright) comes with apt.
# Python packages go to .venv; firebase-tools (the Auth emulator of the local stack) to
# node_modules from package-lock.json. The Firestore and Pub/Sub emulators come with the
# machine's Google Cloud CLI (Debian packages google-cloud-cli-*-emulator, Java 17).
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml package-lock.json
	@command -v chromium >/dev/null 2>&1 || { echo "setup: installing Debian's chromium (browser tests)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	  --no-install-recommends chromium >/dev/null; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "setup: installing dependencies into $(VENV) and node_modules"
	@$(PY) -m pip install -q --disable-pip-version-check --no-deps -r requirements.txt -r requirements-dev.txt
	@$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $(STAMP)

demo: setup
	@bash examples/demo.sh $(DEMO_OUT)

test: setup
	@$(PY) -m pytest -q

bench: setup
	@$(PY) -m benchmarks.run
	@echo
	@$(PY) -m benchmarks.compare

# The pipeline on one machine: emulators, local GCS, Auth emulator, functions, workflow
# runner. Writes .stack/env (source it); `make stack-down` stops exactly what it started.
stack: setup
	@$(PY) -m buildtrace.localstack up

stack-down:
	@test -x $(PY) && $(PY) -m buildtrace.localstack down || true

# Throughput of the local stack (sheets per minute), Transatomic example pair.
bench-stack: setup
	@$(PY) -m benchmarks.pipeline

clean:
	rm -rf $(VENV) out .pytest_cache node_modules .stack $(FONT_DIR)

# Compare OCR engines on the Transatomic title blocks (tesseract needs Debian's tesseract-ocr).
bench-ocr: setup
	@$(PY) -m benchmarks.ocr_engines
