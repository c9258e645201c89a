"""The lab: training and measuring the text models, offline. Nothing at run time imports it.

It reads real notices through the scrapers and the labelled data in ``data/`` (where each file
comes from: data/README.md), and writes the models ``matching`` scores with (``matching/data``).
"""
