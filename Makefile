# Set-up is part of every target: a fresh machine needs only `make demo` or `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.ganlab-installed
FMNIST := /usr/share/datasets/fashion-mnist
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO_OUT ?= runs/demo
SETUP_LOG ?= $(CURDIR)/setup.log
# run a set-up step quietly: its output goes to SETUP_LOG, whose last lines are shown if it fails
LOGGED = run() { echo "--- $$*" >> $(SETUP_LOG); "$$@" >> $(SETUP_LOG) 2>&1 || { tail -n 30 $(SETUP_LOG); echo "set-up failed: see $(SETUP_LOG)"; return 1; }; }; run

.PHONY: setup data browser demo test lint docs clean-demo

$(STAMP): pyproject.toml
	@echo "set-up: Python venv in $(VENV), torch, ganlab and its dependencies (a few minutes; details in $(SETUP_LOG))"
	@$(LOGGED) $(PYTHON) -m venv $(VENV)
	@# torch from the local wheel store where there is one (see README "Set-up"), else the registry's build
	@$(LOGGED) sh -c '$(PY) -m pip install torch==2.14.1 torchvision==0.29.1 || $(PY) -m pip install "torch>=2.2,<2.15" torchvision'
	@$(LOGGED) $(PY) -m pip install -e '.[dev,ray]'
	@touch $(STAMP)

setup: $(STAMP)

data:
	@[ -d $(FMNIST) ] || { echo "set-up: Fashion-MNIST from Debian's dataset-fashion-mnist (apt-get; details in $(SETUP_LOG))"; \
	  $(LOGGED) $(SUDO) apt-get update && $(LOGGED) $(SUDO) apt-get install -y dataset-fashion-mnist; }

browser:  # headless Chromium: the report test opens report.html in a real browser and checks what it draws
	@command -v chromium >/dev/null || { echo "set-up: headless Chromium for the HTML report test (apt-get; details in $(SETUP_LOG))"; \
	  $(LOGGED) $(SUDO) apt-get update && $(LOGGED) $(SUDO) apt-get install -y chromium; }

demo: setup data
	@if [ -f $(DEMO_OUT)/summary.json ]; then echo "$(DEMO_OUT) already trained (make clean-demo to train again)"; \
	else echo "== ganlab train demo --set eval.every=250 --out $(DEMO_OUT)"; \
	  $(PY) -m ganlab train demo --set eval.every=250 --out $(DEMO_OUT); fi
	@echo "== ganlab evaluate $(DEMO_OUT) --samples 5000"
	@$(PY) -m ganlab evaluate $(DEMO_OUT) --samples 5000
	@echo "== ganlab sample $(DEMO_OUT) -n 100 -o $(DEMO_OUT)/sample.png"
	@$(PY) -m ganlab sample $(DEMO_OUT) -n 100 -o $(DEMO_OUT)/sample.png
	@echo "== ganlab report $(DEMO_OUT) -o $(DEMO_OUT)/report.html"
	@$(PY) -m ganlab report $(DEMO_OUT) -o $(DEMO_OUT)/report.html
	@echo "run directory: $(DEMO_OUT)  sample grid: $(DEMO_OUT)/sample.png  metrics: $(DEMO_OUT)/metrics.jsonl, $(DEMO_OUT)/eval.json  report: $(DEMO_OUT)/report.html"

test: setup data browser
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/mypy src
	$(PY) -m pytest -q --durations=15

lint: setup
	$(VENV)/bin/ruff check src tests && $(VENV)/bin/ruff format --check src tests && $(VENV)/bin/mypy src

docs: setup
	$(PY) scripts/gen_config_docs.py

clean-demo:
	rm -rf $(DEMO_OUT)
