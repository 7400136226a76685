"""The local runner's mailbox: an e-mail to the cancellation address, typed on /dev/mail, is
stored and handed over as the template's SES receipt rule does, so the channel can be tried."""
from moto.ses.models import ses_backends

from odwolaj.data.models import Appointment
from odwolaj_local.aws import REGION
from odwolaj_local.lambdas import FakeLambdaContext, load_handler
from odwolaj_local.mailbox import Mailbox
from odwolaj_local.template import application


def invoke(function: str, event: dict):
    return load_handler(function)(event, FakeLambdaContext(function))


def test_the_template_has_one_receipt_rule_that_stores_then_invokes():
    [rule] = application().mail_receipts
    assert (rule.bucket, rule.prefix, rule.function) == ("MailBucket", "inbound/", "EmailInboundFunction")


def test_a_patient_writing_to_the_cancellation_address_cancels_and_is_answered(aws, book):
    appointment = book(days=3, email="jan.kowalski@example.com")
    mailbox = Mailbox(aws, application().mail_receipts[0], invoke)
    ses_backends["123456789012"][REGION].sent_messages.clear()

    message_id = mailbox.receive("jan.kowalski@example.com", "Odwołanie wizyty",
                                 f"Dzień dobry, proszę odwołać wizytę {appointment.visit_code}.")

    stored = aws.client("s3").get_object(Bucket=aws.physical_names()["MailBucket"], Key=f"inbound/{message_id}")
    assert b"To: odwolaj@przychodnia.local" in stored["Body"].read()
    cancelled = Appointment.get(appointment.appointment_id)
    assert (cancelled.status, cancelled.cancellation.channel) == ("cancelled", "email")
    [answer] = ses_backends["123456789012"][REGION].sent_messages
    assert "jan.kowalski@example.com" in answer.destinations  # the thank-you, from the cancellation address
    assert mailbox.address == "odwolaj@przychodnia.local"
