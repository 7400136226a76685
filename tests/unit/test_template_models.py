"""The PynamoDB models and the tables template.yaml declares cannot drift apart: keys, indexes,
attribute types and table settings are compared here, model by model. Also: each function's code
and handler exist, and every environment variable the code requires is set by the template."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pynamodb.attributes import NumberAttribute

from odwolaj.data import models
from odwolaj_local.template import REPO_ROOT, application

LAYER_SOURCE = REPO_ROOT / "layers" / "odwolaj" / "odwolaj"
# Tables not backed by a model of ours, and whose shape is therefore fixed by someone else.
POWERTOOLS_IDEMPOTENCY_TABLE = "IdempotencyTable"
# Short-lived items that are safe to lose (counters; console sessions: people sign in again): no
# point-in-time recovery.
WITHOUT_PITR = {"RateLimitsTable", "ConsoleSessionsTable", POWERTOOLS_IDEMPOTENCY_TABLE}


def _globals_env() -> dict:
    return application().source["Globals"]["Function"]["Environment"]["Variables"]


def _env_var(model) -> str:
    return vars(model.Meta)["table_name"].env_var


def _table_of(model) -> str:
    """Model → env var in its Meta → the Globals entry `!Ref`-ing a table's logical id."""
    value = _globals_env().get(_env_var(model))
    assert isinstance(value, dict) and "Ref" in value, f"Globals must set {_env_var(model)} to !Ref <table>"
    assert value["Ref"] in application().tables, f"{_env_var(model)} refers to {value['Ref']}, not a table"
    return value["Ref"]


def _keys(key_schema: list[dict]) -> dict[str, str]:
    return {entry["KeyType"]: entry["AttributeName"] for entry in key_schema}


def _types(definitions: list[dict]) -> dict[str, str]:
    return {entry["AttributeName"]: entry["AttributeType"] for entry in definitions}


def _projection(projection: dict) -> tuple[str, frozenset]:
    return projection["ProjectionType"], frozenset(projection.get("NonKeyAttributes", ()))


def _model_indexes(model) -> dict[str, tuple]:
    schema = model._get_schema()  # what PynamoDB itself would send to CreateTable
    return {index["index_name"]: (_keys(index["key_schema"]), _projection(index["projection"]))
            for index in schema["global_secondary_indexes"]}


def _template_indexes(table: dict) -> dict[str, tuple]:
    return {index["IndexName"]: (_keys(index["KeySchema"]), _projection(index["Projection"]))
            for index in table.get("GlobalSecondaryIndexes", [])}


MODELS = pytest.mark.parametrize("model", models.ALL_MODELS, ids=lambda m: m.__name__)


@MODELS
def test_model_keys_and_types_match_its_table(model):
    """Given a model and the table its env var points at, the primary key and the type of every
    key attribute (table and indexes) are the same on both sides."""
    table = application().tables[_table_of(model)]
    schema = model._get_schema()

    assert _keys(table["KeySchema"]) == _keys(schema["key_schema"])
    assert _types(table["AttributeDefinitions"]) == _types(schema["attribute_definitions"])


@MODELS
def test_model_indexes_match_its_table(model):
    """Every global secondary index has the same name, keys, projection type and projected
    attributes in the model and the template, and neither side has one the other lacks."""
    table = application().tables[_table_of(model)]
    assert _template_indexes(table) == _model_indexes(model)
    assert not table.get("LocalSecondaryIndexes") and not model._get_schema()["local_secondary_indexes"]


@MODELS
def test_projected_attributes_exist_on_the_model(model):
    attributes = {attribute.attr_name for attribute in model.get_attributes().values()}
    for name, (_keys, (_type, included)) in _model_indexes(model).items():
        assert included <= attributes, f"{model.__name__}.{name} projects attributes the model lacks"


@pytest.mark.parametrize("model", [model for model in models.ALL_MODELS
                                   if "TimeToLiveSpecification" in application().tables[_table_of(model)]],
                         ids=lambda m: m.__name__)
