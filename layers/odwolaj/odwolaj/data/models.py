"""PynamoDB models, one per table declared in template.yaml.

Table names come from the environment when a model first talks to DynamoDB (a descriptor on
Meta), so importing this module binds nothing. tests/unit/test_template_models.py checks that
keys, indexes and attribute types here match the template, so the two cannot drift.
"""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from odwolaj.core.config import table_name
from odwolaj.core.transactions import conditionally


class _TableFromEnv:
    """`Meta.table_name` resolved from an environment variable on every access."""

    def __init__(self, env_var: str):
        self.env_var = env_var

    def __get__(self, instance: object, owner: type) -> str:
        return table_name(self.env_var)


class Facility(Model):
    """A clinic (placówka). Its API keys point at it; its settings drive messages and rules."""

    class Meta:
        table_name = _TableFromEnv("FACILITIES_TABLE")

    facility_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    short_name = UnicodeAttribute()  # what fits an SMS sender or a message
    phone = UnicodeAttribute(null=True)  # the registration desk, shown to patients
    address = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute(default="Europe/Warsaw")
    # A two-way number can receive TAK/NIE; an alphanumeric sender (the clinic's name) cannot.
    sms_sender = UnicodeAttribute(null=True)
    sms_two_way = BooleanAttribute(default=True)
    # Per message kind, the facility's own wording (odwolaj.language.texts placeholders).
    message_templates: MapAttribute[str, Any] = MapAttribute(null=True)
    created_at = UnicodeAttribute()
    # Prepayment rules (odwolaj.payments.rules.PaymentRules.from_dict reads it); none: no prepayment.
    payment_rules: MapAttribute[str, Any] = MapAttribute(null=True)
    # How freed slots are offered to the reserve list (odwolaj.reserve.strategy); absent: defaults.
    offer_strategy: MapAttribute[str, Any] = MapAttribute(null=True)
    # What the outcome dashboard counts with (odwolaj.stats.settings): the late-cancellation
    # threshold and the value of a visit; absent: defaults.
    stats_settings: MapAttribute[str, Any] = MapAttribute(null=True)
    # Campaigns (odwolaj.campaigns.settings): sending rate, texts per band, the rebook nudge.
    campaign_settings: MapAttribute[str, Any] = MapAttribute(null=True)


class ApiKey(Model):
    """Only the SHA-256 of a key is stored: keys are 190-bit random strings, so no salt is needed."""

    class Meta:
        table_name = _TableFromEnv("API_KEYS_TABLE")

    key_hash = UnicodeAttribute(hash_key=True)
    facility_id = UnicodeAttribute()
    label = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    revoked = BooleanAttribute(default=False)
    rights = UnicodeSetAttribute(null=True)  # beyond the basic API, e.g. payments:override


class CodeIndex(GlobalSecondaryIndex["Appointment"]):
    """Visit code → appointment, for the lookup form. Carries the phone to compare, nothing else."""

    class Meta:
        index_name = "by_code"
        projection = IncludeProjection(["phone"])

    visit_code = UnicodeAttribute(hash_key=True)


class FacilityStartIndex(GlobalSecondaryIndex["Appointment"]):
    """A facility's appointments in time order: listings and reports."""

    class Meta:
        index_name = "by_facility_start"
        projection = AllProjection()

    facility_id = UnicodeAttribute(hash_key=True)
    starts_at = UnicodeAttribute(range_key=True)


class RemindersDueIndex(GlobalSecondaryIndex["Appointment"]):
    """Sparse: only appointments with a pending reminder carry these keys. Projects what the sweep
    decides with, so it reads each due item once."""

    class Meta:
        index_name = "reminders_due"
        projection = IncludeProjection(["status", "version", "starts_at", "cer_managed", "reminder_offset_hours"])

    reminder_shard = UnicodeAttribute(hash_key=True)
    reminder_due_at = UnicodeAttribute(range_key=True)


class PaymentsDueIndex(GlobalSecondaryIndex["Appointment"]):
    """Sparse: only appointments awaiting payment carry these keys (odwolaj.payments.booking); the
    deadline sweep reads what is due and nothing else."""

    class Meta:
        index_name = "payments_due"
        projection = IncludeProjection(["status", "version", "starts_at", "payment_deadline"])

    payment_shard = UnicodeAttribute(hash_key=True)
    payment_due_at = UnicodeAttribute(range_key=True)


class PhoneIndex(GlobalSecondaryIndex["Appointment"]):
    """A number's visits in time order: the visits an SMS reply from that number may be about."""

    class Meta:
        index_name = "by_phone"
        projection = IncludeProjection(["status"])

    phone = UnicodeAttribute(hash_key=True)
    starts_at = UnicodeAttribute(range_key=True)


class Cancellation(MapAttribute[str, Any]):
    channel = UnicodeAttribute()  # web, sms, email, clinic_api, reception, payment_expired
    reason = UnicodeAttribute()
    cancelled_at = UnicodeAttribute()
    lead_time_minutes = NumberAttribute()


