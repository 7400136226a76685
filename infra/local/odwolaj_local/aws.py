"""The embedded AWS: moto in server mode, with what template.yaml declares created in it."""
from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass, field

from odwolaj_local import cognito, queues
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
    created: dict[str, str] = field(default_factory=dict)  # logical id → the id moto gave (Cognito pools, clients)

    def __post_init__(self):
        self.app = self.app or application()
        self._clients: dict[str, object] = {}
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
        names.update(self.created)
        return names

    def function_environment(self, function: str) -> dict[str, str]:
        names = self.physical_names()
        env = {k: str(resolve(v, names)) for k, v in self.app.functions[function].environment.items()}
        env.update(self.process_environment())
        return env

    def process_environment(self) -> dict[str, str]:
        # ODWOLAJ_LOCAL: the functions may fall back on local defaults (odwolaj.core.config); on AWS
        # a missing setting stops them at init.
        return {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint, "ODWOLAJ_LOCAL": "1"}

    def apply_environment(self) -> None:
        """One process runs every function locally; their environments differ only in what
        each template entry adds, so the union is set once."""
        for function in self.app.functions:
            os.environ.update(self.function_environment(function))

    # -- creation ---------------------------------------------------------------------------
    def client(self, service: str):
        """A client of the embedded AWS, one per service (building one loads its service model)."""
        import boto3

        if service not in self._clients:
            self._clients[service] = boto3.client(service, endpoint_url=self.endpoint, region_name=REGION,
                                                  aws_access_key_id="testing", aws_secret_access_key="testing",
                                                  aws_session_token="testing")
        return self._clients[service]

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
        self.created.update(cognito.create_user_pools(self.client("cognito-idp"), self.app, names))

    def queue_name(self, logical_id: str) -> str:
        """A queue's name (queues.name_queues: its QueueName in the template, or the local default)."""
        return self.physical_names()[f"{logical_id}.QueueName"]

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
    DynamoDBBackend.transact_write_items = serialized(_undone_on_failure(DynamoDBBackend.transact_write_items))
    for name in ("get_records", "get_shard_iterator"):
        setattr(DynamoDBStreamsBackend, name, serialized(getattr(DynamoDBStreamsBackend, name)))
    DynamoDBBackend._odwolaj_serialized = True


class _TablesNotCopied:
    """Stands in for the `copy` module inside moto's DynamoDB backend: its transactions back up
    every table they touch by deep copy (the time grows with the table: an outbox of thousands of
    items made every transaction slow). _undone_on_failure undoes a failed transaction item by item
    instead, so whole tables are not copied; anything else is copied as before."""

    def __init__(self):
        import copy

        from moto.dynamodb.models.table import Table

        self._copy, self._table = copy, Table

    def deepcopy(self, value, memo=None):
        return value if isinstance(value, self._table) else self._copy.deepcopy(value, memo)

    def __getattr__(self, name):
        return getattr(self._copy, name)


def _undone_on_failure(transact_write_items):
    """A failed transaction in moto has already applied its other items, each adding a stream
    record. Real DynamoDB writes nothing and streams nothing: so each item the transaction names
    is put back as it was (a copy taken first), and each stream loses the records added since,
    its readers reading on from where they were."""
    import copy
    import functools

    import moto.dynamodb.models as backend_module
    from moto.dynamodb.models.dynamo_type import DynamoType

    backend_module.copy = _TablesNotCopied()

    def saved_items(backend, transact_items) -> list:
        saved = []
        for entry in transact_items:
            operation = next(iter(entry.values()))
            table = backend.tables.get(operation.get("TableName"))
            if table is None:
                continue
            key = operation.get("Item") or operation.get("Key") or {}
            if table.hash_key_attr not in key:
                continue  # moto refuses it before writing anything
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
            current = table.items[hash_value].get(range_value) if range_value is not None else \
                table.items.get(hash_value)
            saved.append((table, hash_value, range_value, copy.deepcopy(current)))
        return saved

    def put_back(table, hash_value, range_value, item) -> None:
        if range_value is not None:
            if item is None:
                table.items[hash_value].pop(range_value, None)
            else:
                table.items[hash_value][range_value] = item
        elif item is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = item

    @functools.wraps(transact_write_items)
    def wrapper(backend, transact_items):
        saved = saved_items(backend, transact_items)
        streams = [(table.stream_shard, len(table.stream_shard.items))
                   for table in backend.tables.values() if table.stream_shard is not None]
        try:
            return transact_write_items(backend, transact_items)
        except Exception:
            for table, hash_value, range_value, item in reversed(saved):
                put_back(table, hash_value, range_value, item)
            for shard, committed in streams:
                del shard.items[committed:]
            raise
    return wrapper


def start_moto(port: int | None = None):
    """moto's threaded server on loopback; returns (server, endpoint)."""
    import logging

    from moto.server import ThreadedMotoServer

    serialize_dynamodb_writes()
    cognito.install_patch()

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per AWS call drowns the output
    port = port or free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, f"http://127.0.0.1:{port}"


def reset_moto(endpoint: str) -> None:
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).read()
