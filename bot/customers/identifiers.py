"""Normalise and validate what a clerk types to name a customer.

Phones are checked with libphonenumber (`phonenumbers`): an 11-digit mainland mobile
number, written with or without +86, spaces, dashes or full-width digits.
Member numbers are "M" followed by 8 digits.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

import phonenumbers

MEMBER_NO = re.compile(r"^M\d{8}$")
_SEPARATORS = re.compile(r"[\s\-().·]")
_MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


@dataclass(frozen=True)
class Identifier:
    kind: Literal["phone", "member_no"]
    value: str


class IdentifierError(ValueError):
    """What is wrong with a typed number, as a code the adapters turn into words.

    codes: phone_length (detail: digits counted), phone_not_mobile, member_no_format.
    """

    def __init__(self, code: str, text: str, detail: int | None = None) -> None:
        super().__init__(f"{code}: {text!r}")
        self.code = code
        self.text = text
        self.detail = detail


def normalise_phone(text: str) -> str:
    """'+86 138-0000-0000' -> '13800000000', or IdentifierError saying why not."""
    digits = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    digits = re.sub(r"^(\+86|0086)", "", digits)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if not digits.isdigit() or len(digits) != 11:
        counted = sum(ch.isdigit() for ch in digits)
        raise IdentifierError("phone_length", text, counted)
    number = phonenumbers.parse("+86" + digits)
    if not (
        phonenumbers.is_valid_number(number)
        and phonenumbers.number_type(number) in _MOBILE_TYPES
    ):
        raise IdentifierError("phone_not_mobile", text)
    return digits


def normalise_member_no(text: str) -> str:
    """' m0000 0001 ' -> 'M00000001', or IdentifierError."""
    value = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
    if not MEMBER_NO.match(value):
        raise IdentifierError("member_no_format", text)
    return value


def to_identifier(kind: str, text: str) -> Identifier:
    """Validate an extracted entity; `kind` is the entity name."""
    if kind == "phone":
        return Identifier("phone", normalise_phone(text))
    if kind == "member_no":
        return Identifier("member_no", normalise_member_no(text))
    raise ValueError(f"not an identifier kind: {kind}")


_NUMBER_IN_TEXT = re.compile(r"(?:\+?86[\s-]?)?[1１](?:[\s-]?[0-9０-９]){10}")
_MEMBER_IN_TEXT = re.compile(r"[MmＭｍ]\s?(?:[0-9０-９]\s?){8}")


def names_a_customer(text: str) -> bool:
    """Whether `text` holds a valid mobile number or a member number."""
    found = [(normalise_phone, m) for m in _NUMBER_IN_TEXT.finditer(text)]
    found += [(normalise_member_no, m) for m in _MEMBER_IN_TEXT.finditer(text)]
    for normalise, match in found:
        try:
            normalise(match.group())
            return True
        except IdentifierError:
            continue
    return False
