"""The outcome dashboard (/panel): a period and a scope to choose, the headline figures, then each
table with its chart, its definition one click away and its CSV and XLSX export."""
from __future__ import annotations

from datetime import date, timedelta
from html import escape as _e
from urllib.parse import urlencode

from odwolaj.data.models import ConsoleSession
from odwolaj.edge.console import charts
from odwolaj.edge.console.formats import cell
from odwolaj.edge.console.pages import layout
from odwolaj.edge.console.tables import Cell, Money, Share, Table, period_label, tables
from odwolaj.stats import definitions as d
from odwolaj.stats.counting import service_scope, specialist_scope
from odwolaj.stats.figures import Figures

TREND_SERIES = ("Do odbycia", "Odwołania", "Nieobecności", "Zajęte z listy")
# The page's order: the charts a manager reads at a glance first, then the detail.
ORDER = ("tygodnie", "lejek", "zajete-wg-wyprzedzenia", "kanaly", "wyprzedzenie", "powody", "wizyty",
         "przypomnienia", "odzyskiwanie", "przedplaty", "czeka", "skreslenia", "wpisani", "oczekiwanie", "porownanie")
WIDE = frozenset({"tygodnie", "porownanie", "zajete-wg-wyprzedzenia"})  # many columns: the whole width


def query_string(first: date, last: date, scope: str) -> str:
    params = {"od": first.isoformat(), "do": last.isoformat()}
    if scope:
        params["zakres"] = scope
    return urlencode(params)


def quick_periods(today: date) -> list[tuple[str, date, date]]:
    month_start = today.replace(day=1)
    previous_end = month_start - timedelta(days=1)
    return [("Ostatnie 7 dni", today - timedelta(days=6), today),
            ("Ostatnie 30 dni", today - timedelta(days=29), today),
            ("Ten miesiąc", month_start, today),
            ("Poprzedni miesiąc", previous_end.replace(day=1), previous_end),
            ("Najbliższe 14 dni", today, today + timedelta(days=13))]


def _definition(key: str) -> str:
    kpi = d.BY_KEY[key]
    return (f'<details><summary>Co to znaczy?<span class="skip"> ({_e(kpi.label)})</span></summary>'
            f"<p>{_e(kpi.definition)} <a href=\"/panel/definicje#def-{key}\">Wszystkie definicje</a></p></details>")


def _period_form(f: Figures, scope: str, today: date) -> str:
    options = ['<option value="">Cała przychodnia</option>']
    for label, names, make in (("Poradnie", f.services, service_scope), ("Specjaliści", f.specialists,
                                                                         specialist_scope)):
        if names:
            items = "".join(f'<option value="{_e(make(n))}"{" selected" if make(n) == scope else ""}>{_e(n)}</option>'
                            for n in names)
            options.append(f'<optgroup label="{_e(label)}">{items}</optgroup>')
    links = "".join(f'<a href="/panel?{query_string(first, last, scope)}">{_e(label)}</a>'
                    for label, first, last in quick_periods(today))
    return (
        '<form class="period" method="get" action="/panel" aria-label="Okres i zakres">'
        f'<div class="field"><label for="od">Od</label><input type="date" id="od" name="od" required '
        f'value="{f.period.first.isoformat()}"></div>'
        f'<div class="field"><label for="do">Do</label><input type="date" id="do" name="do" required '
        f'value="{f.period.last.isoformat()}"></div>'
        f'<div class="field"><label for="zakres">Zakres</label><select id="zakres" name="zakres">{"".join(options)}'
        '</select></div><button type="submit">Pokaż</button></form>\n'
        f'<p class="quick">Szybki wybór: {links}</p>'
    )


