"""Cancellation by e-mail: a dedicated address; nothing forged acts, no robot is answered, and
what is not a clear, proven cancellation reaches a person.

- Robots (auto-replies, bounces, read receipts, bulk and list mail) and SES spam or virus
  verdicts: ignored, never answered (no mail loops, no backscatter).
- The visit is named by its code: the codes in the newest text (above any quote), or when it
  has none, those in the Subject and the quoted history. Only codes of real visits count.
- A clear cancellation (odwolaj.language.replies) of exactly one visit cancels it when the sender
  is authenticated (SES: SPF or DKIM passes, DMARC does not fail) or writes from the address the
  clinic gave for that visit and DMARC does not fail; the sender is thanked, with the code.
- The same from an authenticated sender without a code, or with several: one answer asking for
  the visit's code.
- Everything else goes to the clinic as a task (a CancellationEmailUnmatched event with the
  stored message's id, never its content); an authenticated sender is told it was passed on, an
  unauthenticated one is told nothing (a forger must not learn anything, nor use us to send).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from email.message import EmailMessage

from odwolaj.appointments import lifecycle as appointments
from odwolaj.core.clock import now
from odwolaj.core.config import settings
from odwolaj.core.errors import DomainError
from odwolaj.data import events
from odwolaj.data.models import Appointment, Facility
from odwolaj.language.replies import Context, Intent, parse
from odwolaj.language.texts import EMAIL_ASK_FOR_CODE, EMAIL_PASSED_ON, render_email
from odwolaj.messaging.mail_text import MailText, codes_in, read_mail, unwrapped
from odwolaj.messaging.outbound_sms import message_context, template_for

CODES_LOOKED_UP = 10  # per message: more written codes than that is not a patient's cancellation


class MailOutcome(enum.Enum):
    CANCELLED = "cancelled"
    ALREADY_CANCELLED = "already_cancelled"
    ASKED = "asked"  # asked which visit (no code, or several)
    FORWARDED = "forwarded"  # handed to the clinic as a task
    IGNORED = "ignored"  # a robot, spam or a virus: nothing sent, nothing done


@dataclass(frozen=True)
class Verdicts:
    """SES's receipt verdicts: PASS, FAIL, GRAY or PROCESSING_FAILED."""

    spf: str = "GRAY"
    dkim: str = "GRAY"
    dmarc: str = "GRAY"
    spam: str = "PASS"
    virus: str = "PASS"

    @property
    def authenticated(self) -> bool:
        return "PASS" in (self.spf, self.dkim) and self.dmarc != "FAIL"

    @property
    def harmful(self) -> bool:
        return "FAIL" in (self.spam, self.virus)


@dataclass(frozen=True)
class InboundMail:
    message_id: str  # SES's: the stored message's key
    text: MailText
    verdicts: Verdicts = field(default_factory=Verdicts)

    @classmethod
    def parse(cls, message_id: str, raw: bytes, verdicts: Verdicts | None = None) -> InboundMail:
        return cls(message_id=message_id, text=read_mail(raw), verdicts=verdicts or Verdicts())


@dataclass(frozen=True)
class MailResult:
    outcome: MailOutcome
    reply_subject: str | None = None
    reply_text: str | None = None

    def reply_to(self, mail: InboundMail) -> EmailMessage | None:
        """The automatic answer, marked as one so the other side's robots do not answer it."""
        if self.reply_text is None or mail.text.automatic or not mail.text.sender:
            return None
        reply = EmailMessage()
        reply["To"] = mail.text.sender
        reply["Subject"] = self.reply_subject
        reply["Auto-Submitted"] = "auto-replied"
        if mail.text.message_id:
            reply["In-Reply-To"] = mail.text.message_id
            reply["References"] = mail.text.message_id
        reply.set_content(self.reply_text)
        return reply


def handle(mail: InboundMail) -> MailResult:
    text = mail.text
    if text.automatic or mail.verdicts.harmful:
        return MailResult(MailOutcome.IGNORED)
    codes = _visit_codes(codes_in(text.newest)) or _visit_codes(codes_in(f"{text.subject}\n{text.rest}"))
    written = unwrapped(text.newest) or text.subject
    cancels = parse(_without(written, codes), Context.BOOKING) is Intent.CANCEL
    visit = next(iter(codes.values())) if len(codes) == 1 else None
    proven = mail.verdicts.authenticated or (
        visit is not None and mail.verdicts.dmarc != "FAIL" and (visit.email or "").lower() == text.sender)
    if cancels and visit is not None and proven:
        return _cancel(mail, visit)
    if cancels and visit is None and mail.verdicts.authenticated:
        subject, body = EMAIL_ASK_FOR_CODE
        return MailResult(MailOutcome.ASKED, subject, body.replace("$lookup", settings().public_base_url + "/c"))
    if not cancels:
        reason = "not_a_cancellation"  # a question, a new date, thanks, a hedge: for a person
    elif not proven:
        reason = "not_authenticated"
    else:
        reason = "no_single_code"
    return _forward(mail, visit, reason, tell_sender=proven)


def _visit_codes(written: list[str]) -> dict[str, Appointment]:
    """The written codes that are real visits' codes, each with its visit."""
    found: dict[str, Appointment] = {}
    for code in written[:CODES_LOOKED_UP]:
        for hit in Appointment.by_code.query(code, limit=1):
            found[code] = appointments.get(hit.appointment_id)
    return found


def _without(text: str, codes: dict[str, Appointment]) -> str:
    """The text without its codes: a code is not a word of the request."""
    for code in codes_in(text):
        text = text.replace(code, " ").replace(code.lower(), " ")
    return text


def _cancel(mail: InboundMail, visit: Appointment) -> MailResult:
    try:
        outcome = appointments.cancel(visit, channel="email")
    except DomainError:  # over, or no longer cancellable: a person looks at it
        return _forward(mail, visit, "not_cancellable", tell_sender=True)
    facility = Facility.get(visit.facility_id)
    if outcome.changed:
        kind = template_for("cancelled", facility, outcome.appointment)  # a promise only when someone waits
        context = message_context(kind, outcome.appointment, facility)
        return MailResult(MailOutcome.CANCELLED, *render_email(kind, context))
    context = message_context("email_already_cancelled", outcome.appointment, facility)
    return MailResult(MailOutcome.ALREADY_CANCELLED, *render_email("email_already_cancelled", context))


def _forward(mail: InboundMail, visit: Appointment | None, reason: str, *, tell_sender: bool) -> MailResult:
    """A task for the clinic's inbox; the message itself stays in the mail bucket."""
    data = {"message_id": mail.message_id, "reason": reason}
    if visit is not None:
        data |= {"appointment_id": visit.appointment_id, "external_id": visit.external_id}
    event = events.DomainEvent(events.CANCELLATION_EMAIL_UNMATCHED, visit.facility_id if visit else "unassigned",
                               f"mail:{mail.message_id}", data)
    event.to_outbox(now()).save_once()
    if not tell_sender:
        return MailResult(MailOutcome.FORWARDED)
    return MailResult(MailOutcome.FORWARDED, *EMAIL_PASSED_ON)
