"""WeChat's rules for the keywords of category templates (template and subscribe
messages), as documented for `message/template/send` and `message/subscribe/bizsend`:
a value of the wrong shape is refused with 47003. Pure: no I/O, no texts for people.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping

HAN = re.compile(r"^[\u4e00-\u9fff]+$")
DATE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2}|\d{4}年\d{1,2}月\d{1,2}日)$")
TIME = re.compile(
    r"^(\d{4}-\d{1,2}-\d{1,2}( \d{1,2}:\d{2}(:\d{2})?)?"
    r"|\d{4}年\d{1,2}月\d{1,2}日( \d{1,2}:\d{2})?|\d{1,2}:\d{2})$"
)
# One currency symbol, up to ten digits, optional decimals, optionally 元 (WeChat's
# rule for an amount keyword).
AMOUNT = re.compile(r"^(?:[¥￥$£€]|HK\$|MOP\$|NT\$)?\d{1,10}(\.\d{1,2})?元?$")
NUMBER = re.compile(r"^\d{1,32}(\.\d+)?$")

# Free-text kinds and their length limits; the other kinds have a fixed shape.
LIMITS = {"thing": 20, "name": 10, "phrase": 5, "character_string": 32, "number": 32}
SHAPED = {"time", "date", "amount"}
KINDS = frozenset(LIMITS) | SHAPED
# Placeholders that stand for a date: only they may fill `time` and `date` keywords.
DATE_PLACEHOLDERS = frozenset({"purchased_on", "due_on"})
ELLIPSIS = "…"


class FieldError(ValueError):
    """A value WeChat would refuse for this keyword."""


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def static_problem(kind: str, text: str) -> str | None:
    """Why a configured value can never fit its keyword (checked at start), else
    None: its fixed words alone are too long, or a shaped kind is not a date."""
    names = placeholders(text)
    fixed = "".join(part for part, *_ in string.Formatter().parse(text))
    if kind in ("time", "date"):
        if fixed.strip() or len(names) != 1 or not names <= DATE_PLACEHOLDERS:
            allowed = ", ".join(f"{{{n}}}" for n in sorted(DATE_PLACEHOLDERS))
            return f"a {kind} keyword takes exactly one date placeholder ({allowed})"
        return None
    if kind == "amount":
        return "an amount keyword has no placeholder to fill it" if not names else None
    limit = LIMITS[kind]
    if len(fixed) > limit:
        return f"{len(fixed)} characters, a {kind} keyword takes at most {limit}"
    if kind == "phrase" and fixed and not HAN.match(fixed):
        return "a phrase keyword takes Chinese characters only"
    return None


def fit(kind: str, value: str) -> str:
    """The value as WeChat accepts it for `kind`: free text past its limit is
    shortened with an ellipsis; anything else that does not fit raises."""
    value = value.strip()
    if not value:
        raise FieldError("empty")
    if kind in ("thing", "name"):
        limit = LIMITS[kind] if kind == "thing" or HAN.match(value[:1]) else 20
        return value if len(value) <= limit else value[: limit - 1] + ELLIPSIS
    checks = {
        "phrase": lambda v: len(v) <= 5 and bool(HAN.match(v)),
        "character_string": lambda v: len(v) <= 32 and v.isascii() and " " not in v,
        "number": lambda v: bool(NUMBER.match(v)),
        "time": lambda v: bool(TIME.match(v)),
        "date": lambda v: bool(DATE.match(v)),
        "amount": lambda v: bool(AMOUNT.match(v)),
    }
    if not checks[kind](value):
        raise FieldError(f"{value!r} is not a {kind}")
    return value


def fill(
    fields: Mapping[str, tuple[str, str]], values: Mapping[str, str]
) -> dict[str, dict[str, str]]:
    """WeChat's `data` for a template: keyword -> {"value": ...}, each filled from
    `values` and fitted to its kind. Raises FieldError naming the keyword."""
    data = {}
    for keyword, (kind, text) in fields.items():
        try:
            filled = text.format_map(_Strict(values))
            data[keyword] = {"value": fit(kind, filled)}
        except (FieldError, KeyError) as error:
            raise FieldError(f"{keyword}: {error}") from None
    return data


class _Strict(dict):
    def __missing__(self, key: str) -> str:
        raise KeyError(f"no value for {{{key}}}")
