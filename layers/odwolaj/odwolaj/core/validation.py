"""Input validators: the one home of the checks every request body goes through. Each returns the
clean value or raises InvalidInput naming the field, in English for the integrator."""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Literal, TypeVar, overload

from odwolaj.core.clock import to_utc
from odwolaj.core.errors import InvalidInput

T = TypeVar("T")


def reject_unknown(payload: Mapping[str, object], known: Iterable[str], *, prefix: str = "",
                   field: str | None = None, what: str = "field(s)") -> None:
    """InvalidInput naming the keys that are not `known` (each as `prefix` + key). The error's field
    is `field`, or else the first unknown key's."""
    unknown = sorted(set(payload) - set(known))
    if unknown:
        raise InvalidInput(f"unknown {what}: {', '.join(prefix + name for name in unknown)}",
                           field=field if field is not None else prefix + unknown[0])


def text(value: object, field: str, *, max_len: int) -> str:
    """A required, non-empty string of at most `max_len` characters, stripped."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} is required and must be a non-empty string", field=field)
    if len(value) > max_len:
        raise InvalidInput(f"{field} is longer than {max_len} characters", field=field)
    return value.strip()


def optional_text(value: object, field: str, max_len: int) -> str | None:
    return None if value is None else text(value, field, max_len=max_len)


def email(value: object, field: str = "patient.email") -> str | None:
    """An e-mail address, when given. Only its shape is checked: the mail server has the last word."""
    if value is None:
        return None
    address = text(value, field, max_len=254)
    local, at, domain = address.partition("@")
    if not at or not local or "." not in domain or " " in address:
        raise InvalidInput(f"{field} is not an e-mail address", field=field)
    return address


def moment(value: object, field: str) -> datetime:
    """An ISO-8601 date-time with a UTC offset, as UTC."""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} is required: an ISO-8601 date-time with an offset", field=field)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{field} is not an ISO-8601 date-time", field=field) from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"{field} needs a UTC offset (e.g. +01:00 or Z)", field=field)
    return to_utc(parsed)


def flag(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{field} must be true or false", field=field)
    return value


def choice(value: object, field: str, allowed: Collection[T]) -> T:
    """One of `allowed` (listed in the error in their order)."""
    if value not in allowed:
        raise InvalidInput(f"{field} must be one of: {', '.join(map(str, allowed))}", field=field)
    return value  # type: ignore[return-value]  # `in allowed` makes it one of them


@overload
def whole_number(value: object, field: str, low: int, high: int, unit: str = "", *,
                 required: Literal[True]) -> int: ...
@overload
def whole_number(value: object, field: str, low: int, high: int, unit: str = "", *,
                 required: bool = False) -> int | None: ...
def whole_number(value: object, field: str, low: int, high: int, unit: str = "", *,
                 required: bool = False) -> int | None:
    """A whole number in [low, high] (None when absent and not required), or InvalidInput."""
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{field} must be a whole number{unit} from {low} to {high}", field=field)
    return value