def test_ttl_attribute_is_a_number_on_the_model(model):
    ttl = application().tables[_table_of(model)]["TimeToLiveSpecification"]
    by_name = {attribute.attr_name: attribute for attribute in model.get_attributes().values()}
    assert ttl["Enabled"] is True
    # DynamoDB ignores a TTL attribute that is not a number of epoch seconds.
    assert isinstance(by_name.get(ttl["AttributeName"]), NumberAttribute)


def test_every_table_but_powertools_idempotency_has_a_model():
    modelled = {_table_of(model) for model in models.ALL_MODELS}
    assert len(modelled) == len(models.ALL_MODELS), "two models share a table"
    assert set(application().tables) - modelled == {POWERTOOLS_IDEMPOTENCY_TABLE}


def test_idempotency_table_has_powertools_default_shape():
    """Powertools' DynamoDB persistence layer (odwolaj.adapters.idempotency) uses its default attributes."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    store = DynamoDBPersistenceLayer(table_name="any")
    table = application().tables[POWERTOOLS_IDEMPOTENCY_TABLE]
    assert _keys(table["KeySchema"]) == {"HASH": store.key_attr}
    assert _types(table["AttributeDefinitions"]) == {store.key_attr: "S"}
    assert table["TimeToLiveSpecification"] == {"AttributeName": store.expiry_attr, "Enabled": True}
    assert _globals_env()["IDEMPOTENCY_TABLE"] == {"Ref": POWERTOOLS_IDEMPOTENCY_TABLE}


@pytest.mark.parametrize("logical_id", sorted(application().tables))
def test_table_is_on_demand_and_encrypted_with_recovery(logical_id):
    table = application().tables[logical_id]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSESpecification"] == {"SSEEnabled": True}
    pitr = table.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled", False)
    assert pitr is (logical_id not in WITHOUT_PITR)


@pytest.mark.parametrize("function", sorted(application().functions))
def test_function_code_and_handler_exist(function):
    spec = application().functions[function]
    module, _, attribute = spec.handler.rpartition(".")
    source = spec.code_dir / f"{module}.py"
    assert source.is_file(), f"{function}: {source} is missing"
    defined = {node.name for node in ast.parse(source.read_text(encoding="utf-8")).body
               if isinstance(node, ast.FunctionDef)}
    assert attribute in defined, f"{function}: {module}.py defines no {attribute}()"


def _required_env(source: Path) -> set[str]:
    """Variables the code cannot run without: os.environ["X"] reads and table_name("X") calls."""
    required = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load)
                and ast.unparse(node.value) == "os.environ" and isinstance(node.slice, ast.Constant)):
            required.add(node.slice.value)
        if (isinstance(node, ast.Call) and ast.unparse(node.func) == "table_name"
                and node.args and isinstance(node.args[0], ast.Constant)):
            required.add(node.args[0].value)
    return required


def test_every_table_env_var_the_layer_uses_is_set_for_every_function():
    """Any function may touch any model through the layer, so table names live in Globals."""
    used = {_env_var(model) for model in models.ALL_MODELS}
    for source in LAYER_SOURCE.rglob("*.py"):
        used |= {name for name in _required_env(source) if name.endswith("_TABLE")}
    assert used <= set(_globals_env()), f"not in Globals: {sorted(used - set(_globals_env()))}"


def test_every_other_env_var_the_layer_requires_is_set_somewhere():
    layer_required = set().union(*(_required_env(source) for source in LAYER_SOURCE.rglob("*.py")))
    set_anywhere = set().union(*(spec.environment for spec in application().functions.values()))
    assert layer_required <= set_anywhere, f"never set: {sorted(layer_required - set_anywhere)}"


@pytest.mark.parametrize("function", sorted(application().functions))
def test_env_vars_a_function_requires_are_set_for_it(function):
    spec = application().functions[function]
    required = set().union(*(_required_env(source) for source in spec.code_dir.glob("*.py")))
    assert required <= set(spec.environment), f"{function} lacks {sorted(required - set(spec.environment))}"
