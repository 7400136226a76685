"""Statuses stored on the records: an appointment's (Appointment.status) and an SMS delivery's
(Delivery.status). A module of its own so that rules, messages and sweeps share one spelling."""

BOOKED = "booked"
AWAITING_PAYMENT = "awaiting_payment"
CONFIRMED = "confirmed"
CANCELLED = "cancelled"
ATTENDED = "attended"
NO_SHOW = "no_show"
STATUSES = (BOOKED, AWAITING_PAYMENT, CONFIRMED, CANCELLED, ATTENDED, NO_SHOW)
OPEN = frozenset({BOOKED, AWAITING_PAYMENT, CONFIRMED})
FINAL = frozenset({CANCELLED, ATTENDED, NO_SHOW})

# What became of an SMS (odwolaj.messaging.deliveries maps each provider's reports to these).
SENT, DELIVERED, FAILED = "sent", "delivered", "failed"