class HistoryEntry(MapAttribute[str, Any]):
    at = UnicodeAttribute()
    event = UnicodeAttribute()
    channel = UnicodeAttribute()
    detail = UnicodeAttribute(null=True)


class Appointment(Model):
    class Meta:
        table_name = _TableFromEnv("APPOINTMENTS_TABLE")

    appointment_id = UnicodeAttribute(hash_key=True)
    facility_id = UnicodeAttribute()
    external_id = UnicodeAttribute()
    patient_id = UnicodeAttribute()
    phone = UnicodeAttribute()  # E.164
    email = UnicodeAttribute(null=True)
    pesel = UnicodeAttribute(null=True)
    starts_at = UnicodeAttribute()  # UTC, ISO-8601, sortable
    duration_minutes = NumberAttribute(default=15)
    service = UnicodeAttribute()
    specialist = UnicodeAttribute(null=True)
    location = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    version = NumberAttribute(default=1)
    visit_code = UnicodeAttribute()
    cer_managed = BooleanAttribute(default=False)  # central e-registration already reminds
    cancellation = Cancellation(null=True)
    history = ListAttribute(of=HistoryEntry, default=list)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    # The next pending reminder (odwolaj.appointments.reminders); absent when none is pending.
    reminder_shard = UnicodeAttribute(null=True)
    reminder_due_at = UnicodeAttribute(null=True)
    reminder_offset_hours = NumberAttribute(null=True)
    # Prepayment (odwolaj.payments): null mode means none is asked for.
    payment_mode = UnicodeAttribute(null=True)  # mandatory, optional
    payment_amount = NumberAttribute(null=True)  # grosze (PLN)
    payment_kind = UnicodeAttribute(null=True)  # full, deposit
    payment_deadline = UnicodeAttribute(null=True)  # UTC, ISO-8601, like starts_at
    # The deadline sweep's index keys: present only while the appointment is awaiting_payment.
    payment_shard = UnicodeAttribute(null=True)
    payment_due_at = UnicodeAttribute(null=True)
    # A visit obtained from the reserve list: its entry (a no-show strikes the entry off).
    waiting_entry_id = UnicodeAttribute(null=True)
    reserve_slot_id = UnicodeAttribute(null=True)  # the freed slot a reserve-list booking took

    by_code = CodeIndex()
    by_facility_start = FacilityStartIndex()
    reminders_due = RemindersDueIndex()
    payments_due = PaymentsDueIndex()
    by_phone = PhoneIndex()


class ExternalRef(Model):
    """(facility, the clinic's own id) → appointment id; its conditional put keeps upserts unique."""

    class Meta:
        table_name = _TableFromEnv("EXTERNAL_REFS_TABLE")

    ref = UnicodeAttribute(hash_key=True)
    appointment_id = UnicodeAttribute()


class BlacklistChange(MapAttribute[str, Any]):
    """One change of a patient's prepayment blacklist entry: who, when, why."""

    at = UnicodeAttribute()
    action = UnicodeAttribute()  # added, extended, changed, lifted
    by = UnicodeAttribute()  # "rule" or the API key (label and id) that made it
    reason = UnicodeAttribute()
    until = UnicodeAttribute(null=True)


class LastVisitIndex(GlobalSecondaryIndex["Patient"]):
    """Sparse: only patients with an attended visit carry these keys, spread over shards per
    facility (odwolaj.campaigns.history). A campaign's preview and selection read the patients whose
    last visit is old enough, and only them; the projection is what eligibility decides with."""

    class Meta:
        index_name = "by_last_visit"
        projection = IncludeProjection(["birth_year", "patient_status", "specialties", "next_visits", "consent_care",
                                        "consent_marketing_sms", "campaigns_opted_out", "last_campaign_contact_at"])

    visit_shard = UnicodeAttribute(hash_key=True)  # facility_id#NN
    last_visit_at = UnicodeAttribute(range_key=True)  # YYYY-MM-DD, Warsaw


