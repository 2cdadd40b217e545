# The few commands people type. Each target sets up what it needs, idempotently.
#   make demo    set everything up and open the app on a generated demo dataset
#   make test    set everything up and run the whole test suite (what CI runs)
#   make lint    ruff (lint + format check) and mypy
#   make bench   benchmarks (ratios to floors measured in the same run) -> benchmarks/results.json
#   make bundle  the bundled desktop app in build/dist/ (one folder + .tar.gz, docs/bundle.md)

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# Debian packages: Chromium for the browser tests, Xvfb + X libs for the desktop window smoke test,
# ImageMagick for screenshots of the virtual screen. WebKitGTK (the window's system webview) and
# what PyGObject needs to build against it (docs/decisions/0004-webview-backend.md).
APT_PACKAGES := chromium xvfb xauth xdotool imagemagick libxcb-icccm4 libxcb-keysyms1 \
                libxcb-xinerama0 libxcb-randr0 libxcb-shape0 libxcb-cursor0 libxkbcommon-x11-0 \
                libegl1 libgl1 libnss3 libasound2 fonts-dejavu-core \
                gir1.2-webkit2-4.1 gir1.2-gtk-3.0 libgirepository1.0-dev libcairo2-dev pkg-config gcc
# sqlite3 and pg_dump/pg_restore (Debian 12's PostgreSQL 15) for deploy/backup.sh and restore.sh.
APT_PACKAGES += sqlite3 postgresql-client-15

.PHONY: demo test lint format bench bundle system-deps services venv clean

demo: system-deps $(VENV)/.installed-demo
	$(VENV)/bin/naesview demo

test: system-deps services $(VENV)/.installed-dev
	$(PY) -m pytest
	node --test ui/tests/

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: system-deps services $(VENV)/.installed-dev
	$(PY) -m benchmarks

# The bundled desktop app: build/dist/naesview/naesview and build/dist/naesview-linux-x86_64.tar.gz
# (docs/bundle.md). PyInstaller comes with the dev extra.
bundle: system-deps $(VENV)/.installed-dev
	$(PY) build/build_bundle.py

# Install only the Debian packages that are missing (as root, or with sudo when available).
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

# PostgreSQL runs on these machines; start it when it has stopped (the tests need it).
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || { \
	  echo "starting PostgreSQL"; pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	  for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; }

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed-app: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[app]'
	touch $@

# The demo runs a local sync server too, so it needs the server extra beside the app.
$(VENV)/.installed-demo: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[app,server]'
	touch $@ $(VENV)/.installed-app

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed-app $(VENV)/.installed-demo

clean:
	rm -rf $(VENV) build/dist build/work .pytest_cache .mypy_cache .ruff_cache
