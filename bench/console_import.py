"""The console's CSV import at its limit (200 rows): DynamoDB requests per row and seconds for the
plan and the import, against a baseline measured in the same run: the same 200 visits booked one
by one through the clinic API (PUT /api/v1/appointments/{id}), as an integrated HIS would.

    python bench/console_import.py [--rows 200] [--runs 3]

The load is the real thing: the console's handler (a signed-in reception session, a multipart
upload, the anti-CSRF token), the clinic API's handler, moto with the template's tables. The
console function's timeout (template.yaml) is what a whole import must fit in; moto is slower per
request than DynamoDB, so the seconds here are an upper bound.
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from datetime import datetime, timedelta

import aws_calls
from console_dashboard import ItemsRead, measure, template_on_moto

BOUNDARY = "odwolaj-bench-boundary"
HEADER = "id_wizyty,data,godzina,usluga,czas_min,specjalista,gabinet,id_pacjenta,telefon,email,pesel"


def visits(rows: int, prefix: str) -> list[dict]:
    first = datetime.now() + timedelta(days=30)
    return [{"id": f"{prefix}-{n}", "at": first + timedelta(days=n // 20, minutes=20 * (n % 20)),
             "patient": f"K-{n}", "phone": f"500 {n // 1000:03d} {n % 1000:03d}"} for n in range(rows)]


def csv_of(rows: list[dict]) -> bytes:
    lines = [HEADER] + [f"{v['id']},{v['at']:%Y-%m-%d},{v['at']:%H:%M},Poradnia kardiologiczna,20,dr Anna Nowak,"
                        f"Gabinet 12,{v['patient']},{v['phone']},," for v in rows]
    return ("\n".join(lines) + "\n").encode()


def multipart(fields: dict[str, str | bytes]) -> bytes:
    body = b""
    for name, value in fields.items():
        file_part = '; filename="wizyty.csv"\r\nContent-Type: text/csv' if isinstance(value, bytes) else ""
        content = value if isinstance(value, bytes) else value.encode()
        body += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"{file_part}\r\n\r\n'.encode()
        body += content + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


def call(function: str, method: str, path: str, *, headers: dict, body: bytes = b"") -> dict:
    from odwolaj_local.apigw import build_event, match
    from odwolaj_local.lambdas import FakeLambdaContext, load_handler
    from odwolaj_local.template import application

    route, params = match(application().routes, method, path)
    event = build_event(route, params, method, path, headers=headers, body=body)
    return load_handler(function)(event, FakeLambdaContext(function))


def reception(facility_id: str) -> dict:
    from odwolaj.adapters import cognito
    from odwolaj.security import sessions

    user = cognito.User("bench", "bench-sub", "rejestracja@bench.pl", facility_id, "reception", False, True)
    cookie, _session = sessions.open_session(user)
    return {"host": "odw.pl", "origin": "https://odw.pl", "cookie": f"__Host-odwolaj-panel={cookie}"}


def upload(headers: dict, fields: dict) -> dict:
    answer = call("ConsoleFunction", "POST", "/panel/wizyty/import", body=multipart(fields),
                  headers={**headers, "content-type": f"multipart/form-data; boundary={BOUNDARY}"})
    assert answer["statusCode"] in (200, 303), (answer["statusCode"], answer["body"][:300])
    return answer


def console_import(facility_id: str, rows: list[dict]) -> tuple[float, float]:
    """Seconds to plan and to import the file, as reception does: the page, the plan, then import."""
    headers = reception(facility_id)
    page = call("ConsoleFunction", "GET", "/panel/wizyty/import", headers=headers)
    token = re.search(r'name="csrf" value="([^"]+)"', page["body"]).group(1)
    content = csv_of(rows)
    start = time.perf_counter()
    upload(headers, {"csrf": token, "action": "podglad", "plik": content})
    planned = time.perf_counter()
    done = upload(headers, {"csrf": token, "action": "importuj", "plik": content})
    assert done["statusCode"] == 303, done["body"][:300]
    return planned - start, time.perf_counter() - planned


def api_bookings(api_key: str, rows: list[dict]) -> float:
    import json

    start = time.perf_counter()
    for v in rows:
        body = {"patient": {"id": v["patient"], "phone": v["phone"]}, "starts_at": v["at"].astimezone().isoformat(),
                "service": "Poradnia kardiologiczna", "specialist": "dr Anna Nowak", "location": "Gabinet 12",
                "duration_minutes": 20}
        answer = call("ClinicApiFunction", "PUT", f"/api/v1/appointments/{v['id']}", body=json.dumps(body).encode(),
                      headers={"authorization": f"Bearer {api_key}", "content-type": "application/json"})
        assert answer["statusCode"] == 201, answer["body"][:300]
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    calls, reader = aws_calls.install(), ItemsRead()
    with template_on_moto():
        from odwolaj.data.models import Appointment
        from odwolaj.security.facilities import create_facility
        from odwolaj_local.template import application

        timeout = application().functions["ConsoleFunction"].timeout
        results = []
        for run in range(args.runs):
            created = create_facility(f"Przychodnia {run}")
            facility_id = created.facility.facility_id
            mine, theirs = visits(args.rows, f"CSV{run}"), visits(args.rows, f"API{run}")
            timing: dict[str, float] = {}

            def imported() -> None:
                timing["plan"], timing["import"] = console_import(facility_id, mine)  # noqa: B023

            def booked() -> None:
                timing["api"] = api_bookings(created.api_key, theirs)  # noqa: B023

            requests, _items, ops = measure(calls, reader, imported)
            api_requests, _api_items, _ = measure(calls, reader, booked)
            count = sum(1 for _ in Appointment.by_facility_start.query(facility_id))
            assert count == 2 * args.rows, count
            results.append((timing["plan"], timing["import"], timing["api"], requests, api_requests, dict(ops)))
        print(f"CSV import of {args.rows} rows through the console (plan, then import) vs the same visits through "
              f"the clinic API one by one; moto; ConsoleFunction timeout {timeout} s")
        print(f"{'run':>4}{'plan s':>9}{'import s':>10}{'API s':>8}{'import/API':>12}{'req/row':>9}"
              f"{'API req/row':>13}")
        for n, (plan, done, api, requests, api_requests, _ops) in enumerate(results, 1):
            print(f"{n:>4}{plan:>9.1f}{done:>10.1f}{api:>8.1f}{(plan + done) / api:>12.2f}"
                  f"{requests / args.rows:>9.2f}{api_requests / args.rows:>13.2f}")
        print(f"median import/API: {statistics.median((p + d) / a for p, d, a, *_ in results):.2f}; "
              f"longest request (the import) {max(d for _p, d, *_ in results):.1f} s of {timeout} s")
        print(f"console requests by operation (last run, plan + import): {results[-1][5]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
