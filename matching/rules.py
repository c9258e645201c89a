"""The rules the classifier and matching read: the lexicon's phrase groups, the sectors with their
CPV prefixes and words (``data/lexicon.yaml``, ``data/sectors.yaml``), and what a code or a title
says is bought. Loaded once; a change to either file changes ``rules().version``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from matching import scale
from tenders.codelists import codelist

DATA = Path(__file__).resolve().parent / "data"
VETO = 0.5  # the sector model's odds of works, IT and the like that silence a title's sector words


@dataclass(frozen=True, slots=True)
class _Group:
    name: str
    weight: float
    decisive: bool
    pattern: re.Pattern[str]  # all of the group's phrases as one alternation
    negation: re.Pattern[str] | None


@dataclass(frozen=True, slots=True)
class _Rules:
    version: str
    groups: tuple[_Group, ...]
    anchors: tuple[str, ...]  # a literal every phrase must contain: a cheap test before any regex
    typical: dict[str, dict[str, Any]]
    unlikely: dict[str, dict[str, Any]]
    eur_rates: dict[str, float]
    small_eur: float
    large_eur: float
    light_regime: frozenset[str]
    typical_words: dict[str, re.Pattern[str]]
    typical_any: re.Pattern[str]  # every typical sector's words in one pattern, a named group each
    unlikely_words: dict[str, re.Pattern[str]]


@lru_cache(maxsize=1)
def rules() -> _Rules:
    lexicon = yaml.safe_load((DATA / "lexicon.yaml").read_text(encoding="utf-8"))
    sectors = yaml.safe_load((DATA / "sectors.yaml").read_text(encoding="utf-8"))
    groups = []
    every: list[str] = []
    for name, spec in lexicon["groups"].items():
        patterns = [p for lang in spec["patterns"].values() for p in lang]
        negations = [p for lang in (lexicon.get("negations", {}).get(name) or {}).values() for p in lang]
        groups.append(
            _Group(
                name=name,
                weight=float(spec["weight"]),
                decisive=bool(spec.get("decisive")),
                pattern=_alternation(patterns),
                negation=_alternation(negations) if negations else None,
            )
        )
        every += patterns + negations
    return _Rules(
        version=f"rules-l{lexicon['version']}-s{sectors['version']}",
        groups=tuple(groups),
        anchors=_fewest({_anchor(p) for p in every}),
        typical=sectors["typical"],
        unlikely=sectors["unlikely"],
        eur_rates={k: float(v) for k, v in sectors["eur_rates"].items()},
        small_eur=float(sectors["small_contract_eur"]),
        large_eur=float(sectors["large_contract_eur"]),
        light_regime=frozenset(codelist("cpv_social-service-cpv")),
        typical_words=_word_patterns(sectors["typical"]),
        typical_any=re.compile(  # on lower-cased text: a case-blind pattern of many words is several times slower
            r"\b(?:"
            + "|".join(
                f"(?P<{name}>" + "|".join(spec["words"]).lower() + ")"
                for name, spec in sectors["typical"].items()
                if spec.get("words")
            )
            + ")"
        ),
        unlikely_words=_word_patterns(sectors["unlikely"]),
    )


def _anchor(pattern: str) -> str:
    """The longest run of literal characters that every match of ``pattern`` contains, lower-cased.

    Python's regex engine tries each alternative at each position; a substring test in C is
    some hundred times faster, and most texts contain none of the anchors at all.
    """
    best: list[str] = []
    run: list[str] = []
    for op, arg in re._parser.parse(pattern.lower()):  # type: ignore[attr-defined]
        if op is re._constants.LITERAL:  # type: ignore[attr-defined]
            run.append(chr(arg))
            continue
        best, run = max(best, run, key=len), []
    best = max(best, run, key=len)
    if len(best) < 3:
        raise ValueError(f"lexicon pattern {pattern!r} has no literal of 3 or more characters to anchor it")
    return "".join(best)


def _fewest(anchors: set[str]) -> tuple[str, ...]:
    """The anchors without those that contain another: a text holding the longer one holds the
    shorter, so the test says the same with fewer scans of each text."""
    return tuple(sorted(a for a in anchors if not any(b != a and b in a for b in anchors)))


def _alternation(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def _word_patterns(sectors: dict[str, dict[str, Any]]) -> dict[str, re.Pattern[str]]:
    return {
        name: re.compile(r"\b(?:" + "|".join(spec["words"]) + ")", re.IGNORECASE)
        for name, spec in sectors.items()
        if spec.get("words")
    }


def sector_of(code: str) -> tuple[str, str]:
    """What a CPV code says is bought, as the rules read it: (kind, sector); kind is "typical",
    "unlikely", "care" (a light-regime social service) or "other". The sector model learns these."""
    r = rules()
    for kind, sectors in (("typical", r.typical), ("unlikely", r.unlikely)):
        found = _sector([code], sectors)
        if found:
            return kind, found[0]
    return ("care", "care") if code in r.light_regime else ("other", "other")


@lru_cache(maxsize=64)
def sector_kind(sector: str) -> str:
    """The kind of work a sector of the sector model is: "typical", "unlikely", "care" or "other"."""
    r = rules()
    return "typical" if sector in r.typical else "unlikely" if sector in r.unlikely else sector


def _sector(codes: list[str], sectors: dict[str, dict[str, Any]]) -> tuple[str, str] | None:
    for code in codes:
        for name, spec in sectors.items():
            if code.startswith(tuple(spec["cpv"])):  # any of the prefixes, in C
                return name, code
    return None


def sectors_named(text: str, read: dict[str, float] | None = None) -> list[str]:
    """The typical sectors whose words (``data/sectors.yaml``) a text holds, in the file's order;
    none when the words name goods first ("Städmaskiner") or the sector model reads works, IT and
    the like (``read``: its probabilities), as "Reparation av bro" or "Ombyggnad av tvättstuga"."""
    r = rules()
    hits = {m.lastgroup for m in r.typical_any.finditer(text.lower())}  # one pass, not one per sector
    found = [name for name in r.typical_words if name in hits]
    if not found or scale.goods([("title", text)]) is not None:
        return []
    if read and sum(p for s, p in read.items() if sector_kind(s) == "unlikely") >= VETO:
        return []
    return found
