"""Cancellation by e-mail: a dedicated address, every message answered, none silently dropped.

The message names its visit by the visit code; the sender proves it is the patient's by writing
from the e-mail address the clinic gave, or by quoting the patient's phone number. A matched
visit is cancelled and the sender thanked. Anything that cannot be matched is acknowledged and
handed to the clinic as an event, with a reference to the stored message (never its content).
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from html import unescape

from odwolaj.appointments import lifecycle as appointments
from odwolaj.core.clock import now
from odwolaj.core.errors import DomainError, InvalidInput
from odwolaj.core.ids import CODE_ALPHABET, CODE_LENGTH, normalize_visit_code
from odwolaj.core.phone import normalize_phone
from odwolaj.data import events
from odwolaj.data.models import Appointment, Facility
from odwolaj.language.texts import render_email
from odwolaj.messaging.outbound_sms import message_context, template_for

CODE_PATTERN = re.compile(rf"\b([{CODE_ALPHABET}]{{4}})[\s-]?([{CODE_ALPHABET}]{{4}})\b", re.IGNORECASE)
PHONE_PATTERN = re.compile(r"(?:\+|00)?\d[\d\s()-]{7,16}\d")
MAX_BODY_CHARS = 20_000


class MailOutcome(enum.Enum):
    CANCELLED = "cancelled"
    ALREADY_CANCELLED = "already_cancelled"
    NOT_MATCHED = "not_matched"  # acknowledged and handed to the clinic
    REJECTED = "rejected"  # spam or virus verdict: no answer (no backscatter), the clinic still hears


@dataclass(frozen=True)
class InboundMail:
    message_id: str
    sender: str
    subject: str
    text: str
    verdict_ok: bool = True
    automatic: bool = False  # an auto-reply, bounce or list mail: never answered (no mail loops)

    @classmethod
    def parse(cls, message_id: str, raw: bytes, *, verdict_ok: bool = True) -> "InboundMail":
        message: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)
        body = message.get_body(preferencelist=("plain", "html"))
        text = body.get_content() if body is not None else ""
        if body is not None and body.get_content_type() == "text/html":
            text = unescape(re.sub(r"<[^>]+>", " ", text))
        sender = parseaddr(str(message.get("from", "")))[1].lower()
        automatic = (
            str(message.get("auto-submitted", "no")).lower() != "no"
            or message.get("list-id") is not None
            or sender.split("@")[0] in ("mailer-daemon", "postmaster", "noreply", "no-reply")
        )
        return cls(message_id=message_id, sender=sender, subject=str(message.get("subject", "")),
                   text=text[:MAX_BODY_CHARS], verdict_ok=verdict_ok, automatic=automatic)


@dataclass(frozen=True)
class MailResult:
    outcome: MailOutcome
    reply_subject: str | None = None
    reply_text: str | None = None

    def reply_to(self, mail: InboundMail) -> EmailMessage | None:
        """The automatic answer, marked as one so the other side's robots do not answer it."""
        if self.reply_text is None or mail.automatic or not mail.sender:
            return None
        reply = EmailMessage()
        reply["To"] = mail.sender
        reply["Subject"] = self.reply_subject
        reply["Auto-Submitted"] = "auto-replied"
        reply.set_content(self.reply_text)
        return reply


def handle(mail: InboundMail) -> MailResult:
    if not mail.verdict_ok:
        _hand_to_clinic(mail, facility_id=None, reason="spam_or_virus")
        return MailResult(MailOutcome.REJECTED)
    appointment = _match(mail)
    if appointment is None:
        _hand_to_clinic(mail, facility_id=None, reason="not_matched")
        return MailResult(MailOutcome.NOT_MATCHED, "Otrzymaliśmy Twoją wiadomość", ACKNOWLEDGEMENT)
    try:
        outcome = appointments.cancel(appointment, channel="email")
    except DomainError:
        _hand_to_clinic(mail, facility_id=appointment.facility_id, reason="not_cancellable")
        return MailResult(MailOutcome.NOT_MATCHED, "Otrzymaliśmy Twoją wiadomość", ACKNOWLEDGEMENT)
    if not outcome.changed:
        return MailResult(MailOutcome.ALREADY_CANCELLED, "Wizyta była już odwołana", ALREADY_CANCELLED)
    facility = Facility.get(appointment.facility_id)
    kind = template_for("cancelled", facility, outcome.appointment)  # a promise only when someone waits
    return MailResult(MailOutcome.CANCELLED, *render_email(kind, message_context(kind, outcome.appointment, facility)))


def _match(mail: InboundMail) -> Appointment | None:
    haystack = f"{mail.subject}\n{mail.text}"
    phones = set()
    for candidate in PHONE_PATTERN.findall(haystack):
        try:
            phones.add(normalize_phone(candidate))
        except InvalidInput:
            continue
    for first, second in CODE_PATTERN.findall(haystack):
        code = normalize_visit_code(first + second)
        if len(code) != CODE_LENGTH:
            continue
        for hit in Appointment.by_code.query(code):
            appointment = appointments.get(hit.appointment_id)
            if (appointment.email and appointment.email.lower() == mail.sender) or appointment.phone in phones:
                return appointment
    return None


def _hand_to_clinic(mail: InboundMail, *, facility_id: str | None, reason: str) -> None:
    """An event for the clinic's inbox; the message itself stays in the mail bucket."""
    event = events.DomainEvent(events.CANCELLATION_EMAIL_UNMATCHED, facility_id or "unassigned",
                               f"mail:{mail.message_id}", {"message_id": mail.message_id, "reason": reason})
    event.to_outbox(now()).save_once()


ACKNOWLEDGEMENT = (
    "Dzień dobry,\n\notrzymaliśmy Twoją wiadomość. Nie udało się automatycznie rozpoznać wizyty, "
    "więc przekazaliśmy ją do rejestracji, która się nią zajmie.\n\n"
    "Najszybciej odwołasz wizytę linkiem z SMS-a lub podając w wiadomości kod wizyty "
    "(8 znaków, np. ABCD-EFGH) i numer telefonu podany przy rejestracji.\n\nDziękujemy!"
)
ALREADY_CANCELLED = "Dzień dobry,\n\nta wizyta była już wcześniej odwołana. Nic więcej nie trzeba robić.\n\nDziękujemy!"