class Patient(Model):
    """The minimum a facility's patient needs here: contact, the counters rules read, and the visit
    history and consents campaigns select on (odwolaj.campaigns.history)."""

    class Meta:
        table_name = _TableFromEnv("PATIENTS_TABLE")

    facility_id = UnicodeAttribute(hash_key=True)
    patient_id = UnicodeAttribute(range_key=True)
    phone = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    pesel = UnicodeAttribute(null=True)
    no_show_count = NumberAttribute(default=0)
    updated_at = UnicodeAttribute()
    # Appointments ever booked here: 0 before this one makes a first-time patient (prepayment).
    bookings_count = NumberAttribute(null=True)
    # Prepayment blacklist (odwolaj.payments.blacklist): on it until this moment (UTC, ISO-8601).
    blacklisted_until = UnicodeAttribute(null=True)
    blacklist_history = ListAttribute(of=BlacklistChange, null=True)
    # PynamoDB types a list by its attribute class; its items are str.
    no_show_dates: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, null=True)  # type: ignore[arg-type]  # the latest no-shows' visit times
    last_appointment_id = UnicodeAttribute(null=True)  # what a message about the patient is sent with
    # Visit history (imported, and bookings through the API): last attended visit and what is booked.
    birth_year = NumberAttribute(null=True)  # from the history's birth year or PESEL: age ranges
    patient_status = UnicodeAttribute(null=True)  # absent: active; deceased, struck_off
    last_visit_at = UnicodeAttribute(null=True)  # YYYY-MM-DD (Warsaw) of the last attended visit
    visit_shard = UnicodeAttribute(null=True)  # present with last_visit_at: the by_last_visit index
    specialties = UnicodeSetAttribute(null=True)  # specialties the patient used (normalised names)
    next_visits: MapAttribute[str, Any] = MapAttribute(null=True)  # visit id → YYYY-MM-DD of a booked visit
    last_booked_at = UnicodeAttribute(null=True)  # the latest booking seen (UTC ISO-8601)
    # Consents per purpose: "<UTC ISO-8601 of the decision>|granted" or "…|withdrawn"; the later wins.
    consent_care = UnicodeAttribute(null=True)
    consent_marketing_sms = UnicodeAttribute(null=True)
    consent_marketing_email = UnicodeAttribute(null=True)
    campaigns_opted_out = BooleanAttribute(null=True)  # STOP to a campaign message (not reminders)
    last_campaign_contact_at = UnicodeAttribute(null=True)
    last_campaign_id = UnicodeAttribute(null=True)

    by_last_visit = LastVisitIndex()


class SlotFacilityStartIndex(GlobalSecondaryIndex["FreedSlot"]):
    class Meta:
        index_name = "by_facility_start"
        projection = AllProjection()

    facility_id = UnicodeAttribute(hash_key=True)
    starts_at = UnicodeAttribute(range_key=True)


class SlotOffersDueIndex(GlobalSecondaryIndex["FreedSlot"]):
    """Sparse: only slots still being offered carry these keys, due when their next step is (the
    next wave, sending hours, a grace window's end, a recheck for patients, the cut-off); the
    offer timer reads only them."""

    class Meta:
        index_name = "offers_due"
        projection = KeysOnlyProjection()

    offer_shard = UnicodeAttribute(hash_key=True)
    offer_due_at = UnicodeAttribute(range_key=True)


class FreedSlot(Model):
    """The time a cancelled (or expired) booking gives back; the reserve list offers it."""

    class Meta:
        table_name = _TableFromEnv("SLOTS_TABLE")

    slot_id = UnicodeAttribute(hash_key=True)  # the appointment that freed it: one cause, one slot
    published_id = UnicodeAttribute(null=True)  # a slot the clinic published (PUT /api/v1/slots): its own id
    facility_id = UnicodeAttribute()
    starts_at = UnicodeAttribute()
    duration_minutes = NumberAttribute()
    service = UnicodeAttribute()
    specialist = UnicodeAttribute(null=True)
    location = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="free")
    source = UnicodeAttribute()
    freed_at = UnicodeAttribute()
    # The reserve list's offering (odwolaj.reserve.offers): status moves free → offering →
    # filled | unfilled, each step conditioned on the version.
    version = NumberAttribute(null=True)
    offer_wave = NumberAttribute(null=True)  # the current wave's number (1, 2, …)
    offers_made = NumberAttribute(null=True)
    wave_offers = UnicodeSetAttribute(null=True)  # offer ids of the current wave
    offered_entries = UnicodeSetAttribute(null=True)  # never offered twice to the same entry
    offer_shard = UnicodeAttribute(null=True)  # sparse: present while the slot waits for the timer
    offer_due_at = UnicodeAttribute(null=True)  # the next wave, the end of a grace window, or the cut-off
    # "<class>:<offer id>" of offers to entitled (0) and urgent (1) patients who have not said no:
    # a yes from a lower class waits the grace window for them (the fairness rule).
    priority_offers = UnicodeSetAttribute(null=True)
    claim_until = UnicodeAttribute(null=True)  # a grace window is open until then
    claimants = UnicodeSetAttribute(null=True)  # the offers that said yes within it
    list_size = NumberAttribute(null=True)  # active entries of its list at the first wave (cool-downs scale with it)
    filled_offer_id = UnicodeAttribute(null=True)
    filled_appointment_id = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    unfilled_reason = UnicodeAttribute(null=True)

    by_facility_start = SlotFacilityStartIndex()
    offers_due = SlotOffersDueIndex()


