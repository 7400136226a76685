"""What a source gives up on is kept on its function's failure queue and replayed once the cause is
gone: the local runner's keeper (the same records Lambda's on-failure destinations make), the
replay engine both it and `odwolaj-admin redrive` use, and the command's stack look-up."""
from __future__ import annotations

import io
import json
from datetime import datetime, timedelta

import pytest
from moto.sns.models import sns_backends

from odwolaj import cli
from odwolaj.adapters import failures
from odwolaj.data.models import Appointment, OutboxItem
from odwolaj_local.aws import REGION
from odwolaj_local.failures import FailureKeeper
from odwolaj_local.lambdas import FakeLambdaContext, load_handler
from odwolaj_local.streams import StreamPoller
from odwolaj_local.template import application
from tests.reserve_helpers import set_now, warsaw


def sent() -> list[tuple[str, str]]:
    return list(sns_backends["123456789012"][REGION].sms_messages.values())


@pytest.fixture(autouse=True)
def empty_phone(aws):
    sns_backends["123456789012"][REGION].sms_messages.clear()


class Outage:
    """Makes the functions fail while `down`, as a provider or a table that keeps refusing would."""

    def __init__(self):
        self.down = True
        self.calls = 0

    def invoke(self, function: str, event: dict):
        self.calls += 1
        if self.down:
            raise RuntimeError("the provider keeps refusing")
        return load_handler(function)(event, FakeLambdaContext(function))


def sms_poller(aws, keeper: FailureKeeper, outage: Outage) -> StreamPoller:
    [source] = [s for s in application().streams if s.function == "SmsSenderFunction"]
    return StreamPoller(source, aws.stream_arn(source.table), aws.client("dynamodbstreams"), outage.invoke,
                        retry_wait=lambda attempt: 0.0, on_failure=keeper.stream_failed)


