# Two commands a newcomer needs:
#   make serve   set everything up (system packages, models, release build) and serve the default model
#   make test    set up, then run the tests (debug unit tests, then real-model tests in release mode)
SWIFT ?= swift

.PHONY: setup build release serve test test-unit test-models e2e-setup test-e2e test-load models

setup:
	scripts/setup.sh

models:
	scripts/fetch-models.sh

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release

serve: setup release
	.build/release/swiftlet serve

test-unit:
	$(SWIFT) test --skip RealModel

# Real-model tests are too slow in debug; they run optimised (with testability for @testable imports).
test-models:
	SWIFTLET_REAL_MODEL_TESTS=1 $(SWIFT) test -c release -Xswiftc -enable-testing --filter RealModel

# The HTTP server end to end with the official openai client on loopback, with a 64-client load
# test; test-load runs the full 256 clients (50 hang up), about 25 s in release (the one `make test` runs).
# Same flags as test-models, so the release build is shared.
E2E = python3 scripts/e2e_server.py --binary .build/release/swiftlet
e2e-setup:
	$(SWIFT) build -c release -Xswiftc -enable-testing --product swiftlet
	python3 -c "import openai" 2>/dev/null || python3 -m pip install -q openai

test-e2e: e2e-setup
	$(E2E) --load 64 --disconnect 16

test-load: e2e-setup
	$(E2E) --load 256 --disconnect 50

test: setup test-unit test-models test-load