class OutboxItem(Model):
    """Written in the same transaction as the change that caused it; the table's stream feeds
    the dispatcher, which publishes it. The id is derived from the cause, so a retried change
    cannot write a second one."""

    class Meta:
        table_name = _TableFromEnv("OUTBOX_TABLE")

    outbox_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # "event" for the bus, "sms" or "email" for the patient
    detail_type = UnicodeAttribute(null=True)  # event
    detail = UnicodeAttribute(null=True)  # event, JSON
    message_kind = UnicodeAttribute(null=True)  # sms: which text (texts.DEFAULTS)
    appointment_id = UnicodeAttribute(null=True)  # sms: composed at send time, so no contact data here
    entry_id = UnicodeAttribute(null=True)  # sms to a waiting-list patient (instead of appointment_id)
    offer_id = UnicodeAttribute(null=True)  # sms about a reserve-list offer (its slot's time)
    links = UnicodeAttribute(null=True)  # sms: links decided with the message (a clarifying answer lists several)
    member_id = UnicodeAttribute(null=True)  # sms answering a campaign reply (odwolaj.campaigns)
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute()  # TTL: housekeeping only, nothing waits for it
    # Sending a message (odwolaj.messaging.sending): its state, written before and after the provider call.
    send_state = UnicodeAttribute(null=True)  # absent: queued; sending, sent, skipped, unsure, unknown
    send_attempts = NumberAttribute(null=True)  # claims made: the condition every state change is written on
    claimed_at = UnicodeAttribute(null=True)  # when the current claim was made (a live call, or a dead one)
    claim_id = UnicodeAttribute(null=True)  # who made it: an attempt whose claim's answer was lost can tell
    provider = UnicodeAttribute(null=True)
    provider_message_id = UnicodeAttribute(null=True)
    sent_at = UnicodeAttribute(null=True)
    send_error = UnicodeAttribute(null=True)  # the provider's last refusal (a code, never the message)

    def save_once(self) -> bool:
        """Write unless an item with this id exists (its cause already happened); True if written."""
        return conditionally(lambda: self.save(condition=OutboxItem.outbox_id.does_not_exist()))


class Conversation(Model):
    """Per phone number: what the number was last told and asked, so a reply can be routed to what it
    answers (odwolaj.messaging.conversations), the replies already handled, and the number's opt-out."""

    class Meta:
        table_name = _TableFromEnv("CONVERSATIONS_TABLE")

    phone = UnicodeAttribute(hash_key=True)  # E.164
    # Every change is conditioned on the version read, so two replies (or a reply and a message
    # being sent) cannot both decide from the same state.
    version = NumberAttribute(null=True)
    # Visits whose latest message asked for TAK/NIE (a reminder, or our question after an unclear
    # or ambiguous reply), and when such a message was last sent.
    awaiting = UnicodeSetAttribute(null=True)
    last_sent_at = UnicodeAttribute(null=True)
    # The latest message about a visit of any kind (a booking asks nothing): a reply after it
    # answers it, not an older question.
    last_appointment_id = UnicodeAttribute(null=True)
    last_message_at = UnicodeAttribute(null=True)
    helped_on = UnicodeAttribute(null=True)  # the (local) day of the last "did not understand": one a day
    opted_out = BooleanAttribute(default=False)  # STOP: only what a visit itself requires
    # The last replies handled ("<provider message id>=<outcome>", newest last): a provider's
    # retry of one of them changes nothing and gets the same outcome.
    handled: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, null=True)  # type: ignore[arg-type]  # items are str
    updated_at = UnicodeAttribute(null=True)
    # Reserve-list offers that asked for TAK/NIE (odwolaj.reserve.replies), and when the last did:
    # a reply goes to whichever asked last, a visit or an offer.
    awaiting_offers = UnicodeSetAttribute(null=True)
    last_offer_sent_at = UnicodeAttribute(null=True)
    # The offer a NIE by SMS declined last, and until when a TAK may still take it (its visit's
    # start): a no does not bind, so a later TAK reconsiders it while its slot is free.
    declined_offer = UnicodeAttribute(null=True)
    declined_offer_until = UnicodeAttribute(null=True)
    # The entries a STOP to an offer stopped offers to: a later START finds them here, with no
    # offer outstanding (entries have no index by phone).
    offers_stopped_entries = UnicodeSetAttribute(null=True)
    # Campaigns (odwolaj.campaigns.replies): the member the last campaign message was for, when, and
    # the number's STOP to campaigns (reminders about visits still come).
    last_campaign_member = UnicodeAttribute(null=True)
    last_campaign_sent_at = UnicodeAttribute(null=True)
    campaigns_opted_out = BooleanAttribute(null=True)


class Delivery(Model):
    """One sent SMS as the provider knows it: created when sent, moved on by delivery reports. A
    report that comes before the send is recorded creates it without outbox_id and provider."""

    class Meta:
        table_name = _TableFromEnv("DELIVERIES_TABLE")

    provider_message_id = UnicodeAttribute(hash_key=True)
    outbox_id = UnicodeAttribute(null=True)
    provider = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # sent, delivered, failed (odwolaj.messaging.deliveries)
    rank = NumberAttribute()  # reports arrive out of order: a status only ever moves forward
    error = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute()
    expires_at = NumberAttribute()  # TTL: kept 90 days


