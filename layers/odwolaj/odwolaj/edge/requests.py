"""What every HTTP handler reads alike: the request body as text. API Gateway passes a body it
cannot read as text in base64; one that is not UTF-8 is the client's mistake (a 400), never a 500."""
from __future__ import annotations

import binascii
from typing import Any

from odwolaj.core.errors import InvalidInput


class MalformedRequest(InvalidInput):
    """The body cannot be read at all (not UTF-8, not JSON, nested absurdly): 400, not 422."""

    code = "malformed_request"


def body_text(event: Any) -> str:
    """The body of a Powertools proxy event as text; MalformedRequest when it is not UTF-8."""
    try:
        return str(event.decoded_body or "")
    except (UnicodeDecodeError, binascii.Error):
        raise MalformedRequest("request body is not UTF-8 text") from None
