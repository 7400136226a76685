"""odwolaj-admin: create a facility, issue API keys, invite a facility's first manager to the
console, rebuild a facility's outcome statistics.

Talks to the same tables (and staff user pool) as the functions: either name a deployed stack
(--stack: names are read from CloudFormation) or set the variables the functions use
(FACILITIES_TABLE, API_KEYS_TABLE, …, STAFF_USER_POOL_ID); AWS_ENDPOINT_URL points it at the local
runner's moto. A key or a temporary password is printed once, as JSON on stdout; only a key's hash
is stored, and a temporary password must be changed at the first sign-in.

`redrive` (needs --stack) replays every failure queue of the stack through its function
(odwolaj.adapters.failures; docs/operations.md); `--list` only shows what is there. It exits 1
when something failed again or is past the stream's 24 hours (left on its queue).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date

from botocore.exceptions import ClientError
from pynamodb.exceptions import DoesNotExist

from odwolaj.adapters import failures
from odwolaj.core.config import settings
from odwolaj.core.errors import DomainError
from odwolaj.security import audit, facilities, staff
from odwolaj.stats import rebuild, report


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
    invite = commands.add_parser("invite-manager", help="invite a facility's manager to the console (/panel)")
    invite.add_argument("--facility-id", required=True)
    invite.add_argument("--email", required=True, help="the manager's address: their sign-in name")
    rebuild = commands.add_parser("rebuild-stats", help="rebuild a facility's outcome statistics for a period "
                                                        "from its records (the backfill)")
    rebuild.add_argument("--facility-id", required=True)
    rebuild.add_argument("--from", dest="first", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    rebuild.add_argument("--to", dest="last", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
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


def _invite_manager(args: argparse.Namespace) -> dict:
    facility = facilities.get_facility(args.facility_id)
    invitation = staff.invite(facility.facility_id, args.email, staff.MANAGER, by=audit.Actor(audit.SYSTEM))
    return {"facility_id": facility.facility_id, "email": invitation.member.email, "sub": invitation.member.sub,
            "temporary_password": invitation.temporary_password,
            "sign_in": f"{settings().public_base_url}/panel (a new password and TOTP are set at the first sign-in)"}


def _rebuild_stats(args: argparse.Namespace) -> dict:
    facility = facilities.get_facility(args.facility_id)
    rebuilt = rebuild.rebuild(facility.facility_id, report.period(args.first, args.last))
    return {"facility_id": facility.facility_id, "from": args.first.isoformat(), "to": args.last.isoformat(),
            **vars(rebuilt)}


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


COMMANDS = {"create-facility": _create_facility, "issue-key": _issue_key, "invite-manager": _invite_manager,
            "rebuild-stats": _rebuild_stats, "redrive": _redrive}
# Environment variable the functions read → the logical id in template.yaml of what it names.
_BASIC = {"FACILITIES_TABLE": "FacilitiesTable", "API_KEYS_TABLE": "ApiKeysTable"}
NEEDS = {
    "create-facility": _BASIC,
    "issue-key": _BASIC,
    "invite-manager": {**_BASIC, "STAFF_TABLE": "StaffTable", "AUDIT_TABLE": "AuditTable",
                       "STAFF_USER_POOL_ID": "StaffUserPool"},
    "rebuild-stats": {**_BASIC, "STATS_TABLE": "StatsTable", "APPOINTMENTS_TABLE": "AppointmentsTable",
                      "SLOTS_TABLE": "SlotsTable", "OFFERS_TABLE": "OffersTable", "PAYMENTS_TABLE": "PaymentsTable",
                      "WAITING_ENTRIES_TABLE": "WaitingEntriesTable"},
    "redrive": {},  # the stack's failure queues, found by odwolaj.adapters.failures
}


def _use_stack_tables(stack: str, needed: dict[str, str]) -> None:
    import boto3  # only this option needs CloudFormation

    cloudformation = boto3.client("cloudformation")
    for env_var, logical_id in needed.items():
        found = cloudformation.describe_stack_resource(StackName=stack, LogicalResourceId=logical_id)
        os.environ[env_var] = found["StackResourceDetail"]["PhysicalResourceId"]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "redrive" and not args.stack:
        print("odwolaj-admin: redrive needs --stack (the local runner redrives on /dev/failed)", file=sys.stderr)
        return 2
    needed = NEEDS[args.command]
    try:
        if args.stack:
            _use_stack_tables(args.stack, needed)
    except ClientError as error:
        print(f"odwolaj-admin: stack {args.stack}: {error.response['Error']['Message']}", file=sys.stderr)
        return 2
    missing = [env_var for env_var in needed if not os.environ.get(env_var)]
    if missing:
        print(f"odwolaj-admin: give --stack or set {' and '.join(missing)}", file=sys.stderr)
        return 2
    try:
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
