"""CSV as people export it: Excel in a Swedish locale writes ``;``, everything else ``,``."""

from __future__ import annotations


def sniff_delimiter(text: str) -> str:
    """``;`` when the header line has more of them than commas, else ``,``."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","
