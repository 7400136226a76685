"""/api/v1: the clinic's system pushes appointments, reads them back and records outcomes.

Every request is authenticated by its bearer key first, and every route works inside the key's
facility only. Domain errors become HTTP answers in one place (odwolaj.edge.api). Logs carry ids and
error codes, never a body, a phone number or a PESEL.
"""
from urllib.parse import unquote

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths

from odwolaj.appointments import inputs, lifecycle, store
from odwolaj.campaigns import (
    drafts,
    history,
    imports,
    launch,
    rebook,
    responses,
    results,
    segments,
    settings as campaign_settings,
    slots as campaign_slots,
)
from odwolaj.core.clock import WARSAW, iso, now
from odwolaj.core.config import check_environment
from odwolaj.core.errors import DomainError
from odwolaj.edge import api, campaigns as campaign_api
from odwolaj.edge.requests import body_text
from odwolaj.payments import blacklist, report, rules
from odwolaj.reserve import entries, settings
from odwolaj.security import facilities
from odwolaj.stats import report as report_stats
from odwolaj.usecases import message_templates, reception

check_environment()
logger = Logger()
tracer = Tracer()
app = APIGatewayHttpResolver()


def _json(status: int, body: dict, headers: dict | None = None) -> Response:
    # The clinic's own patient data: no shared cache may keep it.
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body,
                    headers={"Cache-Control": "no-store", **(headers or {})})


def _authenticated(app: APIGatewayHttpResolver, next_middleware) -> Response:
    key = facilities.authenticate(app.current_event.headers.get("authorization"))
    app.append_context(facility_id=key.facility_id, rights=frozenset(key.rights or ()),
                       actor=blacklist.actor_of(key.label, key.key_hash[:12]))
    logger.append_keys(facility_id=key.facility_id)
    return next_middleware(app)


app.use(middlewares=[_authenticated])


def _facility() -> str:
    return app.context["facility_id"]


def _body() -> dict:
    return api.json_object(body_text(app.current_event))


def _optional_body() -> dict:
    body = body_text(app.current_event)
    return api.json_object(body) if body.strip() else {}


# Routes have no return annotation: Powertools derives its route listing (which
# tests/unit/test_openapi.py compares with docs/openapi.yaml) from the signatures.
@app.put("/api/v1/appointments/<external_id>")
def put_appointment(external_id: str):
    data = inputs.AppointmentInput.from_payload(_body())
    outcome = lifecycle.upsert(_facility(), external_id, data, rights=app.context["rights"])
    return _json(201 if outcome.created else 200, api.appointment_view(outcome.appointment))


@app.get("/api/v1/appointments/<external_id>")
def get_appointment(external_id: str):
    return _json(200, api.appointment_view(store.get_by_external(_facility(), external_id)))


@app.get("/api/v1/appointments")
def list_appointments():
    query = app.current_event.query_string_parameters or {}
    start, end = api.list_range(query)
    limit = api.page_limit(query)
    # One more than asked: its presence says there is a next page.
    items = store.list_for_facility(_facility(), start, end, limit=limit + 1, after=api.decode_cursor(query))
    return _json(200, api.list_view(items, limit, start, end))


@app.post("/api/v1/appointments/<external_id>/outcome")
def post_outcome(external_id: str):
    outcome, reason = api.outcome_from_payload(_body())
    appointment = store.get_by_external(_facility(), external_id)
    result = reception.record_visit_outcome(appointment, outcome, reason=reason)
    return _json(200, api.appointment_view(result.appointment))


@app.get("/api/v1/reports/payments")
def payments_report():
    query = app.current_event.query_string_parameters or {}
    start, end, fmt = api.report_query(query)
    if fmt == "xlsx":
        rows = report.workbook_rows(_facility(), start, end)
        name = f"platnosci-{start.astimezone(WARSAW):%Y-%m-%d}-{end.astimezone(WARSAW):%Y-%m-%d}.xlsx"
        return Response(status_code=200, content_type=report.XLSX_CONTENT_TYPE, body=report.to_xlsx(rows, start, end),
                        headers={"Cache-Control": "no-store", "Content-Disposition": f'attachment; filename="{name}"'})
    rows, following = report.payment_page(_facility(), start, end, limit=api.page_limit(query, api.MAX_REPORT_PAGE),
                                          after=api.decode_cursor(query))
    return _json(200, {"from": iso(start), "to": iso(end), "payments": rows,
                       "next_cursor": api.encode_cursor(*following) if following else None})


