"""The web app inside Airflow's api-server, at /tender-radar: operators and coordinators use one site.

Airflow 3 mounts a plugin's FastAPI apps under their ``url_prefix``; the app builds every link
from the prefix it is mounted under, so the same pages work here and under ``tender-radar serve``.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from radar.web.app import create_app


class TenderRadarPlugin(AirflowPlugin):
    name = "tender_radar"
    fastapi_apps = [  # ruff: ignore[mutable-class-default] - the attribute Airflow reads
        {"app": create_app(), "url_prefix": "/tender-radar", "name": "Social Tender Radar"},
    ]
