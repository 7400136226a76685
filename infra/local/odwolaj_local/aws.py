"""The embedded AWS: moto in server mode, with what template.yaml declares created in it."""
from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass

from odwolaj_local import queues
from odwolaj_local.template import Application, application, resolve

REGION = "eu-central-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LocalAws:
    """moto server plus the template's tables, bus and secret, and the functions' environment."""

    endpoint: str
    public_base_url: str
    stage: str = "local"
    app: Application = None  # type: ignore[assignment]

    def __post_init__(self):
        self.app = self.app or application()
        self.link_secret = secrets.token_urlsafe(32)
        self.twilio_auth_token = secrets.token_hex(16)
        self.smsapi_callback_key = secrets.token_urlsafe(24)
        self.stripe_secret_key = f"sk_test_local_{secrets.token_hex(12)}"  # the local stand-in's key
        self.stripe_webhook_secret = f"whsec_local_{secrets.token_hex(16)}"

    # -- names ------------------------------------------------------------------------------
    def physical_names(self) -> dict[str, str]:
        names = {
            "Stage": self.stage,
            "PublicBaseUrl": self.public_base_url,
            "LinkSecretParameterName": f"odwolaj/{self.stage}/link-secret",
            "TwilioAuthTokenParameterName": f"odwolaj/{self.stage}/twilio-auth-token",
            "TwilioAccountSid": "AC00000000000000000000000000000000",
            "SmsApiTokenParameterName": f"odwolaj/{self.stage}/smsapi-token",
            "SmsApiCallbackKeyParameterName": f"odwolaj/{self.stage}/smsapi-callback-key",
            "StripeSecretKeyParameterName": f"odwolaj/{self.stage}/stripe-secret-key",
            "StripeWebhookSecretParameterName": f"odwolaj/{self.stage}/stripe-webhook-secret",
            "LogLevel": os.environ.get("LOG_LEVEL", "WARNING"),
            "SmsProvider": "sns",  # moto records SNS publishes to phone numbers: the local phone view
            "SmsConfigurationSet": "",
            "CancelEmailAddress": "odwolaj@przychodnia.local",
            "MailFromAddress": "rejestracja@odwolaj.local",  # moto records what is sent: /dev/mail
            "AWS::Region": REGION,
            "AWS::AccountId": "123456789012",
        }
        for parameter, spec in self.app.source.get("Parameters", {}).items():
            names.setdefault(parameter, str(spec.get("Default", "")))
        for logical_id in self.app.cfn["Resources"]:
            names.setdefault(logical_id, f"odwolaj-{self.stage}-{logical_id}")
        names["EventBus"] = f"odwolaj-{self.stage}"
        for bucket, resource in self.app.resources("AWS::S3::Bucket").items():
            given = resource["Properties"].get("BucketName")  # a named bucket keeps its name
            names[bucket] = str(resolve(given, names)) if given else names[bucket].lower()  # S3: lower case
        queues.name_queues(names, self.app, self.endpoint)
        return names

    def function_environment(self, function: str) -> dict[str, str]:
        names = self.physical_names()
        env = {k: str(resolve(v, names)) for k, v in self.app.functions[function].environment.items()}
        env.update(self.process_environment())
        return env

    def process_environment(self) -> dict[str, str]:
        return {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint}

    def apply_environment(self) -> None:
        """One process runs every function locally; their environments differ only in what
        each template entry adds, so the union is set once."""
        for function in self.app.functions:
            os.environ.update(self.function_environment(function))

    # -- creation ---------------------------------------------------------------------------
    def client(self, service: str):
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing",
                            aws_session_token="testing")

    def create_resources(self) -> None:
        names = self.physical_names()
        dynamodb = self.client("dynamodb")
        for logical_id, props in self.app.tables.items():
            spec = {
                "TableName": names[logical_id],
                "AttributeDefinitions": props["AttributeDefinitions"],
                "KeySchema": props["KeySchema"],
                "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
            }
            if "GlobalSecondaryIndexes" in props:
                spec["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
            if "StreamSpecification" in props:
                spec["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
            dynamodb.create_table(**spec)
            ttl = props.get("TimeToLiveSpecification")
            if ttl:
                dynamodb.update_time_to_live(TableName=names[logical_id], TimeToLiveSpecification=ttl)
        self.client("events").create_event_bus(Name=names["EventBus"])
        ssm = self.client("ssm")
        for parameter, value in (("LinkSecretParameterName", self.link_secret),
                                 ("TwilioAuthTokenParameterName", self.twilio_auth_token),
                                 ("SmsApiCallbackKeyParameterName", self.smsapi_callback_key),
                                 ("StripeSecretKeyParameterName", self.stripe_secret_key),
                                 ("StripeWebhookSecretParameterName", self.stripe_webhook_secret)):
            ssm.put_parameter(Name="/" + names[parameter], Value=value, Type="SecureString", Overwrite=True)
        self.client("sns").create_topic(Name=names["InboundSmsTopic"])
        queues.create_queues(self)
        for bucket in self.app.resources("AWS::S3::Bucket"):
            self.client("s3").create_bucket(Bucket=names[bucket],
                                            CreateBucketConfiguration={"LocationConstraint": REGION})
        for address in ("CancelEmailAddress", "MailFromAddress"):
            self.client("ses").verify_email_identity(EmailAddress=names[address])

    def stream_arn(self, table_logical_id: str) -> str:
        table = self.client("dynamodb").describe_table(TableName=self.physical_names()[table_logical_id])
        return table["Table"]["LatestStreamArn"]


_WRITES = ("put_item", "update_item", "delete_item", "batch_write_item")


def serialize_dynamodb_writes() -> None:
    """DynamoDB applies each write, and each transaction, atomically; moto's threaded server does
    not (a transaction checks its conditions, then writes, and restores a copy of the whole table
    on failure), so concurrent requests could interleave. One lock around moto's writes and stream
    reads gives the isolation the real service has; other reads stay concurrent."""
    import functools
    import threading

    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    if getattr(DynamoDBBackend, "_odwolaj_serialized", False):
        return
    lock = threading.RLock()

    def serialized(method):
        @functools.wraps(method)
        def wrapper(*args, **kwargs):
            with lock:
                return method(*args, **kwargs)
        return wrapper

    for name in _WRITES:
        setattr(DynamoDBBackend, name, serialized(getattr(DynamoDBBackend, name)))
    DynamoDBBackend.transact_write_items = serialized(_keeping_streams(DynamoDBBackend.transact_write_items))
    for name in ("get_records", "get_shard_iterator"):
        setattr(DynamoDBStreamsBackend, name, serialized(getattr(DynamoDBStreamsBackend, name)))
    DynamoDBBackend._odwolaj_serialized = True


def _keeping_streams(transact_write_items):
    """A failed transaction in moto has already applied its other items, each adding a stream
    record, before it puts back copies of the tables. Real DynamoDB streams only what committed,
    and stream readers keep reading the shard they started on: so the original shard goes back on
    the restored table, without the failed transaction's records."""
    import functools

    @functools.wraps(transact_write_items)
    def wrapper(backend, transact_items):
        shards = {name: (table.stream_shard, len(table.stream_shard.items))
                  for name, table in backend.tables.items() if table.stream_shard is not None}
        try:
            return transact_write_items(backend, transact_items)
        except Exception:
            for name, (shard, committed) in shards.items():
                table = backend.tables.get(name)
                if table is not None and table.stream_shard is not shard:
                    del shard.items[committed:]
                    shard.table, table.stream_shard = table, shard
            raise
    return wrapper


def start_moto(port: int | None = None):
    """moto's threaded server on loopback; returns (server, endpoint)."""
    import logging

    from moto.server import ThreadedMotoServer

    serialize_dynamodb_writes()

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per AWS call drowns the output
    port = port or free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, f"http://127.0.0.1:{port}"


def reset_moto(endpoint: str) -> None:
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).read()
