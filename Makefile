# The two commands a fresh machine needs (see README.md):
#   make serve   installs minutes-qa and serves the seed documents
#   make test    installs minutes-qa with its test extras and runs the test suite
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install install-test bench-install browser serve index test bench

# torch is pinned in the same step as sentence-transformers: 2.13.0 is the CPU build on
# this machine's local wheel index; any other version would pull the CUDA stack.
install:
	$(PYTHON) -m pip install --quiet "torch==2.13.0" -e .

install-test:
	$(PYTHON) -m pip install --quiet "torch==2.13.0" -e ".[test]"

# The benchmark's baselines (Haystack); the tests of eval/baselines.py skip without it.
bench-install:
	$(PYTHON) -m pip install --quiet "torch==2.13.0" -e ".[test,bench]"

# The scale benchmark (docs/performance.md); passage vectors not yet in the embedding cache
# are replaced by marked stand-ins (see eval/bench.py).
bench: bench-install
	$(PYTHON) -m eval.bench --stand-in-vectors

# The web page tests drive Debian's chromium (Playwright uses it; it downloads no browser).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	fi

index: install
	$(PYTHON) -m assistant.cli index

serve: install
	$(PYTHON) -m assistant.cli serve --host $(HOST) --port $(PORT)

test: install-test browser
	$(PYTHON) -m pytest
