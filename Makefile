# Two commands for a fresh machine (only Python 3.10+ and make needed):
#   make lab    set everything up and open your copy of the course (work/) in JupyterLab at lesson 1
#   make test   set everything up and run every test (unit, browser, notebooks)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The venv is rebuilt when PYTHON names another version (make test PYTHON=python3.10).
PYVER := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
STAMP := $(VENV)/.installed-$(PYVER)
CONSTRAINTS := requirements/ci.txt
LESSON ?= lessons/scripts/*.py

# OpenMP threads that spin while they wait stall PyTorch badly whenever anything else
# uses the CPU (a shared Binder host, a busy laptop); passive waiting costs nothing here.
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: lab test unit unit-fast browser notebooks claims lint lessons bench clean

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@test -n "$(PYVER)" || { echo "No Python found at PYTHON=$(PYTHON): install Python 3.10+ or run make PYTHON=/path/to/python3"; exit 1; }
	$(PYTHON) -c 'import sys; sys.exit("Python 3.10 or newer is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 10) else None'
	rm -f $(VENV)/.installed-*
	test -x $(BIN)/python && $(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != tuple(map(int, "$(PYVER)".split("."))))' \
	  || { rm -rf $(VENV); $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --disable-pip-version-check -q -c $(CONSTRAINTS) -e ".[dev]"
	touch $(STAMP)

# Jupyter refuses to run as root unless told to (containers, some cloud machines).
AS_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

# The student's own copy of the lessons: work/ (git-ignored), made from lessons/ on first use and
# never overwritten; JupyterLab runs there with the course's settings (mnist_course/cli/workspace.py).
lab: $(STAMP)
	$(BIN)/python -m mnist_course lab $(AS_ROOT)

test: lint unit notebooks claims

lint: $(STAMP)
	$(BIN)/ruff check mnist_course benchmarks tools tests lessons

unit: $(STAMP)
	$(BIN)/python -m pytest tests -m "not claims"

# The unit tests without the browser (CI runs them on the oldest and newest Python too).
unit-fast: $(STAMP)
	$(BIN)/python -m pytest tests -m "not browser and not claims"

browser: $(STAMP)
	$(BIN)/python -m pytest tests -m browser

# Strict nbval: every lesson re-executed and compared with its stored outputs. pytest exits
# 5 when it collects nothing, which is a failure here too (a lesson folder without notebooks).
# The second pass reads the training images in another order (other digits in every
# subset and batch): a compared output must not depend on which digits a copy holds.
notebooks: $(STAMP)
	$(BIN)/python -m pytest --nbval lessons
	MNIST_COURSE_SHUFFLE=1 $(BIN)/python -m pytest --nbval lessons

# What each lesson's prose says about its numbers, checked against the lesson executed once
# more under another training order (tests/claims/, one file per lesson), with every exercise's
# solution typed into its cell: each check must say "correct" there too (lessons 5 and 6 load what
# lesson 4 saved).
claims: $(STAMP)
	MNIST_COURSE_SHUFFLE=2 $(BIN)/python -m pytest tests/claims -m claims

# After editing a lesson's .py script: rebuild its notebook and execute it top to
# bottom in a fresh kernel (make lessons LESSON=lessons/scripts/03b_training_with_batches.py).
# The pairing (lessons/jupytext.toml) applies to lessons/ only: the student's JupyterLab
# runs on work/, where saving pairs nothing.
lessons: $(STAMP)
	for script in $(LESSON); do \
	  $(BIN)/jupytext --sync "$$script" && \
	  $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.store_widget_state=False "lessons/$$(basename "$${script%.py}").ipynb" || exit 1; \
	done

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
