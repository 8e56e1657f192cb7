# Thin front end over CMake + CTest. `make` builds into build/.
BUILD   ?= build
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps demo check check-asan bench install clean fuzz fuzz-coverage

# Fuzzing (tests/fuzz): seconds per target, which targets, how many at once.
FUZZ_TIME    ?= 60
FUZZ_TARGETS ?= all
FUZZ_JOBS    ?= 2

all: $(BUILD)/Makefile
	@$(MAKE) --no-print-directory -C $(BUILD) -j$(JOBS)

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

deps:
	@sh scripts/deps.sh

demo: deps all
	@sh scripts/demo.sh $(BUILD)/emauth examples/example.zone

# Every test: the suite (also under valgrind), the suite again with ASan and
# UBSan, then each fuzz target for CHECK_FUZZ_TIME seconds so that a parser
# regression libFuzzer finds at once fails the check.
CHECK_FUZZ_TIME ?= 10

check: deps all
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)
	@$(MAKE) --no-print-directory check-asan
	@$(MAKE) --no-print-directory fuzz FUZZ_TIME=$(CHECK_FUZZ_TIME) FUZZ_TARGETS=all

check-asan: deps
	cmake -S . -B build-asan -DEMAUTH_SANITIZE=ON $(CMAKE_FLAGS)
	@$(MAKE) --no-print-directory -C build-asan -j$(JOBS)
	cd build-asan && ctest --output-on-failure -j$(JOBS)

bench: deps all
	@sh bench/run.sh $(BUILD)

# libFuzzer campaigns in build-fuzz/ (clang); non-zero when anything is found.
fuzz:
	@FUZZ_TIME=$(FUZZ_TIME) FUZZ_TARGETS="$(FUZZ_TARGETS)" FUZZ_JOBS=$(FUZZ_JOBS) sh scripts/fuzz.sh

# Line coverage of each target's sources over its corpus (build-cov/).
fuzz-coverage:
	@FUZZ_TARGETS="$(FUZZ_TARGETS)" sh scripts/fuzz-coverage.sh

# The prefix is configured in (not only passed to --install) so that
# emauth.pc names the directories the files really went to.
install:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) $(if $(PREFIX),-DCMAKE_INSTALL_PREFIX=$(PREFIX))
	@$(MAKE) --no-print-directory -C $(BUILD) -j$(JOBS)
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) build-asan build-fuzz build-cov
