# Two commands a newcomer needs:
#   make serve   set everything up (system packages, models, release build) and serve the default model
#   make test    set up, then run the tests (debug unit tests, then real-model tests in release mode)
SWIFT ?= swift

.PHONY: setup build release serve test test-unit test-models models

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

test: setup test-unit test-models