class RateLimitBucket(Model):
    class Meta:
        table_name = _TableFromEnv("RATE_LIMITS_TABLE")

    bucket = UnicodeAttribute(hash_key=True)
    hits = NumberAttribute(default=0)
    expires_at = NumberAttribute()  # TTL; readers compare the window themselves


class PaymentFacilityCreatedIndex(GlobalSecondaryIndex["Payment"]):
    """A facility's payments in the order they were opened: the payments report."""

    class Meta:
        index_name = "by_facility_created"
        projection = AllProjection()

    facility_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class Payment(Model):
    """The prepayment of one visit (odwolaj.payments.checkout): its amount and status, and the
    Stripe Checkout Session currently open for it. A new session (after one expired at Stripe's
    24-hour limit or was abandoned) counts an attempt; each attempt has its own idempotency key."""

    class Meta:
        table_name = _TableFromEnv("PAYMENTS_TABLE")

    appointment_id = UnicodeAttribute(hash_key=True)
    facility_id = UnicodeAttribute()
    external_id = UnicodeAttribute()
    starts_at = UnicodeAttribute()  # the visit, as when the payment was opened
    amount = NumberAttribute()  # grosze
    currency = UnicodeAttribute(default="pln")
    kind = UnicodeAttribute(null=True)  # full, deposit
    deadline = UnicodeAttribute(null=True)  # UTC ISO-8601
    status = UnicodeAttribute()  # pending, paid, expired, refunded
    attempt = NumberAttribute(default=0)  # Checkout Sessions opened so far
    session_id = UnicodeAttribute(null=True)  # the one that may still be paid
    session_expires_at = UnicodeAttribute(null=True)
    payment_intent = UnicodeAttribute(null=True)
    amount_paid = NumberAttribute(null=True)
    paid_at = UnicodeAttribute(null=True)
    refund_id = UnicodeAttribute(null=True)
    refunded_at = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)  # confirmed, reinstated, refunded_late, refunded_by_clinic
    # A bank transfer started (a session completed unpaid): the bank's answer is still to come.
    transfer_started_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    by_facility_created = PaymentFacilityCreatedIndex()


class WaitingList(Model):
    """One reserve (waiting) list: a facility's service. Numbers its entries."""

    class Meta:
        table_name = _TableFromEnv("WAITING_LISTS_TABLE")

    list_id = UnicodeAttribute(hash_key=True)  # facility_id#service
    last_number = NumberAttribute(default=0)


class Availability(MapAttribute[str, Any]):
    """When the patient can come: ISO weekdays (1 = Monday) and a local time range."""

    days: ListAttribute[int] = ListAttribute(of=NumberAttribute)  # type: ignore[arg-type]  # items are int
    start = UnicodeAttribute()  # HH:MM
    end = UnicodeAttribute()


class StrikeOff(MapAttribute[str, Any]):
    reason = UnicodeAttribute()  # odwolaj.reserve.entries.STRIKE_OFF_REASONS
    at = UnicodeAttribute()
    by = UnicodeAttribute(null=True)


class QueueIndex(GlobalSecondaryIndex["WaitingEntry"]):
    """Sparse: only active entries carry `queue`. Sorted by (priority class, entry time, id), so
    the first candidates of a list are one short Query. Projects what eligibility needs."""

    class Meta:
        index_name = "by_queue"
        projection = IncludeProjection(["specialist", "availability", "offer_cooldown_until", "planned_date",
                                        "status", "version", "unanswered_offers"])

    queue = UnicodeAttribute(hash_key=True)  # facility_id#service
    queue_rank = UnicodeAttribute(range_key=True)


class NoticesDueIndex(GlobalSecondaryIndex["WaitingEntry"]):
    """Sparse: only entries whose exact-date message must be confirmed delivered carry these keys."""

    class Meta:
        index_name = "notices_due"
        projection = KeysOnlyProjection()

    notice_shard = UnicodeAttribute(hash_key=True)
    notice_due_at = UnicodeAttribute(range_key=True)


