"""What template.yaml and the handlers promise about failures, checked without AWS: every
asynchronous source keeps what fails, with an alarm; timeouts cover the worst case of what a
function waits for; a deployed function refuses to start without its configuration; every handler
is traced."""
from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest

from odwolaj.adapters import failures, stripe_api
from odwolaj.core import config
from odwolaj.messaging.sending import WORST_SECONDS
from odwolaj_local.aws import LocalAws
from odwolaj_local.lambdas import load_handler
from odwolaj_local.template import REPO_ROOT, application

ASYNC_EVENTS = {"SNS", "ScheduleV2", "Schedule", "EventBridgeRule"}
# Invoked asynchronously by a resource, not an event of its own: SES's receipt rule (LambdaAction, Event).
INVOKED_BY_RESOURCES = {"EmailInboundFunction"}
HTTP_API_SECONDS = 30


def functions() -> dict[str, dict]:
    return {k: v for k, v in application().source["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}


def queue_of(destination: dict, function: str) -> str:
    """The failure queue a destination names, named after its function (`odwolaj-admin redrive`
    pairs a deployed stack's queues with their functions by these names)."""
    target = destination["Destination"]["Fn::GetAtt"]
    assert target[0] == function.removesuffix(failures.FUNCTION_SUFFIX) + failures.QUEUE_SUFFIX
    assert target[1] == "Arn" and destination.get("Type") == "SQS"
    assert application().source["Resources"][target[0]]["Type"] == "AWS::SQS::Queue"
    return target[0]


def alarms() -> list[dict]:
    resources = application().source["Resources"].values()
    return [r["Properties"] for r in resources if r["Type"] == "AWS::CloudWatch::Alarm"]


def alarmed_queues() -> set[str]:
    return {d["Value"]["Fn::GetAtt"][0] for alarm in alarms() for d in alarm["Dimensions"]
            if alarm["Namespace"] == "AWS/SQS" and alarm["Threshold"] == 0}


def test_every_stream_source_keeps_its_failed_batches_on_a_queue_with_an_alarm():
    sources = [(name, event) for name, fn in functions().items()
               for event in fn["Properties"].get("Events", {}).values() if event["Type"] == "DynamoDB"]

    assert len(sources) == 4
    for name, event in sources:
        queue = queue_of(event["Properties"]["DestinationConfig"]["OnFailure"], name)
        assert queue in alarmed_queues(), name
        assert 0 < event["Properties"]["MaximumRetryAttempts"] <= 10, name


def test_every_asynchronously_invoked_function_keeps_what_fails_on_a_queue_with_an_alarm():
    asynchronous = {name for name, fn in functions().items()
                    if {e["Type"] for e in fn["Properties"].get("Events", {}).values()} & ASYNC_EVENTS}
    asynchronous |= INVOKED_BY_RESOURCES

    assert len(asynchronous) == 10
    for name in asynchronous:
        properties = functions()[name]["Properties"]
        queue = queue_of(properties["EventInvokeConfig"]["DestinationConfig"]["OnFailure"], name)
        assert queue in alarmed_queues(), name
        for event in properties.get("Events", {}).values():  # could not even invoke: the same queue
            if event["Type"] in ("ScheduleV2", "EventBridgeRule"):
                assert event["Properties"]["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0] == queue, name


def test_a_failed_stream_batch_is_redriven_before_the_stream_forgets_it():
    """Stream failure records point at records the stream keeps 24 hours: an alarm on their age
    fires at 12, so there is time to redrive."""
    age_alarms = {alarm["Dimensions"][0]["Value"]["Fn::GetAtt"][0]: alarm["Threshold"] for alarm in alarms()
                  if alarm["MetricName"] == "ApproximateAgeOfOldestMessage"}
    for name, fn in functions().items():
        for event in fn["Properties"].get("Events", {}).values():
            if event["Type"] == "DynamoDB":
                queue = queue_of(event["Properties"]["DestinationConfig"]["OnFailure"], name)
                assert age_alarms[queue] <= 12 * 3600, name


def timeout(name: str) -> int:
    return application().functions[name].timeout


def test_the_senders_have_time_for_a_message_at_its_slowest():
    for name in ("SmsSenderFunction", "EmailSenderFunction"):
        module = load_handler(name).__module__
        margin = sys.modules[module].MARGIN_SECONDS
        assert timeout(name) >= WORST_SECONDS + margin, name


def test_what_calls_stripe_outlasts_a_stripe_call_at_its_slowest_within_api_gateways_limit():
    for name in ("StripeWebhookFunction", "PaymentPageFunction"):
        assert stripe_api.WORST_SECONDS < timeout(name) < HTTP_API_SECONDS, name
    sweep = sys.modules[load_handler("PaymentDeadlineSweepFunction").__module__]
    assert sweep.RESERVE_SECONDS > stripe_api.WORST_SECONDS


@pytest.mark.parametrize("name", ["ReminderSweepFunction", "PaymentDeadlineSweepFunction", "OfferTimerFunction",
                                  "ExactDateCheckFunction"])
def test_a_sweep_keeps_time_for_its_slowest_item(name):
    module = sys.modules[load_handler(name).__module__]
    assert 0 < module.RESERVE_SECONDS < timeout(name)


def test_a_scheduled_function_stops_itself_before_its_timeout_or_has_a_duration_alarm_before_it():
    """A timed-out run is retried and then lands on its failure queue: too late to hear of it.
    A sweep keeps a reserve of time and stops itself; one without that is watched on its duration."""
    scheduled = [name for name, function in functions().items()
                 if {e["Type"] for e in (function["Properties"].get("Events") or {}).values()} & {"ScheduleV2"}]
    watched = {alarm["Dimensions"][0]["Value"]["Ref"]: alarm["Threshold"] for alarm in alarms()
               if alarm["Namespace"] == "AWS/Lambda" and alarm["MetricName"] == "Duration"}
    assert "CampaignDispatchFunction" in watched
    for name in scheduled:
        budget = getattr(sys.modules[load_handler(name).__module__], "RESERVE_SECONDS", None)
        assert budget is not None or 0 < watched.get(name, 0) < timeout(name) * 1000, name


def test_the_configuration_a_function_requires_is_what_the_template_gives_every_function():
    given = set(application().source["Globals"]["Function"]["Environment"]["Variables"])

    assert set(config.REQUIRED) == {name for name in given if not name.startswith("POWERTOOLS_")}


def _import_handler(function: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    spec = application().functions[function]
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import importlib; "
              "importlib.import_module(sys.argv[2])")
    return subprocess.run([sys.executable, "-c", script, str(spec.code_dir), spec.handler.rpartition(".")[0]],
                          env=env, capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)


@pytest.mark.parametrize("function", ["VisitPageFunction", "SmsSenderFunction", "StripeWebhookFunction"])
def test_a_deployed_function_without_its_configuration_stops_at_init_and_says_what_is_missing(function):
    local = LocalAws(endpoint="http://127.0.0.1:9", public_base_url="https://odw.pl")
    env = {k: v for k, v in local.function_environment(function).items() if k != config.LOCAL_FLAG}
    env = {**env, "PATH": os.environ["PATH"]}
    assert _import_handler(function, env).returncode == 0  # as deployed: everything set

    missing = {k: v for k, v in env.items() if k not in ("PUBLIC_BASE_URL", "STAGE")}
    failed = _import_handler(function, missing)

    assert failed.returncode != 0
    assert "ConfigurationError: missing configuration: STAGE, PUBLIC_BASE_URL" in failed.stderr
    assert _import_handler(function, {**missing, config.LOCAL_FLAG: "1"}).returncode == 0  # the runner's way


def test_settings_have_no_local_fallback_outside_the_runner(monkeypatch):
    monkeypatch.delenv(config.LOCAL_FLAG, raising=False)
    monkeypatch.setenv("STAGE", "prod")
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("STAGE", "prod")  # set, as the template sets it: only the missing one is named

    with pytest.raises(config.ConfigurationError, match="PUBLIC_BASE_URL"):
        config.Settings.from_env()
    monkeypatch.setenv(config.LOCAL_FLAG, "1")
    assert config.Settings.from_env().public_base_url == "http://127.0.0.1:3000"


@pytest.fixture(autouse=True)
def handlers_loaded_here():
    """Handlers these tests load are unloaded after each: loaded without the template's environment
    (no metrics namespace), they would fail the tests that run them later."""
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.startswith("odwolaj_fn_"):
            del sys.modules[name]


def test_every_handler_but_the_health_check_is_traced():
    from aws_lambda_powertools import Tracer

    for name, spec in application().functions.items():
        module = sys.modules[load_handler(name).__module__]
        source = ast.parse((spec.code_dir / "app.py").read_text(encoding="utf-8"))
        [handler] = [node for node in source.body
                     if isinstance(node, ast.FunctionDef) and node.name == "lambda_handler"]
        decorators = {ast.unparse(decorator) for decorator in handler.decorator_list}
        if name == "HealthFunction":  # touches nothing: nothing to trace, and the cheapest cold start
            assert not hasattr(module, "tracer")
            continue
        assert isinstance(module.tracer, Tracer) and "tracer.capture_lambda_handler" in decorators, name
