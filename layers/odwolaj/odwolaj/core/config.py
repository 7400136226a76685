"""Deployment settings, read from the environment when first needed (never at import time).

Environment variables carry names (tables, parameters, the bus), never secret values.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


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
            stage=os.environ.get("STAGE", "local"),
            public_base_url=os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:3000").rstrip("/"),
            link_secret_param=os.environ.get("LINK_SECRET_PARAM", "/odwolaj/local/link-secret"),
            event_bus_name=os.environ.get("EVENT_BUS_NAME", "odwolaj-local"),
            event_source=os.environ.get("EVENT_SOURCE", "odwolaj"),
        )


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()


def table_name(env_var: str) -> str:
    """Name of a DynamoDB table, from the variable the template sets for it."""
    try:
        return os.environ[env_var]
    except KeyError:
        raise RuntimeError(f"{env_var} is not set: the function's template entry must pass it") from None
