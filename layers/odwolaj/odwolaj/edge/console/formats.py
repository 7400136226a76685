"""Numbers as a Polish reader expects them: 1 234, 12,3 %, 1 234,00 zł, 12,5 min; a dash for a
figure that cannot be computed (a share of nothing)."""
from __future__ import annotations

from odwolaj.edge.console.tables import Cell, Days, Minutes, Money, Share

NBSP = "\u00a0"
NONE = "–"


def _grouped(value: float, decimals: int) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace(",", NBSP).replace(".", ",")


def number(value: float, decimals: int = 0) -> str:
    if decimals == 0 or float(value).is_integer():
        return _grouped(round(value), 0)
    return _grouped(value, decimals)


def days_word(value: float) -> str:
    if not float(value).is_integer():
        return "dnia"  # 2,5 dnia
    return "dzień" if value == 1 else "dni"


def cell(value: Cell) -> str:
    """A cell as the page shows it."""
    if value is None:
        return NONE
    if isinstance(value, Share):
        # always one decimal: 10,0 % beside 4,0 % reads as the same kind of figure
        return NONE if value.value is None else f"{_grouped(value.value * 100, 1)}{NBSP}%"
    if isinstance(value, Money):
        return NONE if value.grosze is None else f"{_grouped(value.grosze / 100, 2)}{NBSP}zł"
    if isinstance(value, Minutes):
        return NONE if value.value is None else f"{number(value.value, 1)}{NBSP}min"
    if isinstance(value, Days):
        return NONE if value.value is None else f"{number(value.value, 1)}{NBSP}{days_word(value.value)}"
    if isinstance(value, float):
        return number(value, 2)
    if isinstance(value, int):
        return number(value)
    return str(value)


def magnitude(value: Cell) -> float | None:
    """The number a chart draws for a cell (a share as a percentage), or None."""
    if isinstance(value, Share):
        return None if value.value is None else value.value * 100
    if isinstance(value, (Money,)):
        return None if value.grosze is None else value.grosze / 100
    if isinstance(value, (Minutes, Days)):
        return value.value
    if isinstance(value, (int, float)):
        return float(value)
    return None
