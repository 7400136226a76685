"""Every address no other route has (the HTTP API's $default route): a patient link written with a
capital letter or a trailing slash is redirected to its page; /api/… and /webhooks/… get JSON;
everything else the Polish 'not found' page, with the way to find the visit and whom to call."""
import json

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths

from odwolaj.core.config import check_environment
from odwolaj.edge.web import addresses, pages
from odwolaj.edge.web.responses import html, patient_pages
from odwolaj.usecases import visit_page

check_environment()
logger = Logger()
tracer = Tracer()
app = patient_pages(logger, "unknown address", visit_page.clinic_phone)


@app.not_found  # replaces the resolver's plain 'not found' page: here every request is one
def unknown_address(error: Exception) -> Response:
    event = app.current_event
    path = event.raw_path or "/"
    meant = addresses.canonical(path)
    if meant:
        query = event.raw_query_string
        # 308 keeps the method and body: a form posted to /C/… still reaches its page.
        return html(308, "", Location=f"{meant}?{query}" if query else meant)
    if addresses.wants_json(path):
        return Response(status_code=404, content_type="application/json", body=json.dumps({"message": "Not Found"}))
    return html(404, pages.not_found_page(phone=visit_page.clinic_phone()))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event, context):
    return app.resolve(event, context)
