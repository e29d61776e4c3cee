# cardforge: the two commands of the README, and a few more.
#   make demo   installs what is missing, builds, runs the main demonstration
#   make check  installs what is missing, builds with ASan+UBSan and -Werror, runs every test
#   make unit   the unit tests only (ctest label "unit": no pcscd, no root, seconds)
#   make install [PREFIX=/usr/local] [DESTDIR=...]   the optimised build, installed (README.md, "Install")
#   make uninstall [DESTDIR=...]   removes what the last `make install` installed (its install_manifest.txt)
JOBS ?= 2
BUILD ?= build
PREFIX ?= /usr/local

.PHONY: all deps build demo check unit fuzz bench format format-check clean install uninstall

all: build

deps:
	@scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD)/release -DCMAKE_BUILD_TYPE=Release -DCF_TESTS=OFF >/dev/null
	cmake --build $(BUILD)/release -j$(JOBS)

install: deps
	cmake -S . -B $(BUILD)/release -DCMAKE_BUILD_TYPE=Release -DCF_TESTS=OFF -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	cmake --build $(BUILD)/release -j$(JOBS)
	DESTDIR=$(DESTDIR) cmake --install $(BUILD)/release

uninstall:
	DESTDIR=$(DESTDIR) cmake --build $(BUILD)/release --target uninstall

demo: build
	scripts/demo.sh --cardforge $(BUILD)/release/tools/cardforge

check: deps format-check
	cmake -S . -B $(BUILD)/check -DCMAKE_BUILD_TYPE=Debug -DCF_SANITIZE=ON -DCF_WERROR=ON >/dev/null
	cmake --build $(BUILD)/check -j$(JOBS)
	@echo "check: the optimised build (what make demo builds) must be warning-free too"
	cmake -S . -B $(BUILD)/release-werror -DCMAKE_BUILD_TYPE=Release -DCF_WERROR=ON -DCF_TESTS=OFF >/dev/null
	cmake --build $(BUILD)/release-werror -j$(JOBS) >/dev/null
	cd $(BUILD)/check && ctest --output-on-failure -j$(JOBS)

unit: deps
	cmake -S . -B $(BUILD)/unit -DCMAKE_BUILD_TYPE=Debug -DCF_SANITIZE=ON -DCF_WERROR=ON >/dev/null
	cmake --build $(BUILD)/unit -j$(JOBS)
	cd $(BUILD)/unit && ctest -L unit --output-on-failure -j$(JOBS)

bench:
	@scripts/install-deps.sh valgrind vsmartcard-vpicc python3-pycryptodome
	cmake -S . -B $(BUILD)/bench -DCMAKE_BUILD_TYPE=Release -DCF_TESTS=OFF >/dev/null
	cmake --build $(BUILD)/bench -j$(JOBS)
	scripts/bench.sh $(BUILD)/bench

fuzz: deps
	CC=clang cmake -S . -B $(BUILD)/fuzz -DCMAKE_BUILD_TYPE=Debug -DCF_FUZZ=ON -DCF_SANITIZE=ON -DCF_TESTS=OFF >/dev/null
	cmake --build $(BUILD)/fuzz -j$(JOBS)
	scripts/fuzz.sh $(BUILD)/fuzz

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	@git ls-files '*.c' '*.h' | xargs clang-format --dry-run -Werror

clean:
	rm -rf $(BUILD)
