# The two commands of the README: `make demo` and `make check`. Both install what is missing first.
BUILD  ?= build
SAN    ?= build-san
JOBS   ?= $(shell nproc)
# Seconds each libFuzzer target runs inside `make check`.
FUZZ_SECONDS ?= 20

.PHONY: all deps build san check check-fast demo bench fuzz clean format
all: build

deps:
	@scripts/install-deps

# gcc build: the library, the tools, every test; warnings are errors here (MBMSEC_WERROR).
build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DMBMSEC_WERROR=ON >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# clang build with ASan+UBSan and the libFuzzer targets.
san: deps
	@cmake -S . -B $(SAN) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	  -DMBMSEC_SANITIZE=ON -DMBMSEC_FUZZ=ON -DMBMSEC_FUZZ_SECONDS=$(FUZZ_SECONDS) \
	  -DMBMSEC_WERROR=ON >/dev/null
	@cmake --build $(SAN) -j$(JOBS)

# Every test: all of them on the gcc build, then the unit tests, the hostile end-to-end tests and the bounded fuzz runs
# once more under ASan+UBSan (clang).
check: build san
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)
	cd $(SAN) && ctest --output-on-failure -j$(JOBS) -L 'unit|fuzz|hostile'

demo: build
	@scripts/demo $(BUILD)

bench: build
	@scripts/bench $(BUILD)

clean:
	rm -rf $(BUILD) $(SAN)

# Formats every C file git tracks with the project's .clang-format (clang-format 14).
format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i
