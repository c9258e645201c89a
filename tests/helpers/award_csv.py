"""Upphandlingsmyndigheten's award statistics: our field -> its column (from data/samples/awards/dalarna.csv)."""

from __future__ import annotations

UHM_COLUMNS = {
    "procedure_id": "Upphandlings-ID", "title": "Upphandlingens namn", "buyer_name": "Upphandlande organisation",
    "buyer_org_id": "Org.nr upphandlande organisation", "supplier_name": "Leverantör",
    "supplier_org_id": "Org.nr leverantör", "cpv": "CPV", "date": "Avtalsdatum", "value": "Avtalsvärde",
    "reserved": "Reserverad upphandling", "social": "Socialt hållbar upphandling",
}  # fmt: skip
