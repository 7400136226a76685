"""PESEL and phone-number rules."""
import pytest
from hypothesis import given, strategies as st

from odwolaj.core.errors import InvalidInput
from odwolaj.core.ids import CODE_ALPHABET, new_visit_code, normalize_visit_code
from odwolaj.core.pesel import birth_date, checksum_digit, validate_pesel
from odwolaj.core.phone import normalize_phone, phone_fingerprint

VALID_PESELS = ["44051401359", "02070803628", "90090515836"]


@pytest.mark.parametrize("pesel", VALID_PESELS)
def test_valid_pesels_pass(pesel):
    assert validate_pesel(pesel) == pesel


def test_the_century_is_read_from_the_month():
    assert birth_date("02270803624").year == 2002
    assert birth_date("44051401359").year == 1944


@pytest.mark.parametrize("bad", ["44051401358", "4405140135", "4405140135a", "44133201350", ""])
def test_invalid_pesels_are_refused(bad):
    with pytest.raises(InvalidInput):
        validate_pesel(bad)


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_exactly_one_check_digit_completes_any_ten_digits(first_ten):
    accepted = []
    for digit in "0123456789":
        try:
            validate_pesel(first_ten + digit)
            accepted.append(digit)
        except InvalidInput:
            pass
    assert accepted in ([], [str(checksum_digit(first_ten))])


@pytest.mark.parametrize("written", ["600 100 200", "600-100-200", "+48 600 100 200", "0048600100200",
                                     "+48600100200", "(+48) 600100200"])
def test_common_polish_ways_of_writing_a_mobile_number(written):
    assert normalize_phone(written) == "+48600100200"


def test_a_landline_with_area_code():
    assert normalize_phone("(22) 123 45 67") == "+48221234567"


@pytest.mark.parametrize("bad", ["", "123", "abc", "+48 600 100", None])
def test_numbers_that_are_not_numbers_are_refused(bad):
    with pytest.raises(InvalidInput):
        normalize_phone(bad)


def test_the_fingerprint_does_not_contain_the_number():
    assert "600100200" not in phone_fingerprint("+48600100200")


def test_visit_codes_are_typable_and_forgiving():
    code = new_visit_code()
    assert len(code) == 8 and set(code) <= set(CODE_ALPHABET)
    assert normalize_visit_code(f" {code[:4].lower()}-{code[4:]} ") == code
