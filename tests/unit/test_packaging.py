"""What ships to Lambda: the layer's dependencies, what each function's import pulls in, what its
code package holds, and that `sam build` needs no Docker for any of it."""
from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import pytest
from packaging.requirements import Requirement

from odwolaj_local.aws import LocalAws
from odwolaj_local.template import REPO_ROOT, application

LAYER_DIR = REPO_ROOT / "layers" / "odwolaj"
# stripe imports aiohttp and httpx eagerly when they are installed; twilio's SDK is not used at all.
NEVER_IMPORTED = ("stripe", "aiohttp", "httpx", "twilio")
# The payment functions (PaymentPageFunction, StripeWebhookFunction) import stripe on their first
# Stripe call only (odwolaj.adapters.stripe_api), so no function may load it on import.
MAY_IMPORT_STRIPE: set[str] = set()

FUNCTIONS = pytest.mark.parametrize("function", sorted(application().functions))


def _requirements(lines) -> set[Requirement]:
    return {str(Requirement(line)) for line in (raw.split("#")[0].strip() for raw in lines) if line}


def test_layer_requirements_are_the_package_dependencies():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    layer = (LAYER_DIR / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert _requirements(layer) == _requirements(project["dependencies"])


_IMPORT_AND_LIST_MODULES = """
import json, sys
from odwolaj_local.lambdas import load_handler
load_handler(sys.argv[1])
print(json.dumps(sorted(name for name in sys.modules if "." not in name)))
"""


@FUNCTIONS
def test_function_imports_only_what_it_uses(function):
    """Given a fresh interpreter with the function's environment, importing its handler (what a
    cold start does) loads none of the SDKs it does not use."""
    # The template's values, resolved for an endpoint nothing listens on: importing must not call AWS.
    environment = LocalAws(endpoint="http://127.0.0.1:9", public_base_url="https://odw.pl").function_environment(function)
    result = subprocess.run([sys.executable, "-c", _IMPORT_AND_LIST_MODULES, function], env=environment,
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout.splitlines()[-1]))
    forbidden = set(NEVER_IMPORTED) - ({"stripe"} if function in MAY_IMPORT_STRIPE else set())
    assert not loaded & forbidden, f"{function} imports {sorted(loaded & forbidden)}"


@FUNCTIONS
def test_function_package_holds_only_its_modules(function):
    """A function's code directory is what sam build copies: Python modules, nothing else (the
    domain code and the dependencies come from the layer)."""
    code_dir = application().functions[function].code_dir
    files = [path for path in code_dir.rglob("*") if path.is_file() and "__pycache__" not in path.parts]
    assert files and all(path.suffix == ".py" and path.parent == code_dir for path in files), files


def _build_metadata(kind: str) -> dict[str, dict]:
    return {logical_id: resource.get("Metadata", {})
            for logical_id, resource in application().source["Resources"].items()
            if resource["Type"] == kind}


def test_every_function_builds_with_the_shared_makefile():
    """SAM's Python builder refuses python3.13 without Docker here; the makefile method does not."""
    for logical_id, metadata in _build_metadata("AWS::Serverless::Function").items():
        assert metadata.get("BuildMethod") == "makefile", logical_id
        assert metadata.get("ContextPath") == "functions", logical_id
    assert "build-%:" in (REPO_ROOT / "functions" / "Makefile").read_text(encoding="utf-8")


def test_the_layer_has_its_makefile_target():
    layers = _build_metadata("AWS::Serverless::LayerVersion")
    assert layers
    makefile = (LAYER_DIR / "Makefile").read_text(encoding="utf-8")
    for logical_id, metadata in layers.items():
        assert metadata.get("BuildMethod") == "makefile", logical_id
        assert f"build-{logical_id}:" in makefile
