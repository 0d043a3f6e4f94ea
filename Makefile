# Lightbox: the two README commands are `make run` and `make test`.
# Everything they need is installed here: the .venv, Python packages, and (as root on
# Debian/Ubuntu) the system tools the tests use.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint bench fuzz system-deps ohif venv clean package

venv: $(STAMP)

$(STAMP): pyproject.toml
	@scripts/check-python.sh "$(PYTHON)"
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@

# Tools the tests drive (dcmtk, dicom3tools, xorriso, Xvfb...): installed with apt-get
# when running as root and missing; otherwise the tests that need them say what to install.
system-deps:
	@scripts/install-system-deps.sh

# The OHIF web viewer's built files, for the test that opens a viewer link in Chromium:
# fetched once with npm into .cache/ (see tests/support/ohif.py). It needs the registry, so
# it runs here, before the tests' network namespace. If it fails, that test skips (CI: fails).
ohif: venv
	@$(PY) -m tests.support.ohif || true

run: venv
	@disc="$$($(PY) -c 'from app.core.paths import lightbox_home, sample_disc_dir; print(sample_disc_dir(lightbox_home()))')"; \
	if [ ! -f "$$disc/DICOMDIR" ]; then \
		echo "Writing a sample disc to $$disc (first run only)..."; \
		rm -rf "$$disc.partial" "$$disc"; \
		$(PY) -m app sample-disc "$$disc.partial" --slices 120 && mv "$$disc.partial" "$$disc" || exit 1; \
	fi; \
	$(PY) -m app view "$$disc"

lint: venv
	$(VENV)/bin/ruff check app tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: system-deps venv lint ohif
	scripts/isolated.sh $(PY) -m pytest

bench: system-deps venv
	scripts/isolated.sh $(PY) -m bench

# The reader fuzzing of `make test`, with a long budget (run it before resolving an issue
# about bad input). FUZZ_EXAMPLES per kind of medium; FUZZ_SEED to vary the run.
FUZZ_EXAMPLES ?= 2000
FUZZ_SEED ?= 1
fuzz: venv
	$(PY) -m tests.fuzz.readers --examples $(FUZZ_EXAMPLES) --seed $(FUZZ_SEED)

# The Linux installers (installers/linux/README.md): the PyInstaller bundle dist/Lightbox/,
# then dist/lightbox_VERSION-1_ARCH.deb (checked by lintian: no errors) and a .tar.gz of the
# bundle. Needs dpkg-deb and lintian (make system-deps installs them as root).
package: system-deps venv
	@[ -x $(VENV)/bin/pyinstaller ] || $(PY) -m pip install --quiet -e '.[build]'
	$(VENV)/bin/pyinstaller --noconfirm --clean pyinstaller.spec
	$(PY) installers/linux/build_deb.py --bundle dist/Lightbox --out dist --lintian

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .import_linter_cache