@app.get("/api/v1/stats")
def stats():
    first, last, scope = api.stats_query(app.current_event.query_string_parameters or {})
    facility = facilities.get_facility(_facility())
    return _json(200, report_stats.figures_for(facility, report_stats.period(first, last), scope).as_json())


@app.post("/api/v1/waiting-list")
def post_waiting_list_entry():
    entry = entries.join(_facility(), entries.EntryInput.from_payload(_body()))
    return _json(201, api.entry_view(entry, position=int(entry.position_at_entry)))


@app.get("/api/v1/waiting-list")
def list_waiting_list():
    service, limit, after = api.waiting_list_query(app.current_event.query_string_parameters or {})
    # One more than asked: its presence says there is a next page.
    found = entries.list_active(_facility(), service, limit=limit + 1, after=after)
    first = entries.position(found[0]) if after and found else 1
    return _json(200, api.waiting_list_view(service, found, limit, first))


@app.get("/api/v1/waiting-list/<entry_id>")
def get_waiting_list_entry(entry_id: str):
    entry = entries.get(_facility(), entry_id)
    return _json(200, api.entry_view(entry, position=entries.position(entry) if entry.queue else None))


@app.patch("/api/v1/waiting-list/<entry_id>")
def patch_waiting_list_entry(entry_id: str):
    entry = entries.update(entries.get(_facility(), entry_id), _body())
    return _json(200, api.entry_view(entry))


@app.post("/api/v1/waiting-list/<entry_id>/strike-off")
def strike_off_waiting_list_entry(entry_id: str):
    reason, by = api.strike_off_from_payload(_body())
    entry = entries.strike_off(entries.get(_facility(), entry_id), reason, by=by)
    return _json(200, api.entry_view(entry))


@app.get("/api/v1/offer-strategy")
def get_offer_strategy():
    return _json(200, settings.get_strategy(_facility()).as_dict())


@app.put("/api/v1/offer-strategy")
def put_offer_strategy():
    return _json(200, settings.save_strategy(_facility(), _body()).as_dict())


@app.get("/api/v1/payment-rules")
def get_payment_rules():
    return _json(200, rules.facility_rules(rules.get_facility(_facility())).to_dict())


@app.put("/api/v1/payment-rules")
def put_payment_rules():
    return _json(200, rules.save_facility_rules(_facility(), _body()).to_dict())


@app.put("/api/v1/payment-rules/specialists/<specialist>")
def put_specialist_payment_rules(specialist: str):
    return _json(200, rules.save_specialist_rules(_facility(), unquote(specialist), _body()).to_dict())


@app.delete("/api/v1/payment-rules/specialists/<specialist>")
def delete_specialist_payment_rules(specialist: str):
    return _json(200, rules.save_specialist_rules(_facility(), unquote(specialist), None).to_dict())


@app.get("/api/v1/patients/<patient_id>/blacklist")
def get_blacklist_entry(patient_id: str):
    return _json(200, blacklist.standing(_facility(), patient_id).view())


@app.put("/api/v1/patients/<patient_id>/blacklist")
def put_blacklist_entry(patient_id: str):
    change = blacklist.StaffChange.from_payload(_body())
    return _json(200, blacklist.put_on(_facility(), patient_id, change, by=app.context["actor"]).view())


@app.delete("/api/v1/patients/<patient_id>/blacklist")
def delete_blacklist_entry(patient_id: str):
    change = blacklist.StaffChange.from_payload(_body(), lifting=True)
    return _json(200, blacklist.lift(_facility(), patient_id, change, by=app.context["actor"]).view())


# ---------------------------------------------------------------------------------------------
# Campaigns (docs/campaigns.md): history and consents in, drafts, preview, launch, result,
# responses, settings, open slots.


def _bulk(kind: str) -> Response:
    rows = campaign_api.bulk_rows(body_text(app.current_event), app.current_event.headers.get("content-type"))
    applied, errors = history.apply_rows(_facility(), kind, rows)
    return _json(200, campaign_api.bulk_result(len(rows), applied, errors))


@app.post("/api/v1/history")
def post_history():
    return _bulk("history")


@app.post("/api/v1/consents")
def post_consents():
    return _bulk("consents")


@app.post("/api/v1/imports")
def post_import():
    job, upload_url = imports.open_import(_facility(), _body(), now())
    return _json(201, {**imports.view(job), "upload": {"method": "PUT", "url": upload_url,
                                                       "expires_in_seconds": 3600}})


