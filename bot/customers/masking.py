"""Masking of personal data wherever it is shown beyond the person herself."""

from __future__ import annotations


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
