"""The benchmark behind `make bench`: cold start of every handler in template.yaml as a ratio to a
baseline (a fresh interpreter importing boto3 and creating one DynamoDB client), and the AWS
requests each user-facing operation makes. docs/benchmarks.md explains and quotes it.

    python bench/run.py [--rounds 7]
"""
from __future__ import annotations

import argparse
import sys

import aws_calls

COLD_START_TARGET = 1.3  # x the baseline
CANCELLATION_TARGET = 3  # DynamoDB requests
CANCELLATION = "one-click cancellation (POST /c/{token})"


def _cold_starts(rounds: int) -> None:
    import coldstart

    samples = coldstart.measure(rounds)
    base = samples[coldstart.BASELINE]
    print(f"Cold start: median of {rounds} fresh interpreters each; init = import of the handler module,"
          " timed inside the interpreter; wall = the whole process")
    print(f"{'':<28}{'init ms':>9}{'ratio':>7}{'wall ms':>9}{'ratio':>7}")
    for name, measured in samples.items():
        init_ratio, wall_ratio = measured.ratios(base)
        over = name not in (coldstart.BASELINE, coldstart.EMPTY) and init_ratio > COLD_START_TARGET
        print(f"{name:<28}{measured.init:>9.1f}{init_ratio:>6.2f}x{measured.wall:>9.1f}{wall_ratio:>6.2f}x"
              + (f"  OVER {COLD_START_TARGET}x" if over else ""))
    print(f"baseline: import boto3; boto3.client('dynamodb'). ratio: median of each round's ratio to that"
          f" round's baseline. Target: each handler's init <= {COLD_START_TARGET}x.\n")


def _call_label(service: str, operation: str, table: str | None) -> str:
    label = operation if service == "dynamodb" else f"{service}:{operation}"
    return f"{label}({table.removesuffix('Table')})" if table else label


def _requests(counter: aws_calls.CallCounter) -> None:
    import operations

    print("AWS requests per operation (botocore event hooks; a transaction is one request)")
    print(f"{'operation':<48}{'HTTP':>5}{'DynamoDB':>9}  by API / other services")
    for name, status, calls in operations.measure(counter):
        dynamodb = sum(n for (service, _, _), n in calls.items() if service == "dynamodb")
        detail = ", ".join(_call_label(*call) + (f" x{n}" if n > 1 else "")
                           for call, n in sorted(calls.items(), key=lambda c: (c[0][0] != "dynamodb", c[0][1])))
        over = name == CANCELLATION and dynamodb > CANCELLATION_TARGET
        print(f"{name:<48}{status:>5}{dynamodb:>9}  {detail}" + (f"  OVER {CANCELLATION_TARGET}" if over else ""))
    print(f"Target: a one-click cancellation in at most {CANCELLATION_TARGET} DynamoDB requests. SSM GetParameter"
          " (the link secret, cached by Powertools) is not DynamoDB.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="fresh interpreters per handler (median taken)")
    args = parser.parse_args()
    counter = aws_calls.install()  # before any client exists, so every one is counted
    _cold_starts(args.rounds)
    _requests(counter)
    return 0


if __name__ == "__main__":
    sys.exit(main())
