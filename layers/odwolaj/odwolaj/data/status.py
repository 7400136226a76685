"""Appointment statuses (a module of its own so messages and rules can share them)."""

BOOKED = "booked"
AWAITING_PAYMENT = "awaiting_payment"
CONFIRMED = "confirmed"
CANCELLED = "cancelled"
ATTENDED = "attended"
NO_SHOW = "no_show"
STATUSES = (BOOKED, AWAITING_PAYMENT, CONFIRMED, CANCELLED, ATTENDED, NO_SHOW)
OPEN = frozenset({BOOKED, AWAITING_PAYMENT, CONFIRMED})
FINAL = frozenset({CANCELLED, ATTENDED, NO_SHOW})
