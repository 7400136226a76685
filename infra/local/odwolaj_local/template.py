"""template.yaml, translated offline by aws-sam-translator, as the local runner needs it.

Nothing here re-declares a table, route, stream or schedule: they are all read from the
translated CloudFormation, so the local system is the deployed one minus AWS.
"""
from __future__ import annotations

import copy
import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"
_PLACEHOLDER_URI = "s3://local-placeholder/code.zip"


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_dir: Path
    handler: str
    environment: dict[str, object]
    timeout: int = 3  # seconds (Lambda's default when neither the function nor Globals set one)
    failure_queue: str | None = None  # logical id: EventInvokeConfig's on-failure destination
    async_retries: int = 2  # EventInvokeConfig's MaximumRetryAttempts (Lambda's default: 2)


DEFAULT_ROUTE_PATH = "/$default"  # how SAM writes an HttpApi event without Path and Method


@dataclass(frozen=True)
class Route:
    method: str  # GET, POST, ANY
    path: str  # /c/{token}, /api/v1/{proxy+}, or /$default (whatever no other route matches)
    function: str

    @property
    def is_default(self) -> bool:
        return self.path == DEFAULT_ROUTE_PATH

    @property
    def route_key(self) -> str:
        return "$default" if self.is_default else f"{self.method} {self.path}"


@dataclass(frozen=True)
class Schedule:
    function: str
    expression: str  # rate(...) or cron(...)
    input: str | None = None


@dataclass(frozen=True)
class StreamSource:
    table: str  # logical id
    function: str
    batch_size: int
    filters: tuple[str, ...] = ()
    max_retries: int = -1  # MaximumRetryAttempts; -1 is AWS's "until the record expires"
    failure_queue: str | None = None  # logical id: DestinationConfig's on-failure queue


@dataclass(frozen=True)
class FailureQueue:
    """Where a function's asynchronous source keeps what failed, and how to replay it."""

    logical_id: str
    function: str
    filters: tuple[str, ...] = ()  # of its stream source, if it is one
    batch_size: int = 100


@dataclass(frozen=True)
class TopicSubscription:
    topic: str  # logical id of the AWS::SNS::Topic
    function: str


@dataclass(frozen=True)
class MailReceipt:
    """An SES receipt rule that stores a message in a bucket, then invokes a function."""

    recipients: tuple[object, ...]  # as written: addresses or {"Ref": parameter}
    bucket: str  # logical id of the AWS::S3::Bucket
    prefix: str
    function: str


@dataclass
class Application:
    source: dict
    cfn: dict
    functions: dict[str, Function] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    streams: list[StreamSource] = field(default_factory=list)
    subscriptions: list[TopicSubscription] = field(default_factory=list)
    failure_queues: dict[str, FailureQueue] = field(default_factory=dict)  # by the queue's logical id
    mail_receipts: list[MailReceipt] = field(default_factory=list)

    def resources(self, resource_type: str) -> dict[str, dict]:
        return {k: v for k, v in self.cfn["Resources"].items() if v["Type"] == resource_type}

    @property
    def tables(self) -> dict[str, dict]:
        return {k: v["Properties"] for k, v in self.resources("AWS::DynamoDB::Table").items()}


def load_source() -> dict:
    from cfnlint.decode import decode_str

    template, errors = decode_str(TEMPLATE_PATH.read_text(encoding="utf-8"))
    if errors:
        raise RuntimeError(f"template.yaml does not parse: {errors}")
    return json.loads(json.dumps(template))  # plain dicts, intrinsic functions as {"Ref": ...}


def translate(source: dict) -> dict:
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
    from samtranslator.translator.transform import transform

    class _NoManagedPolicies:  # offline: managed policy ARNs are not looked up
        def load(self) -> dict:
            return {}

    fragment = copy.deepcopy(source)
    for resource in fragment["Resources"].values():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = _PLACEHOLDER_URI
    return transform(fragment, {}, _NoManagedPolicies())


