"""What a notice's words say of its size, and whether it buys goods.

A list page or an RSS item seldom has a value field, but its words often show the size: "tio
timmar i veckan", "direktupphandling", "£30,000", "förskolan Solrosen" (one site), or
"samtliga fastigheter", "ca 45 000 kvm", "2027–2031" (large). The README's definitions turn on
exactly this: typical work is "suitable" when it is small and "possible" when its size is unknown
or large. Supplies of goods ("Tvättmaskiner till boenden") are not the service their words name.
Phrases are in ``data/scale.yaml``; amounts of money, floor areas and periods of years are read
here, because they need arithmetic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parent / "data"
SMALL_AREA, LARGE_AREA = 2_000, 10_000  # square metres: one building, against an estate
MANY_DWELLINGS = 500
# Calendar years ("2027–2030"): past the usual two years and options. Three ("2027–2029") is not
# short, but a small site stays a small job; the README calls a job small by any one sign.
MANY_YEARS = 4

# A number starts where no digit, point or comma comes before it, and every part is bounded: a
# hostile text of 20,000 digits or digit groups costs milliseconds, not minutes (was quadratic).
_NUMBER = r"(?<![\d.,])(?:\d{1,3}(?:[ \u00a0.,]\d{3}){1,4}|\d{1,12}(?:[.,]\d{1,3})?)"
_SWEDISH_MONEY = re.compile(
    rf"(?P<n>{_NUMBER})\s{{0,3}}"
    r"(?P<unit>miljarder kronor|miljoner kronor|miljoner kr|mdkr|mnkr|mkr|msek|tkr|kronor|kr|sek)\b",
    re.IGNORECASE,
)
_CURRENCY_FIRST = re.compile(
    rf"(?P<cur>£|€|gbp|eur|sek)\s?(?P<n>{_NUMBER})\s{{0,3}}(?P<unit>million|billion|bn|m|k)?\b", re.IGNORECASE
)
_CURRENCY_AFTER = re.compile(
    rf"(?P<n>{_NUMBER})\s{{0,3}}(?P<unit>million|billion)?\s{{0,3}}(?P<cur>gbp|eur|euros?|pounds)\b", re.IGNORECASE
)
_AREA = re.compile(rf"(?P<n>{_NUMBER})\s{{0,3}}(kvm|m2|m²|kvadratmeter|square met(re|er)s|sq\.? ?m)\b", re.IGNORECASE)
_DWELLINGS = re.compile(rf"(?P<n>{_NUMBER})\s{{0,3}}(lägenheter|bostäder|homes|dwellings)\b",
                        re.IGNORECASE)  # fmt: skip
_DIGIT = re.compile(r"\d")
_WORD_START = re.compile(r"\b\w")
_YEARS = re.compile(r"\b(?P<a>(?:19|20)\d\d)\s?[–-]\s?(?P<b>(?:19|20)\d\d)\b")
_MULTIPLIERS = {"tkr": 1e3, "k": 1e3, "mkr": 1e6, "mnkr": 1e6, "msek": 1e6, "m": 1e6, "million": 1e6,
                "miljoner kronor": 1e6, "miljoner kr": 1e6, "mdkr": 1e9, "miljarder kronor": 1e9, "billion": 1e9,
                "bn": 1e9}  # fmt: skip
_CURRENCIES = {"£": "GBP", "gbp": "GBP", "pounds": "GBP", "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
               "sek": "SEK", "kr": "SEK", "kronor": "SEK"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Signal:
    """One thing the words say: ``kind`` is "small", "large" or "goods"; ``what`` names it."""

    kind: str
    what: str
    field: str
    sentence: str


@dataclass(frozen=True, slots=True)
class _Phrases:
    signs: re.Pattern[str]  # every small and large phrase in one alternation, a named group per sign
    cased: re.Pattern[str]  # the few that need capital letters ("Ekebyskolan", "Mora gymnasium")
    names: dict[str, tuple[str, str]]  # group name -> (kind, sign)
    goods_endings: tuple[str, ...]
    goods_words: frozenset[str]
    goods_any: tuple[str, ...]  # every ending and word: a substring test before any regex
    names_sv: dict[str, str]


@lru_cache(maxsize=1)
def phrases() -> _Phrases:
    """The phrases as one pattern: a sentence is searched once, not once per sign (scoring speed)."""
    data = yaml.safe_load((DATA / "scale.yaml").read_text(encoding="utf-8"))

    def alternation(patterns: list[str]) -> str:
        return "|".join(f"(?:{p})" for p in patterns)

    names: dict[str, tuple[str, str]] = {}
    groups: dict[bool, list[str]] = {False: [], True: []}  # by whether the pattern needs the letters' case
    for kind in ("small", "large"):
        for sign, patterns in data[kind].items():
            for cased in (False, True):
                chosen = [p for p in patterns if ("(?-i:" in p) == cased]
                if chosen:
                    group = f"g{len(names)}"
                    names[group] = (kind, str(sign))
                    groups[cased].append(f"(?P<{group}>{alternation(chosen)})")
    return _Phrases(
        # Matched on the lower-cased sentence without re.IGNORECASE, which is several times slower.
        signs=re.compile("|".join(groups[False])),
        cased=re.compile("|".join(groups[True]).replace("(?-i:", "(?:")),
        names=names,
        goods_endings=tuple(str(w) for w in data["goods"]["endings"]),
        goods_words=frozenset(str(w) for w in data["goods"]["words"]),
        goods_any=tuple(sorted({str(w) for w in data["goods"]["endings"] + data["goods"]["words"]})),
        names_sv={str(k): str(v) for k, v in data["names_sv"].items()},
    )


def name(what: str, language: str) -> str:
    """A sign's name in a digest's language ("direct award", "direktupphandling")."""
    return phrases().names_sv.get(what, what) if language == "sv" else what


def read(sentences: list[tuple[str, str]], eur_rates: dict[str, float], small_eur: float,
         large_eur: float) -> list[Signal]:  # fmt: skip
    """The signs of size in ``sentences`` ((field, sentence) pairs), at most one of each."""
    p = phrases()
    found: dict[tuple[str, str], Signal] = {}

    def add(kind: str, what: str, where: str, sentence: str) -> None:
        found.setdefault((kind, what), Signal(kind, what, where, sentence))

    for where, sentence in sentences:
        low = sentence.lower()
        for start in _WORD_START.finditer(low):  # every phrase starts a word: try only there (a third faster)
            match = p.signs.match(low, start.start())
            if match is not None:
                add(*p.names[str(match.lastgroup)], where, sentence)
        for match in p.cased.finditer(sentence):
            add(*p.names[str(match.lastgroup)], where, sentence)
        if not _DIGIT.search(sentence):
            continue  # no amount, area, count or year to read
        for eur in _money_eur(sentence, eur_rates):
            if eur <= small_eur:
                add("small", "a low value", where, sentence)
            elif eur >= large_eur:
                add("large", "a high value", where, sentence)
        for match in _AREA.finditer(sentence):
            area = _number(match["n"])
            if area is not None and area <= SMALL_AREA:
                add("small", "a small floor area", where, sentence)
            elif area is not None and area >= LARGE_AREA:
                add("large", "a large floor area", where, sentence)
        if any((_number(m["n"]) or 0) >= MANY_DWELLINGS for m in _DWELLINGS.finditer(sentence)):
            add("large", "many dwellings", where, sentence)
        if any(int(m["b"]) - int(m["a"]) + 1 >= MANY_YEARS for m in _YEARS.finditer(sentence)):
            add("large", "many years", where, sentence)
    return list(found.values())


def goods(sentences: list[tuple[str, str]]) -> Signal | None:
    """A supply of goods, named first ("Tvättmaskiner och torktumlare till ..."), or None."""
    if sentences and _goods(sentences[0][1], phrases()):
        return Signal("goods", "a supply of goods", *sentences[0])
    return None


# Words that open a supply's name and are not its head ("Köp av", "Supply of").
_LEAD = re.compile(r"^\W*(köp|inköp|leverans|leveranser|upphandling|ramavtal|supply( and delivery)?|purchase|"
                   r"provision|procurement)( av| avseende| för| of)?\s+", re.IGNORECASE)  # fmt: skip
# What ends a name's first noun phrase: a conjunction, a preposition, punctuation.
_PHRASE_END = frozenset(["och", "samt", "eller", "med", "för", "till", "vid", "på", "i", "inom", "under", "från", "av",
                         "avseende", "som", "and", "or", "with", "for", "to", "at", "in", "within", "during", "from",
                         "of", "on", "including"])  # fmt: skip
_PHRASE_TOKEN = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|[,;:&/()–—-]")


def _goods(sentence: str, p: _Phrases) -> bool:
    """The head of the first noun phrase names goods: "Tvättmaskiner och torktumlare", "Spolbil för
    högtryckstvätt", "Köp av åkbara skurmaskiner", "Supply of commercial dishwashers"; not
    "Reparation av tvättmaskiner", "Matlådor och dagligvaror", "Mobil kärltvätt"."""
    low = sentence.lower()
    if not any(noun in low for noun in p.goods_any):
        return False  # most sentences name no goods at all (scoring speed)
    lead = _LEAD.match(low)
    head = ""
    for match in _PHRASE_TOKEN.finditer(low, lead.end() if lead else 0):
        token = match[0]
        if token in _PHRASE_END or not token[0].isalpha():
            break  # the phrase ends: the rest of the text is not read (scoring speed)
        head = token
    return head in p.goods_words or head.endswith(p.goods_endings)


def _money_eur(sentence: str, eur_rates: dict[str, float]) -> list[float]:
    out = []
    for pattern in (_SWEDISH_MONEY, _CURRENCY_FIRST, _CURRENCY_AFTER):
        for match in pattern.finditer(sentence):
            number = _number(match["n"])
            unit = (match["unit"] or "").lower()
            currency = _CURRENCIES.get((match.groupdict().get("cur") or unit).lower(), "SEK")
            if number is None or currency not in eur_rates:
                continue
            out.append(number * _MULTIPLIERS.get(unit, 1.0) * eur_rates[currency])
    return out


def _number(text: str) -> float | None:
    """ "45 000", "45.000", "30,000" (thousands) and "2,5" or "2.5" (decimals), as written."""
    text = text.replace("\u00a0", " ")
    if re.fullmatch(r"\d{1,3}(?:[ .,]\d{3})+", text):
        return float(re.sub(r"[ .,]", "", text))
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None
