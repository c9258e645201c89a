"""Does a tender suit social enterprises? A score in [0, 1], a label and the reasons.

Pure and deterministic: a ``Tender`` in, an ``Assessment`` out. Every reason names its
evidence: the field and its value, or the sentence quoted. Structured evidence of a
reservation or an employment requirement is decisive: no sector or size penalty can
push such a tender below "suitable".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from matching import scale, textmodel
from matching.rules import _Rules, _sector, rules, sector_kind, sectors_named
from tenders.hygiene import one_line
from tenders.model import Tender

DATA = Path(__file__).resolve().parent / "data"
SUITABLE, POSSIBLE = 0.6, 0.3
LABELS = ("suitable", "possible", "unlikely")

# Structured fields: (code, weight, decisive).
RESERVED_PARTICIPATION = {"res-ws": 0.9, "res-pub-ser": 0.75}
RESERVED_EXECUTION = 0.8
SOCIAL_OBJECTIVE_EMPLOYMENT = 0.7  # BT-775 "opp"
SOCIAL_OBJECTIVE_OTHER = 0.35
STRATEGIC_SOCIAL = 0.35  # BT-06 "soc-obj"
VCSE = 0.75  # OCDS suitability.vcse: the buyer itself says the tender suits social enterprises
LIGHT_REGIME = 0.35
TYPICAL_SECTOR = 0.45
TEXT_CAP = 20_000  # characters of one title or description read; the longest bundled real one has 3 920
TYPICAL_SECTOR_TEXT = 0.4  # a word in the title is weaker evidence than a CPV code
SMALL_SCALE = 0.3
DIVIDED_IN_LOTS = 0.1
UNLIKELY_SECTOR = 0.6
LARGE_SCALE = 0.25
# The text model's verdict, as a score inside its label's band; an "unlikely" verdict penalises.
MODEL_BANDS = {"suitable": (0.6, 0.35), "possible": (0.3, 0.28)}  # label -> (floor, span by probability)
MODEL_PENALTY = 0.6
# The sector model decides a kind of work only when the kind's probability reaches this; below it
# the text is undecided, and an undecided text is at most "possible".
DECIDED = 0.5
SECTOR_KEPT = 0.05  # a typical sector this probable is kept among what a tender may buy (matching decides)
OTHER_VETO = 0.99  # "other" this sure vetoes the judgement model's "small job"
FLAG = 0.1  # a kind of work this probable beside a sure small job is flagged
UNDECIDED = 0.2  # typical work and care this probable together make an undecided text "possible"
SOME = 0.2  # the probability of works, IT and the like that leaves room for doubt
SMALL_SHARE = 0.55  # of the judgement model's suitable + possible, for typical work: a small job
JUDGE_SURE = 0.5  # the judgement model's probability of "suitable" that reads as a small job
# An employment requirement in a large works, IT or supply contract: worth a look, not suitable.
REQUIREMENT_IN_LARGE = 0.45
RESERVATIONS = frozenset(["reserved_participation", "reserved_execution", "vcse", "text_reserved"])
NEGATION_WINDOW = 4  # words before a phrase in which "ej", "inte", "not", "no" ... negate it

# A sentence ends at . ! ? before a capital letter ("4 kap. 18 §" stays whole), or at a line break.
SENTENCE = re.compile(r"(?<=[.!?;])\s+(?=[A-ZÅÄÖ\"'«(])|\n+")


@dataclass(slots=True)
class Assessment:
    id: str
    score: float
    label: str
    reasons: list[dict[str, Any]] = field(default_factory=list)
    # What is bought, of the typical sectors: by CPV code ({"sector", "by": "cpv", "value"}), else
    # by the sector model ({"sector", "by": "text", "probability"}, the likeliest first), else by
    # the word lists ({"sector", "by": "words", "quote"}). Matching sends a tender without a CPV
    # code to a sector's profiles by these (``matching.subscriptions``).
    sectors: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "score": self.score, "label": self.label, "reasons": self.reasons,
                "sectors": self.sectors}  # fmt: skip


def classifier_version() -> str:
    """Rules and text model together: a change to either re-judges what is stored."""
    m = textmodel.model()
    return f"{rules().version}+{m.version}" if m is not None else rules().version


def classify(tender: Tender, *, text_model: textmodel.TextModels | None = None) -> Assessment:
    """``text_model`` replaces the shipped model (the trainer's cross-validation passes its own)."""
    tender = readable(tender)
    r = rules()
    reasons: list[dict[str, Any]] = []
    reasons += _structured(tender)
    reasons += _text(tender, r)
    stated = any(x["code"] in ("text_reserved", "text_employment", "text_social_criteria") for x in reasons)
    sector_reasons, kind, read, named = _sector_and_size(tender, r, text_model, stated)
    reasons += sector_reasons
    if any(x["code"] == "text_model" for x in reasons):
        # The model has read the whole text: a phrase the rules found counts again only when it decides.
        reasons = [x for x in reasons if not (x["code"].startswith("text_") and x["code"] != "text_model"
                                              and x["weight"] > 0 and not x.get("decisive"))]  # fmt: skip

    # A reservation decides alone. An employment requirement decides too, unless the contract is
    # works, IT and the like, or large and not typical work: then it makes the tender "possible".
    decisive = _noisy_or(x["weight"] for x in reasons if x.get("decisive") and x["code"] in RESERVATIONS)
    required = [x["weight"] for x in reasons if x.get("decisive") and x["code"] not in RESERVATIONS]
    large = any(x["code"] in ("large_scale", "text_large") for x in reasons)
    # Works or IT named in the words ("Nybyggnation av ...", "New ERP system") say it as well as a code.
    capped = bool(required) and not decisive and (
        kind == "unlikely" or (large and kind != "typical")
        or (not tender.all_cpv and _sector_words(tender, r.unlikely_words) is not None)
    )  # fmt: skip
    if capped:
        decisive = REQUIREMENT_IN_LARGE
    elif required:
        decisive = max(decisive, _noisy_or(required))
    positive = _noisy_or(x["weight"] for x in reasons if x["weight"] > 0)
    penalty = 1.0
    for reason in reasons:
        if reason["weight"] < 0:
            penalty *= 1.0 + reason["weight"]
    score = round(max(decisive, positive * penalty), 3)
    if capped:
        score = min(score, REQUIREMENT_IN_LARGE)
    label = "suitable" if score >= SUITABLE else "possible" if score >= POSSIBLE else "unlikely"
    reasons.sort(key=lambda x: (not x.get("decisive"), -abs(x["weight"])))  # what decides comes first
    return Assessment(
        id=tender.id, score=score, label=label, reasons=reasons, sectors=_bought(tender, r, read, named, reasons)
    )


def _bought(
    tender: Tender, r: _Rules, read: dict[str, float], named: list[str], reasons: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The typical sectors a tender buys, as ``Assessment.sectors`` keeps them; ``named``: the
    sectors the title's words name (``sectors_named``), when the models read it."""
    out: dict[str, dict[str, Any]] = {}
    for code in tender.all_cpv:
        found = _sector([code], r.typical)
        if found and found[0] not in out:
            out[found[0]] = {"sector": found[0], "by": "cpv", "value": code}
    if tender.all_cpv:
        return list(out.values())
    likely = [(p, sector) for sector, p in read.items() if p >= SECTOR_KEPT and sector_kind(sector) == "typical"]
    for p, sector in sorted(likely, reverse=True):
        out[sector] = {"sector": sector, "by": "text", "probability": round(p, 3)}
    if read or textmodel.model() is None:  # the word lists alone only when no sector model read the words
        for sector in named if read else sectors_named(tender.title or ""):
            out[sector] = {"sector": sector, "by": "words", "quote": _quote(tender.title or "")} | (
                {"probability": out[sector]["probability"]} if sector in out else {}
            )
    if not out and (worded := next((x for x in reasons if x["code"] == "typical_sector" and x.get("quote")), None)):
        out[worded["sector"]] = {"sector": worded["sector"], "by": "words", "quote": worded["quote"]}
    return sorted(out.values(), key=lambda x: (x["by"] != "words", -x.get("probability", 1.0)))


def readable(tender: Tender) -> Tender:
    """The tender as the classifier reads it: each title and description cut at ``TEXT_CAP``
    characters, so that a 5 MB description costs what a long real one does."""
    texts = [tender.title, tender.description, *(t for lot in tender.lots for t in (lot.title, lot.description))]
    if all(len(t or "") <= TEXT_CAP for t in texts):
        return tender
    lots = [replace(lot, title=_cut(lot.title), description=_cut(lot.description)) for lot in tender.lots]
    return replace(tender, title=_cut(tender.title), description=_cut(tender.description), lots=lots)


def _cut(text: str | None) -> str | None:
    return text[:TEXT_CAP] if text else text


def _reason(code: str, weight: float, *, field: str, value: Any = None, quote: str | None = None,
            decisive: bool = False) -> dict[str, Any]:  # fmt: skip
    out: dict[str, Any] = {"code": code, "weight": weight, "field": field}
    if value is not None:
        out["value"] = value
    if quote is not None:
        out["quote"] = quote
    if decisive:
        out["decisive"] = True
    return out


def _structured(tender: Tender) -> list[dict[str, Any]]:
    reasons = []
    seen: set[tuple[str, str]] = set()
    # Lots first when there are several: "a reserved lot inside a large procedure" must name the lot.
    lots = tender.lots if len(tender.lots) > 1 else []
    scopes: list[tuple[str, Any]] = [(f"lots[{lot.id}].", lot) for lot in lots] + [("", tender)]
    for prefix, scope in scopes:
        for code in scope.reserved_participation:
            if code in RESERVED_PARTICIPATION and ("rp", code) not in seen:
                seen.add(("rp", code))
                reasons.append(_reason("reserved_participation", RESERVED_PARTICIPATION[code],
                                       field=f"{prefix}reserved_participation", value=code, decisive=True))  # fmt: skip
        if scope.reserved_execution and ("re", "yes") not in seen:
            seen.add(("re", "yes"))
            reasons.append(_reason("reserved_execution", RESERVED_EXECUTION,
                                   field=f"{prefix}reserved_execution", value=True, decisive=True))  # fmt: skip
        for code in scope.social_objectives:
            if ("so", code) in seen:
                continue
            seen.add(("so", code))
            if code == "opp":
                reasons.append(_reason("social_objective_employment", SOCIAL_OBJECTIVE_EMPLOYMENT,
                                       field=f"{prefix}social_objectives", value=code, decisive=True))  # fmt: skip
            else:
                reasons.append(_reason("social_objective", SOCIAL_OBJECTIVE_OTHER,
                                       field=f"{prefix}social_objectives", value=code))  # fmt: skip
        if getattr(scope, "vcse", None) and ("vcse", "yes") not in seen:
            seen.add(("vcse", "yes"))
            reasons.append(_reason("vcse", VCSE, field=f"{prefix}vcse", value=True, decisive=True))
        if "soc-obj" in scope.strategic_procurement and ("sp", "soc-obj") not in seen:
            seen.add(("sp", "soc-obj"))
            reasons.append(_reason("strategic_social", STRATEGIC_SOCIAL,
                                   field=f"{prefix}strategic_procurement", value="soc-obj"))  # fmt: skip
    return reasons


def _text(tender: Tender, r: _Rules) -> list[dict[str, Any]]:
    reasons = []
    found: set[str] = set()
    fields = [("title", tender.title), ("description", tender.description)]
    fields += [(f"lots[{lot.id}].title", lot.title) for lot in tender.lots]
    fields += [(f"lots[{lot.id}].description", lot.description) for lot in tender.lots]
    quiet: set[str] = set()  # texts read already and holding no anchor (a lot's title is often the notice's)
    for name, text in fields:
        if not text or text in quiet:
            continue
        if not _has_anchor(text, r.anchors):
            quiet.add(text)
            continue  # most texts say nothing of the kind: no sentence splitting, no regex
        for sentence in SENTENCE.split(text):
            if not _has_anchor(sentence, r.anchors):
                continue
            # Strongest group first; a sentence is positive evidence for one group at most.
            for group in r.groups:
                if group.name in found:
                    continue
                match = group.pattern.search(sentence)
                if (group.negation is not None and group.negation.search(sentence)) or (
                    match and _negated(sentence, match.start())
                ):
                    # "ej reserverad" says the opposite: evidence of nothing, but worth showing.
                    found.add(group.name)
                    reasons.append(_reason(f"text_{group.name}_negated", 0.0, field=name, quote=_quote(sentence)))
                elif match:
                    found.add(group.name)
                    reasons.append(_reason(f"text_{group.name}", group.weight, field=name, quote=_quote(sentence),
                                           decisive=group.decisive))  # fmt: skip
                    break
    return reasons


def _negated(sentence: str, start: int) -> bool:
    """A negation among the few words before the phrase: "är ej förbehållen skyddade verkstäder"."""
    before = textmodel.words(sentence[:start])[-NEGATION_WINDOW:]
    return any(word in textmodel.NEGATIONS for word in before)


def _has_anchor(text: str, anchors: tuple[str, ...]) -> bool:
    low = text.lower()
    return any(a in low for a in anchors)


def _sector_and_size(
    tender: Tender, r: _Rules, text_model: textmodel.TextModels | None, stated: bool = False
) -> tuple[list[dict[str, Any]], str | None, dict[str, float], list[str]]:
    """The reasons of sector and size; the kind of work: "typical", "unlikely", "care", "other",
    or None when nothing says what is bought; and the sector model's probabilities when it read
    the words. ``stated``: the words state a reservation, an employment requirement or social criteria."""
    reasons: list[dict[str, Any]] = []
    read: dict[str, float] = {}
    named: list[str] = []
    codes = tender.all_cpv
    # CPV codes are the better evidence; the words count only when there are none: read by the
    # learned text models when there are some, else by the sector word lists.
    models = (text_model or textmodel.model()) if not codes else None
    kind: str | None
    if models is not None:
        model_reasons, read, named = _model_reasons(tender, models, stated)
        reasons += model_reasons
        kind = reasons[0]["kind"] if reasons else None
    else:
        kind = _sector_reasons(tender, codes, r, reasons)
    typical = kind == "typical"
    light = [c for c in codes if c in r.light_regime]
    if light:
        reasons.append(_reason("light_regime", LIGHT_REGIME, field="cpv", value=light[0]))
        kind = kind or "care"

    value_eur = _eur(tender.estimated_value, tender.currency, r)
    if typical and value_eur is not None and value_eur <= r.small_eur:
        reasons.append(_reason("small_scale", SMALL_SCALE, field="estimated_value",
                               value=f"{tender.estimated_value:.0f} {tender.currency}"))  # fmt: skip
    if value_eur is not None and value_eur >= r.large_eur:
        reasons.append(_reason("large_scale", -LARGE_SCALE, field="estimated_value",
                               value=f"{tender.estimated_value:.0f} {tender.currency}"))  # fmt: skip
    if typical and len(tender.lots) >= 3:
        reasons.append(_reason("divided_in_lots", DIVIDED_IN_LOTS, field="lots", value=len(tender.lots)))
    return reasons, kind, read, named


def _sector_reasons(tender: Tender, codes: list[str], r: _Rules, reasons: list[dict[str, Any]]) -> str | None:
    """The sector by CPV code, else by the word lists; the kind of work (see ``_sector_and_size``)."""
    by_code = _sector(codes, r.typical)
    by_word = None if codes else _sector_words(tender, r.typical_words)
    if by_code:
        sector, code = by_code
        reasons.append(_reason("typical_sector", TYPICAL_SECTOR, field="cpv", value=code) | {"sector": sector})
    elif by_word:
        sector, where, quote = by_word
        reasons.append(_reason("typical_sector", TYPICAL_SECTOR_TEXT, field=where, quote=quote) | {"sector": sector})
    else:
        unlikely_code = _sector([tender.cpv_main] if tender.cpv_main else codes, r.unlikely)
        unlikely_word = None if codes else _sector_words(tender, r.unlikely_words)
        if unlikely_code:
            sector, code = unlikely_code
            reasons.append(
                _reason("unlikely_sector", -UNLIKELY_SECTOR, field="cpv_main", value=code) | {"sector": sector}
            )
        elif unlikely_word:
            sector, where, quote = unlikely_word
            reasons.append(_reason("unlikely_sector", -UNLIKELY_SECTOR, field=where, quote=quote) | {"sector": sector})
        if unlikely_code or unlikely_word:
            return "unlikely"
        return "other" if codes else None
    return "typical"


def _model_reasons(
    tender: Tender, models: textmodel.TextModels, stated: bool = False
) -> tuple[list[dict[str, Any]], dict[str, float], list[str]]:
    """What the words say is bought (the sector model) and how they read (the judgement model),
    as one reason quoting the sentence that says most; the kind of work goes with it. Beside it,
    the sector model's probabilities (empty when there is none).

    The verdict follows the rules for a CPV code: typical work is "suitable" when the judgement
    model reads it as a small or local job, else "possible"; care is "possible"; works, IT and the
    like are "unlikely" (a penalty); anything else is evidence of nothing. A text whose kind is
    undecided is at most "possible" (the models' doubt never becomes a confident verdict), unless
    the judgement model is sure of a small job, the sector model gives typical work some weight and
    neither model sees works or IT in it.
    """
    fields = [(n, t) for n, t in (("title", tender.title), ("description", tender.description)) if t]
    fields += [(f"lots[{lot.id}].{n}", t) for lot in tender.lots for n, t in (("title", lot.title),
               ("description", lot.description)) if t]  # fmt: skip
    sentences = [(name, part) for name, text in fields for part in SENTENCE.split(text) if part.strip()]
    if not sentences:
        return [], {}, []
    parts = [part for _, part in sentences]
    judged, read = models.read(parts, textmodel.features("\n".join(parts)))
    if read is None:  # only the judgement model: its verdict as it stands
        return [_verdict(judged.label, judged.probabilities, sentences[judged.strongest], models, None, None)], {}, []
    plain = [part for part in parts if not _social(part)] if stated else parts
    if models.sector is not None and plain and len(plain) < len(parts):
        # A sentence of social requirements says nothing of what is bought ("praktikplatser" is
        # not catering): what is bought is read from the other sentences.
        read = models.sector.read(plain)
        read = replace(read, strongest=parts.index(plain[read.strongest]))
    mass = {"typical": 0.0, "unlikely": 0.0, "care": 0.0, "other": 0.0}
    for sector, p in read.probabilities.items():
        mass[sector_kind(sector)] += p
    j = judged.probabilities
    small = j["suitable"] >= JUDGE_SURE  # a decided reading of a small job, not the best of three doubts
    reads_small = j["suitable"] == max(j.values()) and mass["unlikely"] < DECIDED
    supply = scale.goods(sentences)
    signals = [supply] if supply else []
    if not supply and (mass["typical"] >= DECIDED or (small and mass["typical"] >= FLAG) or reads_small
                       or len(plain) < len(parts)):  # fmt: skip
        # Size matters only where it can change the verdict below: for typical work, a small job
        # and beside a social clause; other texts are spared the reading (scoring speed).
        r = rules()
        signals = scale.read(sentences, r.eur_rates, r.small_eur, r.large_eur)
    said = {s.kind for s in signals}
    share = j["suitable"] / ((j["suitable"] + j["possible"]) or 1.0)
    probabilities = {"suitable": mass["typical"] * share, "possible": mass["typical"] * (1 - share) + mass["care"],
                     "unlikely": mass["unlikely"] + mass["other"]}  # fmt: skip
    sector = read.label
    # Works, IT and the like, as both models see it: the sector model's odds times the judgement
    # model's odds of "unlikely" (two independent readings of the same words).
    against = _agree(mass["unlikely"], j["unlikely"])

    def typical_sector() -> str:
        return max((s for s in read.probabilities if sector_kind(s) == "typical"), key=read.probabilities.__getitem__)

    if "goods" in said:
        # "Tvättmaskiner", "Spolbil för högtryckstvätt": goods, whatever work their names recall.
        kind, label = "unlikely", "unlikely"
    elif mass["typical"] >= DECIDED:
        # What is bought is decided; the size the words state decides the label, else the
        # judgement model says whether the job reads as small.
        kind, sector = "typical", typical_sector()
        # A bare name of the work ("Fönsterputs", "Hot meals delivery service") shows no size at all.
        label = ("possible" if "large" in said else "suitable" if "small" in said
                 else "suitable" if share >= SMALL_SHARE and not _bare(parts) else "possible")  # fmt: skip
    elif small and "large" not in said and against < SOME and mass["typical"] >= FLAG and mass["other"] < OTHER_VETO:
        kind, label, sector = "typical", "suitable", typical_sector()
    elif reads_small and "small" in said and "large" not in said:
        # The words state a small job (a season, one site, a direct award), the judgement model
        # reads one, and nothing says works or IT: the sector model's doubt does not hide it.
        kind, label, sector = "typical", "suitable", typical_sector()
    elif against >= DECIDED and mass["typical"] < SOME:
        kind, label = "unlikely", "unlikely"
    elif mass["care"] >= DECIDED:
        kind, label = "care", "possible"
    elif mass["typical"] + mass["care"] >= UNDECIDED:
        kind, label = "undecided", "possible"
    else:
        kind, label = ("other" if mass["other"] >= DECIDED else "undecided"), "unlikely"
    named = sectors_named(tender.title or parts[0], read.probabilities)
    if label == "unlikely" and "goods" not in said and named:
        # The title names typical work in its own words ("Flyttjänster", "Slåttertjänster"), and
        # nothing says goods, works or IT: worth a look, whatever the models' odds.
        kind, label, sector = "typical", "possible", named[0]
    if stated and label == "unlikely":
        label = "possible"  # a supply, works or IT with social requirements: worth a look (README, "possible")
    if kind == "undecided" and sector_kind(read.label) == "unlikely" and read.probabilities[read.label] >= DECIDED:
        kind = "unlikely"  # works or IT most likely, not sure enough to penalise: an employment clause is capped
    strongest = judged.strongest if label == "suitable" else read.strongest
    verdict = _verdict(label, probabilities, sentences[strongest], models, kind, (sector, read.probabilities[sector]))
    return [verdict, *(_signal_reason(s) for s in signals)], read.probabilities, named


BARE_TITLE = 4  # words: "Fönsterputs", "Entrémattor, hyra och tvätt", "Hot meals delivery service"
# The buyer and the years of a title say nothing of the work's size: "Fönsterputs 2027–2029, Vänersborgs kommun".
_BUYER_AND_YEARS = re.compile(
    r"\b[\w-]{1,40} (kommun|stad|region|county council|city council|borough council|district council|council)\b"
    r"|\bregion [\w-]{1,40}|\b(19|20)\d\d\b",
    re.IGNORECASE,
)


def _bare(parts: list[str]) -> bool:
    """A bare name of the work, a few words with no figure beside the buyer and the years: it
    shows no size at all ("a title alone rarely shows the size"), whatever the judgement model
    makes of it."""
    text = " ".join(parts)
    if len(text) > 200:
        return False  # a bare title is a few words: no regex over a long (or hostile) text
    text = _BUYER_AND_YEARS.sub(" ", text)
    return len(textmodel.words(text)) <= BARE_TITLE and not any(c.isdigit() for c in text)


def _social(sentence: str) -> bool:
    """Does the sentence state a reservation, an employment requirement or social criteria?"""
    r = rules()
    return _has_anchor(sentence, r.anchors) and any(g.pattern.search(sentence) for g in r.groups)


def _signal_reason(signal: scale.Signal) -> dict[str, Any]:
    """What the words say of size or goods ("text_small", "text_large", "text_goods"), shown beside
    the verdict it shaped (weight 0: the verdict carries it)."""
    return _reason(f"text_{signal.kind}", 0.0, field=signal.field, value=signal.what, quote=_quote(signal.sentence))


def _agree(p: float, q: float) -> float:
    """Two probabilities of the same thing combined as independent evidence (odds multiplied)."""
    p, q = min(max(p, 1e-6), 1 - 1e-6), min(max(q, 1e-6), 1 - 1e-6)
    odds = p / (1 - p) * q / (1 - q)
    return odds / (1 + odds)


def _verdict(label: str, probabilities: dict[str, float], where: tuple[str, str], models: textmodel.TextModels,
             kind: str | None, sector: tuple[str, float] | None) -> dict[str, Any]:  # fmt: skip
    probability = probabilities[label]
    if label == "unlikely":
        # Only works, IT and the like count against a tender, as their CPV codes do.
        weight = -round(MODEL_PENALTY * probability, 3) if kind in ("unlikely", None) else 0.0
    else:
        floor, span = MODEL_BANDS[label]
        weight = round(floor + span * probability, 3)
    rounded = {k: round(v, 3) for k, v in probabilities.items()}
    out = _reason("text_model", weight, field=where[0], quote=_quote(where[1]))
    out |= {"label": label, "probabilities": rounded, "model": models.version,
            "kind": "typical" if kind is None and label == "suitable" else kind}  # fmt: skip
    if sector is not None:
        out |= {"sector": sector[0], "sector_probability": round(sector[1], 3)}
    if probability < max(probabilities.values()):
        out["by_rules"] = True  # the rules read the words past the models' odds: a digest shows no odds then
    return out


def _sector_words(tender: Tender, words: dict[str, re.Pattern[str]]) -> tuple[str, str, str] | None:
    for field_name, text in (("title", tender.title), ("description", tender.description)):
        if not text:
            continue
        for sentence in SENTENCE.split(text):
            for name, pattern in words.items():
                if pattern.search(sentence):
                    return name, field_name, _quote(sentence)
    return None


def _eur(value: float | None, currency: str | None, r: _Rules) -> float | None:
    if value is None or not currency or currency.upper() not in r.eur_rates:
        return None
    return value * r.eur_rates[currency.upper()]


def _noisy_or(weights: Any) -> float:
    miss = 1.0
    for w in weights:
        miss *= 1.0 - max(0.0, min(1.0, w))
    return 1.0 - miss


def _quote(sentence: str, limit: int = 240) -> str:
    """A sentence as evidence: one line, no bidi controls, at most ``limit`` characters."""
    return one_line(sentence, limit) or ""
