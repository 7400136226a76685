"""Deployment settings, read from the environment (never at import time, except the check below).

Environment variables carry names (tables, parameters, the bus), never secret values. They fail
closed: a deployed function whose template entry lacks one stops at init with a message naming
what is missing (check_environment, called by every handler module), rather than running with a
local value (links to 127.0.0.1, the local bus). Local defaults apply only where the local runner
or the tests say so, with ODWOLAJ_LOCAL=1.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

LOCAL_FLAG = "ODWOLAJ_LOCAL"
# What template.yaml's Globals give every function (a unit test keeps the two in step).
REQUIRED = (
    "STAGE", "PUBLIC_BASE_URL", "LINK_SECRET_PARAM", "EVENT_BUS_NAME",
    "FACILITIES_TABLE", "API_KEYS_TABLE", "APPOINTMENTS_TABLE", "EXTERNAL_REFS_TABLE", "PATIENTS_TABLE",
    "SLOTS_TABLE", "OUTBOX_TABLE", "RATE_LIMITS_TABLE", "IDEMPOTENCY_TABLE", "CONVERSATIONS_TABLE",
    "DELIVERIES_TABLE", "WAITING_LISTS_TABLE", "WAITING_ENTRIES_TABLE", "OFFERS_TABLE", "PAYMENTS_TABLE",
    "TWILIO_AUTH_TOKEN_PARAM", "SMSAPI_TOKEN_PARAM", "SMSAPI_CALLBACK_KEY_PARAM", "STRIPE_SECRET_KEY_PARAM",
    "STRIPE_WEBHOOK_SECRET_PARAM",
    "STATS_TABLE", "CONSOLE_SESSIONS_TABLE", "STAFF_TABLE", "AUDIT_TABLE",  # the console (issue 14)
    "CAMPAIGNS_TABLE", "CAMPAIGN_MEMBERS_TABLE", "IMPORTS_TABLE",  # campaigns (issue 16)
)
LOCAL_DEFAULTS = {
    "STAGE": "local",
    "PUBLIC_BASE_URL": "http://127.0.0.1:3000",
    "LINK_SECRET_PARAM": "/odwolaj/local/link-secret",
    "EVENT_BUS_NAME": "odwolaj-local",
    "SMS_PROVIDER": "sns",
}


class ConfigurationError(RuntimeError):
    """A setting the deployment must give is missing."""


def is_local() -> bool:
    return os.environ.get(LOCAL_FLAG) == "1"


def check_environment(*also: str) -> None:
    """At a function's init: every setting it needs is set, or ConfigurationError naming them all
    (the function then fails to start, and its logs say why). Locally, missing ones have defaults."""
    missing = [name for name in (*REQUIRED, *also) if not os.environ.get(name)]
    if missing and not is_local():
        raise ConfigurationError(f"missing configuration: {', '.join(missing)}. template.yaml sets these for "
                                 f"every deployed function; set {LOCAL_FLAG}=1 only to run locally with defaults")


def setting(name: str) -> str:
    """A setting's value; its local default only under the local runner and tests."""
    value = os.environ.get(name)
    if value:
        return value
    if is_local() and name in LOCAL_DEFAULTS:
        return LOCAL_DEFAULTS[name]
    raise ConfigurationError(f"{name} is not set: the function's template entry must pass it")


@dataclass(frozen=True)
class Settings:
    stage: str
    public_base_url: str
    link_secret_param: str
    event_bus_name: str
    event_source: str

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            stage=setting("STAGE"),
            public_base_url=setting("PUBLIC_BASE_URL").rstrip("/"),
            link_secret_param=setting("LINK_SECRET_PARAM"),
            event_bus_name=setting("EVENT_BUS_NAME"),
            event_source=os.environ.get("EVENT_SOURCE", "odwolaj"),  # the same in every deployment
        )


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()


def table_name(env_var: str) -> str:
    """Name of a DynamoDB table, from the variable the template sets for it."""
    try:
        return os.environ[env_var]
    except KeyError:
        raise ConfigurationError(f"{env_var} is not set: the function's template entry must pass it") from None
