"""Secret material from the parameter store, through Powertools' cached parameters utility.
Environment variables name the parameters; the values never sit in the environment."""
from __future__ import annotations

import os

SECRET_MAX_AGE_SECONDS = 300  # a rotated secret reaches warm functions within five minutes


def secret(parameter_name: str) -> str:
    # Imported here: the parameters utility pulls boto3, which not every code path needs.
    from aws_lambda_powertools.utilities import parameters

    return parameters.get_parameter(parameter_name, decrypt=True, max_age=SECRET_MAX_AGE_SECONDS) or ""


def twilio_auth_token() -> str:
    return secret(os.environ["TWILIO_AUTH_TOKEN_PARAM"])


def stripe_secret_key() -> str:
    return secret(os.environ["STRIPE_SECRET_KEY_PARAM"])


def stripe_webhook_secret() -> str:
    return secret(os.environ["STRIPE_WEBHOOK_SECRET_PARAM"])
