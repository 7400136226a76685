"""Typed domain errors. Handlers map them to HTTP (or an SMS answer) in one place each."""
from __future__ import annotations

from datetime import datetime


class DomainError(Exception):
    """Base class: `code` is stable for integrators, the message is English for them."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    code = "invalid_input"


class NotFound(DomainError):
    code = "not_found"


class Unauthorized(DomainError):
    code = "unauthorized"


class Forbidden(DomainError):
    """The key is genuine but lacks the right this request needs."""

    code = "forbidden"


class Conflict(DomainError):
    """The item is not in a state that allows the change (or another request changed it first)."""

    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"

    def __init__(self, message: str, *, current_status: str):
        super().__init__(message)
        self.current_status = current_status


class LinkInvalid(DomainError):
    """A token that is malformed, forged, for another purpose, or expired."""

    code = "link_invalid"


class LinkExpired(LinkInvalid):
    """A genuine link whose visit is more than a day in the past."""

    code = "link_expired"


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_at: datetime | None = None):
        super().__init__(message)
        self.retry_at = retry_at  # when the window ends and a new try counts again


class PrepaymentRefused(Conflict):
    """A booking that needs prepayment would leave the patient no time to pay."""

    code = "prepayment_too_late"


class BookingCutoff(PrepaymentRefused):
    """Bookings that need prepayment are not taken after the facility's cut-off hour."""

    code = "booking_cutoff"


class PaymentUnavailable(DomainError):
    """The payment provider cannot be reached or refused a call; the request may be retried."""

    code = "payment_unavailable"


class ConfirmationRequired(Conflict):
    """A step that needs the caller to confirm what it will do (a campaign's launch): `confirmation`
    carries the numbers and the token to send back."""

    code = "confirmation_required"

    def __init__(self, message: str, *, confirmation: dict[str, object]):
        super().__init__(message)
        self.confirmation = confirmation