class WaitingEntry(Model):
    """An entry on a waiting list (NFZ: lista oczekujących). Struck-off entries stay for the record."""

    class Meta:
        table_name = _TableFromEnv("WAITING_ENTRIES_TABLE")

    entry_id = UnicodeAttribute(hash_key=True)  # derived from (facility, referral): one referral, one list
    facility_id = UnicodeAttribute()
    list_number = NumberAttribute()
    entered_at = UnicodeAttribute()
    referral = UnicodeAttribute()
    patient_id = UnicodeAttribute()
    pesel = UnicodeAttribute(null=True)
    document_number = UnicodeAttribute(null=True)
    phone = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    address = UnicodeAttribute(null=True)
    reason = UnicodeAttribute()  # diagnosis or reason for admission
    category = UnicodeAttribute()  # pilny | stabilny
    entitlement = UnicodeAttribute(null=True)  # legal out-of-order entitlement, if any
    planned_date = UnicodeAttribute()  # YYYY-MM-DD, or YYYY-Www for waits over six months
    entered_by = UnicodeAttribute()
    consent = BooleanAttribute()
    service = UnicodeAttribute()
    specialist = UnicodeAttribute(null=True)
    availability = ListAttribute(of=Availability, default=list)  # empty: any time
    short_notice = BooleanAttribute(default=False)  # can come at a day's notice or less: asked first then
    position_at_entry = NumberAttribute()  # place in the queue when entered (told to the patient)
    status = UnicodeAttribute()  # active, served, struck_off
    version = NumberAttribute(default=1)
    strike_off = StrikeOff(null=True)
    served_appointment_id = UnicodeAttribute(null=True)
    offer_cooldown_until = UnicodeAttribute(null=True)  # not offered again before (unanswered offers)
    unanswered_offers = NumberAttribute(default=0)
    # Replied STOP to an offer: offered nothing more (keeps the place) until START. Not in by_queue's
    # projection (a deployed index's cannot change): the search reads it with short_notice.
    offers_stopped_at = UnicodeAttribute(null=True)
    queue = UnicodeAttribute(null=True)
    queue_rank = UnicodeAttribute(null=True)
    # NFZ: after a planned week, the exact date must reach the patient 14 days ahead, confirmed.
    exact_date_message_id = UnicodeAttribute(null=True)  # the provider's id of that SMS
    exact_date_status = UnicodeAttribute(null=True)  # pending, confirmed, reported
    notice_shard = UnicodeAttribute(null=True)
    notice_due_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    by_queue = QueueIndex()
    notices_due = NoticesDueIndex()


class OfferEntryIndex(GlobalSecondaryIndex["Offer"]):
    """The offers one waiting-list entry received, in the order they were made (the console shows them)."""

    class Meta:
        index_name = "by_entry"
        projection = AllProjection()

    entry_id = UnicodeAttribute(hash_key=True)
    offered_at = UnicodeAttribute(range_key=True)


class Offer(Model):
    """A freed slot offered to one waiting patient. The id is derived from (slot, entry), so the
    same patient is never offered the same slot twice; its link token carries the id."""

    class Meta:
        table_name = _TableFromEnv("OFFERS_TABLE")

    offer_id = UnicodeAttribute(hash_key=True)
    slot_id = UnicodeAttribute()
    entry_id = UnicodeAttribute()
    facility_id = UnicodeAttribute()
    wave = NumberAttribute()
    # open; expired (the pace passed unanswered: a yes still counts while the slot is free);
    # waiting (said yes within a grace window); accepted, declined, lost (the slot went to another)
    status = UnicodeAttribute()
    offered_at = UnicodeAttribute()
    hold_until = UnicodeAttribute()  # when the next wave goes if nobody says yes
    answered_at = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)  # sms, web
    appointment_id = UnicodeAttribute(null=True)  # the booking an acceptance created
    expires_at = NumberAttribute()  # TTL: housekeeping, 90 days after the offer

    by_entry = OfferEntryIndex()


# ---------------------------------------------------------------------------------------------
# Clinic console (issue 14): staff, their sessions and the audit log; the outcome statistics.


class StaffMember(Model):
    """Someone of a facility's staff who signs in to the console: a Cognito user (`sub`). The list of
    a facility's staff lives here, because Cognito cannot list users by a custom attribute."""

    class Meta:
        table_name = _TableFromEnv("STAFF_TABLE")

    facility_id = UnicodeAttribute(hash_key=True)
    sub = UnicodeAttribute(range_key=True)
    email = UnicodeAttribute()  # shown to the facility's manager; never logged
    role = UnicodeAttribute()  # manager, reception
    status = UnicodeAttribute()  # invited, active, disabled
    totp = BooleanAttribute(default=False)  # two-step verification set up (as Cognito last said)
    invited_by = UnicodeAttribute()  # a sub, or "odwolaj-admin"
    invited_at = UnicodeAttribute()
    last_sign_in_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute()


class ConsoleSession(Model):
    """A person signed in to the console (kind `session`), or half-way through signing in (kind
    `signin`: the Cognito challenge being answered). The browser holds a random id in an HttpOnly
    cookie; only its SHA-256 keys the item. Cognito's tokens and challenge sessions stay here."""

    class Meta:
        table_name = _TableFromEnv("CONSOLE_SESSIONS_TABLE")

    session_key = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # session, signin
    csrf = UnicodeAttribute()  # the token every form of this session carries
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute()  # the absolute end (epoch seconds); also the table's TTL
    # A session: who, where, in which role.
    sub = UnicodeAttribute(null=True)
    facility_id = UnicodeAttribute(null=True)
    role = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    totp = BooleanAttribute(null=True)
    last_seen_at = UnicodeAttribute(null=True)  # idle expiry counts from here
    checked_at = UnicodeAttribute(null=True)  # when Cognito last confirmed the user and role
    # Signing in: the step, and what Cognito gave for it.
    username = UnicodeAttribute(null=True)
    step = UnicodeAttribute(null=True)  # new_password, totp, totp_setup, totp_offer
    challenge_session = UnicodeAttribute(null=True)
    access_token = UnicodeAttribute(null=True)
    totp_secret = UnicodeAttribute(null=True)  # while two-step verification is being set up


