"""
### Social Tender Radar: collect → classify → notify

Three DAGs linked by Assets, so each stage runs when the one before it produced something:

* **tender_radar_collect** (hourly): one mapped task per source in `sources.yaml`, so one broken
  source never fails the others; then emits `tenders://collected` with how many tenders are new
  or changed (skipped when nothing is).
* **tender_radar_classify**: runs on `tenders://collected` (tenders are scored as they are
  collected; this run scores what is left, e.g. after a classifier update, or a tender pushed
  in from outside) and emits `tenders://classified`.
* **tender_radar_notify**: runs on `tenders://classified` (a reserved contract goes out at once to
  "instant" subscribers) and at five past every hour, which sends each daily or weekly digest at
  its subscriber's local hour and retries the ones that failed.
* **tender_radar_health** (hourly): alerts when a source has brought nothing new for longer
  than its `expect_every`, or its last run failed; `tender-radar status` shows the same.
* **tender_radar_statistics** (monthly, the 2nd at 05:00 UTC): downloads the year before's export of
  advertised procurements from Upphandlingsmyndigheten's statistics API and imports it (replacing that
  year's rows), when `TENDER_RADAR_UHM_PARAMS` names the columns; skipped otherwise.
* **tender_radar_report** (1 October, 06:00 Stockholm time; `TENDER_RADAR_REPORT_CRON` changes it):
  builds every county's October report for the year before (`TENDER_RADAR_REPORT_YEAR` overrides)
  and mails it as a PDF to that county's coordinators through the configured sender, once per county and year.

A task that fails after its retries alerts the operators (email through the configured sender
to `TENDER_RADAR_ALERT_EMAIL`, and a JSON POST to `TENDER_RADAR_ALERT_WEBHOOK`). Only errors a
retry can fix are retried: an unreachable source is, a wrong configuration is not.

All logic lives in `radar` (`radar.pipeline`; the statistics and the report in `radar.reports.statistics_api` and
`radar.reports.mailing`); `tender-radar run` runs the same steps without Airflow.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import (
    Asset,
    AssetOrTimeSchedule,
    BaseNotifier,
    Context,
    CronTriggerTimetable,
    Metadata,
    TriggerRule,
    dag,
    task,
)
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

COLLECTED = Asset(name="tenders_collected", uri="tenders://collected")
CLASSIFIED = Asset(name="tenders_classified", uri="tenders://classified")


class AlertOperators(BaseNotifier):
    """Tells the operators that a task failed for good (after its retries)."""

    def notify(self, context: Context) -> None:
        from radar.pipeline import alert_operators

        ti = context["ti"]
        text = f"DAG {ti.dag_id}, task {ti.task_id}, run {context['run_id']}: {context.get('exception')}"
        alert_operators(f"{ti.dag_id}.{ti.task_id} failed", text)


DEFAULT_ARGS: dict[str, Any] = {
    "owner": "tender-radar",
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
    "execution_timeout": timedelta(minutes=30),
    "on_failure_callback": AlertOperators(),
}
START = datetime(2026, 1, 1)
TAGS = ["tender-radar"]


@dag(
    dag_id="tender_radar_collect",
    schedule="@hourly",
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=[*TAGS, "collect"],
    doc_md=__doc__,
)
def tender_radar_collect() -> None:
    @task
    def list_sources() -> list[str]:
        from radar.pipeline import source_names

        return source_names()

    @task(max_active_tis_per_dagrun=4, multiple_outputs=False)
    def collect(source: str) -> dict[str, Any]:
        from radar.pipeline import SourceError, collect, open_store

        try:
            return collect(source, open_store()).to_dict()
        except SourceError as exc:
            if exc.retryable and not exc.blocked:
                raise  # the network or the server: Airflow retries with backoff
            # configuration: a retry cannot fix it; blocked (a bot challenge, robots.txt unreadable):
            # asking again within minutes makes it worse, the next scheduled run tries again
            raise AirflowFailException(str(exc)) from exc

    @task(outlets=[COLLECTED], trigger_rule=TriggerRule.ALL_DONE, retries=0)
    def announce(results: list[dict[str, Any]]) -> Iterator[Metadata]:
        # One slice is one request; iterating would ask for the item past the end (an XCom 404).
        done = [r for r in results[:] if r]
        new = sum(r["new"] for r in done)
        changed = sum(r["changed"] for r in done)
        if not new and not changed:
            raise AirflowSkipException("no source produced a new or changed tender")
        yield Metadata(COLLECTED, extra={"new": new, "changed": changed, "sources": len(done)})

    announce(collect.expand(source=list_sources()))  # type: ignore[arg-type]  # TaskFlow passes XComArgs


@dag(
    dag_id="tender_radar_classify",
    schedule=[COLLECTED],
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=[*TAGS, "classify"],
    doc_md=__doc__,
)
def tender_radar_classify() -> None:
    @task(outlets=[CLASSIFIED])
    def classify() -> Iterator[Metadata]:
        # New tenders are classified as they are collected; this judges what is left over
        # (a new classifier version, a tender pushed in from outside) and passes the news on.
        from radar.pipeline import classify_new, open_store

        counts = classify_new(open_store())
        yield Metadata(CLASSIFIED, extra=dict[str, Any](counts))

    classify()


@dag(
    dag_id="tender_radar_notify",
    schedule=AssetOrTimeSchedule(timetable=CronTriggerTimetable("5 * * * *", timezone="UTC"), assets=[CLASSIFIED]),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=[*TAGS, "notify"],
    doc_md=__doc__,
)
def tender_radar_notify() -> None:
    @task(multiple_outputs=False)
    def queue() -> dict[str, int]:
        from radar.pipeline import queue_digests

        return queue_digests()

    @task(multiple_outputs=False)
    def send(queued: dict[str, int]) -> dict[str, Any]:
        from radar.pipeline import send_digests

        result = send_digests()
        if result["failed"]:
            # The failed digests stay queued for the next run; fail the task so an operator sees it.
            raise RuntimeError(f"{result['failed']} digest(s) failed: {'; '.join(result['errors'][:3])}")
        return result

    send(queue())  # type: ignore[arg-type]  # TaskFlow passes XComArgs


@dag(
    dag_id="tender_radar_health",
    schedule="@hourly",
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "retries": 1, "on_failure_callback": None},
    tags=[*TAGS, "health"],
    doc_md=__doc__,
)
def tender_radar_health() -> None:
    @task
    def freshness() -> None:
        from radar.health import check_freshness

        bad = check_freshness()  # alerts the operators itself
        if bad:
            raise AirflowFailException("; ".join(f"{f.source}: {f.state}" for f in bad))

    freshness()


@dag(
    dag_id="tender_radar_statistics",
    schedule=CronTriggerTimetable("0 5 2 * *", timezone="UTC"),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=[*TAGS, "statistics"],
    doc_md=__doc__,
)
def tender_radar_statistics() -> None:
    @task(multiple_outputs=False)
    def download_statistics(logical_date: datetime | None = None) -> dict[str, Any]:
        from radar.pipeline import SourceError, previous_year
        from radar.reports.statistics_api import configured_request, download_and_import

        request = configured_request(os.environ, previous_year(logical_date))
        if request is None:
            raise AirflowSkipException("TENDER_RADAR_UHM_PARAMS is not set: no statistics to download")
        try:
            path, result = download_and_import(request)
        except SourceError as exc:
            if exc.retryable:
                raise
            raise AirflowFailException(str(exc)) from exc
        return {"file": str(path), "rows": result.rows, "procurements": result.procurements,
                "problems": result.problems[:20]}  # fmt: skip

    download_statistics()


@dag(
    dag_id="tender_radar_report",
    schedule=CronTriggerTimetable(
        os.environ.get("TENDER_RADAR_REPORT_CRON", "0 6 1 10 *"), timezone="Europe/Stockholm"
    ),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=[*TAGS, "report"],
    doc_md=__doc__,
)
def tender_radar_report() -> None:
    @task(multiple_outputs=False)
    def mail_reports(logical_date: datetime | None = None) -> dict[str, Any]:
        from radar.pipeline import previous_year
        from radar.reports.mailing import mail_october_reports

        wanted = os.environ.get("TENDER_RADAR_REPORT_YEAR", "")
        year = int(wanted) if wanted.isdigit() else previous_year(logical_date)
        result = mail_october_reports(year)
        if result["failed"]:
            # the counties not sent are tried again by the next run; the sent ones are not repeated
            raise RuntimeError(f"{len(result['failed'])} report(s) not sent: {'; '.join(result['failed'][:3])}")
        return result

    mail_reports()


tender_radar_collect()
tender_radar_classify()
tender_radar_notify()
tender_radar_health()
tender_radar_report()
tender_radar_statistics()
