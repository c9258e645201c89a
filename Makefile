# Two commands on a fresh machine:  `make demo`  and  `make test`.
# Everything is installed from the lock file (uv.lock) into .venv; uv itself comes from PyPI.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv/bin

.PHONY: help setup system-deps demo test lint typecheck pytest test-future bench profile-ingest airflow airflow-celery clean translations

help:
	@echo "make demo            set up, then run the whole pipeline once on the bundled notices (digests in var/outbox)"
	@echo "make test            set up, lint, type-check and run every test (about 18 minutes on 2 cores)"
	@echo "make test-future     the suite once more with the project's clock a year ahead (CI runs it after make test)"
	@echo "make lint            ruff check and ruff format --check"
	@echo "make typecheck       mypy, strict"
	@echo "make pytest          the tests only"
	@echo "make bench           the benchmark: prints the table and writes docs/benchmarks.md"
	@echo "make profile-ingest  where the ingest spends its time (py-spy), into var/"
	@echo "make airflow         Airflow 3 standalone with the project's DAGs"
	@echo "make airflow-celery  the production shape on this machine: CeleryExecutor, PostgreSQL, Redis"
	@echo "make setup           the virtual environment from the lock file (.venv)"
	@echo "make translations    extract the words of the code and templates and add the new ones to each catalogue (.po)"
	@echo "make system-deps     Debian's packages the tests need (Chromium, Dovecot, Pango, poppler-utils)"
	@echo "make clean           remove var/ and the caches"

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

setup: $(UV)
	$(UV) sync --frozen --python $(PYTHON)

# Debian's Chromium and its driver, for the tests that open the digest and the web app in a real browser;
# Debian's Dovecot IMAP server, which the mailbox tests start on a loopback port; Pango (WeasyPrint
# renders the October report's PDF with it) and poppler-utils (pdftotext, pdftoppm: the report tests
# read the PDF back and keep its pages as PNG).
SYSTEM_PACKAGES := chromium chromium-driver dovecot-imapd libpango-1.0-0 libpangoft2-1.0-0 poppler-utils
# Another apt (unattended-upgrades, a CI image's own install) may hold the dpkg lock: wait up to 10 min.
APT_WAIT := -o DPkg::Lock::Timeout=600
system-deps:
	@{ command -v chromium && command -v chromedriver && command -v dovecot && command -v pdftotext && \
	   command -v pdftoppm && ldconfig -p | grep -q libpangoft2-1.0; } >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get $(APT_WAIT) install -y -q $(SYSTEM_PACKAGES) >/dev/null 2>&1 || \
	    { apt-get $(APT_WAIT) update -q >/dev/null && \
	      DEBIAN_FRONTEND=noninteractive apt-get $(APT_WAIT) install -y -q $(SYSTEM_PACKAGES) >/dev/null; }; \
	  else echo "install Debian's $(SYSTEM_PACKAGES) (sudo apt-get install ...) for the browser, mailbox and report tests"; fi; }

# The main job on the embedded defaults: SQLite under var/, the file outbox, the bundled
# samples: real TED notices from 2019-2024 and invented Swedish feeds (marked as examples in
# the digests). The real notices' deadlines have passed: the demo asks to include expired
# tenders, and the digests mark each one (a real run never sends them).
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

# The suite once more with the project's clock (tenders/clock.py) a year ahead: a test that
# hard-codes a date which is future today fails here first, long before it fails for real. The
# slow end-to-end tests (marked slow: a real scheduler, Celery, Chromium) run once, in make test.
test-future: setup system-deps
	TENDER_RADAR_CLOCK_SHIFT_DAYS=365 $(VENV)/python -m pytest -m "not slow"

# Airflow 3 standalone with the project's DAGs unpaused; prints the admin password.
# Another port: AIRFLOW_PORT=8090 make airflow
airflow: setup
	scripts/airflow-standalone

# The production shape as local processes: CeleryExecutor on this machine's PostgreSQL and Redis,
# api-server, scheduler, dag-processor, triggerer and AIRFLOW_CELERY_WORKERS (2) workers.
# Settings: see the head of scripts/airflow-celery. Ctrl-C stops all of it.
airflow-celery: setup
	scripts/airflow-celery

# The benchmark; its table is printed and written to docs/benchmarks.md. PostgreSQL is measured
# too when BENCH_POSTGRES is reachable (set it empty to skip).
# The store-at-scale case (radar/ops/bench_scale.py) follows: 870,000 tenders on PostgreSQL and 200,000
# on SQLite; BENCH_SCALE=0.05 makes it a quick run.
BENCH_POSTGRES ?= postgresql+psycopg2://postgres@127.0.0.1:5432/test
BENCH_SCALE ?= 1
bench: setup
	$(VENV)/tender-radar bench --postgres "$(BENCH_POSTGRES)"
	$(VENV)/python -m radar.ops.bench_scale --postgres "$(BENCH_POSTGRES)" --scale "$(BENCH_SCALE)"

# Where the ingest spends its time: py-spy samples the collector and both workers.
profile-ingest: setup
	mkdir -p var
	$(VENV)/py-spy record --subprocesses --format raw -o var/ingest-profile.raw -r 50 -- $(VENV)/python -m radar.ops.profile_ingest 3700
	$(VENV)/python -m radar.ops.profile_ingest --summary var/ingest-profile.raw

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache

# The gettext catalogues, one per folder with a babel.cfg (the web pages, the stage's mails, the application's
# mails and the October report): the words the code and the templates say are extracted and merged into
# <folder>/locale/<lang>/LC_MESSAGES/messages.po. Then translate each new entry (an empty or fuzzy msgstr
# in sv: the catalogue tests fail until it is done) and commit the .po files.
CATALOGUES := radar/web notifications radar
translations: setup
	@for dir in $(CATALOGUES); do \
	  $(VENV)/pybabel extract --add-location=file --sort-by-file --project="Social Tender Radar" \
	    -F $$dir/babel.cfg -o $$dir/locale/messages.pot $$dir >/dev/null && \
	  $(VENV)/pybabel update --ignore-obsolete -i $$dir/locale/messages.pot -d $$dir/locale && \
	  rm $$dir/locale/messages.pot || exit 1; \
	done
