"""Masking of personal data wherever it is shown beyond the person herself."""

from __future__ import annotations

import re
from collections.abc import Iterable


def mask_name(name: str) -> str:
    """Keep the family name: '王晓梅' -> '王**'; a Latin name keeps its initial."""
    name = name.strip()
    if not name:
        return ""
    if " " in name:
        return name[0] + "*" * 3
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str) -> str:
    """'13800000000' -> '138****0000'."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?[1１](?:[\s-]?\d){10}(?!\d)")
_CODE_IN_TEXT = re.compile(r"(?<![\dA-Za-z])\d{6}(?!\d)")


def mask_text(text: str, names: Iterable[str] = ()) -> str:
    """Free text as a manager may read it: mobile numbers, six-digit verification
    codes and the given names (full names of the customers involved) masked."""
    text = _PHONE_IN_TEXT.sub(
        lambda m: mask_phone(re.sub(r"\D", "", m.group())[-11:]), text
    )
    text = _CODE_IN_TEXT.sub("******", text)
    for name in sorted({n for n in names if n and len(n) > 1}, key=len, reverse=True):
        text = text.replace(name, mask_name(name))
    return text
