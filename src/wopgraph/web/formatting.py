"""Literal values as a reader of English or French expects them: numbers, dates, durations.

``2500000`` reads "2,500,000" in English and "2 500 000" in French; ``"2002-07"^^xsd:gYearMonth``
reads "July 2002" / "juillet 2002"; ``"P12Y"^^xsd:duration`` reads "12 years" / "12 ans".
Anything not understood is shown as written.
"""

from __future__ import annotations

import re

import pyoxigraph as ox

XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {
    XSD + t
    for t in [
        "decimal",
        "integer",
        "int",
        "long",
        "short",
        "positiveInteger",
        "nonNegativeInteger",
        "negativeInteger",
        "nonPositiveInteger",
        "unsignedInt",
        "unsignedLong",
        "double",
        "float",
    ]
}
MONTHS = {
    "en": "January February March April May June July August September October November December",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
}
#: Units of an ISO 8601 duration: letter -> (English singular, plural, French singular, plural).
DURATION_UNITS = {
    "Y": ("year", "years", "an", "ans"),
    "M": ("month", "months", "mois", "mois"),
    "W": ("week", "weeks", "semaine", "semaines"),
    "D": ("day", "days", "jour", "jours"),
}
YES_NO = {"en": ("yes", "no"), "fr": ("oui", "non")}
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")


def number(value: str, lang: str) -> str:
    """A number with thousands grouped: ``2500000`` -> "2,500,000" (en), "2 500 000" (fr)."""
    try:
        as_float = float(value)
    except ValueError:
        return value
    if as_float.is_integer() and "e" not in value.lower():
        grouped = f"{int(as_float):,}"
    else:
        whole, _, fraction = value.partition(".")
        grouped = f"{int(whole or 0):,}" + (
            "." + fraction.rstrip("0") if fraction.strip("0") else ""
        )
    if lang == "fr":
        return grouped.replace(",", "\u202f").replace(".", ",")
    return grouped


def month_name(month: int, lang: str) -> str:
    """The name of month 1..12 in the reader's language."""
    names = MONTHS.get(lang, MONTHS["en"]).split()
    return names[month - 1] if 1 <= month <= 12 else str(month)


def date(value: str, datatype: str, lang: str) -> str:
    """``2002-07`` (gYearMonth) -> "July 2002"; ``2002-07-15`` (date) -> "15 July 2002"."""
    parts = value.split("-")
    try:
        if datatype == XSD + "gYearMonth" and len(parts) == 2:
            return f"{month_name(int(parts[1]), lang)} {parts[0]}"
        if datatype == XSD + "date" and len(parts) == 3:
            day = int(parts[2][:2])
            return f"{day} {month_name(int(parts[1]), lang)} {parts[0]}"
    except ValueError:
        pass
    return value


def duration(value: str, lang: str) -> str:
    """``P12Y`` -> "12 years" / "12 ans"; ``P1Y6M`` -> "1 year 6 months"."""
    match = _DURATION.match(value)
    if not match or not any(match.groups()):
        return value
    words = []
    for amount, letter in zip(match.groups(), "YMWD", strict=True):
        if amount:
            en_one, en_many, fr_one, fr_many = DURATION_UNITS[letter]
            one, many = (fr_one, fr_many) if lang == "fr" else (en_one, en_many)
            words.append(f"{int(amount)} {one if int(amount) == 1 else many}")
    return " ".join(words)


def literal(lit: ox.Literal, lang: str) -> str:
    """A literal as text for the reader of ``lang``."""
    datatype = lit.datatype.value if lit.datatype is not None else ""
    if datatype in NUMERIC:
        return number(lit.value, lang)
    if datatype in (XSD + "gYearMonth", XSD + "date"):
        return date(lit.value, datatype, lang)
    if datatype == XSD + "duration":
        return duration(lit.value, lang)
    if datatype == XSD + "boolean":
        yes, no = YES_NO.get(lang, YES_NO["en"])
        return yes if lit.value in ("true", "1") else no
    return lit.value
