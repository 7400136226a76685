"""PESEL: 11 digits, a valid birth date (century encoded in the month) and a checksum."""
from __future__ import annotations

from datetime import date

from odwolaj.core.errors import InvalidInput

WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
CENTURY_BY_MONTH_OFFSET = {80: 1800, 0: 1900, 20: 2000, 40: 2100, 60: 2200}


def checksum_digit(first_ten: str) -> int:
    return (10 - sum(int(d) * w for d, w in zip(first_ten, WEIGHTS)) % 10) % 10


def birth_date(pesel: str) -> date:
    year, month, day = int(pesel[0:2]), int(pesel[2:4]), int(pesel[4:6])
    offset = (month // 20) * 20
    return date(CENTURY_BY_MONTH_OFFSET[offset] + year, month - offset, day)


def validate_pesel(pesel: str, *, field: str = "pesel") -> str:
    if not isinstance(pesel, str) or len(pesel) != 11 or not pesel.isdigit():
        raise InvalidInput("PESEL must be exactly 11 digits", field=field)
    if checksum_digit(pesel[:10]) != int(pesel[10]):
        raise InvalidInput("PESEL checksum does not match", field=field)
    try:
        birth_date(pesel)
    except ValueError:
        raise InvalidInput("PESEL does not encode a valid birth date", field=field) from None
    return pesel
