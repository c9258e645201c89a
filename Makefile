# Two commands on a fresh machine:  `make demo`  and  `make test`.
# Everything is installed from the lock file (uv.lock) into .venv; uv itself comes from PyPI.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv/bin

.PHONY: setup system-deps demo test lint typecheck pytest bench profile-ingest airflow clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

setup: $(UV)
	$(UV) sync --frozen --python $(PYTHON)

# Debian's Chromium and its driver, for the tests that open the digest and the web app in a real browser.
system-deps:
	@{ command -v chromium && command -v chromedriver; } >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null && \
	      DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null; }; \
	  else echo "install Debian's chromium and chromium-driver (sudo apt-get install ...) for the browser tests"; fi; }

# The main job on the embedded defaults: SQLite under var/, the file outbox, the bundled
# sample notices. The samples are real notices from 2019-2024, so their deadlines have
# passed: the demo asks to include expired tenders (a real run leaves them out).
demo: setup
	TENDER_RADAR_INCLUDE_EXPIRED=1 $(VENV)/tender-radar run
	$(VENV)/tender-radar register data/samples/register/social-enterprises.csv

lint: setup
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .

typecheck: setup
	$(VENV)/mypy .

pytest: setup system-deps
	$(VENV)/python -m pytest

test: lint typecheck pytest

# Airflow 3 standalone with the project's DAGs unpaused; prints the admin password.
airflow: setup
	scripts/airflow-standalone

# The benchmark; its table is printed and written to docs/benchmarks.md. PostgreSQL is measured
# too when BENCH_POSTGRES is reachable (set it empty to skip).
# The store-at-scale case (radar/bench_scale.py) follows: 870,000 tenders on PostgreSQL and 200,000
# on SQLite; BENCH_SCALE=0.05 makes it a quick run.
BENCH_POSTGRES ?= postgresql+psycopg2://postgres@127.0.0.1:5432/test
BENCH_SCALE ?= 1
bench: setup
	$(VENV)/tender-radar bench --postgres "$(BENCH_POSTGRES)"
	$(VENV)/python -m radar.bench_scale --postgres "$(BENCH_POSTGRES)" --scale "$(BENCH_SCALE)"

# Where the ingest spends its time: py-spy samples the collector and both workers.
profile-ingest: setup
	mkdir -p var
	$(VENV)/py-spy record --subprocesses --format raw -o var/ingest-profile.raw -r 50 -- $(VENV)/python -m radar.profile_ingest 3700
	$(VENV)/python -m radar.profile_ingest --summary var/ingest-profile.raw

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
