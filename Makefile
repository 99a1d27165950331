# Wraps CMake.  `make` builds build/mamori; `make run` installs what is
# missing, builds and starts the server on its embedded defaults; `make
# test` builds and runs every test in a normal and an ASan+UBSan build.

JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
BUILD   ?= build
ASAN    ?= build-asan
FUZZDIR ?= build-fuzz
FUZZ_TIME ?= 60
DATA    ?= ./mamori-data
RUNARGS ?=

.PHONY: all build deps test-deps run test test-normal test-asan fuzz bench clean

all: build

deps:
	@sh scripts/install-deps.sh

test-deps:
	@sh scripts/install-deps.sh --test

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

run: deps
	@$(MAKE) --no-print-directory build
	@sh scripts/run.sh $(BUILD)/mamori $(DATA) $(RUNARGS)

test: test-deps
	@$(MAKE) --no-print-directory build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory test-asan

test-asan:
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DMAMORI_SANITIZE=ON
	cmake --build $(ASAN) -j $(JOBS)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)

fuzz:
	CC=clang cmake -S . -B $(FUZZDIR) -DCMAKE_BUILD_TYPE=Debug -DMAMORI_FUZZ=ON
	cmake --build $(FUZZDIR) -j $(JOBS)
	@sh scripts/fuzz.sh $(FUZZDIR) $(FUZZ_TIME)

bench: build test-deps
	sh bench/ingest.sh

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZDIR)
