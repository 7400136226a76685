"""docs/openapi.yaml is a valid OpenAPI 3.1 document, documents every route the clinic API serves,
and what the API really answers matches it."""
import inspect
import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from odwolaj_local.apigw import response_body
from odwolaj_local.lambdas import load_handler
from tests.conftest import in_days

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def doc() -> dict:
    return yaml.safe_load(DOC_PATH.read_text(encoding="utf-8"))


def served_routes() -> set[tuple[str, str]]:
    """(path, method) of every route the handler registers, as Powertools itself lists them."""
    app = inspect.unwrap(load_handler("ClinicApiFunction")).__globals__["app"]  # under Logger's and Tracer's wrappers
    paths = app.get_openapi_schema().paths
    return {(path, method) for path, item in paths.items() for method in METHODS if getattr(item, method)}


def schema_for(doc: dict, path: str, method: str, status: int) -> Draft202012Validator:
    """A validator for the documented JSON body of one response (references resolved in the doc)."""
    response = doc["paths"][path][method]["responses"][str(status)]
    if "$ref" in response:
        response = doc["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    schema = response["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": doc["components"]},
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_the_document_is_valid_openapi_3_1(doc):
    validate(doc)
    assert doc["openapi"].startswith("3.1")


def test_every_served_route_is_documented_and_nothing_else(doc):
    documented = {(path, method) for path, item in doc["paths"].items() for method in METHODS if method in item}

    assert documented == served_routes()


def test_every_operation_requires_the_bearer_key_and_documents_401(doc):
    assert doc["security"] == [{"bearerAuth": []}]
    scheme = doc["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for path, method in served_routes():
        assert "401" in doc["paths"][path][method]["responses"], (path, method)


def test_the_documented_examples_are_accepted_by_the_documented_request_schemas(doc):
    for path, item in doc["paths"].items():
        for method in METHODS:
            body = item.get(method, {}).get("requestBody")
            if not body:
                continue
            content = body["content"]["application/json"]
            validator = Draft202012Validator({**content["schema"], "components": doc["components"]})
            for name, example in content["examples"].items():
                assert not list(validator.iter_errors(example["value"])), f"{method} {path} example {name}"


def test_real_answers_match_the_documented_schemas(doc, http, facility, clock):
    """Given a created, read, listed, cancelled appointment and refused requests, every answer
    validates against what the document promises for that operation and status."""
    auth = {"authorization": f"Bearer {facility.api_key}", "content-type": "application/json"}
    item_path, list_path = "/api/v1/appointments/{external_id}", "/api/v1/appointments"
    body = {"patient": {"id": "P-1", "phone": "(22) 123 45 67", "pesel": "44051401359"},
            "starts_at": in_days(3).isoformat(), "service": "Poradnia kardiologiczna", "cer_managed": True}
    calls = [
        ("PUT", "/api/v1/appointments/HIS-1", "", body, item_path, "put", 201),
        ("PUT", "/api/v1/appointments/HIS-1", "", body, item_path, "put", 200),
        ("PUT", "/api/v1/appointments/HIS-2", "", {**body, "starts_at": "2030-01-01T10:00"}, item_path, "put", 422),
        ("PUT", "/api/v1/appointments/HIS-2", "", "{", item_path, "put", 400),
        ("GET", "/api/v1/appointments/HIS-1", "", None, item_path, "get", 200),
        ("GET", "/api/v1/appointments/NOPE", "", None, item_path, "get", 404),
        ("DELETE", "/api/v1/appointments/HIS-1", "", None, item_path, "get", 405),
        ("GET", "/api/v1/appointments", f"from={in_days(0):%Y-%m-%d}&to={in_days(7):%Y-%m-%d}", None,
         list_path, "get", 200),
        ("POST", "/api/v1/appointments/HIS-1/outcome", "", {"outcome": "no_show"}, item_path + "/outcome", "post",
         409),
        ("POST", "/api/v1/appointments/HIS-1/outcome", "", {"outcome": "cancelled", "reason": "other"},
         item_path + "/outcome", "post", 200),
    ]
    for method, path, query, payload, template, operation, status in calls:
        raw = payload if isinstance(payload, str) else json.dumps(payload) if payload is not None else ""
        response = http(method, path, headers=auth, body=raw, query=query)
        answer = json.loads(response_body(response))

        assert response["statusCode"] == status, (method, path, answer)
        errors = [error.message for error in schema_for(doc, template, operation, status).iter_errors(answer)]
        assert not errors, (method, path, errors)

    unauthorized = http("GET", "/api/v1/appointments/HIS-1", headers={"authorization": "Bearer odw_nope"})
    assert not list(schema_for(doc, item_path, "get", 401).iter_errors(json.loads(response_body(unauthorized))))


def test_every_error_code_the_api_can_answer_is_documented(doc):
    from odwolaj.core import errors
    from odwolaj.edge import api

    documented = set(doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"])
    answered = {kind.code for kind, _ in api.STATUS_BY_ERROR}
    answered |= {errors.InvalidTransition.code, "method_not_allowed", "internal"}
    assert answered <= documented
