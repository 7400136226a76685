"""Secret material from the parameter store, through Powertools' cached parameters utility.
Environment variables name the parameters; the values never sit in the environment."""
from __future__ import annotations

import os

from odwolaj.config import settings
from odwolaj.tokens import LinkSigner

SECRET_MAX_AGE_SECONDS = 300  # a rotated secret reaches warm functions within five minutes


def secret(parameter_name: str) -> str:
    # Imported here: the parameters utility pulls boto3, which not every code path needs.
    from aws_lambda_powertools.utilities import parameters

    return parameters.get_parameter(parameter_name, decrypt=True, max_age=SECRET_MAX_AGE_SECONDS) or ""


def link_signer() -> LinkSigner:
    value = secret(settings().link_secret_param)
    if len(value) < 32:
        # Fail closed: a missing or weak secret must stop the function, not weaken the links.
        raise RuntimeError("the link secret parameter is missing or shorter than 32 characters")
    return LinkSigner(value.encode())


def twilio_auth_token() -> str:
    return secret(os.environ["TWILIO_AUTH_TOKEN_PARAM"])


def stripe_secret_key() -> str:
    return secret(os.environ["STRIPE_SECRET_KEY_PARAM"])


def stripe_webhook_secret() -> str:
    return secret(os.environ["STRIPE_WEBHOOK_SECRET_PARAM"])
