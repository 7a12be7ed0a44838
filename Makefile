# metalfleet: one entry point for humans and CI. `make run` starts the main job on embedded
# defaults; `make test` runs lint, type checks and every package's tests.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
PY_DIRS := felhom-hub beskar7 felhom-controller bench tools
CHARMS := $(wildcard charms/*/Makefile)

.PHONY: bootstrap run test lint typecheck unit charms bench clean image real-boot release

bootstrap:
	@command -v uv >/dev/null 2>&1 || test -x "$(UV)" || python3 -m pip install --quiet uv
	@$(UV) sync --frozen --quiet

run: bootstrap
	@mkdir -p var
	@$(UV) run --frozen felhom-hub init --config var/hub.yaml
	@exec $(UV) run --frozen python tools/lab.py

lint: bootstrap
	$(UV) run --frozen ruff check $(PY_DIRS)
	$(UV) run --frozen ruff format --check $(PY_DIRS)
	$(UV) run --frozen python tools/check_sizes.py felhom-hub/src beskar7/src beskar7/testing/src felhom-controller/src bench tools charms/*/src

typecheck: bootstrap
	$(UV) run --frozen mypy felhom-hub/src felhom-hub/tests bench tools
	$(UV) run --frozen mypy beskar7/src beskar7/testing/src beskar7/tests
	MYPYPATH=felhom-hub/src $(UV) run --frozen mypy felhom-controller/src felhom-controller/tests

unit: bootstrap
	$(UV) run --frozen pytest felhom-hub/tests
	$(UV) run --frozen pytest beskar7/tests
	$(UV) run --frozen pytest felhom-controller/tests

charms:
	@for m in $(CHARMS); do echo "== $$(dirname $$m)"; $(MAKE) -C $$(dirname $$m) test || exit 1; done

test: lint typecheck unit charms

# beskar7's inspection image and test target OS (build/image/), from Debian bookworm; no root.
image: bootstrap
	$(UV) run --frozen python -m beskar7.image build --out build/image

# The virtual end-to-end boot (qemu-system-x86 and ipxe-qemu from Debian must be installed).
real-boot: image
	BESKAR7_REQUIRE_REAL_BOOT=1 $(UV) run --frozen pytest beskar7/tests/e2e/test_real_boot.py -v

# beskar7's clusterctl provider repository: build/release/infrastructure-beskar7/<version>/.
release: bootstrap
	$(UV) run --frozen python -m beskar7.api.release build/release

bench: bootstrap
	$(UV) run --frozen python bench/hub_ingest.py
	$(UV) run --frozen python bench/hub_store.py
	$(UV) run --frozen python bench/hub_alerting.py
	$(UV) run --frozen python bench/hub_dashboard.py
	$(UV) run --frozen python bench/beskar7_enroll.py
	$(UV) run --frozen python bench/beskar7_provision.py
	$(UV) run --frozen python bench/controller_cycle.py

clean:
	rm -rf .venv var .pytest_cache .mypy_cache .ruff_cache
