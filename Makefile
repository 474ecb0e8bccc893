# Two commands for everyone: `make demo` and `make test`. Both set up a fresh machine first
# (virtualenv, Debian packages, local PostgreSQL/Redis) and are safe to run again.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Root (CI containers) needs no sudo; a developer's account does.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := chromium fonts-noto-cjk aapt zipalign apksigner openssl libreoffice-writer-nogui poppler-utils
DEMO_DATABASE_URL ?= sqlite:///var/demo.db
# Four workers on two cores: most tests wait on the sandbox, a browser or a child process,
# not on the CPU (measured: 532 s with 4 workers vs 833 s with 2, same load).
PYTEST_ARGS ?= -q -n 4

.PHONY: venv system services test demo bench clean

venv: $(VENV)/.installed

# Re-installs whenever pyproject.toml changes (new dependencies).
$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e ".[test]"
	@touch $@

system:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing="$$missing fonts-noto-cjk"; \
	for tool in aapt zipalign apksigner openssl libreoffice pdftotext; do \
	  command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages (missing:$$missing)"; \
	  $(SUDO) apt-get update && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y $(APT_PACKAGES); \
	fi

services:
	@pg_isready -h 127.0.0.1 -q || $(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | sort -V | tail -1) main start
	@for i in $$(seq 30); do pg_isready -h 127.0.0.1 -q && break; sleep 1; done; \
	  pg_isready -h 127.0.0.1 -q || { echo "PostgreSQL on 127.0.0.1:5432 did not come up" >&2; exit 1; }
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || $(SUDO) redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
	@for i in $$(seq 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done; \
	  redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || { echo "Redis on 127.0.0.1:6379 did not come up" >&2; exit 1; }

test: venv system services
	$(BIN)/pytest $(PYTEST_ARGS)

# Until `monitor demo` exists: a fresh demo database with the demo registry, listed.
demo: venv system
	@if $(BIN)/monitor demo --help >/dev/null 2>&1; then \
	  $(BIN)/monitor demo; \
	else \
	  rm -f var/demo.db && \
	  MONITOR_DATABASE_URL=$(DEMO_DATABASE_URL) $(BIN)/monitor init && \
	  MONITOR_DATABASE_URL=$(DEMO_DATABASE_URL) $(BIN)/monitor accounts import monitor/demo/registry.csv && \
	  MONITOR_DATABASE_URL=$(DEMO_DATABASE_URL) $(BIN)/monitor accounts list; \
	fi

bench: venv system services
	$(BIN)/python bench/run.py
	$(BIN)/python bench/web.py

# Leaves .venv and the operator's data (var/monitor.db, var/evidence) alone.
clean:
	rm -rf .pytest_cache build dist var/demo var/demo.db var/demo.db-wal var/demo.db-shm
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