class AuditEntry(Model):
    """One change made in the console (or by odwolaj-admin): who (a Cognito sub, never an e-mail
    address), when, what. Newest last in the facility's partition."""

    class Meta:
        table_name = _TableFromEnv("AUDIT_TABLE")

    facility_id = UnicodeAttribute(hash_key=True)
    entry_key = UnicodeAttribute(range_key=True)  # <at>#<random>
    at = UnicodeAttribute()
    actor = UnicodeAttribute()  # a Cognito sub, or "odwolaj-admin"
    actor_role = UnicodeAttribute(null=True)
    action = UnicodeAttribute()  # odwolaj.security.audit.ACTIONS
    subject = UnicodeAttribute(null=True)  # what changed: a staff member's sub, a setting
    detail = UnicodeAttribute(null=True)  # JSON: the change, without personal data


class StatsItem(Model):
    """An item of the statistics table (odwolaj.stats.store): a facility's day of counters
    (pk facility, sk `<scope>#<day>`), its standing figures (sk `standing`), the marker that an
    event was counted (pk `counted#…`, expiring), or the statistics' own record of a waiting-list
    entry (pk `entry#…`, sk `ledger`: counted as waiting or not, in which group, since when).
    Counters are attributes named by what they count, added to by update expressions, so they are
    not declared here."""

    class Meta:
        table_name = _TableFromEnv("STATS_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    expires_at = NumberAttribute(null=True)  # TTL: markers only
    # A waiting-list entry's ledger: events only move it forward (waiting → left).
    state = UnicodeAttribute(null=True)  # waiting, left
    group = UnicodeAttribute(null=True)  # entitled, pilny, stabilny
    service = UnicodeAttribute(null=True)
    specialist = UnicodeAttribute(null=True)
    entered_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


class CampaignFacilityIndex(GlobalSecondaryIndex["Campaign"]):
    """A facility's campaigns, newest last."""

    class Meta:
        index_name = "by_facility"
        projection = AllProjection()

    facility_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ActiveCampaignIndex(GlobalSecondaryIndex["Campaign"]):
    """Sparse: campaigns with messages still to release; the dispatcher reads only these."""

    class Meta:
        index_name = "active"
        projection = KeysOnlyProjection()

    active = UnicodeAttribute(hash_key=True)  # always "1" while present
    campaign_id = UnicodeAttribute(range_key=True)


class Campaign(Model):
    """A reactivation campaign (a draft, then launched), or a facility's standing rebook nudge
    (odwolaj.campaigns). Its members are CampaignMember items."""

    class Meta:
        table_name = _TableFromEnv("CAMPAIGNS_TABLE")

    campaign_id = UnicodeAttribute(hash_key=True)
    facility_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # reactivation, rebook
    name = UnicodeAttribute()
    purpose = UnicodeAttribute()  # care, marketing: the consent each message needs
    inactive_months_min = NumberAttribute(null=True)
    inactive_months_max = NumberAttribute(null=True)
    age_min = NumberAttribute(null=True)
    age_max = NumberAttribute(null=True)
    specialties = UnicodeSetAttribute(null=True)
    holdout_percent = NumberAttribute(default=10)
    follow_up = BooleanAttribute(default=True)
    status = UnicodeAttribute()  # draft, selecting, sending, completed
    version = NumberAttribute(default=1)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    launched_at = UnicodeAttribute(null=True)
    launched_by = UnicodeAttribute(null=True)
    confirmed: MapAttribute[str, Any] = MapAttribute(null=True)  # the numbers the manager confirmed
    shards_selected = UnicodeSetAttribute(null=True)  # selection: the index shards done
    selected = NumberAttribute(null=True)  # members written by the selection
    release_cursor = UnicodeAttribute(null=True)  # JSON: the last sends_due key released to the queue
    active = UnicodeAttribute(null=True)  # "1" while messages remain: the active index
    result = UnicodeAttribute(null=True)  # JSON: the last computed result (cached)
    result_at = UnicodeAttribute(null=True)

    by_facility = CampaignFacilityIndex()
    active_campaigns = ActiveCampaignIndex()


class MemberCampaignIndex(GlobalSecondaryIndex["CampaignMember"]):
    """A campaign's members: its result is computed from them."""

    class Meta:
        index_name = "by_campaign"
        projection = AllProjection()

    campaign_id = UnicodeAttribute(hash_key=True)
    member_id = UnicodeAttribute(range_key=True)


class SendsDueIndex(GlobalSecondaryIndex["CampaignMember"]):
    """Sparse: members whose next message waits, in release order (due time, then a random order
    key); the dispatcher releases them from a cursor, so nothing is read twice."""

    class Meta:
        index_name = "sends_due"
        projection = IncludeProjection(["next_touch"])

    send_queue = UnicodeAttribute(hash_key=True)  # the campaign id
    send_key = UnicodeAttribute(range_key=True)  # <due UTC ISO-8601>#<order>


class MemberPatientIndex(GlobalSecondaryIndex["CampaignMember"]):
    """A patient's memberships by start: a booking counts for those that started before it."""

    class Meta:
        index_name = "by_patient"
        projection = KeysOnlyProjection()

    patient_key = UnicodeAttribute(hash_key=True)  # facility_id#patient_id
    started_at = UnicodeAttribute(range_key=True)


class OpenResponsesIndex(GlobalSecondaryIndex["CampaignMember"]):
    """Sparse: responses the clinic has not yet marked handled, per facility, oldest first."""

    class Meta:
        index_name = "open_responses"
        projection = AllProjection()

    response_queue = UnicodeAttribute(hash_key=True)  # the facility id
    responded_at = UnicodeAttribute(range_key=True)


class CampaignMember(Model):
    """One patient in one campaign: the arm (messaged or control), the band, each touch, the
    response and the first booking after the start. The id is derived from (campaign, patient) or,
    for a rebook nudge, (campaign, cancelled visit): selecting twice writes nothing new. The
    patient's link token carries it."""

    class Meta:
        table_name = _TableFromEnv("CAMPAIGN_MEMBERS_TABLE")

    member_id = UnicodeAttribute(hash_key=True)
    campaign_id = UnicodeAttribute()
    facility_id = UnicodeAttribute()
    patient_id = UnicodeAttribute()
    patient_key = UnicodeAttribute()  # facility_id#patient_id: the by_patient index
    band = UnicodeAttribute()  # 12-18, 18-24, 24+ (reactivation), rebook
    arm = UnicodeAttribute()  # message, control (never messaged), baseline (rebook: before the nudge was on)
    started_at = UnicodeAttribute()  # launch (or cancellation): bookings count from here
    appointment_id = UnicodeAttribute(null=True)  # rebook: the cancelled visit
    send_queue = UnicodeAttribute(null=True)
    send_key = UnicodeAttribute(null=True)
    next_touch = NumberAttribute(null=True)
    touch1 = UnicodeAttribute(null=True)  # "sending|<at>", "sent|<at>", "failed|<at>"
    touch2 = UnicodeAttribute(null=True)
    segments = NumberAttribute(default=0)  # SMS segments sent to this member
    skipped = UnicodeAttribute(null=True)  # why a touch was not sent (eligibility at send time)
    response = UnicodeAttribute(null=True)  # callback, needs, declined, booked, opted_out
    response_channel = UnicodeAttribute(null=True)  # web, sms
    response_detail: MapAttribute[str, Any] = MapAttribute(null=True)  # specialty, days, times
    responded_at = UnicodeAttribute(null=True)
    response_queue = UnicodeAttribute(null=True)  # present while the clinic has not handled it
    handled_at = UnicodeAttribute(null=True)
    first_booking_at = UnicodeAttribute(null=True)  # earliest booking at or after started_at
    booked_appointment_id = UnicodeAttribute(null=True)  # a slot taken on the page
    created_at = UnicodeAttribute()

    by_campaign = MemberCampaignIndex()
    by_patient = MemberPatientIndex()
    sends_due = SendsDueIndex()
    open_responses = OpenResponsesIndex()


class ImportJob(Model):
    """A large history or consents file, uploaded to S3 and imported in chunks
    (odwolaj.campaigns.imports): where it got to, what it counted, where its error report is."""

    class Meta:
        table_name = _TableFromEnv("IMPORTS_TABLE")

    import_id = UnicodeAttribute(hash_key=True)
    facility_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # history, consents
    format = UnicodeAttribute()  # ndjson, csv
    status = UnicodeAttribute()  # awaiting_upload, running, done, failed
    object_key = UnicodeAttribute()
    offset = NumberAttribute(default=0)  # bytes of the file done
    header = UnicodeAttribute(null=True)  # csv: the header line
    lines = NumberAttribute(default=0)  # lines of the file done (a CSV's header included)
    rows = NumberAttribute(default=0)  # records among them
    accepted = NumberAttribute(default=0)
    rejected = NumberAttribute(default=0)
    chunks = NumberAttribute(default=0)
    errors_sample = UnicodeAttribute(null=True)  # JSON: the first rejected rows
    report_parts = UnicodeSetAttribute(null=True)  # the chunks' error reports, joined into report_key
    report_key = UnicodeAttribute(null=True)  # every rejected row, NDJSON, once done
    failure = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
    expires_at = NumberAttribute()  # TTL: housekeeping


ALL_MODELS = (Facility, ApiKey, Appointment, ExternalRef, Patient, FreedSlot, OutboxItem, Conversation, Delivery,
              RateLimitBucket, Payment, WaitingList, WaitingEntry, Offer,
              StaffMember, ConsoleSession, AuditEntry, StatsItem, Campaign, CampaignMember, ImportJob)
