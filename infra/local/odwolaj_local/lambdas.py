"""Loading a function's handler the way Lambda does: its code directory and `module.function`."""
from __future__ import annotations

import importlib.util
import sys
import threading
import time
from typing import Callable

from odwolaj_local.template import application


def load_handler(function: str) -> Callable:
    spec_fn = application().functions[function]
    module_name, _, attribute = spec_fn.handler.rpartition(".")
    # Each function's module gets a unique name: on Lambda every one is 'app', here they share
    # one interpreter.
    unique = f"odwolaj_fn_{function}"
    module = sys.modules.get(unique)
    if module is None:
        path = spec_fn.code_dir / f"{module_name}.py"
        spec = importlib.util.spec_from_file_location(unique, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[unique] = module
        spec.loader.exec_module(module)
    return getattr(module, attribute)


def isolate_request_state() -> None:
    """Powertools keeps the request an HTTP resolver is answering on one class attribute
    (`BaseRouter.current_event`, `.lambda_context`), shared by every resolver in the process. On
    Lambda each function has an interpreter of its own; here they share one and run on threads, so
    without this a clinic API call could read a patient page's request. Both become per thread:
    a property on the class for reads through an instance, and one on a metaclass for the class-level
    assignment Powertools makes in `resolve`. Idempotent."""
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

    if getattr(type(BaseRouter), "isolated", False):
        return
    local = threading.local()

    def thread_local(name: str) -> property:
        return property(lambda _owner: getattr(local, name, None), lambda _owner, value: setattr(local, name, value))

    class PerThreadRouterState(type(BaseRouter)):  # type: ignore[misc]
        isolated = True
        current_event = thread_local("current_event")
        lambda_context = thread_local("lambda_context")

    for name in ("current_event", "lambda_context"):
        setattr(BaseRouter, name, thread_local(name))  # before the metaclass: it would catch this assignment
    BaseRouter.__class__ = PerThreadRouterState


class FakeLambdaContext:
    """The attributes Powertools reads from a Lambda context; the time left counts down from the
    function's Timeout in template.yaml, as on Lambda."""

    def __init__(self, function: str):
        spec = application().functions.get(function)
        self._deadline = time.monotonic() + (spec.timeout if spec else 3)
        self.function_name = function
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:eu-central-1:123456789012:function:{function}"
        self.memory_limit_in_mb = 512
        self.aws_request_id = "local"
        self.log_group_name = f"/aws/lambda/{function}"
        self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
