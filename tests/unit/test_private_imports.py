"""`make lint` refuses a private name used outside its module (infra/lint/private_imports.py): the
check finds each way of reaching one, lets public names and a module's own privates be, and the
code that ships is clean."""
from __future__ import annotations

import subprocess
import sys

import pytest

from odwolaj_local.template import REPO_ROOT

CHECK = REPO_ROOT / "infra" / "lint" / "private_imports.py"
sys.path.insert(0, str(CHECK.parent))
from private_imports import violations  # noqa: E402  (a script, not a package)


@pytest.mark.parametrize("source, found", [
    ("from odwolaj.appointments.lifecycle import _change\n", "from odwolaj.appointments.lifecycle import _change"),
    ("from odwolaj.appointments import lifecycle\nlifecycle._change(1, 2)\n", "lifecycle._change"),
    ("from odwolaj.appointments import lifecycle as appointments\nappointments._RACED\n", "appointments._RACED"),
    ("import odwolaj.core.clock as clock\nclock._offset()\n", "clock._offset"),
    ("from odwolaj.adapters import stripe_api\nstripe_api._client.cache_clear()\n", "stripe_api._client"),
    ("import odwolaj.core._hidden\n", "import odwolaj.core._hidden"),
])
def test_each_way_of_reaching_a_private_name_is_found(source, found):
    assert [what for _line, what in violations(source)] == [found]


@pytest.mark.parametrize("source", [
    "from odwolaj.appointments.lifecycle import transition, unchanged_since\n",
    "from odwolaj.data.models import Appointment\nAppointment._meta\n",  # a class, not a module
    "def _own():\n    pass\n_own()\n",  # a module's own private name
    "from aws_lambda_powertools.event_handler import APIGatewayHttpResolver\napp = APIGatewayHttpResolver()\n"
    "app._static_routes\n",  # another package's: ruff's PLC2701 territory, not ours
    "from odwolaj.core import clock\nclock.__name__\n",  # dunders are public
])
def test_public_names_and_a_modules_own_privates_pass(source):
    assert list(violations(source)) == []


def test_the_code_that_ships_uses_no_private_name_of_another_module():
    result = subprocess.run([sys.executable, str(CHECK), "layers", "functions", "infra", "bench"], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout


def test_a_private_import_fails_the_check(tmp_path):
    offender = tmp_path / "offender.py"
    offender.write_text("from odwolaj.edge.web.pages import _details\n", encoding="utf-8")
    result = subprocess.run([sys.executable, str(CHECK), str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    expected = f"{offender}:1: private name used across modules: from odwolaj.edge.web.pages import _details"
    assert expected in result.stdout
