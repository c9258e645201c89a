"""Download a year's export from Upphandlingsmyndigheten's statistics API, then import it.

Only the parameters the API is known to take are sent (from the okfse/oppna-upphandlingsdata
project's client, as summarised in the project's notes): the export of advertised procurements
(``area=upphandlingsstatistik``, ``product=annonserade-upphandlingar-i-sverige``,
``measurement=SUM``, ``resultFormat=table``, ``timefragment=Tidsperiod.År``) for a ``year``,
with the ``unit``, ``distributedUnit``, the columns wanted (``param``, repeated) and an optional
``orderBy`` given by the caller. Which ``param`` values the API offers is not written down here:
``tender-radar statistics parameters`` prints the API's own listing for a unit, unchanged.
The download goes through the polite client (robots.txt, pace, size cap, retries).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from radar.reports.statistics import ImportResult, import_export
from scrapers.http import PoliteClient
from tenders.config import Settings, load_settings
from tenders.store import open_store

API = "https://www.upphandlingsmyndigheten.se/api/sv/statisticsservice/bridgeapi/statistics"
FIXED = (
    ("area", "upphandlingsstatistik"),
    ("product", "annonserade-upphandlingar-i-sverige"),
    ("measurement", "SUM"),
    ("resultFormat", "table"),
    ("timefragment", "Tidsperiod.År"),
)
EXAMPLE_UNIT = "Antal upphandlingar"  # the examples the notes give for the procurements export
EXAMPLE_DISTRIBUTED_UNIT = "Upphandlingar, Bas.Antal upphandlingar"


@dataclass(frozen=True)
class ExportRequest:
    year: int
    params: Sequence[str]
    unit: str = EXAMPLE_UNIT
    distributed_unit: str = EXAMPLE_DISTRIBUTED_UNIT
    order_by: str | None = None
    api: str = API
    fmt: str = "csv"  # csv (';', UTF-8 with BOM) or excel

    def url(self) -> str:
        if not self.params:
            raise ValueError("name the columns wanted (--param, repeated); `tender-radar statistics parameters` "
                             "lists what the API offers")  # fmt: skip
        query: list[tuple[str, str]] = [("year", str(self.year)), *FIXED, ("unit", self.unit),
                                        ("distributedUnit", self.distributed_unit)]  # fmt: skip
        query += [("param", p) for p in self.params]
        if self.order_by:
            query.append(("orderBy", self.order_by))
        return f"{self.api.rstrip('/')}/export/{self.fmt}?{urlencode(query)}"


def listing_url(api: str = API, unit: str | None = None, distributed_unit: str | None = None) -> str:
    """The API's listing of units, distributed units and their parameters for the procurements product."""
    query = [("area", "upphandlingsstatistik"), ("product", "annonserade-upphandlingar-i-sverige")]
    if unit:
        query.append(("unit", unit))
    if distributed_unit:
        query.append(("distributedUnit", distributed_unit))
    return f"{api.rstrip('/')}?{urlencode(query)}"


def statistics_client(*, allow_private: bool = False) -> PoliteClient:
    """The polite client for the API, with the operator's contact (``TENDER_RADAR_CONTACT``) in its
    User-Agent like every source; ``allow_private`` only for a test server on loopback."""
    return PoliteClient("uhm_statistics", contact=os.environ.get("TENDER_RADAR_CONTACT"), min_interval=2.0,
                        timeout=120.0, allow_private=allow_private)  # fmt: skip


def download(request: ExportRequest, folder: Path, client: PoliteClient | None = None) -> Path:
    """Fetch the export into ``folder`` (named by year and content) and return its path."""
    client = client or statistics_client()
    body = client.get(request.url()).body
    folder.mkdir(parents=True, exist_ok=True)
    suffix = "csv" if request.fmt == "csv" else "xlsx"
    target = folder / f"uhm-{request.year}-{hashlib.sha256(body).hexdigest()[:12]}.{suffix}"
    tmp = target.with_suffix(".part")
    tmp.write_bytes(body)
    tmp.replace(target)
    return target


def download_and_import(
    request: ExportRequest, settings: Settings | None = None, client: PoliteClient | None = None
) -> tuple[Path, ImportResult]:
    """Fetch the export into ``var/statistics`` and import it: ``statistics download`` and the DAG's step."""
    settings = settings or load_settings()
    path = download(request, settings.var_dir / "statistics", client)
    return path, import_export(open_store(settings), path)


def configured_request(env: Mapping[str, str], year: int) -> ExportRequest | None:
    """The scheduled download as the environment sets it; None when ``TENDER_RADAR_UHM_PARAMS`` is not set.

    ``TENDER_RADAR_UHM_PARAMS``: the columns wanted, separated by ``|``; ``TENDER_RADAR_UHM_UNIT``,
    ``TENDER_RADAR_UHM_DISTRIBUTED_UNIT``, ``TENDER_RADAR_UHM_ORDER_BY``, ``TENDER_RADAR_UHM_API`` optional.
    """
    params = [p.strip() for p in env.get("TENDER_RADAR_UHM_PARAMS", "").split("|") if p.strip()]
    if not params:
        return None
    return ExportRequest(year=year, params=params, unit=env.get("TENDER_RADAR_UHM_UNIT") or EXAMPLE_UNIT,
                         distributed_unit=env.get("TENDER_RADAR_UHM_DISTRIBUTED_UNIT") or EXAMPLE_DISTRIBUTED_UNIT,
                         order_by=env.get("TENDER_RADAR_UHM_ORDER_BY") or None,
                         api=env.get("TENDER_RADAR_UHM_API") or API)  # fmt: skip
