"""Cold start: a fresh interpreter per sample, timing what Lambda's init does for a handler (put
the code directory on the path, import the module), against a baseline measured in the same run
and interleaved with the handlers so that machine noise falls on both alike."""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

from odwolaj_local.aws import LocalAws
from odwolaj_local.template import application

BASELINE = "baseline"
EMPTY = "python -c pass"
_TIMED = """
import importlib, sys, time
code_dir, module = sys.argv[1], sys.argv[2]
if code_dir:
    sys.path.insert(0, code_dir)
started = time.perf_counter()
{body}
print(time.perf_counter() - started)
"""
_HANDLER = _TIMED.format(body="importlib.import_module(module)")
_BASELINE = _TIMED.format(body='import boto3; boto3.client("dynamodb", region_name="eu-central-1")')
_EMPTY = _TIMED.format(body="pass")


@dataclass
class Samples:
    init_ms: list[float] = field(default_factory=list)  # timed inside the interpreter
    wall_ms: list[float] = field(default_factory=list)  # the whole process, interpreter start included

    @property
    def init(self) -> float:
        return statistics.median(self.init_ms)

    @property
    def wall(self) -> float:
        return statistics.median(self.wall_ms)

    def ratios(self, baseline: "Samples") -> tuple[float, float]:
        """Median of the per-round ratios (init, wall): each round's baseline ran next to it."""
        return (statistics.median(s / b for s, b in zip(self.init_ms, baseline.init_ms)),
                statistics.median(s / b for s, b in zip(self.wall_ms, baseline.wall_ms)))


def _sample(script: str, code_dir: str, module: str, env: dict[str, str]) -> tuple[float, float]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script, code_dir, module], env=env, capture_output=True,
                          text=True, timeout=120)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{module} in {code_dir or '-'} failed to import:\n{done.stderr}")
    return float(done.stdout.splitlines()[-1]) * 1000, wall * 1000


def measure(rounds: int) -> dict[str, Samples]:
    """Median-able samples per handler's logical id, plus BASELINE and EMPTY."""
    app = application()
    # The template's environment for each function, pointing at an endpoint nothing listens on:
    # module init must not call AWS.
    local = LocalAws(endpoint="http://127.0.0.1:9", public_base_url="https://odw.pl", app=app)
    any_env = local.function_environment(next(iter(app.functions)))
    runs = [(EMPTY, _EMPTY, "", "", any_env), (BASELINE, _BASELINE, "", "", any_env)]
    for function, spec in app.functions.items():
        module = spec.handler.rpartition(".")[0]
        runs.append((function, _HANDLER, str(spec.code_dir), module, local.function_environment(function)))
    samples = {name: Samples() for name, *_ in runs}
    for _ in range(rounds):
        for name, script, code_dir, module, env in runs:
            init, wall = _sample(script, code_dir, module, env)
            samples[name].init_ms.append(init)
            samples[name].wall_ms.append(wall)
    return samples
