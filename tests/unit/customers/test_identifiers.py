import pytest

from bot.customers.identifiers import (
    IdentifierError,
    normalise_member_no,
    normalise_phone,
    to_identifier,
)


@pytest.mark.parametrize(
    "typed",
    [
        "13800000000",
        "138 0000 0000",
        "138-0000-0000",
        "+86 138 0000 0000",
        "+8613800000000",
        "008613800000000",
        "8613800000000",
        "１３８００００００００",
        " 138.0000.0000 ",
    ],
)
def test_ways_of_writing_a_mobile_number_normalise_to_eleven_digits(typed):
    assert normalise_phone(typed) == "13800000000"


@pytest.mark.parametrize(
    "typed, digits", [("1380000000", 10), ("138000000001", 12), ("138", 3)]
)
def test_a_number_of_the_wrong_length_says_how_many_digits_it_had(typed, digits):
    with pytest.raises(IdentifierError) as error:
        normalise_phone(typed)
    assert error.value.code == "phone_length"
    assert error.value.detail == digits


@pytest.mark.parametrize("typed", ["12345678901", "14012345678", "10000000000"])
def test_eleven_digits_outside_mainland_mobile_ranges_are_refused(typed):
    with pytest.raises(IdentifierError) as error:
        normalise_phone(typed)
    assert error.value.code == "phone_not_mobile"


def test_letters_in_a_phone_number_are_refused_as_a_length_problem():
    with pytest.raises(IdentifierError) as error:
        normalise_phone("138abcd0000")
    assert error.value.code == "phone_length"


@pytest.mark.parametrize(
    "typed", ["M00000001", "m00000001", "M 0000 0001", "Ｍ００００００01"]
)
def test_member_numbers_are_upper_cased_and_stripped(typed):
    assert normalise_member_no(typed) == "M00000001"


@pytest.mark.parametrize("typed", ["M1234", "M000000001", "X00000001", "00000001", ""])
def test_malformed_member_numbers_are_refused(typed):
    with pytest.raises(IdentifierError) as error:
        normalise_member_no(typed)
    assert error.value.code == "member_no_format"


def test_identifier_kinds_follow_the_entity_names():
    assert to_identifier("phone", "13800000000").kind == "phone"
    assert to_identifier("member_no", "m00000002").value == "M00000002"
    with pytest.raises(ValueError):
        to_identifier("email", "a@b.c")
