# The two commands: `make demo` runs a whole gallery, `make test` runs every check.
# Both set themselves up on first use (see scripts/bootstrap.sh).
VENV := .venv/bin

.PHONY: demo test lint bench clean

demo:
	@scripts/bootstrap.sh demo
	$(VENV)/cimaise demo $(ARGS)

test:
	@scripts/bootstrap.sh test
	$(VENV)/ruff check .
	$(VENV)/mypy
	$(VENV)/python -m pytest $(PYTEST_ARGS)

lint:
	$(VENV)/ruff check .
	$(VENV)/mypy

# Speed and memory figures against their targets, one script per part (see each docstring).
BENCHES := ingest agent sync dashboard kiosk phone
bench:
	@scripts/bootstrap.sh test
	@for b in $(BENCHES); do echo "== bench/$$b.py"; $(VENV)/python bench/$$b.py || exit 1; done

clean:
	rm -rf .venv build *.egg-info .pytest_cache .mypy_cache .ruff_cache
