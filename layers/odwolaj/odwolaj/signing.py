"""Secret material from the parameter store, through Powertools' cached parameters utility."""
from __future__ import annotations

from odwolaj.config import settings
from odwolaj.tokens import LinkSigner

SECRET_MAX_AGE_SECONDS = 300  # a rotated secret reaches warm functions within five minutes


def link_signer() -> LinkSigner:
    # Imported here: the parameters utility pulls boto3, which not every code path needs.
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_parameter(
        settings().link_secret_param, decrypt=True, max_age=SECRET_MAX_AGE_SECONDS
    )
    if not value or len(value) < 32:
        # Fail closed: a missing or weak secret must stop the function, not weaken the links.
        raise RuntimeError("the link secret parameter is missing or shorter than 32 characters")
    return LinkSigner(value.encode())
