"""The hostname a Celery worker reports to Airflow, when several workers share one machine.

Airflow records each task try's hostname (the UI, the log links, the heartbeat check all use
it). On separate machines the real hostname tells workers apart; `scripts/airflow-celery`
runs several on one, so it names each (TENDER_RADAR_WORKER_HOSTNAME) and points
`[core] hostname_callable` here. Airflow puts the plugins folder on sys.path in every component.
"""

from __future__ import annotations

import os
import socket


def worker_hostname() -> str:
    """TENDER_RADAR_WORKER_HOSTNAME when set, else the machine's name as Airflow would give it."""
    return os.environ.get("TENDER_RADAR_WORKER_HOSTNAME") or socket.getfqdn()
