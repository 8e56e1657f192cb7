# Thin front end over CMake + CTest. `make` builds into build/.
BUILD   ?= build
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps demo check check-asan bench install clean

all: $(BUILD)/Makefile
	@$(MAKE) --no-print-directory -C $(BUILD) -j$(JOBS)

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

deps:
	@sh scripts/deps.sh

demo: deps all
	@sh scripts/demo.sh $(BUILD)/emauth examples/example.zone

check: deps all
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

check-asan: deps
	cmake -S . -B build-asan -DEMAUTH_SANITIZE=ON $(CMAKE_FLAGS)
	@$(MAKE) --no-print-directory -C build-asan -j$(JOBS)
	cd build-asan && ctest --output-on-failure -j$(JOBS)

bench: deps all
	@sh bench/run.sh $(BUILD)

# The prefix is configured in (not only passed to --install) so that
# emauth.pc names the directories the files really went to.
install:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) $(if $(PREFIX),-DCMAKE_INSTALL_PREFIX=$(PREFIX))
	@$(MAKE) --no-print-directory -C $(BUILD) -j$(JOBS)
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) build-asan
