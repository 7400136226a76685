"""odwolaj-admin: create a facility and issue API keys; replay what failed after its retries.

Talks to the same tables as the functions: either name a deployed stack (--stack, the table
names are read from CloudFormation) or set the variables the functions use (FACILITIES_TABLE,
API_KEYS_TABLE); AWS_ENDPOINT_URL points it at the local runner's moto. A key is printed once,
as JSON on stdout; only its hash is stored.

`redrive` (needs --stack) replays every failure queue of the stack through its function
(odwolaj.adapters.failures; docs/operations.md); `--list` only shows what is there. It exits 1
when something failed again or is past the stream's 24 hours (left on its queue).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from botocore.exceptions import ClientError
from pynamodb.exceptions import DoesNotExist

from odwolaj.adapters import failures
from odwolaj.core.errors import DomainError
from odwolaj.security import facilities


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="odwolaj-admin", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", help="a deployed stack's name: use its tables")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-facility", help="create a facility and its first API key")
    create.add_argument("--name", required=True, help="full name, shown on patient pages")
    create.add_argument("--short-name", help="what fits an SMS (at most 25 characters; default: the name)")
    create.add_argument("--phone", help="the registration desk's number, shown to patients")
    create.add_argument("--address")
    issue = commands.add_parser("issue-key", help="issue another API key for a facility")
    issue.add_argument("--facility-id", required=True)
    issue.add_argument("--label", help="what the key is for (e.g. the clinic system's name)")
    issue.add_argument("--right", action="append", default=[], dest="rights",
                       help="a right beyond the basic API, e.g. payments:override (repeatable)")
    redrive = commands.add_parser("redrive", help="replay what a stream or an asynchronous source gave up on")
    redrive.add_argument("--function", help="only this function's failures (its logical id, e.g. SmsSenderFunction)")
    redrive.add_argument("--list", action="store_true", help="show what is kept, replay nothing")
    return parser


def _create_facility(args: argparse.Namespace) -> dict:
    created = facilities.create_facility(args.name, short_name=args.short_name, phone=args.phone,
                                         address=args.address)
    return {"facility_id": created.facility.facility_id, "name": created.facility.name,
            "short_name": created.facility.short_name, "api_key": created.api_key}


def _issue_key(args: argparse.Namespace) -> dict:
    facility = facilities.get_facility(args.facility_id)  # a key for no facility would be a dead key
    return {"facility_id": facility.facility_id, "rights": sorted(args.rights),
            "api_key": facilities.issue_api_key(facility.facility_id, label=args.label, rights=args.rights)}


def _redrive(args: argparse.Namespace) -> dict:
    queues = [queue for queue in failures.stack_failure_queues(args.stack)
              if args.function in (None, queue.function)]
    if not queues:
        raise DomainError(f"stack {args.stack} has no failure queue for {args.function}")
    if args.list:
        return {queue.function: [{"shape": failed.shape, "what": failed.summary, "received": failed.received}
                                 for failed in failures.look(failures.aws_client("sqs"), queue.url)]
                for queue in queues}
    return {queue.function: vars(failures.redrive_queue(queue)) for queue in queues}


def _left_on_a_queue(result: dict) -> bool:
    """After a redrive: whether anything failed again or could not be read (the exit status says so)."""
    return any(outcome["failed"] or outcome["expired"] for outcome in result.values())


COMMANDS = {"create-facility": _create_facility, "issue-key": _issue_key, "redrive": _redrive}
# Environment variable the functions read → the table's logical id in template.yaml.
TABLES = {"FACILITIES_TABLE": "FacilitiesTable", "API_KEYS_TABLE": "ApiKeysTable"}


def _use_stack_tables(stack: str) -> None:
    import boto3  # only this option needs CloudFormation

    cloudformation = boto3.client("cloudformation")
    for env_var, logical_id in TABLES.items():
        found = cloudformation.describe_stack_resource(StackName=stack, LogicalResourceId=logical_id)
        os.environ[env_var] = found["StackResourceDetail"]["PhysicalResourceId"]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "redrive" and not args.stack:
        print("odwolaj-admin: redrive needs --stack (the local runner redrives on /dev/failed)", file=sys.stderr)
        return 2
    try:
        if args.stack and args.command != "redrive":
            _use_stack_tables(args.stack)
        missing = [env_var for env_var in TABLES if not os.environ.get(env_var)]
        if missing and args.command != "redrive":
            print(f"odwolaj-admin: give --stack or set {' and '.join(missing)}", file=sys.stderr)
            return 2
        result = COMMANDS[args.command](args)
    except ClientError as error:
        print(f"odwolaj-admin: stack {args.stack}: {error.response['Error']['Message']}", file=sys.stderr)
        return 2
    except DomainError as error:
        print(f"odwolaj-admin: {error.message}", file=sys.stderr)
        return 2
    except DoesNotExist:
        print(f"odwolaj-admin: no facility {args.facility_id}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 1 if args.command == "redrive" and not args.list and _left_on_a_queue(result) else 0


if __name__ == "__main__":
    sys.exit(main())
