"""Buyers publish: organisations and their notices API (``notices``), plans, reminders, interest,
supply, and the buyers' command line (``cli``)."""
