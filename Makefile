# Thin wrapper over CMake presets: the commands the README promises.
PRESET ?= release
BUILD_DIR := build/$(PRESET)
NPROC := $(shell nproc 2>/dev/null || echo 2)

.PHONY: deps build demo test bench clean format

deps:
	@./scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	@cmake --preset $(PRESET) >/dev/null

build: deps $(BUILD_DIR)/build.ninja
	@cmake --build $(BUILD_DIR) -j $(NPROC)

demo: build
	@$(BUILD_DIR)/bin/neuromorph train examples/fmnist_mlp.toml --out runs/demo-train
	@echo
	@$(BUILD_DIR)/bin/neuromorph simulate examples/brunel.toml --out runs/demo

test: build
	@ctest --preset $(PRESET)

bench: build
	@NM_WITH_PEERS=1 ./scripts/install-deps.sh
	@$(BUILD_DIR)/bin/nm_bench_brunel --scale 1 --scale 5 --threads 2
	@$(BUILD_DIR)/bin/nm_bench_encode
	@/usr/bin/python3 bench/peers/brunel_brian2.py --neuromorph $(BUILD_DIR)/bin/neuromorph --threads 1
	@/usr/bin/python3 bench/peers/coba_cuba_brian2.py --neuromorph $(BUILD_DIR)/bin/neuromorph --threads 1
	@/usr/bin/python3 tools/microcircuit.py --n-scaling 0.1 --k-scaling 0.1 --duration 10500 > $(BUILD_DIR)/microcircuit_0.1.toml
	@$(BUILD_DIR)/bin/nm_bench_microcircuit --file $(BUILD_DIR)/microcircuit_0.1.toml --threads 2

clean:
	@rm -rf build runs

format:
	@clang-format -i $$(git ls-files '*.hpp' '*.cpp' '*.cu' '*.cuh')