def _tiles(f: Figures) -> str:
    h = f.headline
    earlier = f.comparison.figures if f.comparison else None
    tiles: list[tuple[str, Cell, Cell | None]] = [
        ("visits_due", h.visits_due, earlier.visits_due if earlier else None),
        ("attended", h.attended, earlier.attended if earlier else None),
        ("no_show_rate", Share(h.no_show_rate), Share(earlier.no_show_rate) if earlier else None),
        ("cancellations", h.cancellations, earlier.cancellations if earlier else None),
        ("late_cancellation_rate", Share(h.late_cancellation_rate),
         Share(earlier.late_cancellation_rate) if earlier else None),
        ("fill_rate", Share(h.fill_rate), Share(earlier.fill_rate) if earlier else None),
        ("visits_recovered", h.slots_filled, earlier.slots_filled if earlier else None),
        ("recovered_value", Money(f.recovered_value), None),
    ]
    label = ("rok wcześniej" if f.comparison and f.comparison.kind == "year_before" else "kwartał wcześniej")
    items = "".join(
        f'<li><span class="label">{_e(d.BY_KEY[key].label)}</span><span class="value">{_e(cell(value))}</span>'
        + (f'<span class="earlier">{label}: {_e(cell(before))}</span>' if before is not None else "")
        + f"{_definition(key)}</li>" for key, value, before in tiles)
    return f'<ul class="tiles" aria-label="Najważniejsze wskaźniki">{items}</ul>'


def table_html(table: Table) -> str:
    """The table, with a column of bars when it is a bar chart or the funnel."""
    drawn = charts.bars(table) if table.chart == "bars" else charts.funnel(table) if table.chart == "funnel" else []
    head = "".join(f'<th scope="col"{" class=num" if i else ""}>{_e(c)}</th>' for i, c in enumerate(table.columns))
    if drawn:
        head += '<th scope="col" class="chart">Wykres</th>'
    rows = []
    for index, row in enumerate(table.rows):
        kpi = table.row_kpis[index] if index < len(table.row_kpis) else None
        label = _e(str(row[0])) + (_definition(kpi) if kpi else "")
        values = "".join(f'<td class="num">{_e(cell(v))}</td>' for v in row[1:])
        chart = f'<td class="chart">{drawn[index]}</td>' if drawn else ""
        rows.append(f'<tr><th scope="row">{label}</th>{values}{chart}</tr>')
    # Focusable, so a keyboard can scroll a table wider than the screen.
    return (f'<div class="table-wrap" tabindex="0" role="region" aria-label="Tabela: {_e(table.title)}">'
            f'<table aria-labelledby="h-{table.key}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _chart(table: Table) -> str:
    if table.chart == "line" and len(table.rows) > 1:
        svg, legend = charts.line(table, TREND_SERIES)
        return (f'<div class="chart-scroll" tabindex="0" role="region" aria-label="Wykres: {_e(table.title)}">'
                f"{svg}</div>{legend}")
    return ""


def _section(table: Table, query: str) -> str:
    about = _definition(table.kpi) if table.kpi else ""
    downloads = (f'<p class="downloads">Pobierz tabelę: <a href="/panel/eksport/{table.key}.csv?{_e(query)}">CSV</a> · '
                 f'<a href="/panel/eksport/{table.key}.xlsx?{_e(query)}">XLSX</a></p>')
    wide = " wide" if table.key in WIDE else ""
    return (f'<section class="card{wide}" aria-labelledby="h-{table.key}"><h2 id="h-{table.key}">{_e(table.title)}</h2>'
            f"{about}{_chart(table)}{table_html(table)}{downloads}</section>")


def dashboard_page(session: ConsoleSession, facility: str, f: Figures, *, scope: str, today: date,
                   problem: str | None = None) -> str:
    query = query_string(f.period.first, f.period.last, scope)
    scope_name = next((n for n in f.services if service_scope(n) == scope), None) or \
        next((n for n in f.specialists if specialist_scope(n) == scope), None)
    heading = f"Wyniki: {period_label(f.period.first, f.period.last)}" + (f" · {scope_name}" if scope_name else "")
    alert = f'<p class="problem" role="alert">{_e(problem)}</p>' if problem else ""
    compared = ""
    if f.comparison is None:
        compared = '<p class="muted">Brak danych z tego samego okresu rok ani kwartał wcześniej do porównania.</p>'
    body = (
        f"<h1>{_e(heading)}</h1>\n{alert}{_period_form(f, scope, today)}\n{_tiles(f)}\n{compared}"
        f'<p class="downloads">Wszystkie tabele w jednym pliku: <a href="/panel/eksport/wszystko.xlsx?{_e(query)}">'
        'XLSX</a> · <a href="/panel/definicje">Definicje wskaźników</a></p>\n'
        + '<div class="sections">' + "\n".join(_section(table, query) for table in
                                                sorted(tables(f), key=lambda t: ORDER.index(t.key))) + "</div>"
    )
    return layout("Wyniki", body, session=session, facility=facility, current="/panel")
