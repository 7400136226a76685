"""The facility's own rules, set by its manager in the console: prepayment (the facility's and each
specialist's), the offer strategy, the campaign texts and the patient SMS texts. Each is validated by
the same domain code as the clinic API's PUT (`PaymentRules.from_dict`, `rules.with_specialist`,
`Strategy.from_payload`, `campaigns.settings.changed`, `language.message_overrides.changed`) and written
with its audit entry (who, when, what changed) in one transaction, on the condition that nobody
changed it since it was read."""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import MapAttribute
from pynamodb.transactions import TransactWrite

from odwolaj.campaigns import settings as campaign_settings
from odwolaj.campaigns.settings import CampaignSettings, sample_link
from odwolaj.core import validation
from odwolaj.core.clock import now
from odwolaj.core.transactions import apply_or_conflict
from odwolaj.data.models import AuditEntry, ConsoleSession, Facility
from odwolaj.language import message_overrides
from odwolaj.language.texts import MessageContext
from odwolaj.payments import rules
from odwolaj.payments.rules import PaymentRules
from odwolaj.reserve.settings import strategy_of
from odwolaj.reserve.strategy import Strategy
from odwolaj.security import audit
from odwolaj.security.facilities import get_facility
from odwolaj.stats.report import catalogue
from odwolaj.usecases import message_templates as patient_texts
from odwolaj.usecases.console import actor, require

PAYMENT_RULES, OFFER_STRATEGY, CAMPAIGN_SETTINGS = "payment_rules", "offer_strategy", "campaign_settings"
MESSAGE_TEMPLATES = "message_templates"


def changes(before: dict[str, Any], after: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """What differs, by dotted name ("specialists.dr Nowak.mode"): {"from": …, "to": …} each."""
    found: dict[str, dict[str, Any]] = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if isinstance(old, dict) and isinstance(new, dict):
            found |= changes(old, new, f"{prefix}{name}.")
        elif old != new:
            found[prefix + name] = {"from": old, "to": new}
    return found


def _write(session: ConsoleSession, facility: Facility, attribute: MapAttribute, before: dict[str, Any],
           after: dict[str, Any], subject: str) -> None:
    changed = changes(before, after)
    if not changed:
        return
    facility_id = str(facility.facility_id)
    stored = getattr(facility, attribute.attr_name)
    unchanged = (attribute == stored.as_dict()) if stored else attribute.does_not_exist()
    entry = audit.entry(facility_id, actor(session), "settings_changed", subject=subject, detail=changed)

    def write(transaction: TransactWrite) -> None:
        transaction.update(Facility(facility_id), actions=[attribute.set(after)],
                           condition=Facility.facility_id.exists() & unchanged)
        transaction.save(entry, condition=AuditEntry.entry_key.does_not_exist())

    apply_or_conflict(write, "the settings changed meanwhile; try again")


# ---------------------------------------------------------------------------------------------
# Prepayment


def payment_rules(session: ConsoleSession) -> PaymentRules:
    require(session, "settings")
    return rules.facility_rules(get_facility(session.facility_id or ""))


def specialists(session: ConsoleSession) -> tuple[str, ...]:
    """Those with rules of their own, and those the facility's visits have named."""
    require(session, "settings")
    own = payment_rules(session).specialists
    return tuple(sorted(set(own) | set(catalogue(session.facility_id or "")[1]), key=str.lower))


def save_payment_rules(session: ConsoleSession, payload: dict[str, Any]) -> PaymentRules:
    """The facility's rules as PUT /api/v1/payment-rules takes them; the specialists' own rules stay."""
    require(session, "settings")
    facility = get_facility(session.facility_id or "")
    before = rules.facility_rules(facility)
    after = PaymentRules.from_dict({**payload, "specialists": before.specialists})
    _write(session, facility, Facility.payment_rules, before.to_dict(), after.to_dict(), PAYMENT_RULES)
    return after


def save_specialist_rules(session: ConsoleSession, specialist: str, payload: dict[str, Any] | None) -> PaymentRules:
    """One specialist's own rules as PUT /api/v1/payment-rules/specialists/{name} takes them; None:
    back to the facility's (DELETE)."""
    require(session, "settings")
    name = validation.text(specialist, "specialist", max_len=120)
    facility = get_facility(session.facility_id or "")
    before = rules.facility_rules(facility)
    after = rules.with_specialist(before, name, payload)
    _write(session, facility, Facility.payment_rules, before.to_dict(), after.to_dict(), PAYMENT_RULES)
    return after


# ---------------------------------------------------------------------------------------------
# The offer strategy


def offer_strategy(session: ConsoleSession) -> Strategy:
    require(session, "settings")
    return strategy_of(get_facility(session.facility_id or ""))


def save_offer_strategy(session: ConsoleSession, payload: dict[str, Any]) -> Strategy:
    """As PUT /api/v1/offer-strategy takes it."""
    require(session, "settings")
    facility = get_facility(session.facility_id or "")
    after = Strategy.from_payload(payload)
    _write(session, facility, Facility.offer_strategy, strategy_of(facility).as_dict(), after.as_dict(),
           OFFER_STRATEGY)
    return after


# ---------------------------------------------------------------------------------------------
# The campaign texts and the rebook nudge


def campaign_texts(session: ConsoleSession) -> CampaignSettings:
    require(session, "settings")
    return CampaignSettings.of(get_facility(session.facility_id or ""))


def save_campaign_texts(session: ConsoleSession, payload: dict[str, Any]) -> CampaignSettings:
    """As PUT /api/v1/campaign-settings takes it (a text set to None returns to the default)."""
    require(session, "settings")
    facility = get_facility(session.facility_id or "")
    before = CampaignSettings.of(facility)
    after = campaign_settings.changed(before, payload)
    _write(session, facility, Facility.campaign_settings, before.as_dict(), after.as_dict(), CAMPAIGN_SETTINGS)
    return after


# ---------------------------------------------------------------------------------------------
# The patient SMS texts


def message_templates(session: ConsoleSession) -> tuple[dict[str, str], MessageContext]:
    """The facility's own texts by kind, and a visit of this facility to preview them with."""
    require(session, "settings")
    facility = get_facility(session.facility_id or "")
    sample = message_overrides.sample(facility=str(facility.short_name), facility_name=str(facility.name),
                                      phone=facility.phone or "", link=sample_link(), at=now())
    return patient_texts.of(facility), sample


def save_message_template(session: ConsoleSession, kind: str, text: str | None) -> dict[str, str]:
    """One kind's text as PUT /api/v1/message-templates takes it (None: back to the default)."""
    require(session, "settings")
    facility = get_facility(session.facility_id or "")
    before, after = patient_texts.changed(facility, {"messages": {kind: text}})
    _write(session, facility, Facility.message_templates, before, after, MESSAGE_TEMPLATES)
    return after
