# Two entry points for a fresh machine (see README): `make book` and `make test`.
# Each creates the virtual environment .venv when missing and installs what it needs into it.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Profile of the heavy runs: quick (CI), book (default book build) or paper (paper scale).
PROFILE ?= book

.PHONY: book test install notebooks sync clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[book,test]"

# Build the HTML book into _build/html; a failing cell or a Sphinx warning fails the build.
book: install
	ISACFL_PROFILE=$(PROFILE) $(BIN)/jupyter-book build . -W --keep-going

# Unit tests, doctests and nbval over every chapter at the quick profile.
test: install
	ISACFL_PROFILE=quick $(BIN)/python -m pytest src tests notebooks --doctest-modules --nbval-lax -p no:cacheprovider

# Re-pair the MyST text twins with their notebooks and store fresh outputs (quick profile).
notebooks: install
	$(BIN)/jupytext --sync notebooks/*.md
	ISACFL_PROFILE=quick $(BIN)/jupyter nbconvert --to notebook --execute --inplace notebooks/*.ipynb

clean:
	rm -rf _build .jupyter_cache
