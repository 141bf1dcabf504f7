# Two entry points for a fresh machine (see README): `make book` and `make test`.
# Each creates the virtual environment .venv when missing and installs what it needs into it.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Profile of the heavy runs: quick (CI), book (default book build) or paper (paper scale).
PROFILE ?= $(or $(ISACFL_PROFILE),book)
# Worker processes of the learning runs (ISACFL_JOBS); one is the default because on a 2-core
# machine shared with other work two processes are seldom faster.
JOBS ?= $(or $(ISACFL_JOBS),1)

# MathJax is served from the built book itself, so math renders without network access.
MATHJAX_VERSION ?= 3.2.2
MATHJAX := _mathjax/mathjax/es5/tex-chtml.js

.PHONY: book test install mathjax chromium notebooks sync clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[book,test]"

# Install the npm mathjax package into .node/ and copy its es5 bundle to _mathjax/, which the
# book copies into its HTML root (html_extra_path in _config.yml).
$(MATHJAX):
	npm install --silent --no-audit --no-fund --no-save --prefix .node mathjax@$(MATHJAX_VERSION)
	rm -rf _mathjax/mathjax
	mkdir -p _mathjax/mathjax
	cp -R .node/node_modules/mathjax/es5 _mathjax/mathjax/es5

mathjax: $(MATHJAX)

# Debian's chromium, for the headless test that checks that math renders offline.
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

# Build the HTML book into _build/html; a failing cell or a Sphinx warning fails the build.
# jupyter-book's execution cache knows the notebooks' code but not the profile, the package
# source or the data folders, so a build where any of these differs from the last build's (or
# whose last build left no record) clears it and executes every chapter again.
book: install mathjax
	@stamp="$(PROFILE) $$(find src -name '*.py' | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-16)"; \
	stamp="$$stamp mnist=$$ISACFL_MNIST_DIR deepsense=$$ISACFL_DEEPSENSE_DIR data=$$ISACFL_DATA_DIR"; \
	if [ -d _build/.jupyter_cache ] && [ "$$(cat _build/.stamp 2>/dev/null)" != "$$stamp" ]; then \
		echo "profile, package source or data folders changed since the last build: clearing _build/.jupyter_cache"; \
		rm -rf _build/.jupyter_cache; \
	fi; \
	mkdir -p _build && echo "$$stamp" > _build/.stamp
	ISACFL_PROFILE=$(PROFILE) ISACFL_JOBS=$(JOBS) $(BIN)/jupyter-book build . -W --keep-going

# Unit tests, doctests and nbval over every chapter at the quick profile.
test: install mathjax chromium
	ISACFL_PROFILE=quick $(BIN)/python -m pytest src tests notebooks --doctest-modules --nbval-lax -p no:cacheprovider

# Re-pair the MyST text twins with their notebooks and store fresh outputs (quick profile).
notebooks: install
	$(BIN)/jupytext --sync notebooks/*.md
	ISACFL_PROFILE=quick $(BIN)/jupyter nbconvert --to notebook --execute --inplace notebooks/*.ipynb

clean:
	rm -rf _build .jupyter_cache _mathjax .node
