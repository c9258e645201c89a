"""The application: wires the stages (scrapers, matching, notifications) over the core (tenders)."""
