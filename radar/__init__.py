"""The application: the pipeline, the CLI, reports, health, the register import, the benchmark and the web app.

It imports every stage (scrapers, matching, notifications) and the core (tenders); nothing below imports it.
"""
