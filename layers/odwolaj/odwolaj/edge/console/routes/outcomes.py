"""The dashboard of the facility's outcomes for a period, its tables' CSV and XLSX exports, and the
definitions of its figures."""
from __future__ import annotations

import re
from datetime import date, timedelta

from aws_lambda_powertools.event_handler import Response

from odwolaj.core.errors import InvalidInput, NotFound
from odwolaj.edge.console import exports, http, pages
from odwolaj.edge.console.dashboard import dashboard_page
from odwolaj.edge.console.routes.common import ConsoleRouter, logger, today
from odwolaj.edge.console.tables import period_label, tables
from odwolaj.usecases import console

router = ConsoleRouter()

DASHBOARD_PARAMS = {"od", "do", "zakres"}
DEFAULT_DAYS = 30


def _period_and_scope() -> tuple[date, date, str, str | None]:
    """(first day, last day, scope, a problem to show) from the query; defaults: the last 30 days."""
    query = router.query()
    unknown = sorted(set(query) - DASHBOARD_PARAMS)
    if unknown:
        raise InvalidInput(f"unknown query parameter(s): {', '.join(unknown)}", field=unknown[0])
    this_day = today()
    first, last, problem = this_day - timedelta(days=DEFAULT_DAYS - 1), this_day, None
    if "od" in query or "do" in query:
        try:
            first, last = date.fromisoformat(query.get("od", "")), date.fromisoformat(query.get("do", ""))
        except ValueError:
            problem = "Podaj daty od i do (dzień, miesiąc, rok). Pokazujemy ostatnie 30 dni."
        else:
            if last < first or (last - first).days >= 366:
                first, last = this_day - timedelta(days=DEFAULT_DAYS - 1), this_day
                problem = ("Okres może mieć od 1 dnia do roku, a „do” nie może być przed „od”. "
                           "Pokazujemy ostatnie 30 dni.")
    return first, last, query.get("zakres", ""), problem


@router.get("/panel")
def dashboard() -> Response:
    session = router.session()
    first, last, scope, problem = _period_and_scope()
    found = console.dashboard(session, first, last, scope)
    return http.html(200, dashboard_page(session, found.facility, found.figures, scope=scope, today=today(),
                                         problem=problem))


@router.get("/panel/eksport/<name>")
def export(name: str) -> Response:
    session = router.session()
    named = re.fullmatch(r"([a-z-]+)\.(csv|xlsx)", name)
    if not named:
        raise NotFound("no such export")
    key, fmt = named.groups()
    first, last, scope, _problem = _period_and_scope()
    found = console.dashboard(session, first, last, scope)
    every = tables(found.figures)
    chosen = every if key == "wszystko" and fmt == "xlsx" else [t for t in every if t.key == key]
    if not chosen:
        raise NotFound("no such table")
    filename = f"odwolaj-{key}-{first.isoformat()}-{last.isoformat()}.{fmt}"
    logger.info("export", extra={"table": key, "format": fmt})
    if fmt == "csv":
        return http.download(exports.to_csv(chosen[0]), exports.CSV, filename)
    title = f"Odwołaj – {found.facility} – {period_label(first, last)}"
    return http.download(exports.to_xlsx(chosen, title), exports.XLSX, filename)


@router.get("/panel/definicje")
def definitions() -> Response:
    session = router.session()
    console.require(session, "dashboard")
    return http.html(200, pages.definitions_page(session, console.late_threshold(session)))
