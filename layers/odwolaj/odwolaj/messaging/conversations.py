"""What a phone number was last told and asked: the state an SMS reply is read against.

One Conversation per number (odwolaj.data.models). Before a message about a visit is sent, the
sender records it as the number's latest (`remember_sent`): a message that asks for TAK/NIE (a
two-way reminder, our question after an unclear or ambiguous reply) makes its visit await the
answer; one that asks nothing (a booking, a move, a payment link, a confirmation) ends the wait for
its visit, so a bare "NIE" after it is asked about rather than taken as a cancellation. Recording
before sending means a reply, however fast, never finds the state older than the message it
answers.

A reply changes the conversation only inside the transaction of its effect (the cancellation, the
confirmation, our question), conditioned on the version it was decided from: two replies racing,
or a reply racing a message being sent, cannot both decide from one state (the loser decides
again), and a failed effect leaves the state for the provider's retry. The last replies' message
ids are kept with their outcome, so a retried delivery is answered from the record.
"""
from __future__ import annotations

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from odwolaj.core.clock import iso, now
from odwolaj.core.transactions import Write, apply_or_conflict
from odwolaj.data.models import Appointment, Conversation

# Templates that ask for TAK/NIE about one visit (odwolaj.language.texts).
ASKING = frozenset({"reminder_two_way", "help", "question", "clarify"})
HANDLED_KEPT = 20  # replies remembered per number; providers retry within minutes
RACED = "the conversation changed while the reply was handled; decide again"


def load(phone: str) -> Conversation:
    """The number's conversation, or a new, unsaved one."""
    try:
        return Conversation.get(phone, consistent_read=True)
    except DoesNotExist:
        return Conversation(phone)


def remember_sent(appointment: Appointment, template: str) -> None:
    """Before a message about `appointment` is sent: it is the number's latest (see the module)."""
    at = iso(now())
    ids = {appointment.appointment_id}
    actions: list[Action] = [
        Conversation.last_appointment_id.set(appointment.appointment_id), Conversation.last_message_at.set(at),
        Conversation.updated_at.set(at), Conversation.version.add(1),
    ]
    if template in ASKING:
        actions += [Conversation.awaiting.add(ids), Conversation.last_sent_at.set(at)]
    else:
        actions.append(Conversation.awaiting.delete(ids))
    Conversation(appointment.phone).update(actions=actions)


def asked_last(conversation: Conversation) -> bool:
    """The latest message about a visit asked for TAK/NIE."""
    return bool(conversation.last_sent_at) and conversation.last_sent_at >= (conversation.last_message_at or "")


def handled_outcome(conversation: Conversation, message_id: str) -> str | None:
    """The outcome a reply with this provider message id already had, if it was handled."""
    for entry in reversed(conversation.handled or []):
        handled_id, _, outcome = entry.rpartition("=")
        if handled_id == message_id:
            return outcome
    return None


def unchanged(conversation: Conversation) -> Condition:
    if conversation.version is None:
        condition: Condition = Conversation.version.does_not_exist()
    else:
        condition = Conversation.version == conversation.version
    return condition


def step(conversation: Conversation, message_id: str, outcome: str, actions: list[Action] | None = None) -> Write:
    """The reply's change of the conversation, as a step of its effect's transaction: `actions`, the
    reply recorded as handled, a new version; on the condition that the version read still holds."""
    kept = [*(conversation.handled or [])[-(HANDLED_KEPT - 1):], f"{message_id}={outcome}"]
    changes: list[Action] = [
        *(actions or []), Conversation.handled.set(kept), Conversation.updated_at.set(iso(now())),
        Conversation.version.set(int(conversation.version or 0) + 1),
    ]

    def write(transaction: TransactWrite) -> None:
        transaction.update(Conversation(conversation.phone), actions=changes, condition=unchanged(conversation))

    return write


def apply(*writes: Write) -> None:
    """Run the steps as one transaction; Conflict when the conversation (or anything else the steps
    are conditioned on) changed since it was read."""
    def write(transaction: TransactWrite) -> None:
        for each in writes:
            each(transaction)

    apply_or_conflict(write, RACED)


def bind(appointment_id: str) -> list[Action]:
    """Our question about one visit: the next TAK/NIE answers that visit and no other."""
    at = iso(now())
    return [Conversation.awaiting.set({appointment_id}), Conversation.last_sent_at.set(at),
            Conversation.last_message_at.set(at), Conversation.last_appointment_id.set(appointment_id)]


def settle(conversation: Conversation, answered: str | None, open_ids: set[str]) -> list[Action]:
    """The visit answered (if any) and visits no longer open stop awaiting a reply."""
    done = {answered} if answered else set()
    done |= set(conversation.awaiting or ()) - open_ids
    return [Conversation.awaiting.delete(done)] if done else []

