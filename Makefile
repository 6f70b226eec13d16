# newsbot: the two commands a new user needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint format bench clean messages

# The virtualenv, with newsbot installed in editable mode and the dev tools; redone when
# pyproject.toml changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Prepare the database (migrations, the sample article on first use), then start the bot when
# NEWSBOT_BOT_TOKEN is set, or the local playground when it is not.
run: install
	@$(BIN)/newsbot db upgrade >/dev/null
	@$(BIN)/newsbot db sample >/dev/null
	@$(BIN)/newsbot start

# The suite runs in TEST_WORKERS processes (pytest-xdist). It is CPU-bound on 2 cores, but many
# tests mostly wait (digests paced at 30/s, leases expiring), so 6 workers keep both busy: on an
# idle 2-core machine 103 and 122 s against 132 s with 4 (docs/benchmarks.md); on a machine
# other work shares, fewer may do better.
# `make test TEST_WORKERS=0` runs it in one process. The longest tests come first
# (tests/conftest.py) and each worker takes two at a time, so they start at once side by side
# and the workers finish together.
TEST_WORKERS ?= 6

# Compiled bytecode is kept (in .venv/pycache, not beside the sources) even when the shell sets
# PYTHONDONTWRITEBYTECODE: without it each pytest worker rewrites and compiles every test module
# and each `newsbot` subprocess the tests start compiles newsbot again, several CPU-seconds each.
PYCACHE := env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(CURDIR)/$(VENV)/pycache

test: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(PYCACHE) $(BIN)/pytest -n $(TEST_WORKERS) --dist load --maxschedchunk 2

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

# The catalogs of the reader's language: extract the marked strings, merge them into each
# language's .po (then translate the new ones), and compile the .mo files the bot loads.
LOCALE := src/newsbot/locale
messages: install
	$(BIN)/pybabel extract --no-location -w 100 -F babel.cfg -k N_ -o $(LOCALE)/newsbot.pot .
	$(BIN)/pybabel update -N --ignore-obsolete -w 100 -D newsbot -i $(LOCALE)/newsbot.pot -d $(LOCALE)
	$(BIN)/pybabel compile -D newsbot -d $(LOCALE) --statistics

# Every benchmark, one after the other, on the evaluation data in EVAL (make bench
# EVAL=/path/to/eval); postgres.py needs the server at POSTGRES. Figures go to
# docs/benchmarks.md by hand. The tune_*.py scripts fit parameters and suites.py fills the
# vector cache: they are run by hand.
EVAL ?= ../shared/eval
POSTGRES ?= postgresql://postgres@127.0.0.1:5432/test
bench: install
	$(BIN)/python benchmarks/extraction.py --data $(EVAL)
	$(BIN)/python benchmarks/passages.py --data $(EVAL)
	$(BIN)/python benchmarks/retrieval.py --data $(EVAL)
	$(BIN)/python benchmarks/news_questions.py --data $(EVAL)
	$(BIN)/python benchmarks/ingest.py --data $(EVAL)
	$(BIN)/python benchmarks/scale.py --data $(EVAL)
	$(BIN)/python benchmarks/postgres.py --data $(EVAL) --postgres $(POSTGRES)
	$(BIN)/python benchmarks/reply_length.py --data $(EVAL)
	$(BIN)/python benchmarks/bot_load.py --data $(EVAL)
	$(BIN)/python benchmarks/digest_fanout.py
	$(BIN)/python benchmarks/feed_poll.py
	$(BIN)/python benchmarks/worker_start.py
	$(BIN)/python benchmarks/vector_store.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build *.egg-info