@lru_cache(maxsize=1)
def application() -> Application:
    source = load_source()
    cfn = translate(source)
    app = Application(source=source, cfn=cfn)
    globals_function = source.get("Globals", {}).get("Function", {})
    globals_env = globals_function.get("Environment", {}).get("Variables", {})
    for logical_id, resource in source["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        env = dict(globals_env)
        env.update(props.get("Environment", {}).get("Variables", {}))
        timeout = int(props.get("Timeout", globals_function.get("Timeout", 3)))
        invoke_config = props.get("EventInvokeConfig", {})
        app.functions[logical_id] = Function(
            logical_id, REPO_ROOT / props["CodeUri"], props["Handler"], env, timeout,
            _queue_of(invoke_config.get("DestinationConfig", {})), int(invoke_config.get("MaximumRetryAttempts", 2)))
    app.routes = _routes(cfn)
    app.schedules = _schedules(source)
    app.streams = _streams(source)
    app.subscriptions = [TopicSubscription(props["Topic"]["Ref"], function)
                         for function, props in _events(source, "SNS")]
    for function in app.functions.values():
        if function.failure_queue:
            app.failure_queues[function.failure_queue] = FailureQueue(function.failure_queue, function.logical_id)
    for stream in app.streams:
        if stream.failure_queue:
            app.failure_queues[stream.failure_queue] = FailureQueue(stream.failure_queue, stream.function,
                                                                    stream.filters, stream.batch_size)
    app.mail_receipts = _mail_receipts(source)
    return app


def _queue_of(destination_config: dict) -> str | None:
    """The logical id of an on-failure SQS destination (`Destination: !GetAtt Queue.Arn`)."""
    target = destination_config.get("OnFailure", {}).get("Destination", {})
    return target["Fn::GetAtt"][0] if isinstance(target, dict) and "Fn::GetAtt" in target else None


def _mail_receipts(source: dict) -> list[MailReceipt]:
    """Receipt rules with an S3 action followed by a Lambda action (how the template receives mail)."""
    found = []
    for resource in source["Resources"].values():
        if resource["Type"] != "AWS::SES::ReceiptRule":
            continue
        rule = resource["Properties"]["Rule"]
        stored = next((a["S3Action"] for a in rule.get("Actions", []) if "S3Action" in a), None)
        invoked = next((a["LambdaAction"] for a in rule.get("Actions", []) if "LambdaAction" in a), None)
        if stored and invoked:
            found.append(MailReceipt(tuple(rule.get("Recipients", [])), stored["BucketName"]["Ref"],
                                     stored.get("ObjectKeyPrefix", ""), invoked["FunctionArn"]["Fn::GetAtt"][0]))
    return found


def _routes(cfn: dict) -> list[Route]:
    routes = []
    for api in (r for r in cfn["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Api"):
        for path, methods in api["Properties"]["Body"]["paths"].items():
            for method, spec in methods.items():
                uri = spec["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
                function = re.search(r"\$\{(\w+)\.Arn\}", uri).group(1)
                verb = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
                routes.append(Route(verb, path, function))
    return routes


def _events(source: dict, event_type: str):
    for logical_id, resource in source["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == event_type:
                yield logical_id, event["Properties"]


def _schedules(source: dict) -> list[Schedule]:
    schedules = []
    for kind in ("Schedule", "ScheduleV2"):
        for function, props in _events(source, kind):
            schedules.append(Schedule(function, props["Schedule" if kind == "Schedule" else "ScheduleExpression"],
                                      props.get("Input")))
    return schedules


def _streams(source: dict) -> list[StreamSource]:
    streams = []
    for function, props in _events(source, "DynamoDB"):
        table = props["Stream"]["Fn::GetAtt"][0]  # Stream: !GetAtt Table.StreamArn
        filters = tuple(f["Pattern"] for f in props.get("FilterCriteria", {}).get("Filters", []))
        streams.append(StreamSource(table, function, int(props.get("BatchSize", 100)), filters,
                                    int(props.get("MaximumRetryAttempts", -1)),
                                    _queue_of(props.get("DestinationConfig", {}))))
    return streams


def resolve(value: object, names: dict[str, str]) -> object:
    """Resolve Ref / Fn::Sub / Fn::GetAtt against local physical names and parameter values."""
    if isinstance(value, dict):
        if "Ref" in value:
            return names[value["Ref"]]
        if "Fn::Sub" in value:
            text = value["Fn::Sub"]
            return re.sub(r"\$\{([\w.:]+)\}", lambda m: names[m.group(1)], text)
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return names[".".join(target) if isinstance(target, list) else target]
    return value