@app.get("/api/v1/imports/<import_id>")
def get_import(import_id: str):
    return _json(200, imports.view(imports.get(_facility(), import_id)))


@app.post("/api/v1/campaigns")
def post_campaign():
    campaign = drafts.create(_facility(), drafts.DraftInput.from_payload(_body()))
    return _json(201, campaign_api.campaign_view(campaign))


@app.get("/api/v1/campaigns")
def list_campaigns():
    return _json(200, {"campaigns": [campaign_api.campaign_view(c) for c in drafts.listed(_facility())]})


@app.get("/api/v1/campaigns/<campaign_id>")
def get_campaign(campaign_id: str):
    campaign = drafts.get(_facility(), campaign_id)
    return _json(200, campaign_api.campaign_view(campaign, results.current(campaign, now())))


@app.get("/api/v1/campaigns/<campaign_id>/preview")
def preview_campaign(campaign_id: str):
    at = now()
    previewed = segments.preview(drafts.get(_facility(), campaign_id), at)
    return _json(200, {"campaign_id": campaign_id, "as_of": iso(at), **previewed.as_dict()})


@app.post("/api/v1/campaigns/<campaign_id>/launch")
def launch_campaign(campaign_id: str):
    facilities.require_right(app.context["rights"], facilities.CAMPAIGNS_LAUNCH)
    confirm = campaign_api.launch_confirmation(_optional_body())
    campaign = launch.launch(drafts.get(_facility(), campaign_id), confirm, by=app.context["actor"])
    return _json(202, campaign_api.campaign_view(campaign))


@app.get("/api/v1/campaign-responses")
def list_campaign_responses():
    limit, cursor = campaign_api.responses_query(app.current_event.query_string_parameters or {}, _facility())
    page, next_key = responses.open_list(_facility(), limit=limit, after=cursor)
    phones = responses.phones(_facility(), page)
    return _json(200, {"responses": [campaign_api.response_view(m, phones.get(m.patient_id)) for m in page],
                       "next_cursor": campaign_api.encode_key(next_key)})


@app.post("/api/v1/campaign-responses/<response_id>/handled")
def post_response_handled(response_id: str):
    member = responses.handled(responses.get(_facility(), response_id), now())
    phone = responses.phones(_facility(), [member]).get(member.patient_id)
    return _json(200, campaign_api.response_view(member, phone))


@app.get("/api/v1/campaign-settings")
def get_campaign_settings():
    return _json(200, campaign_settings.get(_facility()).view())


@app.put("/api/v1/campaign-settings")
def put_campaign_settings():
    return _json(200, rebook.configure(_facility(), _body(), now()).view())


@app.get("/api/v1/message-templates")
def get_message_templates():
    return _json(200, message_templates.get(_facility()))


@app.put("/api/v1/message-templates")
def put_message_templates():
    return _json(200, message_templates.configure(_facility(), _body()))


@app.put("/api/v1/slots")
def put_slots():
    current, withdrawn = campaign_slots.publish(_facility(), campaign_slots.inputs(_body()), now())
    return _json(200, {"slots": [campaign_slots.view(s) for s in current], "withdrawn": withdrawn})


@app.get("/api/v1/slots")
def get_slots():
    return _json(200, {"slots": [campaign_slots.view(s) for s in campaign_slots.published(_facility(), now())]})


@app.exception_handler(DomainError)
def domain_error(error: DomainError) -> Response:
    status = api.http_status(error)
    logger.info("request refused", extra={"status": status, "code": error.code, "field": error.field})
    return _json(status, api.domain_error_body(error))


@app.not_found
def not_found(_error) -> Response:
    # Powertools answers a known path with an unserved method through this 404 path too; its
    # route table is what tells the two apart.
    path = app.current_event.path
    allowed = sorted({route.method for route in app._static_routes + app._dynamic_routes if route.rule.match(path)})
    if allowed:
        return _json(405, api.error_body("method_not_allowed", f"{app.current_event.http_method} is not served "
                                         f"here; allowed: {', '.join(allowed)}"), {"Allow": ", ".join(allowed)})
    return _json(404, api.error_body("not_found", "no such route under /api/v1; see docs/openapi.yaml"))


@app.exception_handler(Exception)
def unexpected(error: Exception) -> Response:
    logger.exception("unexpected error")
    return _json(500, api.error_body("internal", "internal error; the request may be retried"))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
def lambda_handler(event, context):
    return app.resolve(event, context)