def test_a_stream_batch_given_up_is_kept_by_its_pointers_and_replayed_once_the_cause_is_gone(aws, book):
    book(days=3)  # queues the booking SMS
    outage = Outage()
    keeper = FailureKeeper(aws, application(), outage.invoke)
    poller = sms_poller(aws, keeper, outage)

    poller.poll_once()  # the provider refuses: retried MaximumRetryAttempts times, then kept

    [kept] = [item for item in keeper.listed() if item.function == "SmsSenderFunction"]
    assert kept.failed.shape == failures.STREAM and sent() == []
    info = kept.failed.body["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["startSequenceNumber"] == info["endSequenceNumber"]
    assert outage.calls == poller.source.max_retries + 1

    outage.down = False
    outcome = keeper.redrive()["SmsSenderFunction"]

    assert (outcome.replayed, outcome.failed, outcome.expired) == (1, 0, 0)
    [(phone, text)] = sent()
    assert phone == "+48600100200" and "umowiono wizyte" in text
    assert keeper.listed() == [] and keeper.redrive() == {}


def test_replaying_a_batch_twice_sends_nothing_twice(aws, book):
    book(days=3)
    outage = Outage()
    keeper = FailureKeeper(aws, application(), outage.invoke)
    sms_poller(aws, keeper, outage).poll_once()
    [kept] = keeper.listed()
    outage.down = False

    keeper.redrive()
    keeper.sqs.send_message(QueueUrl=kept.failed.queue_url, MessageBody=json.dumps(kept.failed.body))  # again
    keeper.redrive()

    assert len(sent()) == 1


def test_an_asynchronous_invocation_that_keeps_failing_is_kept_with_its_event_and_replayed(aws, book, monkeypatch):
    # a visit at noon in three days, whatever the hour the suite runs: its day-before reminder is due
    # inside sending hours, and the clock is put just past it
    appointment = book(starts_at=warsaw(3, 12).isoformat())
    due = Appointment.get(appointment.appointment_id).reminder_due_at
    assert due is not None
    set_now(monkeypatch, datetime.fromisoformat(due.replace("Z", "+00:00")) + timedelta(minutes=1))
    outage = Outage()
    keeper = FailureKeeper(aws, application(), outage.invoke)
    event = {"version": "0", "detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}

    with pytest.raises(RuntimeError):
        keeper.invoke_async("ReminderSweepFunction", event)  # 1 + 2 retries, then kept
    assert outage.calls == 3
    [kept] = keeper.listed()
    assert kept.failed.shape == failures.ASYNC and kept.failed.body["requestPayload"] == event

    outage.down = False
    assert keeper.redrive()["ReminderSweepFunction"].replayed == 1
    assert Appointment.get(appointment.appointment_id).reminder_due_at != due
    assert [i.message_kind for i in OutboxItem.scan() if i.message_kind == "reminder"] == ["reminder"]


def test_a_batch_the_stream_no_longer_holds_is_reported_and_kept(aws):
    keeper = FailureKeeper(aws, application(), Outage().invoke)
    arn = aws.stream_arn("OutboxTable")
    gone = {"requestContext": {"functionArn": "arn:aws:lambda:::function:SmsSenderFunction"},
            "DDBStreamBatchInfo": {"shardId": "shardId-00000000000000000000-gone", "startSequenceNumber": "1",
                                   "endSequenceNumber": "1", "batchSize": 1, "streamArn": arn}}
    keeper.sqs.send_message(QueueUrl=keeper.urls["SmsSenderFailedQueue"], MessageBody=json.dumps(gone))

    outcome = keeper.redrive()["SmsSenderFunction"]

    assert (outcome.replayed, outcome.expired + outcome.failed) == (0, 1) and outcome.problems
    assert len(keeper.listed()) == 1  # still there for a person to look at


class StackApis:
    """CloudFormation and Lambda as `redrive` uses them, for a stack whose SMS sender is run here
    (behind `outage`, so it can keep failing)."""

    def __init__(self, queue_url: str, stream_arn: str, outage: Outage):
        [self.source] = [s for s in application().streams if s.function == "SmsSenderFunction"]
        self.queue_url, self.stream_arn, self.outage = queue_url, stream_arn, outage
        self.invoked: list[dict] = []

    def get_paginator(self, name: str):
        assert name == "list_stack_resources"
        return self

    def paginate(self, StackName: str):  # noqa: N803 (boto3's spelling)
        assert StackName == "odwolaj-prod"
        return [{"StackResourceSummaries": [
            {"LogicalResourceId": "SmsSenderFailedQueue", "PhysicalResourceId": self.queue_url,
             "ResourceType": "AWS::SQS::Queue"},
            {"LogicalResourceId": "SmsSenderFunction", "PhysicalResourceId": "odwolaj-prod-SmsSender-x1",
             "ResourceType": "AWS::Lambda::Function"}]}]

    def list_event_source_mappings(self, FunctionName: str):  # noqa: N803
        return {"EventSourceMappings": [{"EventSourceArn": self.stream_arn, "BatchSize": self.source.batch_size,
                                         "FilterCriteria": {"Filters": [{"Pattern": p} for p in self.source.filters]}}]}

    def invoke(self, FunctionName: str, InvocationType: str, Payload: bytes):  # noqa: N803
        assert (FunctionName, InvocationType) == ("odwolaj-prod-SmsSender-x1", "RequestResponse")
        event = json.loads(Payload)
        self.invoked.append(event)
        try:
            result = self.outage.invoke("SmsSenderFunction", event)
        except RuntimeError:  # as Lambda reports an unhandled error
            error = {"errorType": "RuntimeError", "errorMessage": "the provider keeps refusing"}
            return {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": io.BytesIO(json.dumps(error).encode())}
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(result).encode())}


@pytest.fixture
def stack(aws, book, monkeypatch):
    """A deployed stack (as CloudFormation and Lambda describe it) whose SMS sender gave up on the
    booking SMS while the provider refused: one stream batch on its failure queue."""
    book(days=3)
    outage = Outage()
    keeper = FailureKeeper(aws, application(), outage.invoke)
    sms_poller(aws, keeper, outage).poll_once()
    apis = StackApis(keeper.urls["SmsSenderFailedQueue"], aws.stream_arn("OutboxTable"), outage)
    real = failures.aws_client
    monkeypatch.setattr(failures, "aws_client", lambda service: apis if service in ("cloudformation", "lambda")
                        else real(service))
    monkeypatch.setattr(failures, "replay_invoker", lambda: apis)
    return apis


def test_the_redrive_command_finds_a_stacks_queues_and_replays_through_lambda(stack, capsys):
    """odwolaj-admin --stack NAME redrive: queues and functions from CloudFormation, filters from
    the event source mapping, each event invoked synchronously on the function."""
    stack.outage.down = False

    assert cli.main(["--stack", "odwolaj-prod", "redrive", "--list"]) == 0
    listed = json.loads(capsys.readouterr().out)["SmsSenderFunction"]
    assert [entry["shape"] for entry in listed] == [failures.STREAM] and sent() == []

    assert cli.main(["--stack", "odwolaj-prod", "redrive"]) == 0

    assert json.loads(capsys.readouterr().out)["SmsSenderFunction"]["replayed"] == 1
    [event] = stack.invoked
    assert [r["dynamodb"]["NewImage"]["kind"]["S"] for r in event["Records"]] == ["sms"]  # the filter applied
    assert len(sent()) == 1 and failures.look(failures.aws_client("sqs"), stack.queue_url) == []

    assert cli.main(["--stack", "odwolaj-prod", "redrive"]) == 0  # nothing left: nothing replayed again
    assert json.loads(capsys.readouterr().out)["SmsSenderFunction"]["replayed"] == 0 and len(sent()) == 1


def test_a_redrive_that_fails_again_leaves_the_batch_and_exits_1(stack, capsys):
    assert cli.main(["--stack", "odwolaj-prod", "redrive"]) == 1  # the provider still refuses

    outcome = json.loads(capsys.readouterr().out)["SmsSenderFunction"]
    assert (outcome["replayed"], outcome["failed"]) == (0, 1)
    assert "the function failed again (ReplayFailed)" in outcome["problems"][0]
    assert len(failures.look(failures.aws_client("sqs"), stack.queue_url)) == 1 and sent() == []


def test_redrive_of_a_function_without_a_failure_queue_says_so(stack, capsys):
    assert cli.main(["--stack", "odwolaj-prod", "redrive", "--function", "HealthFunction"]) == 2
    assert "no failure queue for HealthFunction" in capsys.readouterr().err


def test_redrive_without_a_stack_says_where_to_redrive_locally(capsys):
    assert cli.main(["redrive"]) == 2
    assert "/dev/failed" in capsys.readouterr().err
